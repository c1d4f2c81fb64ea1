"""What each funding line asks and allows: its own form fields, the yearly cap computed from them, and the checks
of those fields — one small class per line type, found by the line's code (`line_type(code)`).

The figures themselves are data of the line's yearly rule (LineRule: cap per post, unit rates, flat rates, and the
line's named part-caps in `LineRule.limits`, e.g. 3.000 € Mikroprojekt / 7.200 € Minijob), edited per year by
Haushalt; the classes here only say how they combine. `applications.rules` (the one checker) calls them; nothing
else re-implements them.

Every cap computed here is *per budget year*. Whether `LineRule.cap_per_application` applies per year or to the
whole application is the rule's `cap_scope`, applied in `applications.rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from wir_portal.money import format_eur, money

from .models import LineRule, OrganisationKind

ZERO = Decimal("0.00")
_THOUSANDS_ONLY = re.compile(r"^\d{1,3}(\.\d{3})+$")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # decimal | int | date | money | text | lines
    help: str = ""


@dataclass(frozen=True)
class Limit:
    """A part-cap of a line (stored per year in LineRule.limits[key]); unit "eur" or "count"."""

    key: str
    label: str
    unit: str = "eur"


def dec(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ZERO
    return result if result.is_finite() else ZERO


def integer(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def limit(rule: LineRule, key: str) -> Decimal | None:
    """A part-cap of this rule's year, or None where Haushalt has set none."""
    value = (rule.limits or {}).get(key)
    if value in (None, ""):
        return None
    result = dec(value)
    return result


def _num(value) -> str:
    """10000 -> '10.000' (German grouping)."""
    return f"{int(value):,}".replace(",", ".")


