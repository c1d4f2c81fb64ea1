"""What makes each funding line different, in one registry: its detail fields, how its cap is computed and
explained, and the checks of its detail fields.

A line is data (funding.FundingLine, its yearly LineRule with the figures); its *behaviour* is looked up here by
the line's code. A new line that behaves like an existing one is one entry in BEHAVIOURS; a line with new detail
fields or a new cap formula is one small subclass of LineBehaviour. Lines without an entry get the generic
behaviour: no detail fields, only the rule's cap per application/year. rules.py is the only caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from funding.models import LineRule, OrganisationKind
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    year: int | None = None  # the budget year of a plan problem (forms show it in that year's block)


def dec(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value))
    except Exception:  # noqa: BLE001 - any junk in JSON counts as zero; the form validates types
        return ZERO


def whole(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class LineBehaviour:
    """The generic line: no detail fields, no computed cap (the rule's cap per application still applies)."""

    # (field name, label, type, help text); type is one of decimal, int, money, text, date
    fields: list[tuple[str, str, str, str]] = []

    def cap(self, *, rule: LineRule, details: dict, organisation=None) -> Decimal | None:
        """The highest grant for one budget year computed from the details (None: the line computes none)."""
        return None

    def explain(self, *, rule: LineRule, details: dict) -> list[str]:
        """How the computed cap is made up, in words."""
        return []

    def problems(self, *, rule: LineRule, details: dict) -> list[Problem]:
        """Limits of the detail fields (hours, units, pool sizes)."""
        return []


class Posts(LineBehaviour):
    """Personnel lines: a cap per full-time position, at most max_posts positions."""

    fields = [
        ("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "z. B. 1,0 oder 1,5 – höchstens 2 Stellen"),
        ("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. E 11"),
        ("start_date", "Stellenbesetzung ab", "date", ""),
    ]

    def _posts(self, rule, details) -> Decimal:
        posts = dec(details.get("posts"))
        return min(posts, rule.max_posts) if rule.max_posts is not None else posts

    def cap(self, *, rule, details, organisation=None):
        if rule.cap_per_post is None:
            return None
        return money(rule.cap_per_post * self._posts(rule, details))

    def explain(self, *, rule, details):
        if rule.cap_per_post is None:
            return []
        posts = str(self._posts(rule, details)).replace(".", ",")
        return [f"{format_eur(rule.cap_per_post)} je Vollzeitstelle × {posts} Stellen"]

    def problems(self, *, rule, details):
        posts = dec(details.get("posts"))
        if posts <= 0:
            return [Problem("posts", "Bitte geben Sie den Stellenanteil an (größer als 0).")]
        if rule.max_posts is not None and posts > rule.max_posts:
            return [Problem("posts", f"Gefördert werden höchstens {rule.max_posts:n} Stellen.")]
        return []


class SharedPosts(Posts):
    fields = [
        ("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "Die Stelle ist teilbar, z. B. 0,5"),
        ("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. S 12"),
        ("start_date", "Stellenbesetzung ab", "date", ""),
        ("placed_with", "Stelle angesiedelt bei (optional)", "text", "z. B. gemeinnütziger Träger"),
    ]


class Lotsen(LineBehaviour):
    """Integrationslotsen: an hourly rate up to an hour limit per person, a coordination flat rate, courses."""

    fields = [
        ("coordinating_lotsen", "Anzahl koordinierender Lotsinnen und Lotsen", "int", ""),
        ("other_lotsen", "Anzahl weiterer Lotsinnen und Lotsen", "int", ""),
        ("hours", "Geplante Einsatzstunden insgesamt", "int", "Stunden werden im Projekt gebündelt"),
        ("qualification_courses", "Geplante Qualifizierungskurse", "int", ""),
    ]

    @staticmethod
    def _people(details) -> tuple[int, int]:
        return whole(details.get("coordinating_lotsen")), whole(details.get("other_lotsen"))

    def cap(self, *, rule, details, organisation=None):
        if rule.hourly_rate is None:
            return None
        coord, other = self._people(details)
        hour_cap = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        hours = min(whole(details.get("hours")), hour_cap) if hour_cap else whole(details.get("hours"))
        total = rule.hourly_rate * hours
        if rule.flat_rate and coord + other >= 5 and organisation is not None and (
            organisation.kind not in OrganisationKind.the_33()
            and (organisation.inhabitants is None or organisation.inhabitants < 50000)
        ):
            total += rule.flat_rate  # Koordinierungspauschale
        return money(total + (rule.cap_per_course or ZERO) * whole(details.get("qualification_courses")))

    def explain(self, *, rule, details):
        if rule.hourly_rate is None:
            return []
        coord, other = self._people(details)
        parts = [f"{format_eur(rule.hourly_rate)} je Stunde, höchstens {rule.max_hours_coordinating} Stunden je "
                 f"koordinierender und {rule.max_hours_other} Stunden je weiterer Lotsin bzw. weiterem Lotsen "
                 f"({coord} + {other} Personen)"]
        if rule.flat_rate:
            parts.append(f"zuzüglich Koordinierungspauschale {format_eur(rule.flat_rate)} ab 5 Lotsinnen und Lotsen "
                         "(freie Träger und Kommunen unter 50.000 Einwohnern)")
        return parts

    def problems(self, *, rule, details):
        coord, other = self._people(details)
        hours = whole(details.get("hours"))
        limit = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        found = []
        if coord + other <= 0:
            found.append(Problem("coordinating_lotsen", "Bitte geben Sie die Zahl der Lotsinnen und Lotsen an."))
        if limit and hours > limit:
            found.append(Problem(
                "hours",
                f"Höchstens {limit} Stunden sind förderfähig ({coord} × {rule.max_hours_coordinating} + "
                f"{other} × {rule.max_hours_other} Stunden).",
            ))
        return found


class Courses(LineBehaviour):
    """Language courses: a rate per teaching unit, capped per course, plus childcare units."""

    fields = [
        ("courses", "Anzahl der Kurse", "int", ""),
        ("units_per_course", "Unterrichtseinheiten je Kurs", "int", ""),
        ("location", "Kursort", "text", ""),
    ]

    def cap(self, *, rule, details, organisation=None):
        if rule.unit_rate is None:
            return None
        courses, units = whole(details.get("courses")), whole(details.get("units_per_course"))
        per_course = rule.unit_rate * units
        if rule.cap_per_course is not None:
            per_course = min(per_course, rule.cap_per_course)
        childcare = (rule.childcare_rate or ZERO) * whole(details.get("childcare_units"))
        return money(per_course * courses + childcare)

    def explain(self, *, rule, details):
        if rule.unit_rate is None:
            return []
        text = f"{format_eur(rule.unit_rate)} je Unterrichtseinheit"
        if rule.cap_per_course is not None:
            text += f", höchstens {format_eur(rule.cap_per_course)} je Kurs"
        if rule.childcare_rate:
            text += f", Kinderbetreuung {format_eur(rule.childcare_rate)} je Einheit"
        return [text]

    def problems(self, *, rule, details):
        found = []
        if whole(details.get("courses")) <= 0:
            found.append(Problem("courses", "Bitte geben Sie die Zahl der Kurse an."))
        units = whole(details.get("units_per_course"))
        if rule.max_units_per_course and units > rule.max_units_per_course:
            found.append(Problem("units_per_course",
                                 f"Höchstens {rule.max_units_per_course} Unterrichtseinheiten je Kurs."))
        return found


class MitSprache(Courses):
    fields = [
        ("courses", "Anzahl der Kurse", "int", ""),
        ("units_per_course", "Unterrichtseinheiten je Kurs (à 45 Min.)", "int", "höchstens 300"),
        ("childcare_units", "Kinderbetreuung: Einheiten insgesamt", "int", ""),
        ("location", "Kursort", "text", ""),
        ("cooperating_municipality", "Kooperierende Kommune", "text", "Kooperationsschreiben als Anlage"),
    ]


class MigrantOrganisations(LineBehaviour):
    """Micro-project and minijob, each with its own yearly limit."""

    MICRO, MINIJOB = Decimal("3000"), Decimal("7200")
    fields = [
        ("micro_project", "Mikroprojekt (Betrag je Jahr)", "money", "höchstens 3.000 € je Jahr"),
        ("minijob", "Minijob (Betrag je Jahr)", "money", "höchstens 7.200 € je Jahr"),
    ]

    def cap(self, *, rule, details, organisation=None):
        return money(dec(details.get("micro_project")) + dec(details.get("minijob")))

    def explain(self, *, rule, details):
        return ["Mikroprojekt bis 3.000,00 € und Minijob bis 7.200,00 € je Jahr"]

    def problems(self, *, rule, details):
        found = []
        if dec(details.get("micro_project")) > self.MICRO:
            found.append(Problem("micro_project", "Das Mikroprojekt wird mit höchstens 3.000,00 € je Jahr gefördert."))
        if dec(details.get("minijob")) > self.MINIJOB:
            found.append(Problem("minijob", "Der Minijob wird mit höchstens 7.200,00 € je Jahr gefördert."))
        return found


class Projects(LineBehaviour):
    fields = [("project_kind", "Projektart", "text", "z. B. Interkulturelle Öffnung, Modellprojekt")]


class Interpreters(LineBehaviour):
    """Laiendolmetscher: a flat rate per assignment, at most five assignments per client; a pool of 5+."""

    fields = [
        ("languages", "Sprachen im Pool", "text", "mindestens 5 Sprachen, durch Komma getrennt"),
        ("interpreters", "Anzahl Dolmetscherinnen und Dolmetscher", "int", "mindestens 5"),
        ("clients", "Erwartete Zahl der Klientinnen und Klienten", "int", ""),
        ("assignments", "Erwartete Einsätze insgesamt", "int", "höchstens 5 je Klient/in"),
    ]

    def cap(self, *, rule, details, organisation=None):
        if rule.flat_rate is None:
            return None
        assignments = min(whole(details.get("assignments")), 5 * whole(details.get("clients")))
        return money(rule.flat_rate * assignments)

    def explain(self, *, rule, details):
        if rule.flat_rate is None:
            return []
        return [f"{format_eur(rule.flat_rate)} je Einsatz, höchstens 5 Einsätze je Klientin oder Klient"]

    def problems(self, *, rule, details):
        found = []
        if whole(details.get("interpreters")) < 5:
            found.append(Problem("interpreters",
                                 "Der Pool muss mindestens 5 Dolmetscherinnen und Dolmetscher umfassen."))
        languages = [x for x in str(details.get("languages") or "").split(",") if x.strip()]
        if len(languages) < 5:
            found.append(Problem("languages", "Der Pool muss mindestens 5 Sprachen abdecken."))
        if whole(details.get("assignments")) > 5 * whole(details.get("clients")):
            found.append(Problem("assignments", "Höchstens 5 Einsätze je Klientin oder Klient sind förderfähig."))
        return found


GENERIC = LineBehaviour()

# Funding line code -> behaviour. A new line: add its code here (or nothing, for the generic behaviour).
BEHAVIOURS: dict[str, LineBehaviour] = {
    "koordination": Posts(),
    "fallmanagement": SharedPosts(),
    "lotsen": Lotsen(),
    "mitsprache": MitSprache(),
    "sprachkurse": Courses(),
    "migrantenorganisationen": MigrantOrganisations(),
    "projekte": Projects(),
    "laiendolmetscher": Interpreters(),
}


def behaviour_for(line_or_code) -> LineBehaviour:
    code = line_or_code if isinstance(line_or_code, str) else line_or_code.code
    return BEHAVIOURS.get(code, GENERIC)
