"""Funding-line rules applied to an application: eligibility, deadline, period, caps and unit rates, plan
balance, attachments and one application per organisation — the only place these are checked.

All figures come from the LineRule of the application's programme year (edited by staff), never from code; what
makes a line different (detail fields, cap formula) comes from the registry in funding/linetypes.py. Each problem
names the form field it belongs to, so forms can show it at the field, and has one wording wherever it is shown:
the start page, the draft form, the submit page and the submission service all call the functions below.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from funding.linetypes import REGISTRY, dec, line_type
from funding.models import AttachmentKind, CapScope, LineRule, OrganisationKind
from wir_portal.money import format_eur

ZERO = Decimal("0.00")

# Line-specific fields, by funding line code: (field name, label, type, help text) — from the line registry
# (funding.linetypes), which also computes the yearly caps and checks these fields.
LINE_FIELDS: dict[str, list[tuple[str, str, str, str]]] = {
    code: [(f.name, f.label, f.kind, f.help) for f in kind.fields] for code, kind in REGISTRY.items()
}


def line_fields(line_or_code) -> list[tuple[str, str, str, str]]:
    """The line's own detail fields: (name, label, type, help text)."""
    code = line_or_code if isinstance(line_or_code, str) else line_or_code.code
    return LINE_FIELDS.get(code, [])


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    year: int | None = None  # the budget year of a plan problem (forms show it in that year's block)


def _dec(value) -> Decimal:
    return dec(value)


def is_eligible(*, rule: LineRule, organisation_kind: str) -> bool:
    return organisation_kind in (rule.eligible_kinds or [])


def eligible_kinds_label(rule: LineRule) -> str:
    return ", ".join(OrganisationKind(k).label for k in rule.eligible_kinds or [])


def max_grant_for(*, rule: LineRule, details: dict, organisation=None) -> Decimal | None:
    """The highest grant the line's rules allow for ONE budget year of these details (None: no cap known): the
    line's computed cap (funding.linetypes) and, where it applies per year, the rule's Höchstbetrag."""
    caps: list[Decimal] = []
    if rule.cap_per_application is not None and rule.cap_scope == CapScope.YEAR:
        caps.append(rule.cap_per_application)
    computed = line_type(rule.line.code).year_cap(rule, details, organisation)
    if computed is not None:
        caps.append(computed)
    return min(caps) if caps else None


def max_grant(*, application) -> Decimal | None:
    return max_grant_for(rule=application.rule, details=application.details or {}, organisation=application.organisation)


def application_cap(*, rule: LineRule) -> Decimal | None:
    """The Höchstbetrag for the sum of all years, where the rule says it applies per application."""
    if rule.cap_per_application is not None and rule.cap_scope == CapScope.APPLICATION:
        return rule.cap_per_application
    return None


def detail_problems(*, rule: LineRule, details: dict, organisation=None) -> list[Problem]:
    """Hour limits, unit limits, pool sizes, part-caps of the line-specific fields (funding.linetypes)."""
    return [Problem(field, message) for field, message
            in line_type(rule.line.code).problems(rule, details or {}, organisation)]


