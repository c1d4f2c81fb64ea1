"""Funding-line rules applied to an application: eligibility, caps and unit rates, completeness.

All figures come from the LineRule of the application's programme year (edited by staff), never from code.
Each problem names the form field it belongs to, so forms can show it at the field.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from funding.models import AttachmentKind, LineRule, OrganisationKind
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")

# Line-specific fields, by funding line code: (field name, label, type, help text).
# Forms and the admin read this table; caps below use the same names.
LINE_FIELDS: dict[str, list[tuple[str, str, str, str]]] = {
    "koordination": [
        ("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "z. B. 1,0 oder 1,5 – höchstens 2 Stellen"),
        ("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. E 11"),
        ("start_date", "Stellenbesetzung ab", "date", ""),
    ],
    "fallmanagement": [
        ("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "Die Stelle ist teilbar, z. B. 0,5"),
        ("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. S 12"),
        ("start_date", "Stellenbesetzung ab", "date", ""),
        ("placed_with", "Stelle angesiedelt bei (optional)", "text", "z. B. gemeinnütziger Träger"),
    ],
    "lotsen": [
        ("coordinating_lotsen", "Anzahl koordinierender Lotsinnen und Lotsen", "int", ""),
        ("other_lotsen", "Anzahl weiterer Lotsinnen und Lotsen", "int", ""),
        ("hours", "Geplante Einsatzstunden insgesamt", "int", "Stunden werden im Projekt gebündelt"),
        ("qualification_courses", "Geplante Qualifizierungskurse", "int", ""),
    ],
    "mitsprache": [
        ("courses", "Anzahl der Kurse", "int", ""),
        ("units_per_course", "Unterrichtseinheiten je Kurs (à 45 Min.)", "int", "höchstens 300"),
        ("childcare_units", "Kinderbetreuung: Einheiten insgesamt", "int", ""),
        ("location", "Kursort", "text", ""),
        ("cooperating_municipality", "Kooperierende Kommune", "text", "Kooperationsschreiben als Anlage"),
    ],
    "sprachkurse": [
        ("courses", "Anzahl der Kurse", "int", ""),
        ("units_per_course", "Unterrichtseinheiten je Kurs", "int", ""),
        ("location", "Kursort", "text", ""),
    ],
    "migrantenorganisationen": [
        ("micro_project", "Mikroprojekt (Betrag je Jahr)", "money", "höchstens 3.000 € je Jahr"),
        ("minijob", "Minijob (Betrag je Jahr)", "money", "höchstens 7.200 € je Jahr"),
    ],
    "projekte": [
        ("project_kind", "Projektart", "text", "z. B. Interkulturelle Öffnung, Modellprojekt"),
    ],
    "laiendolmetscher": [
        ("languages", "Sprachen im Pool", "text", "mindestens 5 Sprachen, durch Komma getrennt"),
        ("interpreters", "Anzahl Dolmetscherinnen und Dolmetscher", "int", "mindestens 5"),
        ("clients", "Erwartete Zahl der Klientinnen und Klienten", "int", ""),
        ("assignments", "Erwartete Einsätze insgesamt", "int", "höchstens 5 je Klient/in"),
    ],
}


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    year: int | None = None  # the budget year of a plan problem (forms show it in that year's block)


def _dec(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value))
    except Exception:  # noqa: BLE001 - any junk in JSON counts as zero; the form validates types
        return ZERO


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def is_eligible(*, rule: LineRule, organisation_kind: str) -> bool:
    return organisation_kind in (rule.eligible_kinds or [])


def eligible_kinds_label(rule: LineRule) -> str:
    return ", ".join(OrganisationKind(k).label for k in rule.eligible_kinds or [])


def max_grant_for(*, rule: LineRule, details: dict, organisation=None) -> Decimal | None:
    """The highest grant the line's rules allow for one budget year of these details (None: no cap known)."""
    code = rule.line.code
    caps: list[Decimal] = []
    if rule.cap_per_application is not None:
        caps.append(rule.cap_per_application)
    if code in ("koordination", "fallmanagement") and rule.cap_per_post is not None:
        posts = _dec(details.get("posts"))
        if rule.max_posts is not None:
            posts = min(posts, rule.max_posts)
        caps.append(money(rule.cap_per_post * posts))
    if code == "lotsen" and rule.hourly_rate is not None:
        coord, other = _int(details.get("coordinating_lotsen")), _int(details.get("other_lotsen"))
        hour_cap = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        hours = min(_int(details.get("hours")), hour_cap) if hour_cap else _int(details.get("hours"))
        total = rule.hourly_rate * hours
        if rule.flat_rate and coord + other >= 5 and organisation is not None and (
            organisation.kind not in OrganisationKind.the_33()
            and (organisation.inhabitants is None or organisation.inhabitants < 50000)
        ):
            total += rule.flat_rate  # Koordinierungspauschale
        caps.append(money(total + (rule.cap_per_course or ZERO) * _int(details.get("qualification_courses"))))
    if code in ("mitsprache", "sprachkurse") and rule.unit_rate is not None:
        courses, units = _int(details.get("courses")), _int(details.get("units_per_course"))
        per_course = rule.unit_rate * units
        if rule.cap_per_course is not None:
            per_course = min(per_course, rule.cap_per_course)
        childcare = (rule.childcare_rate or ZERO) * _int(details.get("childcare_units"))
        caps.append(money(per_course * courses + childcare))
    if code == "laiendolmetscher" and rule.flat_rate is not None:
        assignments = min(_int(details.get("assignments")), 5 * _int(details.get("clients")))
        caps.append(money(rule.flat_rate * assignments))
    if code == "migrantenorganisationen":
        caps.append(money(_dec(details.get("micro_project")) + _dec(details.get("minijob"))))
    return min(caps) if caps else None


