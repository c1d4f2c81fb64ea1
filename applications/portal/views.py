"""Applicant portal, applying: dashboard, application form with cost and financing plan, attachments, submission,
status page, messages, withdrawal, downloads.

Views are thin: every lookup goes through selectors.py (someone else's object answers 404), every write through
services.py. Rule checks come from rules.py and are shown at the field they concern.
"""

import datetime
import re
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from applications import decision_rules, pdf_jobs, rules, selectors, services
from applications.models import Application, Event, Message, Notice, NoticeKind, NoticeStatus
from applications.portal.forms import (
    ApplicationForm,
    AttachmentUploadForm,
    DetailsForm,
    MessageReplyForm,
    WithdrawForm,
    YearPlan,
)
from applications.portal.forms_decide import DeclarationsForm
from applications.rules import Problem
from applications.workflow import FUNDED, PENDING, TRANSITIONS, Status, TransitionError, actions_from, event_label
from funding.models import AttachmentKind, LedgerEntry, LedgerKind, LineRule
from wir_portal.urlutils import pk_url_maker

ATTENTION_DAYS = 30
SESSION_PENDING = "wir_apply_pending"  # POST data of a just-created draft whose rule checks failed

EVENT_REASON_SHOWN = {"request_changes", "partially_approve", "reject", "withdraw", "withdraw_for_applicant",
                      "follow_up", "amend", "notice_sent", "notice_resend", "payment_refuse", "payment_paid",
                      "payment_tranche_due", "payment_plan", "amendment_reject", "early_start_refuse"}
STATUS_BADGE = {
    Status.DRAFT: "text-bg-secondary", Status.CHANGES_REQUESTED: "text-bg-warning",
    Status.APPROVED: "text-bg-success", Status.PARTIALLY_APPROVED: "text-bg-success",
    Status.REJECTED: "text-bg-danger", Status.WITHDRAWN: "text-bg-light border",
}


# --- helpers ------------------------------------------------------------------------------------------------

def _current_membership(request):
    """The membership the user works in (set by the organisation switcher's middleware), else the first one."""
    membership = getattr(request, "current_membership", None)
    if membership is None:
        membership = selectors.memberships_for(request.user).first()
    return membership


def _membership_for(request, application):
    for membership in getattr(request, "memberships", None) or []:
        if membership.organisation_id == application.organisation_id:
            return membership
    return selectors.membership_for(request.user, application.organisation_id)


def _forbidden(request, message: str):
    return render(request, "portal/apply/forbidden.html", {"message": message}, status=403)


def _years_for(rule: LineRule, start, end) -> list[int]:
    """The budget years of the plan (rules.plan_years_for)."""
    return rules.plan_years_for(rule=rule, start=start, end=end)


def _posted_years(data, rule: LineRule) -> list[int]:
    year = rule.programme_year.year
    years = set()
    for key in data:
        match = re.match(r"^cost-(\d{4})-TOTAL_FORMS$", key)
        if match and year <= int(match.group(1)) <= rules.last_plan_year(rule):
            years.add(int(match.group(1)))
    return sorted(years) or [year]


def _edit_url(application) -> str:
    return reverse("portal:application_edit", args=[application.pk])


def _status_badge(status: str) -> str:
    return STATUS_BADGE.get(status, "text-bg-primary")


# --- dashboard ------------------------------------------------------------------------------------------------

RECENT_YEARS = 0  # besides the current and the open programme years, the dashboard lists this many years back in full


def _dashboard_years(open_rules, today) -> set[int]:
    """The programme years the dashboard lists application by application: this one, the previous one(s) and every
    year open for applications. Older years appear as one summary row each, linked to their full list."""
    years = set(range(today.year - RECENT_YEARS, today.year + 1))
    years.update(rule.programme_year.year for rule in open_rules)
    return years


DASHBOARD_FIELDS = (
    "id", "organisation_id", "rule_id", "previous_id", "status", "file_number", "title", "requested_amount",
    "approved_amount", "created_at", "rule__line__name", "rule__line__code", "rule__line__order",
    "rule__programme_year__year",
)