def parse_recipient_lines(text: str) -> tuple[list[tuple[str, Decimal]], list[str]]:
    """'Name; 1.500' per line -> [(name, amount)], plus German messages for lines that cannot be read."""
    from wir_portal.money import parse_eur

    rows, errors = [], []
    for number, raw in enumerate(str(text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, sep, amount_text = line.rpartition(";")
        if not sep or not name.strip():
            errors.append(f"Zeile {number}: Bitte „Name des Trägers; Betrag“ angeben.")
            continue
        text = amount_text.strip().replace("€", "").replace(" ", "")
        if "," not in text and _THOUSANDS_ONLY.match(text):
            text = text.replace(".", "")  # '2.500' is two thousand five hundred (as the portal's amount fields read it)
        try:
            amount = money(parse_eur(text))
        except (ValueError, ArithmeticError):
            errors.append(f"Zeile {number}: „{amount_text.strip()}“ ist kein Betrag in Euro.")
            continue
        if amount <= 0:
            errors.append(f"Zeile {number}: Der Betrag muss größer als 0 sein.")
            continue
        rows.append((name.strip(), amount))
    return rows, errors


class LineType:
    """Default behaviour: no fields of its own, no computed cap, nothing to check."""

    code = ""
    fields: tuple[Field, ...] = ()
    limits: tuple[Limit, ...] = ()

    def year_cap(self, rule: LineRule, details: dict, organisation=None) -> Decimal | None:
        """The highest grant these details allow for one budget year (None: the line computes no cap)."""
        return None

    def problems(self, rule: LineRule, details: dict, organisation=None) -> list[tuple[str | None, str]]:
        """(field name or None, German message) for every detail that breaks the line's rules."""
        return []

    def explain(self, rule: LineRule, details: dict) -> list[str]:
        """How the yearly cap is made up, in words."""
        return []


REGISTRY: dict[str, LineType] = {}


def register(cls: type[LineType]) -> type[LineType]:
    REGISTRY[cls.code] = cls()
    return cls


def line_type(code: str) -> LineType:
    return REGISTRY.get(code) or LineType()


class _Posts(LineType):
    """Personnel cost subsidy per full-time post and year, up to a number of posts (rule.cap_per_post, max_posts)."""

    posts_field = "posts"

    def post_cap(self, rule: LineRule, details: dict) -> Decimal | None:
        if rule.cap_per_post is None:
            return None
        posts = dec(details.get(self.posts_field))
        if rule.max_posts is not None:
            posts = min(posts, rule.max_posts)
        return money(rule.cap_per_post * posts)

    def year_cap(self, rule, details, organisation=None):
        return self.post_cap(rule, details)

    def problems(self, rule, details, organisation=None):
        posts = dec(details.get(self.posts_field))
        if posts <= 0:
            return [(self.posts_field, "Bitte geben Sie den Stellenanteil an (größer als 0).")]
        if rule.max_posts is not None and posts > rule.max_posts:
            count = f"{rule.max_posts.normalize():f}".replace(".", ",")
            return [(self.posts_field, f"Gefördert werden höchstens {count} Stellen.")]
        return []

    def explain(self, rule, details):
        if rule.cap_per_post is None:
            return []
        posts = dec(details.get(self.posts_field))
        if rule.max_posts is not None:
            posts = min(posts, rule.max_posts)
        return [f"{format_eur(rule.cap_per_post)} je Vollzeitstelle × {str(posts).replace('.', ',')} Stellen"]


@register
class Koordination(_Posts):
    code = "koordination"
    fields = (
        Field("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "z. B. 1,0 oder 1,5 – höchstens 2 Stellen"),
        Field("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. E 11"),
        Field("start_date", "Stellenbesetzung ab", "date"),
    )


@register
class Fallmanagement(_Posts):
    code = "fallmanagement"
    fields = (
        Field("posts", "Stellenanteil (Vollzeitäquivalente)", "decimal", "Die Stelle ist teilbar, z. B. 0,5"),
        Field("pay_group", "Entgeltgruppe (TVöD)", "text", "z. B. S 12"),
        Field("start_date", "Stellenbesetzung ab", "date"),
        Field("placed_with", "Stelle angesiedelt bei (optional)", "text", "z. B. gemeinnütziger Träger"),
    )


@register
class Vielfaltszentrum(_Posts):
    """WIR-Vielfaltszentren (2026–2030): up to two Koordinationskräfte (cap per full-time post and year), one
    Mitarbeitsstelle (part-cap per year), Mikroprojekte passed on to local non-profits (part-cap per year; the
    recipients are recorded — a Weiterleitung)."""

    code = "vielfaltszentren"
    posts_field = "coordination_posts"
    fields = (
        Field("coordination_posts", "WIR-Koordinationskräfte (Vollzeitäquivalente)", "decimal",
              "höchstens 2 Vollzeitstellen, z. B. 1,5"),
        Field("pay_group", "Entgeltgruppe der Koordinationskräfte (TVöD)", "text", "z. B. E 11"),
        Field("staff_post", "WIR-Mitarbeitsstelle: Personalausgaben je Jahr", "money", "höchstens 20.000 € je Jahr"),
        Field("micro_projects", "Mikroprojekte: Betrag je Jahr zur Weiterleitung", "money",
              "höchstens 5.000 € je Jahr, weitergeleitet an gemeinnützige Träger vor Ort"),
        Field("recipients", "Weiterleitung an (ein Träger je Zeile: Name; Betrag je Jahr)", "lines",
              "z. B. „Interkultureller Verein Musterstadt e. V.; 2.500“ – die Beträge ergeben zusammen den Betrag "
              "der Mikroprojekte"),
    )
    limits = (Limit("staff_post", "WIR-Mitarbeitsstelle je Jahr"), Limit("micro_projects", "Mikroprojekte je Jahr"))

    def year_cap(self, rule, details, organisation=None):
        total = self.post_cap(rule, details) or ZERO
        for key in ("staff_post", "micro_projects"):
            amount, cap = dec(details.get(key)), limit(rule, key)
            total += min(amount, cap) if cap is not None else amount
        return money(total)

    def problems(self, rule, details, organisation=None):
        problems = super().problems(rule, details, organisation)
        for key, what in (("staff_post", "Die WIR-Mitarbeitsstelle"), ("micro_projects", "Mikroprojekte")):
            cap = limit(rule, key)
            if cap is not None and dec(details.get(key)) > cap:
                verb = "wird" if key == "staff_post" else "werden"
                problems.append((key, f"{what} {verb} mit höchstens {format_eur(cap)} je Jahr gefördert."))
        rows, errors = parse_recipient_lines(details.get("recipients") or "")
        problems += [("recipients", e) for e in errors]
        micro = dec(details.get("micro_projects"))
        if micro > 0 and not rows and not errors:
            problems.append(("recipients", "Bitte nennen Sie die gemeinnützigen Träger, an die die Mittel für "
                                           "Mikroprojekte weitergeleitet werden, mit Betrag."))
        elif rows and not errors and sum((a for _, a in rows), ZERO) != money(micro):
            problems.append(("recipients", f"Die Beträge der Weiterleitung ergeben "
                                           f"{format_eur(sum((a for _, a in rows), ZERO))}, für Mikroprojekte sind "
                                           f"{format_eur(micro)} je Jahr angegeben."))
        return problems

    def explain(self, rule, details):
        parts = super().explain(rule, details)
        for key, text in (("staff_post", "Mitarbeitsstelle bis"), ("micro_projects", "Mikroprojekte bis")):
            cap = limit(rule, key)
            if cap is not None:
                parts.append(f"{text} {format_eur(cap)} je Jahr")
        return parts


@register
class Lotsen(LineType):
    code = "lotsen"
    fields = (
        Field("coordinating_lotsen", "Anzahl koordinierender Lotsinnen und Lotsen", "int"),
        Field("other_lotsen", "Anzahl weiterer Lotsinnen und Lotsen", "int"),
        Field("hours", "Geplante Einsatzstunden insgesamt", "int", "Stunden werden im Projekt gebündelt"),
        Field("qualification_courses", "Geplante Qualifizierungskurse", "int"),
    )

    def year_cap(self, rule, details, organisation=None):
        if rule.hourly_rate is None:
            return None
        coord, other = integer(details.get("coordinating_lotsen")), integer(details.get("other_lotsen"))
        hour_cap = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        hours = min(integer(details.get("hours")), hour_cap) if hour_cap else integer(details.get("hours"))
        total = rule.hourly_rate * hours
        if rule.flat_rate and coord + other >= 5 and organisation is not None and (
            organisation.kind not in OrganisationKind.the_33()
            and (organisation.inhabitants is None or organisation.inhabitants < 50000)
        ):
            total += rule.flat_rate  # Koordinierungspauschale
        return money(total + (rule.cap_per_course or ZERO) * integer(details.get("qualification_courses")))

    def problems(self, rule, details, organisation=None):
        problems = []
        coord, other = integer(details.get("coordinating_lotsen")), integer(details.get("other_lotsen"))
        hours = integer(details.get("hours"))
        cap = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        if coord + other <= 0:
            problems.append(("coordinating_lotsen", "Bitte geben Sie die Zahl der Lotsinnen und Lotsen an."))
        if cap and hours > cap:
            problems.append(("hours", f"Höchstens {cap} Stunden sind förderfähig ({coord} × "
                                      f"{rule.max_hours_coordinating} + {other} × {rule.max_hours_other} Stunden)."))
        return problems

    def explain(self, rule, details):
        if rule.hourly_rate is None:
            return []
        coord, other = integer(details.get("coordinating_lotsen")), integer(details.get("other_lotsen"))
        parts = [f"{format_eur(rule.hourly_rate)} je Stunde, höchstens {rule.max_hours_coordinating} Stunden je "
                 f"koordinierender und {rule.max_hours_other} Stunden je weiterer Lotsin bzw. weiterem Lotsen "
                 f"({coord} + {other} Personen)"]
        if rule.flat_rate:
            parts.append(f"zuzüglich Koordinierungspauschale {format_eur(rule.flat_rate)} ab 5 Lotsinnen und Lotsen "
                         "(freie Träger und Kommunen unter 50.000 Einwohnern)")
        return parts


class _Courses(LineType):
    def year_cap(self, rule, details, organisation=None):
        if rule.unit_rate is None:
            return None
        courses, units = integer(details.get("courses")), integer(details.get("units_per_course"))
        per_course = rule.unit_rate * units
        if rule.cap_per_course is not None:
            per_course = min(per_course, rule.cap_per_course)
        childcare = (rule.childcare_rate or ZERO) * integer(details.get("childcare_units"))
        return money(per_course * courses + childcare)

    def problems(self, rule, details, organisation=None):
        problems = []
        if integer(details.get("courses")) <= 0:
            problems.append(("courses", "Bitte geben Sie die Zahl der Kurse an."))
        units = integer(details.get("units_per_course"))
        if rule.max_units_per_course and units > rule.max_units_per_course:
            problems.append(("units_per_course", f"Höchstens {rule.max_units_per_course} Unterrichtseinheiten je Kurs."))
        return problems

    def explain(self, rule, details):
        if rule.unit_rate is None:
            return []
        text = f"{format_eur(rule.unit_rate)} je Unterrichtseinheit"
        if rule.cap_per_course is not None:
            text += f", höchstens {format_eur(rule.cap_per_course)} je Kurs"
        if rule.childcare_rate:
            text += f", Kinderbetreuung {format_eur(rule.childcare_rate)} je Einheit"
        return [text]


@register
class MitSprache(_Courses):
    code = "mitsprache"
    fields = (
        Field("courses", "Anzahl der Kurse", "int"),
        Field("units_per_course", "Unterrichtseinheiten je Kurs (à 45 Min.)", "int", "höchstens 300"),
        Field("childcare_units", "Kinderbetreuung: Einheiten insgesamt", "int"),
        Field("location", "Kursort", "text"),
        Field("cooperating_municipality", "Kooperierende Kommune", "text", "Kooperationsschreiben als Anlage"),
    )


@register
class Sprachkurse(_Courses):
    code = "sprachkurse"
    fields = (
        Field("courses", "Anzahl der Kurse", "int"),
        Field("units_per_course", "Unterrichtseinheiten je Kurs", "int"),
        Field("location", "Kursort", "text"),
    )


@register
class Migrantenorganisationen(LineType):
    """Mikroprojekt, Minijob-Kraft and (from 2026) Netzwerkaufbau, each with its part-cap per year; from 2026
    Kommunen may apply in cooperation with a Migrantenorganisation (named)."""

    code = "migrantenorganisationen"
    fields = (
        Field("micro_project", "Mikroprojekt (Betrag je Jahr)", "money", "höchstens 3.000 € je Jahr"),
        Field("minijob", "Minijob-Kraft (Betrag je Jahr)", "money", "höchstens 7.200 € je Jahr"),
        Field("network", "Netzwerkaufbau mit kommunalen Akteuren (Betrag je Jahr)", "money",
              "nur wenn der Förderbereich es in diesem Jahr vorsieht"),
        Field("cooperating_organisation", "Kooperierende Migrantenorganisation", "text",
              "nur bei Anträgen von Kommunen: Name und Sitz des Vereins"),
    )
    limits = (Limit("micro_project", "Mikroprojekt je Jahr"), Limit("minijob", "Minijob-Kraft je Jahr"),
              Limit("network", "Netzwerkaufbau je Jahr"))
    labels = {"micro_project": "Das Mikroprojekt wird", "minijob": "Die Minijob-Kraft wird",
              "network": "Der Netzwerkaufbau wird"}

    def year_cap(self, rule, details, organisation=None):
        total = ZERO
        for item in self.limits:
            amount, cap = dec(details.get(item.key)), limit(rule, item.key)
            if item.key == "network" and cap is None:
                continue  # not offered in this year
            total += min(amount, cap) if cap is not None else amount
        return money(total)

    def problems(self, rule, details, organisation=None):
        problems = []
        for item in self.limits:
            amount, cap = dec(details.get(item.key)), limit(rule, item.key)
            if item.key == "network" and cap is None:
                if amount > 0:
                    problems.append(("network", f"Netzwerkaufbau wird {rule.programme_year.year} in diesem "
                                                "Förderbereich nicht gefördert."))
            elif cap is not None and amount > cap:
                problems.append((item.key, f"{self.labels[item.key]} mit höchstens {format_eur(cap)} je Jahr "
                                           "gefördert."))
        if (organisation is not None and organisation.kind in OrganisationKind.municipal()
                and not str(details.get("cooperating_organisation") or "").strip()):
            problems.append(("cooperating_organisation", "Kommunen können nur in Kooperation mit einer "
                                                         "Migrantenorganisation beantragen: Bitte nennen Sie sie."))
        return problems

    def explain(self, rule, details):
        parts = [f"{item.label} bis {format_eur(limit(rule, item.key))}" for item in self.limits
                 if limit(rule, item.key) is not None]
        return ["; ".join(parts)] if parts else []


@register
class Projekte(LineType):
    code = "projekte"
    fields = (Field("project_kind", "Projektart", "text", "z. B. Interkulturelle Öffnung, Modellprojekt"),)


@register
class Integrationsprojekte(LineType):
    code = "integrationsprojekte"
    fields = (
        Field("project_kind", "Schwerpunkt", "text",
              "z. B. Willkommens- und Anerkennungskultur, vielfaltsorientierte Öffnung, niedrigschwelliges Angebot"),
        Field("partners", "Kooperationspartner", "text", "optional"),
    )


@register
class Laiendolmetscher(LineType):
    code = "laiendolmetscher"
    fields = (
        Field("languages", "Sprachen im Pool", "text", "mindestens 5 Sprachen, durch Komma getrennt"),
        Field("interpreters", "Anzahl Dolmetscherinnen und Dolmetscher", "int", "mindestens 5"),
        Field("clients", "Erwartete Zahl der Klientinnen und Klienten", "int"),
        Field("assignments", "Erwartete Einsätze insgesamt", "int", "höchstens 5 je Klient/in"),
    )

    def year_cap(self, rule, details, organisation=None):
        if rule.flat_rate is None:
            return None
        assignments = min(integer(details.get("assignments")), 5 * integer(details.get("clients")))
        return money(rule.flat_rate * assignments)

    def problems(self, rule, details, organisation=None):
        problems = []
        if integer(details.get("interpreters")) < 5:
            problems.append(("interpreters", "Der Pool muss mindestens 5 Dolmetscherinnen und Dolmetscher umfassen."))
        languages = [x for x in str(details.get("languages") or "").split(",") if x.strip()]
        if len(languages) < 5:
            problems.append(("languages", "Der Pool muss mindestens 5 Sprachen abdecken."))
        if integer(details.get("assignments")) > 5 * integer(details.get("clients")):
            problems.append(("assignments", "Höchstens 5 Einsätze je Klientin oder Klient sind förderfähig."))
        return problems

    def explain(self, rule, details):
        if rule.flat_rate is None:
            return []
        return [f"{format_eur(rule.flat_rate)} je Einsatz, höchstens 5 Einsätze je Klientin oder Klient"]


@register
class KIV(LineType):
    """Kommunale Vielfalts- und Integrationsstrategien: Kommunen between min and max inhabitants; smaller ones
    together with one or two partner municipalities (a Verbund) whose inhabitants reach the minimum."""

    code = "kiv"
    fields = (
        Field("process_support", "Externe Prozessbegleitung (Name)", "text", "optional"),
        Field("verbund", "Partnerkommunen im Verbund (eine je Zeile: Name; Einwohnerzahl)", "lines",
              "nur für Kommunen unter der Mindesteinwohnerzahl: eine oder zwei Partnerkommunen"),
    )
    limits = (Limit("min_inhabitants", "Mindesteinwohnerzahl (sonst im Verbund)", "count"),
              Limit("max_inhabitants", "Höchsteinwohnerzahl", "count"))

    @staticmethod
    def partners(details: dict) -> tuple[list[tuple[str, int]], list[str]]:
        rows, errors = [], []
        for number, raw in enumerate(str(details.get("verbund") or "").splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            name, sep, count = line.rpartition(";")
            digits = count.strip().replace(".", "").replace(" ", "")
            if not sep or not name.strip() or not digits.isascii() or not digits.isdigit() or len(digits) > 8:
                errors.append(f"Zeile {number}: Bitte „Name der Kommune; Einwohnerzahl“ angeben.")
                continue
            rows.append((name.strip(), int(digits)))
        return rows, errors

    def problems(self, rule, details, organisation=None):
        problems: list[tuple[str | None, str]] = []
        low, high = limit(rule, "min_inhabitants"), limit(rule, "max_inhabitants")
        partners, errors = self.partners(details)
        problems += [("verbund", e) for e in errors]
        if len(partners) > 2:
            problems.append(("verbund", "Ein Verbund umfasst höchstens zwei Partnerkommunen."))
        if organisation is None:
            return problems
        inhabitants = organisation.inhabitants
        if inhabitants is None:
            problems.append((None, "Bitte lassen Sie die Einwohnerzahl Ihrer Kommune im Organisationsprofil "
                                   "eintragen; sie entscheidet über die Antragsberechtigung."))
            return problems
        if high is not None and inhabitants > high:
            problems.append((None, f"Gefördert werden Kommunen bis {_num(high)} Einwohnerinnen und Einwohner; "
                                   f"Ihre Kommune hat {_num(inhabitants)}."))
        if low is not None and inhabitants < low:
            total = inhabitants + sum(n for _, n in partners)
            if not partners:
                problems.append(("verbund", f"Kommunen unter {_num(low)} Einwohnerinnen und Einwohnern beantragen "
                                            "im Verbund: Bitte nennen Sie eine oder zwei Partnerkommunen."))
            elif total < low:
                problems.append(("verbund", f"Der Verbund erreicht zusammen {_num(total)} Einwohnerinnen und Einwohner "
                                            f"(mindestens {_num(low)})."))
        return problems
