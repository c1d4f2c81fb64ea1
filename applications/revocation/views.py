"""The recipient's pages of a revocation: the proceedings of one application (hearing, answer, decision, claim
with its interest and payments). Lookups through selectors (another organisation's application answers 404);
a proceeding is shown once the hearing letter was sent; writes through services."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from applications import selectors
from applications.models import RefundClaim, Revocation, RevocationDocument, RevocationStatus
from applications.revocation import services
from applications.revocation.forms import AnswerForm


def _visible(application):
    """Proceedings the recipient sees: not while staff are still preparing the hearing."""
    return (Revocation.objects.filter(application=application).exclude(status=RevocationStatus.OPENED)
            .select_related("hearing_notice", "decision_notice").prefetch_related("years", "documents")
            .order_by("-opened_at", "-id"))


def _context(request, application, *, forms=None):
    membership = selectors.membership_for(request.user, application.organisation_id)
    proceedings = list(_visible(application))
    claims = {c.revocation_id: c for c in RefundClaim.objects.filter(revocation__in=proceedings)
              .prefetch_related("payments")}
    today = timezone.localdate()
    can_answer = services.may(request.user, "revocation_answer", organisation_id=application.organisation_id)
    table = services.rate_table() if claims else None  # one query for every claim on the page
    for rv in proceedings:
        rv.answerable = rv.status == RevocationStatus.HEARING and not rv.answered_at
        rv.form = (forms or {}).get(rv.pk) or (AnswerForm() if rv.answerable and can_answer else None)
        rv.claim_obj = claims.get(rv.pk)
        hearing_day = rv.hearing_notice.context.get("date") if rv.hearing_notice_id else None
        rv.hearing_on = datetime.date.fromisoformat(hearing_day) if hearing_day else None
        if rv.claim_obj is not None:
            rv.figures = services.claim_figures(rv.claim_obj, until=today, table=table)
    return {"application": application, "membership": membership, "proceedings": proceedings,
            "can_answer": can_answer, "today": today}


@login_required
def proceedings_page(request, pk: int):
    application = selectors.application_for(request.user, pk)
    return render(request, "revocation/proceedings.html", _context(request, application))


@login_required
@require_POST
def answer(request, pk: int, rv_pk: int):
    application = selectors.application_for(request.user, pk)
    revocation = _visible(application).filter(pk=rv_pk).first()
    if revocation is None:
        raise Http404
    if not services.may(request.user, "revocation_answer", organisation_id=application.organisation_id):
        return render(request, "portal/apply/forbidden.html",
                      {"message": "Stellung nehmen können zeichnungsberechtigte Personen der Organisation."},
                      status=403)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.hearing_answer(revocation=revocation, user=request.user, text=form.cleaned_data["text"],
                                    uploads=form.cleaned_data["documents"])
        except services.RevocationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Ihre Stellungnahme ist eingegangen. Wir berücksichtigen sie bei unserer "
                                      "Entscheidung.")
            return redirect(reverse("portal:revocations", args=[application.pk]))
    return render(request, "revocation/proceedings.html",
                  _context(request, application, forms={revocation.pk: form}), status=400)


@login_required
def document(request, pk: int, rv_pk: int, doc_pk: int):
    application = selectors.application_for(request.user, pk)
    doc = RevocationDocument.objects.filter(pk=doc_pk, revocation_id=rv_pk,
                                            revocation__application=application).first()
    if doc is None:
        raise Http404
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                        content_type=doc.content_type)