def max_grant(*, application) -> Decimal | None:
    return max_grant_for(rule=application.rule, details=application.details or {}, organisation=application.organisation)


def detail_problems(*, rule: LineRule, details: dict) -> list[Problem]:
    """Hour limits, unit limits and pool sizes of the line-specific fields."""
    code, problems = rule.line.code, []
    if code in ("koordination", "fallmanagement"):
        posts = _dec(details.get("posts"))
        if posts <= 0:
            problems.append(Problem("posts", "Bitte geben Sie den Stellenanteil an (größer als 0)."))
        elif rule.max_posts is not None and posts > rule.max_posts:
            problems.append(Problem("posts", f"Gefördert werden höchstens {rule.max_posts:n} Stellen."))
    if code == "lotsen":
        coord, other = _int(details.get("coordinating_lotsen")), _int(details.get("other_lotsen"))
        hours = _int(details.get("hours"))
        limit = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        if coord + other <= 0:
            problems.append(Problem("coordinating_lotsen", "Bitte geben Sie die Zahl der Lotsinnen und Lotsen an."))
        if limit and hours > limit:
            problems.append(Problem(
                "hours",
                f"Höchstens {limit} Stunden sind förderfähig ({coord} × {rule.max_hours_coordinating} + "
                f"{other} × {rule.max_hours_other} Stunden).",
            ))
    if code in ("mitsprache", "sprachkurse"):
        if _int(details.get("courses")) <= 0:
            problems.append(Problem("courses", "Bitte geben Sie die Zahl der Kurse an."))
        units = _int(details.get("units_per_course"))
        if rule.max_units_per_course and units > rule.max_units_per_course:
            problems.append(Problem("units_per_course", f"Höchstens {rule.max_units_per_course} Unterrichtseinheiten je Kurs."))
    if code == "laiendolmetscher":
        if _int(details.get("interpreters")) < 5:
            problems.append(Problem("interpreters", "Der Pool muss mindestens 5 Dolmetscherinnen und Dolmetscher umfassen."))
        languages = [x for x in str(details.get("languages") or "").split(",") if x.strip()]
        if len(languages) < 5:
            problems.append(Problem("languages", "Der Pool muss mindestens 5 Sprachen abdecken."))
        if _int(details.get("assignments")) > 5 * _int(details.get("clients")):
            problems.append(Problem("assignments", "Höchstens 5 Einsätze je Klientin oder Klient sind förderfähig."))
    if code == "migrantenorganisationen":
        if _dec(details.get("micro_project")) > 3000:
            problems.append(Problem("micro_project", "Das Mikroprojekt wird mit höchstens 3.000,00 € je Jahr gefördert."))
        if _dec(details.get("minijob")) > 7200:
            problems.append(Problem("minijob", "Der Minijob wird mit höchstens 7.200,00 € je Jahr gefördert."))
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
    cap = max_grant(application=application)
    for plan in plan_years:
        costs = costs_by_year.get(plan.year, ZERO)
        if plan.total_income != costs:
            problems.append(Problem(
                "plan",
                f"{plan.year}: Die Einnahmen ({format_eur(plan.total_income)}) müssen den Ausgaben "
                f"({format_eur(costs)}) entsprechen.", plan.year,
            ))
        if plan.requested_grant <= 0:
            problems.append(Problem("requested_grant", f"{plan.year}: Bitte geben Sie die beantragte Zuwendung an.",
                                    plan.year))
        if cap is not None and plan.requested_grant > cap:
            problems.append(Problem(
                "requested_grant",
                f"{plan.year}: Die beantragte Zuwendung ({format_eur(plan.requested_grant)}) übersteigt den "
                f"Höchstbetrag von {format_eur(cap)} nach den Förderregeln {application.rule.programme_year.year}"
                f"{cap_explanation(rule=application.rule, details=application.details or {})}.", plan.year,
            ))
    return problems


