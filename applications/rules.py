"""Funding-line rules applied to an application: eligibility, deadline, period, caps and unit rates, plan
balance, attachments and one application per organisation — the only place these are checked.

All figures come from the LineRule of the application's programme year (edited by staff), never from code; what
makes a line different (detail fields, cap formula) comes from the registry in lines.py. Each problem names the
form field it belongs to, so forms can show it at the field, and has one wording wherever it is shown: the
start page, the draft form, the submit page and the submission service all call the functions below.
"""

from decimal import Decimal

from django.utils import timezone

from applications.lines import Problem, behaviour_for
from funding.models import AttachmentKind, LineRule, OrganisationKind
from wir_portal.money import format_eur

ZERO = Decimal("0.00")

__all__ = ["Problem", "ZERO", "format_eur", "line_fields", "start_problems", "typed_problems",
           "completeness_problems", "max_grant", "max_grant_for", "cap_explanation"]


def line_fields(line_or_code) -> list[tuple[str, str, str, str]]:
    """The line's own detail fields: (name, label, type, help text)."""
    return behaviour_for(line_or_code).fields


def is_eligible(*, rule: LineRule, organisation_kind: str) -> bool:
    return organisation_kind in (rule.eligible_kinds or [])


def eligible_kinds_label(rule: LineRule) -> str:
    return ", ".join(OrganisationKind(k).label for k in rule.eligible_kinds or [])


def max_grant_for(*, rule: LineRule, details: dict, organisation=None) -> Decimal | None:
    """The highest grant the line's rules allow for one budget year of these details (None: no cap known)."""
    caps: list[Decimal] = []
    if rule.cap_per_application is not None:
        caps.append(rule.cap_per_application)
    computed = behaviour_for(rule.line).cap(rule=rule, details=details, organisation=organisation)
    if computed is not None:
        caps.append(computed)
    return min(caps) if caps else None


def max_grant(*, application) -> Decimal | None:
    return max_grant_for(rule=application.rule, details=application.details or {}, organisation=application.organisation)


def detail_problems(*, rule: LineRule, details: dict) -> list[Problem]:
    """Hour limits, unit limits and pool sizes of the line-specific fields."""
    return behaviour_for(rule.line).problems(rule=rule, details=details)


def plan_problems(*, application) -> list[Problem]:
    """Per budget year: income equals costs; the requested grant within the caps; at least one cost item."""
    problems: list[Problem] = []
    plan_years = list(application.plan_years.all())
    costs_by_year: dict[int, Decimal] = {}
    for item in application.cost_items.all():
        costs_by_year[item.year] = costs_by_year.get(item.year, ZERO) + item.amount
    if not plan_years or not costs_by_year:
        problems.append(Problem("plan", "Bitte füllen Sie den Kosten- und Finanzierungsplan aus."))
        return problems
    cap = max_grant(application=application)
    details = application.details or {}
    for plan in plan_years:
        problems.append(balance_problem(year=plan.year, income=plan.total_income,
                                        costs=costs_by_year.get(plan.year, ZERO)))
        if plan.requested_grant <= 0:
            problems.append(Problem("requested_grant", f"{plan.year}: Bitte geben Sie die beantragte Zuwendung an.",
                                    plan.year))
        problems.append(cap_problem(rule=application.rule, details=details, year=plan.year,
                                    requested=plan.requested_grant, cap=cap))
    problems = [p for p in problems if p]
    return problems


def cap_explanation(*, rule: LineRule, details: dict) -> str:
    """How the cap is made up, in words (' (50.000,00 € je Vollzeitstelle × 1,0 Stellen)'), or ''."""
    parts = list(behaviour_for(rule.line).explain(rule=rule, details=details))
    if rule.cap_per_application is not None:
        parts.append(f"höchstens {format_eur(rule.cap_per_application)} je Antrag")
    return f" ({'; '.join(parts)})" if parts else ""


# --- one wording per problem ---------------------------------------------------------------------------------

def eligibility_problem(*, rule: LineRule, organisation) -> Problem | None:
    if is_eligible(rule=rule, organisation_kind=organisation.kind):
        return None
    return Problem(None, f"Ihre Organisationsart ({organisation.get_kind_display()}) ist für „{rule.line.name}“ "
                         f"nicht antragsberechtigt (berechtigt: {eligible_kinds_label(rule)}).")


def deadline_problem(*, rule: LineRule, today=None) -> Problem | None:
    today = today or timezone.localdate()
    if rule.deadline and today > rule.deadline:
        return Problem(None, f"Die Antragsfrist für „{rule.line.name}“ ist am {rule.deadline:%d.%m.%Y} abgelaufen.")
    return None


def one_per_organisation_problem(*, rule: LineRule, organisation, exclude_pk=None) -> Problem | None:
    """Lines with one application per organisation and year: any other application that is not withdrawn or
    rejected (a draft counts — it is the application the organisation is already working on)."""
    if not rule.one_per_organisation:
        return None
    from applications.models import Application
    from applications.workflow import Status

    others = Application.objects.filter(organisation_id=organisation.pk, rule=rule).exclude(
        status__in=[Status.WITHDRAWN, Status.REJECTED])
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        return Problem(None, f"Für „{rule.line.name}“ ist nur ein Antrag je Organisation und Jahr möglich; Ihre "
                             f"Organisation hat für {rule.programme_year.year} bereits einen Antrag angelegt.")
    return None