@login_required
def dashboard(request):
    """One organisation's applications by year and status, the lines open to it, and what needs attention.

    The current and open programme years are listed application by application; older years as one summary row
    each (counts and sums aggregated in the database), linked to that year's full list (``?jahr=2019``) — so the
    page stays short and fast however many years an organisation has applied.

    Queries (fixed, whatever the number of applications and years): session, user, memberships (middleware), open
    rules, the listed applications (rule, line and year joined), the older years' summary (or, for one year's
    list, the follow-up applications of that year), recent notices.
    """
    membership = _current_membership(request)
    if membership is None:
        return render(request, "portal/dashboard.html", {"organisation": None})
    organisation = membership.organisation
    today = timezone.localdate()
    open_rules = list(
        LineRule.objects.filter(programme_year__is_open=True, accepts_applications=True).select_related("line", "programme_year")
        .order_by("programme_year__year", "line__order")
    )
    own = selectors.applications_for(request.user).filter(organisation=organisation)
    requested_year = request.GET.get("jahr", "")
    single_year = int(requested_year) if re.fullmatch(r"(19|20)\d\d", requested_year) else None
    if single_year is not None:
        listed = own.filter(rule__programme_year__year=single_year)
    else:
        recent = _dashboard_years(open_rules, today)
        # Older applications waiting for the applicant (changes requested) are listed too: they need attention.
        listed = own.filter(Q(rule__programme_year__year__in=recent) | Q(status=Status.CHANGES_REQUESTED))
    paid_total = Subquery(
        LedgerEntry.objects.filter(application_id=OuterRef("pk"), kind=LedgerKind.PAYMENT).order_by()
        .values("application_id").annotate(total=Sum("amount")).values("total")
    )
    applications = list(
        listed.select_related("rule__line", "rule__programme_year").only(*DASHBOARD_FIELDS)
        .annotate(paid_total=paid_total)
        .order_by("-rule__programme_year__year", "rule__line__order", "-created_at")
    )
    if single_year is not None:
        older = []
        follow_up_sources = set(
            Application.objects.filter(previous__in=[a.pk for a in applications]).values_list("previous_id", flat=True)
        )
    else:
        older = list(
            own.exclude(rule__programme_year__year__in=recent)
            .values(year=F("rule__programme_year__year"))
            .annotate(
                count=Count("pk"),
                pending=Count("pk", filter=Q(status__in=(Status.DRAFT, *PENDING))),
                funded=Count("pk", filter=Q(status__in=FUNDED)),
                requested=Sum("requested_amount"),
                approved=Sum("approved_amount", filter=Q(status__in=FUNDED)),
            )
            .order_by("-year")
        )
        follow_up_sources = {app.previous_id for app in applications if app.previous_id}

    by_rule: dict[int, list[Application]] = {}
    for app in applications:
        by_rule.setdefault(app.rule_id, []).append(app)

    lines = []
    attention = []
    for rule in open_rules:
        if not rules.is_eligible(rule=rule, organisation_kind=organisation.kind):
            continue  # lines this organisation may not apply for are not offered
        existing = [a for a in by_rule.get(rule.pk, []) if a.status not in (Status.WITHDRAWN, Status.REJECTED)]
        deadline_passed = bool(rule.deadline and today > rule.deadline)
        days_left = (rule.deadline - today).days if rule.deadline else None
        blocked = rule.one_per_organisation and bool(existing)
        lines.append({"rule": rule, "existing": existing, "deadline_passed": deadline_passed, "days_left": days_left,
                      "can_start": not deadline_passed and not blocked})
        if single_year is None and days_left is not None and 0 <= days_left <= ATTENTION_DAYS:
            drafts = [a for a in existing if a.is_editable]
            if drafts or not existing:
                attention.append({
                    "kind": "deadline", "rule": rule, "application": drafts[0] if drafts else None,
                    "text": f"Die Antragsfrist für „{rule.line.name}“ endet am {rule.deadline:%d.%m.%Y} "
                            f"(in {days_left} Tagen).",
                })

    payments_url = pk_url_maker("portal:payments")
    for app in applications:
        if app.status in FUNDED:  # paid so far: the ledger's PAYMENT entries (a subquery of the list's query)
            app.paid = app.paid_total or rules.ZERO
            app.payments_url = payments_url(app.pk)

    startable = {item["rule"].pk for item in lines if item["can_start"]}
    open_by_line = {rule.line_id: rule for rule in open_rules if rule.pk in startable}
    years: OrderedDict[int, OrderedDict[str, list]] = OrderedDict()
    changes = []
    detail_url, edit_url = pk_url_maker("portal:application_detail"), pk_url_maker("portal:application_edit")
    follow_up_url = pk_url_maker("portal:application_follow_up")
    for app in applications:
        app.status_label = app.get_status_display()
        app.detail_url = detail_url(app.pk)
        app.edit_url = edit_url(app.pk) if app.is_editable else None
        if app.status == Status.CHANGES_REQUESTED:
            changes.append({"kind": "changes", "application": app,
                            "text": f"Nachforderung zu „{app.title}“: Bitte überarbeiten Sie den Antrag und "
                                    "reichen Sie ihn erneut ein."})
        if single_year is None and app.year not in recent:
            continue  # listed only for the attention box; its year is a summary row
        app.badge = _status_badge(app.status)
        follow_rule = open_by_line.get(app.rule.line_id)
        app.follow_up_rule = (
            follow_rule if follow_rule and follow_rule.programme_year.year > app.year
            and app.pk not in follow_up_sources and app.status != Status.DRAFT else None
        )
        if app.follow_up_rule:
            app.follow_up_url = follow_up_url(app.pk)
        years.setdefault(app.year, OrderedDict()).setdefault(app.status_label, []).append(app)
    attention[:0] = changes

    if single_year is None:
        since = timezone.now() - datetime.timedelta(days=ATTENTION_DAYS)
        notices = list(
            Notice.objects.filter(application__organisation=organisation,
                                  status__in=[NoticeStatus.RENDERED, NoticeStatus.SENT], created_at__gte=since)
            .exclude(pdf="").exclude(kind=NoticeKind.RECEIPT)  # receipts are confirmations, not news
            .select_related("application").only("id", "kind", "created_at", "application__id",
                                                "application__title", "application__status")
            .order_by("-created_at")[:10]
        )
        for notice in notices:
            attention.append({"kind": "notice", "notice": notice, "application": notice.application,
                              "is_letter": notice.kind in decision_rules.LETTER_KINDS,  # receipt, hearing: "Schreiben"
                              "text": f"{notice.get_kind_display()} zu „{notice.application.title}“ vom "
                                      f"{timezone.localtime(notice.created_at):%d.%m.%Y}"})
    return render(request, "portal/dashboard.html", {
        "organisation": organisation, "membership": membership, "years": years, "lines": lines,
        "attention": attention, "has_applications": bool(applications) or bool(older), "older": older,
        "single_year": single_year,
    })


