"""Business rules for applications: transitions, submission, decisions with budget bookings.

Views, admin actions, commands and tasks call these; none of them re-implements a rule.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from applications import decision_rules, rules
from applications.audit import ApplicationError, actor_name, event_record  # noqa: F401 - part of this module's API
from applications.models import (
    Application,
    Attachment,
    CostItem,
    FileNumberCounter,
    InternalNote,
    Message,
    NoticeKind,
    Organisation,
    PlanYear,
)
from applications.notices.outbox import notice_create
from applications.selectors import actors_for
from applications.workflow import Status, TransitionError, check_transition, transition_for
from funding import services as budget
from funding.models import LineRule
from wir_portal import mail
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")


class FollowUpExists(ApplicationError):
    """The Folgeantrag of this application for that year exists already (a second click): use that one."""

    def __init__(self, application: "Application"):
        super().__init__("Zu diesem Antrag besteht bereits ein Folgeantrag; er ist geöffnet.")
        self.application = application


def _lock(application: Application) -> Application:
    """Re-read the application under a row lock: concurrent requests (double click, two tabs) serialise here."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "rule__line", "rule__programme_year")
        .get(pk=application.pk)
    )


def _lock_organisation(organisation_id: int) -> None:
    """Serialise "one application per organisation and year" (start, follow-up, submit) under a row lock on the
    organisation: the check and the insert/submission of the second request wait for the first to commit.
    Taken before the application's own lock (lock order: organisation, then application)."""
    Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk", flat=True).first()


def application_transition(*, application: Application, user, action: str, reason: str = "",
                           amount: Decimal | None = None, check: bool = True) -> Application:
    """Move an application along one edge of the workflow table and write the audit entry.

    Must be called inside a transaction with the application locked (the public services below do that).
    """
    t = transition_for(action)
    if t.keeps_status:
        raise TransitionError(f"„{t.label}“ hat einen eigenen Ablauf.")  # e.g. amend: application_amend
    if check:
        check_transition(action=action, status=application.status, actors=actors_for(user, application))
    if t.needs_reason and not reason.strip():
        raise ApplicationError("Bitte geben Sie eine Begründung an.")
    from_status = application.status
    application.status = t.target
    application.save(update_fields=["status", "updated_at"])
    event_record(application=application, user=user, action=action, from_status=from_status, to_status=t.target,
                 reason=reason, amount=amount)
    return application


# --- File numbers ---------------------------------------------------------------------------------------------

def file_number_assign(*, application: Application) -> str:
    """WIR-<year>-<line short>-<4-digit sequence>, from a counter row locked for the increment."""
    if application.file_number:
        return application.file_number
    year, short = application.rule.programme_year.year, application.rule.line.short
    FileNumberCounter.objects.get_or_create(year=year, line_short=short)
    counter = FileNumberCounter.objects.select_for_update().get(year=year, line_short=short)
    counter.last += 1
    counter.save(update_fields=["last"])
    application.file_number = f"WIR-{year}-{short}-{counter.last:04d}"
    return application.file_number


# --- Plan totals ----------------------------------------------------------------------------------------------

def plan_totals_refresh(*, application: Application) -> None:
    """Store the requested grant and total costs derived from the plan (used by lists and reports)."""
    application.requested_amount = money(
        application.plan_years.aggregate(total=Sum("requested_grant"))["total"] or ZERO
    )
    application.total_costs = money(application.cost_items.aggregate(total=Sum("amount"))["total"] or ZERO)
    application.save(update_fields=["requested_amount", "total_costs", "updated_at"])


# --- Applicant side ---------------------------------------------------------------------------------------------

def application_submit(*, application: Application, user, declarations: dict | None = None,
                       today=None) -> Application:
    """Submit (or resubmit) an application: completeness check, the applicant's declarations (project not started,
    VAT deduction, other funding, correctness, electronic delivery), lock, file number, receipt notice. Idempotent
    under double submission: the second request finds the application no longer editable and changes nothing."""
    with transaction.atomic():
        if LineRule.objects.filter(pk=application.rule_id, one_per_organisation=True).exists():
            _lock_organisation(application.organisation_id)  # two drafts submitted at once: one passes
        application = _lock(application)
        if application.status in (Status.SUBMITTED, Status.RESUBMITTED) and application.submitted_by_id == user.pk:
            return application  # double click / second tab: already done
        action = "resubmit" if application.status == Status.CHANGES_REQUESTED else "submit"
        check_transition(action=action, status=application.status, actors=actors_for(user, application))
        if not application.organisation.is_verified:
            raise ApplicationError(
                "Ihre Organisation ist noch nicht vom Ministerium geprüft. Sie können den Antrag speichern und "
                "nach der Prüfung einreichen."
            )
        problems = rules.completeness_problems(application=application, today=today)
        if problems:
            raise ApplicationError("Der Antrag ist noch nicht vollständig: " + " ".join(p.message for p in problems))
        missing = decision_rules.declaration_problems(declarations or {})
        if missing:
            raise ApplicationError("Bitte geben Sie alle Erklärungen ab: " + " ".join(missing.values()))
        application.declarations = decision_rules.declarations_record(declarations, user=user, name=actor_name(user))
        application.save(update_fields=["declarations", "updated_at"])
        plan_totals_refresh(application=application)
        file_number_assign(application=application)
        application.submitted_at = timezone.now()
        application.submitted_by = user
        application.save(update_fields=["file_number", "submitted_at", "submitted_by", "updated_at"])
        application_transition(application=application, user=user, action=action)
        notice_create(application=application, kind=NoticeKind.RECEIPT, user=user)
        return application