def balance_problem(*, year: int, income: Decimal, costs: Decimal) -> Problem | None:
    if income == costs:
        return None
    difference = income - costs
    return Problem("plan", f"{year}: Die Finanzierung ({format_eur(income)}) muss den Gesamtkosten "
                           f"({format_eur(costs)}) entsprechen – es {'fehlen' if difference < 0 else 'sind zu viel'} "
                           f"{format_eur(abs(difference))}.", year)


def cap_problem(*, rule: LineRule, details: dict, year: int, requested: Decimal, cap: Decimal | None) -> Problem | None:
    if cap is None or requested <= cap:
        return None
    return Problem("requested_grant",
                   f"{year}: Die beantragte Zuwendung ({format_eur(requested)}) übersteigt den Höchstbetrag von "
                   f"{format_eur(cap)} nach den Förderregeln {rule.programme_year.year}"
                   f"{cap_explanation(rule=rule, details=details)}.", year)


def start_problems(*, rule: LineRule, organisation, today=None) -> list[Problem]:
    """Why this organisation may not start an application for this line and year (empty: it may)."""
    if not rule.programme_year.is_open:
        return [Problem(None, f"Für das Programmjahr {rule.programme_year.year} ist die Antragstellung nicht geöffnet.")]
    found = [eligibility_problem(rule=rule, organisation=organisation), deadline_problem(rule=rule, today=today),
             one_per_organisation_problem(rule=rule, organisation=organisation)]
    return [p for p in found if p]


def typed_problems(*, rule: LineRule, organisation, period_start, period_end, details: dict,
                   plans: list[tuple[int, Decimal, Decimal, Decimal]], today=None) -> list[Problem]:
    """The rules applied to what was typed into a draft (plans: (year, costs, income, requested grant) of the
    years with input). A field left empty is not an error in a draft (the submit page lists what is missing); a
    value that breaks a rule is."""
    found = [eligibility_problem(rule=rule, organisation=organisation), deadline_problem(rule=rule, today=today)]
    typed = {"period_start": period_start, "period_end": period_end}
    found += [p for p in period_problems(rule=rule, start=period_start, end=period_end) if typed.get(p.field)]
    found += [p for p in detail_problems(rule=rule, details=details) if p.field in details]
    cap = max_grant_for(rule=rule, details=details, organisation=organisation)
    check_cap = bool(details) or not line_fields(rule.line)  # a cap from details only once details are typed
    for year, costs, income, requested in plans:
        found.append(balance_problem(year=year, income=income, costs=costs))
        if check_cap:
            found.append(cap_problem(rule=rule, details=details, year=year, requested=requested, cap=cap))
    return [p for p in found if p]


def completeness_problems(*, application, today=None) -> list[Problem]:
    """Everything still missing before submission, as a list the form can show."""
    rule, organisation, problems = application.rule, application.organisation, []
    problems.append(eligibility_problem(rule=rule, organisation=organisation))
    if application.status == "draft":
        problems.append(deadline_problem(rule=rule, today=today))
    for field, label in (("title", "Titel"), ("purpose", "Zweck und Konzeption"), ("contact_name", "Ansprechperson"),
                         ("contact_email", "E-Mail der Ansprechperson")):
        if not str(getattr(application, field) or "").strip():
            problems.append(Problem(field, f"Bitte füllen Sie „{label}“ aus."))
    problems += period_problems(rule=rule, start=application.period_start, end=application.period_end)
    problems += detail_problems(rule=rule, details=application.details or {})
    problems += plan_problems(application=application)
    present = {a.kind for a in application.attachments.all()}
    for kind in rule.required_attachments or []:
        if kind not in present:
            problems.append(Problem("attachments", f"Es fehlt die Anlage „{AttachmentKind(kind).label}“."))
    problems.append(one_per_organisation_problem(rule=rule, organisation=organisation, exclude_pk=application.pk))
    return [p for p in problems if p]


def period_problems(*, rule: LineRule, start, end) -> list[Problem]:
    problems = []
    if not start:
        problems.append(Problem("period_start", "Bitte geben Sie den Beginn an."))
    if not end:
        problems.append(Problem("period_end", "Bitte geben Sie das Ende an."))
    if start and end:
        if end < start:
            problems.append(Problem("period_end", "Das Ende darf nicht vor dem Beginn liegen."))
        if start.year != rule.programme_year.year:
            problems.append(Problem("period_start", f"Der Beginn muss im Programmjahr {rule.programme_year.year} liegen."))
        if not rule.line.multi_year and end.year != rule.programme_year.year:
            problems.append(Problem("period_end", f"Das Ende muss im Programmjahr {rule.programme_year.year} liegen."))
        if rule.max_months:
            months = (end.year - start.year) * 12 + end.month - start.month + 1
            if months > rule.max_months:
                problems.append(Problem("period_end", f"Die Laufzeit darf höchstens {rule.max_months} Monate betragen."))
    return problems