# --- application form -----------------------------------------------------------------------------------------

def _build_forms(*, rule, application=None, data=None, user=None, blank_rows: int = 2):
    if data is not None:
        main = ApplicationForm(data, instance=application, rule=rule)
        details = DetailsForm(data, line_code=rule.line.code)
        plans = [YearPlan(year, data=data) for year in _posted_years(data, rule)]
        return main, details, plans
    if application is None:
        year = rule.programme_year.year
        initial = {"period_start": datetime.date(year, 1, 1), "period_end": datetime.date(year, 12, 31),
                   "contact_name": user.get_full_name() if user else "", "contact_email": user.email if user else ""}
        main = ApplicationForm(initial=initial, rule=rule)
        details = DetailsForm(line_code=rule.line.code)
        plans = [YearPlan(year)]
        return main, details, plans
    main = ApplicationForm(instance=application, rule=rule)
    details = DetailsForm(line_code=rule.line.code, details=application.details)
    items: dict[int, list] = {}
    for item in application.cost_items.all():
        items.setdefault(item.year, []).append(item)
    plan_years = {p.year: p for p in application.plan_years.all()}
    years = sorted(set(_years_for(rule, application.period_start, application.period_end)) | set(items))
    plans = [YearPlan(y, items=items.get(y, []), plan_year=plan_years.get(y), blank_rows=blank_rows) for y in years]
    return main, details, plans