def cap_explanation(*, rule: LineRule, details: dict) -> str:
    """How the cap is made up, in words (' (50.000,00 € je Vollzeitstelle × 1,0 Stellen)'), or ''."""
    code, parts = rule.line.code, []
    if code in ("koordination", "fallmanagement") and rule.cap_per_post is not None:
        posts = _dec(details.get("posts"))
        if rule.max_posts is not None:
            posts = min(posts, rule.max_posts)
        parts.append(f"{format_eur(rule.cap_per_post)} je Vollzeitstelle × {str(posts).replace('.', ',')} Stellen")
    elif code == "lotsen" and rule.hourly_rate is not None:
        coord, other = _int(details.get("coordinating_lotsen")), _int(details.get("other_lotsen"))
        parts.append(f"{format_eur(rule.hourly_rate)} je Stunde, höchstens {rule.max_hours_coordinating} Stunden je "
                     f"koordinierender und {rule.max_hours_other} Stunden je weiterer Lotsin bzw. weiterem Lotsen "
                     f"({coord} + {other} Personen)")
        if rule.flat_rate:
            parts.append(f"zuzüglich Koordinierungspauschale {format_eur(rule.flat_rate)} ab 5 Lotsinnen und Lotsen "
                         "(freie Träger und Kommunen unter 50.000 Einwohnern)")
    elif code in ("mitsprache", "sprachkurse") and rule.unit_rate is not None:
        text = f"{format_eur(rule.unit_rate)} je Unterrichtseinheit"
        if rule.cap_per_course is not None:
            text += f", höchstens {format_eur(rule.cap_per_course)} je Kurs"
        if rule.childcare_rate:
            text += f", Kinderbetreuung {format_eur(rule.childcare_rate)} je Einheit"
        parts.append(text)
    elif code == "migrantenorganisationen":
        parts.append("Mikroprojekt bis 3.000,00 € und Minijob bis 7.200,00 € je Jahr")
    elif code == "laiendolmetscher" and rule.flat_rate is not None:
        parts.append(f"{format_eur(rule.flat_rate)} je Einsatz, höchstens 5 Einsätze je Klientin oder Klient")
    if rule.cap_per_application is not None:
        parts.append(f"höchstens {format_eur(rule.cap_per_application)} je Antrag")
    return f" ({'; '.join(parts)})" if parts else ""


def completeness_problems(*, application, today=None) -> list[Problem]:
    """Everything still missing before submission, as a list the form can show."""
    today = today or timezone.localdate()
    rule, problems = application.rule, []
    if not is_eligible(rule=rule, organisation_kind=application.organisation.kind):
        problems.append(Problem(None, f"Ihre Organisationsart ist für „{rule.line.name}“ nicht antragsberechtigt "
                                      f"(berechtigt: {eligible_kinds_label(rule)})."))
    if rule.deadline and today > rule.deadline and application.status == "draft":
        problems.append(Problem(None, f"Die Antragsfrist ist am {rule.deadline:%d.%m.%Y} abgelaufen."))
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
    if rule.one_per_organisation:
        from applications.models import Application

        other = Application.objects.filter(organisation_id=application.organisation_id, rule=rule).exclude(
            pk=application.pk).exclude(status__in=["draft", "withdrawn", "rejected"])
        if other.exists():
            problems.append(Problem(None, f"Für „{rule.line.name}“ ist nur ein Antrag je Organisation und Jahr möglich; "
                                          "Ihre Organisation hat bereits einen eingereicht."))
    return problems


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