def application_withdraw(*, application: Application, user, reason: str = "") -> Application:
    with transaction.atomic():
        application = _lock(application)
        actors = actors_for(user, application)
        action = "withdraw" if "signatory" in actors and application.status != Status.WITHDRAWN else "withdraw_for_applicant"
        return application_transition(application=application, user=user, action=action, reason=reason)


def message_reply(*, application: Application, user, body: str) -> Message:
    if not body.strip():
        raise ApplicationError("Bitte geben Sie eine Nachricht ein.")
    with transaction.atomic():
        message = Message.objects.create(application=application, from_staff=False, author=user,
                                         author_name=actor_name(user), body=body.strip())
        event_record(application=application, user=user, action="message", reason=body.strip()[:500])
    return message


# --- Applicant side: drafts, plan, follow-up applications, attachments (portal h3b) --------------------------

@dataclass
class PlanInput:
    """One budget year of the cost and financing plan as entered: cost items and the four kinds of income."""

    year: int
    costs: list[tuple[str, str, Decimal]]
    own_funds: Decimal = ZERO
    third_party_funds: Decimal = ZERO
    other_public_funds: Decimal = ZERO
    requested_grant: Decimal = ZERO


APPLICATION_FIELDS = ("title", "purpose", "target_group", "period_start", "period_end", "contact_name",
                      "contact_email", "contact_phone")


def application_start_problem(*, organisation, rule: LineRule, today=None) -> str | None:
    """Why this organisation may not start an application for this line and year (None: it may)."""
    problems = rules.start_problems(rule=rule, organisation=organisation, today=today)
    return problems[0].message if problems else None


def plan_save(*, application: Application, plan: list[PlanInput]) -> None:
    """Replace the cost and financing plan with the years given (years not given are removed)."""
    years = [p.year for p in plan]
    application.cost_items.exclude(year__in=years).delete()
    application.plan_years.exclude(year__in=years).delete()
    for p in plan:
        application.cost_items.filter(year=p.year).delete()
        CostItem.objects.bulk_create([
            CostItem(application=application, year=p.year, category=category, description=description,
                     amount=money(amount))
            for category, description, amount in p.costs
        ])
        PlanYear.objects.update_or_create(application=application, year=p.year, defaults={
            "own_funds": money(p.own_funds), "third_party_funds": money(p.third_party_funds),
            "other_public_funds": money(p.other_public_funds), "requested_grant": money(p.requested_grant),
        })
    plan_totals_refresh(application=application)


def application_save_draft(*, application: Application, user, fields: dict, details: dict,
                           plan: list[PlanInput] | None) -> Application:
    """Store what the applicant typed. Drafts may be incomplete; only submission checks completeness."""
    with transaction.atomic():
        locked = _lock(application)
        if not locked.is_editable:
            raise ApplicationError("Der Antrag ist eingereicht und kann nicht mehr bearbeitet werden.")
        for name in APPLICATION_FIELDS:
            if name in fields:
                value = fields[name]
                if value is None and not name.startswith("period"):
                    value = ""
                setattr(locked, name, value)
        locked.details = details
        locked.save()
        if plan is not None:
            plan_save(application=locked, plan=plan)
        return locked