def grant_cap_problems(*, rule: LineRule, details: dict, organisation, amounts: dict[int, Decimal],
                       field: str = "requested_grant", what: str = "beantragte Zuwendung") -> list[Problem]:
    """The one cap check for a plan or a decision: each year's amount against the per-year cap, the sum of all
    years against a per-application cap. A 24-month application at the yearly cap in each year is valid; a cap
    per application is never exceeded across years."""
    problems: list[Problem] = []
    year_cap = max_grant_for(rule=rule, details=details, organisation=organisation)
    explanation = cap_explanation(rule=rule, details=details)
    for year, amount in sorted(amounts.items()):
        if year_cap is not None and amount > year_cap:
            problems.append(Problem(
                field,
                f"{year}: Die {what} ({format_eur(amount)}) übersteigt den Höchstbetrag von {format_eur(year_cap)} "
                f"je Jahr nach den Förderregeln {rule.programme_year.year}{explanation}.", year,
            ))
    total_cap = application_cap(rule=rule)
    total = sum(amounts.values(), ZERO)
    if total_cap is not None and total > total_cap:
        last = max(amounts) if amounts else None
        years = f" für {min(amounts)}–{max(amounts)}" if len(amounts) > 1 else ""
        problems.append(Problem(
            field,
            f"Die {what}{years} ergibt zusammen {format_eur(total)} und übersteigt den Höchstbetrag von "
            f"{format_eur(total_cap)} je Antrag (für alle Jahre zusammen).", last,
        ))
    return problems


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
    for plan in plan_years:
        balance = balance_problem(year=plan.year, income=plan.total_income, costs=costs_by_year.get(plan.year, ZERO))
        if balance:
            problems.append(balance)
        if plan.requested_grant <= 0:
            problems.append(Problem("requested_grant", f"{plan.year}: Bitte geben Sie die beantragte Zuwendung an.",
                                    plan.year))
    problems += grant_cap_problems(rule=application.rule, details=application.details or {},
                                   organisation=application.organisation,
                                   amounts={p.year: p.requested_grant for p in plan_years})
    return problems


def cap_explanation(*, rule: LineRule, details: dict) -> str:
    """How the cap is made up, in words (' (50.000,00 € je Vollzeitstelle × 1,0 Stellen)'), or ''."""
    parts = line_type(rule.line.code).explain(rule, details or {})
    if rule.cap_per_application is not None:
        scope = "je Jahr" if rule.cap_scope == CapScope.YEAR else "je Antrag für alle Jahre zusammen"
        parts.append(f"höchstens {format_eur(rule.cap_per_application)} {scope}")
    return f" ({'; '.join(parts)})" if parts else ""


def completeness_problems(*, application, today=None) -> list[Problem]:
    """Everything still missing before submission, as a list the form can show."""
    rule, organisation, problems = application.rule, application.organisation, []
    problems.append(eligibility_problem(rule=rule, organisation=organisation))
    if period_start_problem(rule):
        problems.append(Problem(None, period_start_problem(rule)))
    if application.status == "draft":
        problems.append(deadline_problem(rule=rule, today=today))
        problems.append(closed_problem(rule=rule))
    for field, label in (("title", "Titel"), ("purpose", "Zweck und Konzeption"), ("contact_name", "Ansprechperson"),
                         ("contact_email", "E-Mail der Ansprechperson")):
        if not str(getattr(application, field) or "").strip():
            problems.append(Problem(field, f"Bitte füllen Sie „{label}“ aus."))
    problems += period_problems(rule=rule, start=application.period_start, end=application.period_end)
    problems += detail_problems(rule=rule, details=application.details or {}, organisation=organisation)
    problems += plan_problems(application=application)
    present = {a.kind for a in application.attachments.all()}
    for kind in rule.required_attachments or []:
        if kind not in present:
            problems.append(Problem("attachments", f"Es fehlt die Anlage „{AttachmentKind(kind).label}“."))
    problems.append(one_per_organisation_problem(rule=rule, organisation=organisation, exclude_pk=application.pk))
    return [p for p in problems if p]


# --- one wording per problem ---------------------------------------------------------------------------------

def eligibility_problem(*, rule: LineRule, organisation) -> Problem | None:
    if is_eligible(rule=rule, organisation_kind=organisation.kind):
        return None
    return Problem(None, f"Ihre Organisationsart ({organisation.get_kind_display()}) ist für „{rule.line.name}“ "
                         f"nicht antragsberechtigt (berechtigt: {eligible_kinds_label(rule)}).")