def _rule_problems(*, rule, organisation, main, details, plans, today=None) -> list[Problem]:
    """The funding rules (rules.typed_problems) applied to what was typed into the forms."""
    data = main.cleaned_data
    typed_plans = [(plan.year, plan.total_costs, plan.total_income, plan.income.amount("requested_grant"))
                   for plan in plans if plan.has_input()]
    return rules.typed_problems(rule=rule, organisation=organisation, period_start=data.get("period_start"),
                                period_end=data.get("period_end"), details=details.details(), plans=typed_plans,
                                today=today)


def _problems_attach(problems, main, details, plans) -> list[str]:
    """Put each problem at its field; return those that belong to no field."""
    by_year = {plan.year: plan for plan in plans}
    general = []
    for problem in problems:
        plan = by_year.get(problem.year)
        if plan is not None:
            if problem.field == "requested_grant":
                plan.income.add_error("requested_grant", problem.message)
            else:
                plan.errors.append(problem.message)
        elif problem.field in main.fields:
            main.add_error(problem.field, problem.message)
        elif problem.field in details.fields:
            details.add_error(problem.field, problem.message)
        else:
            general.append(problem.message)
    return general


def _error_summary(main, details, plans, general) -> list[dict]:
    """Every error once, with a link to its field (for the summary at the top of the form)."""
    items = [{"href": "", "text": text} for text in general]
    for form in (main, details):
        for name, errors in form.errors.items():
            if name == "__all__":
                items += [{"href": "", "text": e} for e in errors]
                continue
            bound = form[name]
            items += [{"href": f"#{bound.auto_id}", "text": f"{bound.label}: {e}"} for e in errors]
    for plan in plans:
        items += [{"href": f"#{plan.anchor}", "text": text} for text in plan.errors]
        for name, errors in plan.income.errors.items():
            bound = plan.income[name]
            items += [{"href": f"#{bound.auto_id}", "text": f"{bound.label} {plan.year}: {e}"} for e in errors]
        for row, form in enumerate(plan.costs.forms, start=1):
            for name, errors in form.errors.items():
                if name == "__all__":
                    continue
                bound = form[name]
                items += [{"href": f"#{bound.auto_id}", "text": f"Kosten {plan.year}, Zeile {row}, {bound.label}: {e}"}
                          for e in errors]
        items += [{"href": f"#{plan.anchor}", "text": e} for e in plan.costs.non_form_errors()]
    return items


def _render_form(request, *, rule, organisation, application, main, details, plans, general=(), status=200):
    summary = _error_summary(main, details, plans, list(general))
    for plan in plans:
        plan.decorate()
    request_message = None
    if application is not None and application.status == Status.CHANGES_REQUESTED:
        request_message = Message.objects.filter(application=application, from_staff=True).order_by(
            "-created_at", "-id").first()
    return render(request, "portal/apply/application_form.html", {
        "rule": rule, "organisation": organisation, "application": application, "form": main,
        "details_form": details, "plans": plans, "error_summary": summary, "step": "form",
        "cap_hint": rules.cap_explanation(rule=rule, details=application.details if application else {}),
        "request_message": request_message,
    }, status=status)