def application_create(*, organisation, rule: LineRule, user, fields: dict, details: dict,
                       plan: list[PlanInput] | None, previous: Application | None = None,
                       today=None) -> Application:
    """Start a draft for this organisation and line (eligibility, deadline, one per entity checked here)."""
    with transaction.atomic():
        if rule.one_per_organisation or previous is not None:
            _lock_organisation(organisation.pk)  # parallel "start" requests: one draft
        if previous is not None:
            existing = (Application.objects.filter(previous=previous, rule=rule)
                        .exclude(status=Status.WITHDRAWN).order_by("pk").first())
            if existing is not None:  # a second POST of the Folgeantrag button
                raise FollowUpExists(existing)
        problem = application_start_problem(organisation=organisation, rule=rule, today=today)
        if problem:
            raise ApplicationError(problem)
        application = Application.objects.create(
            organisation=organisation, rule=rule, previous=previous, created_by=user,
            title=(fields.get("title") or "").strip() or f"{rule.line.name} {rule.programme_year.year}",
        )
        event_record(application=application, user=user, action="follow_up" if previous else "create",
                     to_status=Status.DRAFT,
                     reason=f"Folgeantrag zu {previous.file_number or previous.title}" if previous else "")
        return application_save_draft(application=application, user=user, fields=fields, details=details,
                                      plan=plan)


def _shift_year(value, years: int):
    import datetime

    if value is None or not years:
        return value
    if not datetime.MINYEAR <= value.year + years <= datetime.MAXYEAR:
        return None  # e.g. a draft ending 31.12.9999: the applicant enters the new period
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28) if isinstance(value, datetime.date) else value


def application_copy_as_follow_up(*, previous: Application, user, rule: LineRule | None = None,
                                  today=None) -> Application:
    """Folgeantrag: a new draft for the same line in the next open year, copying last year's details and plan
    (shifted to the new year). No attachments, status, file number or decision are copied."""
    if rule is None:
        rule = (LineRule.objects.select_related("line", "programme_year")
                .filter(line_id=previous.rule.line_id, programme_year__is_open=True, accepts_applications=True,
                        programme_year__year__gt=previous.rule.programme_year.year)
                .order_by("programme_year__year").first())
        if rule is None:
            raise ApplicationError("Für diesen Förderbereich ist derzeit kein späteres Programmjahr geöffnet.")
    shift = rule.programme_year.year - previous.rule.programme_year.year
    old_year = str(previous.rule.programme_year.year)
    details = dict(previous.details or {})
    if details.get("start_date"):
        import datetime

        try:
            shifted = _shift_year(datetime.date.fromisoformat(details["start_date"]), shift)
        except (ValueError, TypeError):
            shifted = None
        if shifted is None:
            details.pop("start_date")
        else:
            details["start_date"] = shifted.isoformat()
    fields = {name: getattr(previous, name) for name in APPLICATION_FIELDS}
    fields["title"] = previous.title.replace(old_year, str(rule.programme_year.year))
    fields["period_start"] = _shift_year(previous.period_start, shift)
    fields["period_end"] = _shift_year(previous.period_end, shift)
    costs: dict[int, list] = {}
    for item in previous.cost_items.all():
        costs.setdefault(item.year, []).append((item.category, item.description, item.amount))
    plan = [
        PlanInput(year=p.year + shift, costs=costs.get(p.year, []), own_funds=p.own_funds,
                  third_party_funds=p.third_party_funds, other_public_funds=p.other_public_funds,
                  requested_grant=p.requested_grant)
        for p in previous.plan_years.all()
    ]
    return application_create(organisation=previous.organisation, rule=rule, user=user, fields=fields,
                              details=details, plan=plan, previous=previous, today=today)


def attachment_delete(*, attachment: Attachment, user) -> None:
    """Remove an attachment while the application is editable (file and row); the audit keeps a record."""
    with transaction.atomic():
        application = _lock(attachment.application)
        if not application.is_editable:
            raise ApplicationError("Der Antrag ist eingereicht; Anlagen können nicht mehr gelöscht werden.")
        name = attachment.original_name
        attachment.file.delete(save=False)
        attachment.delete()
        event_record(application=application, user=user, action="attachment_delete", reason=name,
                     visible_to_applicant=False)


# --- Staff side -----------------------------------------------------------------------------------------------

def application_start_review(*, application: Application, user) -> Application:
    with transaction.atomic():
        return application_transition(application=_lock(application), user=user, action="start_review")


def application_request_changes(*, application: Application, user, message: str) -> Application:
    """Ask the applicant for changes or documents: the application reopens for them; the message is e-mailed."""

    with transaction.atomic():
        application = application_transition(application=_lock(application), user=user, action="request_changes",
                                             reason=message)
        msg = Message.objects.create(application=application, from_staff=True, author=user,
                                     author_name="Regierungspräsidium Darmstadt", subject="Nachforderung",
                                     body=message.strip())
        mail_changes_requested(message=msg)  # into the mail outbox, in this transaction
        return application


