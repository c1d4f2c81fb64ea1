"""The applicant's proof-of-use pages: due dates and planned vs spent, the Belegliste (paged, phone-friendly),
the import, the Sachbericht with the zahlenmäßiger Nachweis, uploads and the submission by a signatory.
Lookups through selectors (another organisation's application answers 404); writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from applications import selectors
from applications.models import CheckStatus, CostItem, Expense, Proof, ProofDocument, ProofDocumentKind, ProofStatus
from applications.proof import services
from applications.proof.forms import DocumentForm, ExpenseForm, ImportForm, ReportForm
from applications.workflow import FUNDED

PER_PAGE = 50


def _application(request, pk: int):
    application = selectors.application_for(request.user, pk)
    if application.status not in FUNDED:
        raise Http404
    return application


def _proof(application, proof_pk: int) -> Proof:
    proof = Proof.objects.filter(pk=proof_pk, application_id=application.pk).first()
    if proof is None:
        raise Http404
    proof.application = application
    return proof


def _forbidden(request, message: str):
    return render(request, "portal/apply/forbidden.html", {"message": message}, status=403)


@login_required
def proof_overview(request, pk: int):
    application = _application(request, pk)
    membership = selectors.membership_for(request.user, application.organisation_id)
    proofs = services.proofs_ensure(application=application)
    today = timezone.localdate()
    for p in proofs:
        p.overdue = services.is_overdue(p, today=today)
    overview = services.spending_overview(application, today=today)
    return render(request, "proof/overview.html", {
        "application": application, "membership": membership, "proofs": proofs, "overview": overview,
        "today": today, "expense_count": Expense.objects.filter(application_id=application.pk).count(),
    })


def _expenses_context(request, application, *, form=None, import_form=None, import_errors=None):
    membership = selectors.membership_for(request.user, application.organisation_id)
    overview = services.spending_overview(application)
    labels = {line.item.pk: line.label for line in overview.lines}
    qs = Expense.objects.filter(application_id=application.pk).order_by("-paid_on", "-id").only(
        "id", "paid_on", "payee", "purpose", "amount", "receipt_number", "cost_item_id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("seite"))
    for expense in page.object_list:
        expense.label = labels.get(expense.cost_item_id, "–")
    return {"application": application, "membership": membership, "page": page, "overview": overview,
            "form": form or ExpenseForm(lines=overview.lines), "import_form": import_form or ImportForm(),
            "import_errors": import_errors or [], "locked_years": services.locked_years_for(application.pk),
            # the rows' delete links from one reverse (…/belege/<id>/loeschen/), not 100 per page
            "belege_url": reverse("portal:proof_expenses", args=[application.pk])}


@login_required
def proof_expenses(request, pk: int):
    application = _application(request, pk)
    if request.method != "POST":
        return render(request, "proof/expenses.html", _expenses_context(request, application))
    overview = services.spending_overview(application)
    form = ExpenseForm(request.POST, lines=overview.lines)
    if form.is_valid():
        try:
            services.expense_add(application=application, user=request.user, data=form.expense_input())
        except services.ProofError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Der Beleg ist in der Belegliste erfasst.")
            return redirect(reverse("portal:proof_expenses", args=[application.pk]))
    return render(request, "proof/expenses.html", _expenses_context(request, application, form=form), status=400)


@login_required
def proof_import(request, pk: int):
    application = _application(request, pk)
    if request.method != "POST":
        return render(request, "proof/expenses.html", _expenses_context(request, application))
    form = ImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            result = services.expenses_import(application=application, user=request.user,
                                              upload=form.cleaned_data["upload"])
        except services.ProofError as exc:
            form.add_error("upload", str(exc))
        else:
            if not result.errors:
                messages.success(request, f"{result.created} Belege importiert.")
                return redirect(reverse("portal:proof_expenses", args=[application.pk]))
            errors = result.errors
            form.add_error("upload", f"Nichts importiert: {len(errors)} Fehler in der Datei. Bitte berichtigen Sie "
                                     "die genannten Zeilen und laden Sie die Datei erneut hoch.")
    return render(request, "proof/expenses.html",
                  _expenses_context(request, application, import_form=form, import_errors=errors), status=400)


@login_required
@require_POST
def proof_expense_delete(request, pk: int, expense_pk: int):
    application = _application(request, pk)
    expense = Expense.objects.filter(pk=expense_pk, application_id=application.pk).first()
    if expense is None:
        raise Http404
    try:
        services.expense_delete(expense=expense, user=request.user)
    except services.ProofError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Der Beleg ist gelöscht.")
    return redirect(reverse("portal:proof_expenses", args=[application.pk]))


def _report_context(request, application, proof, *, form=None, document_form=None):
    membership = selectors.membership_for(request.user, application.organisation_id)
    questions = services.questions_for(application)
    initial = dict(proof.report or {})
    for income in proof.incomes.all():
        for key in services.INCOME_LABELS:
            initial[f"{key}_{income.year}"] = str(getattr(income, key)).replace(".", ",")
    requested = list(CostItem.objects.filter(
        pk__in=proof.checks.filter(status=CheckStatus.SAMPLES_REQUESTED).values("sample_items")))
    return {
        "application": application, "membership": membership, "proof": proof,
        "form": form or ReportForm(initial=initial, questions=questions, years=proof.years),
        "statement": services.proof_statement(proof), "editable": proof.status == ProofStatus.OPEN,
        "documents": list(proof.documents.all()), "requested": requested,
        "document_form": document_form or DocumentForm(requested=requested),
        "overdue": services.is_overdue(proof),
    }


@login_required
def proof_report(request, pk: int, proof_pk: int):
    application = _application(request, pk)
    proof = _proof(application, proof_pk)
    if request.method != "POST":
        return render(request, "proof/report.html", _report_context(request, application, proof))
    form = ReportForm(request.POST, questions=services.questions_for(application), years=proof.years)
    if form.is_valid():
        try:
            services.proof_report_save(proof=proof, user=request.user, report=form.report(), incomes=form.incomes())
        except services.ProofError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Sachbericht und Einnahmen sind gespeichert.")
            return redirect(reverse("portal:proof_report", args=[application.pk, proof.pk]))
    return render(request, "proof/report.html", _report_context(request, application, proof, form=form), status=400)


@login_required
@require_POST
def proof_submit(request, pk: int, proof_pk: int):
    application = _application(request, pk)
    proof = _proof(application, proof_pk)
    if not services.is_signatory(request.user, application.organisation_id):
        return _forbidden(request, "Den Verwendungsnachweis reichen zeichnungsberechtigte Personen der "
                                   "Organisation ein.")
    try:
        services.proof_submit(proof=proof, user=request.user)
    except services.ProofError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Der Nachweis ist eingereicht. Die Eingangsbestätigung erhalten Sie per E-Mail.")
    return redirect(reverse("portal:proof_report", args=[application.pk, proof.pk]))


@login_required
@require_POST
def proof_upload(request, pk: int, proof_pk: int):
    application = _application(request, pk)
    proof = _proof(application, proof_pk)
    context = _report_context(request, application, proof)
    form = DocumentForm(request.POST, request.FILES, requested=context["requested"])
    if form.is_valid():
        item_pk = form.cleaned_data.get("cost_item")
        kind = ProofDocumentKind.RECEIPT if item_pk else ProofDocumentKind.SUPPORT
        item = next((c for c in context["requested"] if c.pk == item_pk), None)
        try:
            services.proof_document_store(proof=proof, user=request.user, upload=form.cleaned_data["upload"],
                                          kind=kind, cost_item=item)
        except services.ProofError as exc:
            form.add_error(exc.field if exc.field in form.fields else "upload", str(exc))
        else:
            messages.success(request, "Die Datei ist hochgeladen.")
            return redirect(reverse("portal:proof_report", args=[application.pk, proof.pk]))
    return render(request, "proof/report.html",
                  _report_context(request, application, proof, document_form=form), status=400)


@login_required
def proof_document(request, pk: int, doc_pk: int):
    application = _application(request, pk)
    document = ProofDocument.objects.filter(pk=doc_pk, application_id=application.pk).first()
    if document is None:
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                        content_type=document.content_type)