def closed_problem(*, rule: LineRule) -> Problem | None:
    """A rule closed for new applications (e.g. a line that no longer exists in this year, issue 12)."""
    if rule.accepts_applications:
        return None
    return Problem(None, f"Für „{rule.line.name}“ werden für {rule.programme_year.year} keine neuen Anträge "
                         "angenommen; bitte wählen Sie einen aktuellen Förderbereich.")


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


def start_problems(*, rule: LineRule, organisation, today=None) -> list[Problem]:
    """Why this organisation may not start an application for this line and year (empty: it may)."""
    if not rule.programme_year.is_open:
        return [Problem(None, f"Für das Programmjahr {rule.programme_year.year} ist die Antragstellung nicht geöffnet.")]
    period = period_start_problem(rule)
    found = [closed_problem(rule=rule), eligibility_problem(rule=rule, organisation=organisation),
             Problem(None, period) if period else None, deadline_problem(rule=rule, today=today), one_per_organisation_problem(rule=rule, organisation=organisation)]
    return [p for p in found if p]


def typed_problems(*, rule: LineRule, organisation, period_start, period_end, details: dict,
                   plans: list[tuple[int, Decimal, Decimal, Decimal]], today=None) -> list[Problem]:
    """The rules applied to what was typed into a draft (plans: (year, costs, income, requested grant) of the
    years with input). A field left empty is not an error in a draft (the submit page lists what is missing); a
    value that breaks a rule is."""
    found = [eligibility_problem(rule=rule, organisation=organisation), deadline_problem(rule=rule, today=today)]
    typed = {"period_start": period_start, "period_end": period_end}
    found += [p for p in period_problems(rule=rule, start=period_start, end=period_end) if typed.get(p.field)]
    found += [p for p in detail_problems(rule=rule, details=details, organisation=organisation) if p.field in details]
    for year, costs, income, _requested in plans:
        found.append(balance_problem(year=year, income=income, costs=costs))
    if details or not line_fields(rule.line):  # a cap from details only once details are typed
        found += grant_cap_problems(rule=rule, details=details, organisation=organisation,
                                    amounts={year: requested for year, _c, _i, requested in plans})
    return [p for p in found if p]


def period_start_problem(rule: LineRule) -> str | None:
    """A line decided for a whole funding period takes applications only in the period's first year."""
    period = rule.funding_period if rule.funding_period_id else None
    if period is not None and rule.programme_year.year != period.first_year:
        return (f"Für „{rule.line.name}“ wird ein Antrag für die ganze Förderperiode {period.first_year}–"
                f"{period.last_year} gestellt (Programmjahr {period.first_year}); für {rule.programme_year.year} "
                "gibt es keine eigene Antragsrunde.")
    return None


def last_plan_year(rule: LineRule) -> int:
    """The last budget year an application of this rule may plan: the end of its funding period; for other
    multi-year lines the start year plus the maximum duration (24 months starting in July end in the 3rd year)."""
    year = rule.programme_year.year
    if rule.funding_period_id:
        return rule.funding_period.last_year
    if not rule.line.multi_year:
        return year
    return year + -(-(rule.max_months or 24) // 12)


def plan_years_for(*, rule: LineRule, start, end) -> list[int]:
    """The budget years of the plan: the programme year, plus following years for multi-year lines."""
    year = rule.programme_year.year
    if rule.line.multi_year and start and end and start <= end and start.year == year:
        return list(range(year, min(end.year, last_plan_year(rule)) + 1))
    return [year]


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
        period = rule.funding_period if rule.funding_period_id else None
        if period is not None and end.year > period.last_year:
            problems.append(Problem("period_end", f"Das Ende muss in der Förderperiode {period.first_year}–"
                                                  f"{period.last_year} liegen (spätestens 31.12.{period.last_year})."))
        if rule.max_months:
            months = (end.year - start.year) * 12 + end.month - start.month + 1
            if months > rule.max_months:
                problems.append(Problem("period_end", f"Die Laufzeit darf höchstens {rule.max_months} Monate betragen."))
    return problems