def internal_note_add(*, application: Application, user, body: str) -> InternalNote:
    if not body.strip():
        raise ApplicationError("Der Vermerk ist leer.")
    return InternalNote.objects.create(application=application, author=user, author_name=actor_name(user),
                                       body=body.strip())


def application_recommend(*, application: Application, user, recommendation: str, reason: str = "") -> Application:
    if recommendation not in ("approve", "partial", "reject"):
        raise ApplicationError("Bitte wählen Sie ein Votum.")
    with transaction.atomic():
        application = _lock(application)
        application_transition(application=application, user=user, action="recommend", reason=reason)
        application.recommendation = recommendation
        application.recommended_by = user
        application.save(update_fields=["recommendation", "recommended_by", "updated_at"])
        return application


def four_eyes_threshold() -> Decimal:
    return money(getattr(settings, "WIR_FOUR_EYES_THRESHOLD", "0") or "0")


def four_eyes_refuses(*, application: Application, user, action: str) -> bool:
    """Would the four-eyes rule in application_decide refuse this person this decision whatever amount they
    enter? (The admin then does not offer the button.) Approving in full: when the requested amount is above the
    threshold; approving in part: when not even the smallest amount (0,01 €) is allowed, i.e. threshold 0."""
    if application.recommended_by_id is None or application.recommended_by_id != user.pk:
        return False
    threshold = four_eyes_threshold()
    if action == "approve":
        return application.requested_amount > threshold
    if action == "partially_approve":
        return threshold < Decimal("0.01")
    return False


@dataclass(frozen=True)
class YearAmount:
    year: int
    amount: Decimal


def _split_amounts(application: Application, amount: Decimal, split: dict[int, Decimal] | None) -> list[YearAmount]:
    """The approved amount per budget year: as given (the years must be years of the plan, each within what was
    applied for that year, adding up to the amount), or — for an approval in full — the plan's years as applied."""
    plan = {p.year: p.requested_grant for p in application.plan_years.all()}
    if not split:
        if len(plan) > 1:
            if money(amount) == money(sum(plan.values(), ZERO)):
                return [YearAmount(y, money(a)) for y, a in sorted(plan.items()) if money(a) > 0]
            raise ApplicationError("Der Antrag umfasst mehrere Haushaltsjahre: Bitte geben Sie den bewilligten "
                                   "Betrag je Jahr an.")
        return [YearAmount(next(iter(plan), application.rule.programme_year.year), money(amount))]
    outside = sorted(int(y) for y in split if int(y) not in plan)
    if outside:
        first, last = (min(plan), max(plan)) if plan else (application.year, application.year)
        raise ApplicationError(
            f"Für {', '.join(map(str, outside))} enthält der Antrag keinen Finanzierungsplan; bewilligt werden kann "
            f"nur für {first}–{last}." if first != last else
            f"Für {', '.join(map(str, outside))} enthält der Antrag keinen Finanzierungsplan; bewilligt werden kann "
            f"nur für {first}."
        )
    parts = [YearAmount(int(y), money(a)) for y, a in sorted(split.items()) if money(a) > 0]
    for part in parts:
        if part.amount > plan[part.year]:
            raise ApplicationError(f"{part.year}: Es können höchstens die für dieses Jahr beantragten "
                                   f"{format_eur(plan[part.year])} bewilligt werden.")
    if sum((p.amount for p in parts), ZERO) != money(amount):
        raise ApplicationError(
            f"Die Jahresbeträge ergeben {format_eur(sum((p.amount for p in parts), ZERO))}, "
            f"bewilligt werden sollen {format_eur(amount)}."
        )
    return parts