def _handle_post(request, *, rule, organisation, application):
    main, details, plans = _build_forms(rule=rule, application=application, data=request.POST)
    valid = main.is_valid() & details.is_valid() & all([plan.is_valid() for plan in plans])
    if not valid:
        messages.error(request, "Bitte korrigieren Sie die markierten Angaben. Es wurde noch nichts gespeichert.")
        return _render_form(request, rule=rule, organisation=organisation, application=application, main=main,
                            details=details, plans=plans)
    problems = _rule_problems(rule=rule, organisation=organisation, main=main, details=details, plans=plans)
    allowed = _years_for(rule, main.cleaned_data.get("period_start"), main.cleaned_data.get("period_end"))
    plan = [p.plan_input() for p in plans if p.year in allowed and p.has_input()]  # empty years: not stored
    fields = {name: main.cleaned_data.get(name) for name in services.APPLICATION_FIELDS}
    try:
        if application is None:
            application = services.application_create(organisation=organisation, rule=rule, user=request.user,
                                                      fields=fields, details=details.details(), plan=plan)
        else:
            application = services.application_save_draft(application=application, user=request.user,
                                                          fields=fields, details=details.details(), plan=plan)
    except services.ApplicationError as exc:
        messages.error(request, str(exc))
        return _render_form(request, rule=rule, organisation=organisation, application=application, main=main,
                            details=details, plans=plans, status=400)
    if problems:
        messages.warning(request, "Ihr Entwurf wurde gespeichert. Bitte prüfen Sie die markierten Angaben, bevor "
                                  "Sie den Antrag einreichen.")
        if request.resolver_match.url_name == "application_new":
            request.session[SESSION_PENDING] = {"pk": application.pk, "data": {k: request.POST.getlist(k)
                                                                               for k in request.POST}}
            return redirect(_edit_url(application) + "?pruefen=1")
        general = _problems_attach(problems, main, details, plans)
        return _render_form(request, rule=rule, organisation=organisation, application=application, main=main,
                            details=details, plans=plans, general=general)
    if request.POST.get("action") == "rows":  # "more rows" without JavaScript: save, come back with 6 empty rows
        return redirect(_edit_url(application) + "?zeilen=6#" + plans[-1].anchor)
    if request.POST.get("action") == "next":
        messages.success(request, "Ihre Angaben wurden gespeichert. Laden Sie nun die Anlagen hoch.")
        return redirect("portal:application_attachments", application.pk)
    messages.success(request, "Ihr Entwurf wurde gespeichert. Sie können jederzeit hier weiterarbeiten.")
    return redirect(_edit_url(application))


@login_required
def application_new(request, code: str):
    """Start an application for a funding line in the open programme year, for the current organisation."""
    membership = _current_membership(request)
    if membership is None:
        raise Http404
    organisation = membership.organisation
    rule = (LineRule.objects.select_related("line", "programme_year")
            .filter(line__code=code, programme_year__is_open=True, accepts_applications=True).order_by("programme_year__year").first())
    if rule is None:
        raise Http404
    problem = services.application_start_problem(organisation=organisation, rule=rule)
    if problem:
        return _forbidden(request, problem)
    if request.method == "POST":
        return _handle_post(request, rule=rule, organisation=organisation, application=None)
    main, details, plans = _build_forms(rule=rule, user=request.user)
    return _render_form(request, rule=rule, organisation=organisation, application=None, main=main, details=details,
                        plans=plans)


@login_required
def application_edit(request, pk: int):
    application = selectors.application_for(request.user, pk)
    if not application.is_editable:
        messages.info(request, "Dieser Antrag ist eingereicht und kann nicht mehr bearbeitet werden.")
        return redirect("portal:application_detail", application.pk)
    rule, organisation = application.rule, application.organisation
    if request.method == "POST":
        return _handle_post(request, rule=rule, organisation=organisation, application=application)
    pending = request.session.pop(SESSION_PENDING, None)
    if request.GET.get("pruefen") and pending and pending.get("pk") == application.pk:
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        for key, values in pending["data"].items():
            data.setlist(key, values)
        main, details, plans = _build_forms(rule=rule, application=application, data=data)
        if main.is_valid() & details.is_valid() & all([plan.is_valid() for plan in plans]):
            problems = _rule_problems(rule=rule, organisation=organisation, main=main, details=details, plans=plans)
            general = _problems_attach(problems, main, details, plans)
            return _render_form(request, rule=rule, organisation=organisation, application=application, main=main,
                                details=details, plans=plans, general=general)
    blank_rows = 6 if request.GET.get("zeilen") == "6" else 2
    main, details, plans = _build_forms(rule=rule, application=application, blank_rows=blank_rows)
    return _render_form(request, rule=rule, organisation=organisation, application=application, main=main,
                        details=details, plans=plans)