def application_decide(*, application: Application, user, action: str, amount: Decimal | None = None,
                       reasons: str = "", split: dict[int, Decimal] | None = None,
                       eligible_fixed: bool = False) -> Application:
    """Approve, partially approve or reject. Approvals book commitments (all years or none) under row locks,
    check the four-eyes rule and the line's caps, and create the notice in the same transaction.

    A partial approval fixes the eligible expenses per cost line first (decisions.application_partially_approve,
    which passes eligible_fixed=True): the notice's table, total and financing follow from that plan, so its
    reasons and operative part agree. Without it a partial approval is refused."""
    if action not in ("approve", "partially_approve", "reject"):
        raise TransitionError(f"„{action}“ ist keine Entscheidung.")
    with transaction.atomic():
        application = _lock(application)
        t = check_transition(action=action, status=application.status, actors=actors_for(user, application))
        if t.needs_reason and not reasons.strip():
            raise ApplicationError("Bitte begründen Sie die Entscheidung (sie steht im Bescheid).")
        if action == "reject":
            application_transition(application=application, user=user, action=action, reason=reasons, check=False)
            application.approved_amount = None
            application.decision_reasons = reasons.strip()
            application.decided_at, application.decided_by = timezone.now(), user
            application.save(update_fields=["approved_amount", "decision_reasons", "decided_at", "decided_by", "updated_at"])
            notice_create(application=application, kind=NoticeKind.REJECTION, user=user, reasons=reasons)
            return application

        if amount is None:
            amount = application.requested_amount
        amount = money(amount)
        if amount <= 0:
            raise ApplicationError("Der bewilligte Betrag muss größer als 0 sein.")
        if amount > application.requested_amount:
            raise ApplicationError(
                f"Es kann höchstens der beantragte Betrag ({format_eur(application.requested_amount)}) bewilligt werden."
            )
        if action == "approve" and amount < application.requested_amount:
            raise ApplicationError("Ein geringerer Betrag als beantragt ist eine Teilbewilligung (mit Begründung).")
        if action == "partially_approve" and amount > application.requested_amount:
            raise ApplicationError("Eine Teilbewilligung darf den beantragten Betrag nicht übersteigen.")
        blockers = decision_rules.approval_blockers(organisation=application.organisation)
        if blockers:
            raise ApplicationError(" ".join(blockers))
        threshold = four_eyes_threshold()
        if application.recommended_by_id == user.pk and amount > threshold:
            raise ApplicationError(
                "Vier-Augen-Prinzip: Wer das Votum abgegeben hat, darf diesen Antrag"
                + (f" über {format_eur(threshold)}" if threshold else "")
                + " nicht selbst bewilligen."
            )

        parts = _split_amounts(application, amount, split)
        cap_problems = rules.grant_cap_problems(
            rule=application.rule, details=application.details or {}, organisation=application.organisation,
            amounts={p.year: p.amount for p in parts}, what="bewilligte Zuwendung",
        )
        if cap_problems:
            raise ApplicationError(" ".join(p.message for p in cap_problems))
        if action == "partially_approve" and not eligible_fixed:
            raise ApplicationError(
                "Eine Teilbewilligung legt fest, welche Ausgaben zuwendungsfähig sind: bitte entscheiden Sie über "
                "„Teilweise bewilligen“ je Kostenposition (Betrag oder „nicht zuwendungsfähig“ mit Grund)."
            )
        for part in parts:
            PlanYear.objects.filter(application=application, year=part.year).update(approved_grant=part.amount)
        if action == "approve":  # approved as applied for: every cost line is eligible in full
            application.cost_items.update(approved_amount=F("amount"), exclusion_reason="")
        application_transition(application=application, user=user, action=action, reason=reasons, amount=amount,
                               check=False)
        application.approved_amount = amount
        application.decision_reasons = reasons.strip()
        application.decided_at, application.decided_by = timezone.now(), user
        application.save(update_fields=["approved_amount", "decision_reasons", "decided_at", "decided_by", "updated_at"])
        # The budget late: the line's rule rows stay locked from here to the commit, so the other writes of the
        # decision (plan, status, events) happen before parallel approvals of the same line have to wait (issue 18:
        # 20 concurrent approvals). A refusal rolls all of it back. Each year's tranche against its allocation or,
        # before the year's budget is enacted, its VE; all or none, rules locked in the one order (funding.services,
        # LOCK ORDER). The notice comes after the booking: its context names the years booked against the VE.
        try:
            budget.budget_commit_years(line=application.rule.line, application=application,
                                       amounts={p.year: p.amount for p in parts}, user=user,
                                       reason=f"{t.label} {application.file_number}")
        except budget.BudgetError as exc:
            raise ApplicationError(str(exc)) from exc
        for part in parts:
            event_record(application=application, user=user, action="budget_commit", amount=part.amount,
                         reason=f"Mittelbindung {part.year}", visible_to_applicant=False)
        notice_create(application=application, kind=NoticeKind.APPROVAL, user=user, amount=amount, reasons=reasons)
        return application


def application_staff_withdraw(*, application: Application, user, reason: str) -> Application:
    """Withdraw on the applicant's behalf (e.g. by letter); releases nothing since open applications hold no money."""
    with transaction.atomic():
        return application_transition(application=_lock(application), user=user, action="withdraw_for_applicant",
                                      reason=reason)


def mail_changes_requested(*, message: Message) -> None:
    app = message.application
    msg = message
    mail.send_templated(
        application=app, to=[app.organisation.email, app.contact_email],
        subject=f"Nachforderung zu Ihrem Antrag {app.file_number}",
        template="changes_requested",
        context={"application": app, "message": msg},
    )