@login_required
@require_POST
def application_follow_up(request, pk: int):
    """Folgeantrag: copy last year's application into the open year and open it for editing."""
    previous = selectors.application_for(request.user, pk)
    try:
        application = services.application_copy_as_follow_up(previous=previous, user=request.user)
    except services.FollowUpExists as exc:
        messages.info(request, str(exc))
        return redirect(_edit_url(exc.application))
    except services.ApplicationError as exc:
        messages.error(request, str(exc))
        return redirect("portal:dashboard")
    messages.success(request, f"Der Folgeantrag wurde als Entwurf angelegt (Kopie von „{previous.title}“). "
                              "Bitte prüfen Sie alle Angaben und laden Sie die Anlagen neu hoch.")
    return redirect(_edit_url(application))


# --- attachments ----------------------------------------------------------------------------------------------

def _attachment_kinds(rule) -> list[tuple[str, str]]:
    required = list(rule.required_attachments or [])
    kinds = [(k, f"{AttachmentKind(k).label} (Pflichtanlage)") for k in required]
    kinds += [(k, label) for k, label in AttachmentKind.choices if k not in required]
    return kinds


@login_required
def application_attachments(request, pk: int):
    application = selectors.application_for(request.user, pk)
    attachments = list(application.attachments.all())
    present = {a.kind for a in attachments}
    missing = [k for k in application.rule.required_attachments or [] if k not in present]
    form = AttachmentUploadForm(kinds=_attachment_kinds(application.rule), initial={"kind": missing[0] if missing
                                                                                     else None})
    status = 200
    if request.method == "POST":
        if not application.is_editable:
            return _forbidden(request, "Der Antrag ist eingereicht; Anlagen können nicht mehr geändert werden.")
        form = AttachmentUploadForm(request.POST, request.FILES, kinds=_attachment_kinds(application.rule))
        if form.is_valid():
            from applications.portal.uploads import attachment_store

            try:
                attachment = attachment_store(application=application, user=request.user,
                                              kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
            except ValidationError as exc:
                form.add_error("file", exc)
            except services.ApplicationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Die Anlage „{attachment.original_name}“ wurde hochgeladen.")
                return redirect("portal:application_attachments", application.pk)
        status = 400
    required = [{"kind": k, "label": AttachmentKind(k).label, "present": k in present}
                for k in application.rule.required_attachments or []]
    return render(request, "portal/apply/attachments.html", {
        "application": application, "attachments": attachments, "form": form, "required": required,
        "step": "attachments",
    }, status=status)


@login_required
@require_POST
def attachment_delete(request, pk: int):
    attachment = selectors.attachment_for(request.user, pk)
    application_pk = attachment.application_id
    try:
        services.attachment_delete(attachment=attachment, user=request.user)
    except services.ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Die Anlage „{attachment.original_name}“ wurde gelöscht.")
    return redirect("portal:application_attachments", application_pk)


def _download(fileobj, *, filename: str, content_type: str):
    response = FileResponse(fileobj, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for(request.user, pk)
    try:
        fileobj = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return _download(fileobj, filename=attachment.original_name, content_type=attachment.content_type)


@login_required
def notice_download(request, pk: int):
    notice = selectors.notice_for(request.user, pk)
    if not notice.pdf or notice.status not in (NoticeStatus.RENDERED, NoticeStatus.SENT, NoticeStatus.SENDING):
        raise Http404
    try:
        fileobj = notice.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    slug = re.sub(r"[^A-Za-z0-9-]+", "-", notice.application.file_number or f"antrag-{notice.application_id}")
    return _download(fileobj, filename=f"{notice.get_kind_display()}-{slug}.pdf", content_type="application/pdf")


# --- submission -----------------------------------------------------------------------------------------------

def _problem_links(application, problems) -> list[dict]:
    edit, form_fields = _edit_url(application), set(services.APPLICATION_FIELDS)
    detail_fields = {name for name, *_ in rules.line_fields(application.rule.line)}
    items = []
    for problem in problems:
        href = ""
        if problem.field == "attachments":
            href = reverse("portal:application_attachments", args=[application.pk])
        elif problem.field in ("title", "purpose", "contact_name", "contact_email") or problem.field in form_fields:
            href = f"{edit}#id_{problem.field}"
        elif problem.field in detail_fields:
            href = f"{edit}#id_details-{problem.field}"
        elif problem.field == "requested_grant" and problem.year:
            href = f"{edit}#id_plan-{problem.year}-requested_grant"
        elif problem.field in ("plan", "requested_grant"):
            href = f"{edit}#plan-{problem.year or application.year}"
        items.append({"href": href, "text": problem.message})
    return items


@login_required
def application_submit(request, pk: int):
    application = selectors.application_for(request.user, pk)
    membership = _membership_for(request, application)
    if request.method == "POST":
        if not membership.can_submit:
            return _forbidden(request, "Nur zeichnungsberechtigte Personen Ihrer Organisation können Anträge "
                                       "einreichen. Bitte wenden Sie sich an Ihre Organisations-Administration.")
        declarations_form = DeclarationsForm(request.POST)
        if not declarations_form.is_valid():
            messages.error(request, "Bitte geben Sie alle Erklärungen ab.")
            return _render_submit(request, application, membership, declarations_form, status=400)
        try:
            application = services.application_submit(application=application, user=request.user,
                                                      declarations=declarations_form.declarations())
        except TransitionError as exc:
            application.refresh_from_db()
            if application.submitted_at and not application.is_editable:
                messages.info(request, f"Der Antrag wurde bereits eingereicht (Aktenzeichen "
                                       f"{application.file_number}).")
                return redirect("portal:application_detail", application.pk)
            messages.error(request, str(exc))
            return redirect("portal:application_submit", application.pk)
        except services.ApplicationError as exc:
            messages.error(request, str(exc))
            return redirect("portal:application_submit", application.pk)
        messages.success(request, f"Ihr Antrag wurde eingereicht. Aktenzeichen: {application.file_number}. "
                                  "Eine Eingangsbestätigung erhalten Sie per E-Mail.")
        return redirect("portal:application_detail", application.pk)
    if not application.is_editable:
        return redirect("portal:application_detail", application.pk)
    return _render_submit(request, application, membership, DeclarationsForm())


def _render_submit(request, application, membership, declarations_form, status=200):
    # One query each for plan years, cost items and attachments; the completeness check reads the same cache.
    prefetch_related_objects([application], "plan_years", "cost_items", "attachments")
    problems = rules.completeness_problems(application=application)
    plan_years = list(application.plan_years.all())
    return render(request, "portal/apply/submit.html", {
        "application": application, "problems": _problem_links(application, problems), "membership": membership,
        "plan_years": plan_years, "attachments": list(application.attachments.all()), "step": "submit",
        "can_submit": membership.can_submit, "verified": application.organisation.is_verified,
        "declarations_form": declarations_form,
    }, status=status)


# --- status page ----------------------------------------------------------------------------------------------

@login_required
def application_detail(request, pk: int):
    """Status page: timeline, messages with reply form, notices, the plan as entered, actions.

    Queries (fixed, whatever the number of events, cost items, messages): application, membership (from the
    middleware), events, messages, notices, plan years, cost items, attachments, open rule for a follow-up."""
    application = selectors.application_for(request.user, pk)
    membership = _membership_for(request, application)
    return _render_detail(request, application, membership)


def _render_detail(request, application, membership, *, reply_form=None, status=200):
    events = list(Event.objects.filter(application=application, visible_to_applicant=True).order_by("created_at",
                                                                                                      "id"))
    for event in events:
        event.label = event_label(event.action)
        event.show_reason = event.action in EVENT_REASON_SHOWN and bool(event.reason)
        event.show_amount = (event.action in ("approve", "partially_approve", "amend") or event.action.startswith("payment_")) and event.amount is not None
    thread = list(Message.objects.filter(application=application).order_by("created_at", "id"))
    notices = list(Notice.objects.filter(application=application).exclude(pdf="")
                   .filter(status__in=[NoticeStatus.RENDERED, NoticeStatus.SENDING, NoticeStatus.SENT]))
    plan_years = list(application.plan_years.all())
    items = list(application.cost_items.all())
    for plan in plan_years:
        plan.items = [i for i in items if i.year == plan.year]
        plan.total_costs = sum((i.amount for i in plan.items), rules.ZERO)
    actors = {"member"} | ({"signatory"} if membership.can_submit else set())
    actions = {t.action for t in actions_from(application.status, actors)}
    follow_rule = None
    if application.status != Status.DRAFT and not application.is_editable:
        follow_rule = (LineRule.objects.select_related("programme_year").filter(
            line_id=application.rule.line_id, programme_year__is_open=True, accepts_applications=True,
            programme_year__year__gt=application.year).order_by("programme_year__year").first())
        if follow_rule and services.application_start_problem(organisation=application.organisation,
                                                              rule=follow_rule):
            follow_rule = None  # e.g. this year's application exists already, or the deadline has passed
    from applications import decision_rules, decisions
    from applications.models import AmendmentStatus

    today = timezone.localdate()
    for notice in notices:  # an Eingangsbestätigung is no decision: it has no remedy and never becomes final
        decision = notice.kind not in decision_rules.LETTER_KINDS  # receipts, hearings: no remedy, never final
        notice.received_on = decision_rules.notice_received_on(notice) if decision else None
        notice.final_on = decision_rules.notice_final_on(notice) if decision else None
        notice.can_waive = (membership.can_submit and notice.kind in decisions.WAIVABLE
                            and notice.status == NoticeStatus.SENT and notice.remedy_waived_at is None
                            and (notice.final_on is None or notice.final_on > today))
    open_amendment = next((a for a in application.amendment_requests.all()
                           if a.status in (AmendmentStatus.SUBMITTED, AmendmentStatus.RECOMMENDED)), None)
    return render(request, "portal/apply/status.html", {
        "open_amendment": open_amendment,
        "can_amend": membership.can_submit and application.status in FUNDED and open_amendment is None,
        "can_request_early_start": membership.can_submit and application.status in PENDING
        and application.early_start_requested_at is None,
        "application": application, "events": events, "thread": thread, "notices": notices,
        "plan_years": plan_years, "attachments": list(application.attachments.all()), "membership": membership,
        "can_withdraw": "withdraw" in actions, "can_submit": membership.can_submit,
        "reply_form": reply_form or MessageReplyForm(), "follow_rule": follow_rule,
        "badge": _status_badge(application.status), "has_staff_messages": any(m.from_staff for m in thread),
    }, status=status)


@login_required
@require_POST
def message_reply(request, pk: int):
    application = selectors.application_for(request.user, pk)
    membership = _membership_for(request, application)
    form = MessageReplyForm(request.POST)
    if form.is_valid():
        try:
            services.message_reply(application=application, user=request.user, body=form.cleaned_data["body"])
        except services.ApplicationError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(request, "Ihre Nachricht wurde an das Regierungspräsidium gesendet.")
            return redirect(reverse("portal:application_detail", args=[application.pk]) + "#nachrichten")
    return _render_detail(request, application, membership, reply_form=form, status=400)


@login_required
def application_withdraw(request, pk: int):
    application = selectors.application_for(request.user, pk)
    membership = _membership_for(request, application)
    if not membership.can_submit:
        return _forbidden(request, "Nur zeichnungsberechtigte Personen können einen Antrag zurückziehen.")
    if application.status not in TRANSITIONS["withdraw"].sources:
        messages.error(request, "Dieser Antrag kann nicht mehr zurückgezogen werden.")
        return redirect("portal:application_detail", application.pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(application=application, user=request.user,
                                          reason=form.cleaned_data["reason"])
        except (services.ApplicationError, TransitionError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Der Antrag wurde zurückgezogen.")
        return redirect("portal:application_detail", application.pk)
    return render(request, "portal/apply/withdraw.html", {"application": application, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def application_pdf(request, pk: int):
    """The application as submitted, as PDF: rendered once per version by a background job (applications.pdf_jobs),
    never in this request; until it is ready, a page that reloads itself."""
    application = selectors.application_for(request.user, pk)
    if not application.submitted_at:
        raise Http404
    path = pdf_jobs.pdf_ready("application", application, user_id=request.user.pk)
    if path is None:
        failure = pdf_jobs.pdf_failure("application", application, consume=True)
        return render(request, "portal/apply/pdf_pending.html", {"application": application, "failure": failure},
                      status=503 if failure else 202)
    from django.core.files.storage import default_storage

    with default_storage.open(path, "rb") as stored:
        response = HttpResponse(stored.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="Antrag-{application.file_number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

