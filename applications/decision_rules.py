"""The rules a notice must follow to hold in court, as pure functions (no writes, no services import):

- which Nebenbestimmungen apply (ANBest-GK only for Gemeinden and Gemeindeverbände, else ANBest-P);
- the financing of a partial approval computed from the approved cost lines, per year, for every financing type;
- the unit rates and quantities a Festbetrag is computed from;
- the proof-of-use deadline as the Nebenbestimmungen word it (end of the sixth month after the period);
- delivery and finality: when a notice sent electronically counts as received, when the one-month deadline for
  the action (Klage) ends and when the notice becomes final (bestandskräftig);
- what must be on file before an approval can be issued (bank account, legal form).

The payments issue builds on notice_final_on / approval_final_on.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from funding.models import FinancingType, OrganisationKind
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")


# --- Nebenbestimmungen ----------------------------------------------------------------------------------------

GK_KINDS = (OrganisationKind.LANDKREIS, OrganisationKind.KREISFREIE_STADT, OrganisationKind.SONDERSTATUSSTADT,
            OrganisationKind.GEMEINDE)


def anbest_key(*, kind: str, legal_form: str) -> str | None:
    """'anbest_gk' for Gebietskörperschaften and their associations (Landkreis, Stadt, Gemeinde, Zweckverband and
    their Eigenbetriebe), 'anbest_p' for everyone else (a municipal gGmbH too). None: a kommunaler Träger whose
    legal form is not on file — it cannot be told, so no notice is issued until staff set it."""
    from .models import LegalForm

    if kind in GK_KINDS:
        return "anbest_gk"
    if kind == OrganisationKind.KOMMUNALER_TRAEGER:
        if not legal_form:
            return None
        return "anbest_gk" if legal_form in LegalForm.gk() else "anbest_p"
    return "anbest_p"


def anbest_for(organisation) -> str | None:
    return anbest_key(kind=organisation.kind, legal_form=organisation.legal_form)


# --- What must be on file before an approval -----------------------------------------------------------------

def approval_blockers(*, organisation) -> list[str]:
    """German messages for what stops an approval notice from being issued (empty list: nothing)."""
    from .models import validate_iban

    problems = []
    iban = (organisation.iban or "").replace(" ", "").upper()
    if not iban:
        problems.append(f"Für „{organisation.name}“ ist keine Bankverbindung hinterlegt. Ohne IBAN und "
                        "Kontoinhaber kann kein Zuwendungsbescheid ergehen (die Auszahlung geht auf dieses Konto).")
    else:
        try:
            validate_iban(iban)
        except Exception:  # noqa: BLE001 - ValidationError; message below
            problems.append(f"Die IBAN von „{organisation.name}“ ist ungültig (Prüfziffer). Bitte berichtigen Sie "
                            "die Bankverbindung der Organisation.")
    if not (organisation.account_holder or "").strip():
        problems.append(f"Für „{organisation.name}“ ist kein Kontoinhaber hinterlegt.")
    if anbest_for(organisation) is None:
        problems.append(f"Für den kommunalen Träger „{organisation.name}“ ist keine Rechtsform hinterlegt. Sie "
                        "entscheidet, ob ANBest-GK (Gebietskörperschaft, Zweckverband) oder ANBest-P (z. B. "
                        "gGmbH) gelten. Bitte ergänzen Sie sie bei der Organisation.")
    return problems


def iban_display(iban: str) -> str:
    iban = (iban or "").replace(" ", "").upper()
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


# --- Financing of the approved plan ----------------------------------------------------------------------------

@dataclass(frozen=True)
class YearFinancing:
    year: int
    eligible: Decimal          # Σ approved cost lines of the year
    own_funds: Decimal
    third_party_funds: Decimal
    other_public_funds: Decimal
    requested: Decimal         # the grant applied for in that year
    grant: Decimal             # the grant that follows from the approved plan

    @property
    def other_income(self) -> Decimal:
        return self.own_funds + self.third_party_funds + self.other_public_funds


def grant_for_year(*, financing_type: str, funding_rate: Decimal | None, eligible: Decimal, own: Decimal,
                   third: Decimal, other_public: Decimal, requested: Decimal, cap: Decimal | None = None) -> Decimal:
    """The grant one budget year's approved plan carries, never more than was applied for (or the line's cap).

    - Fehlbedarf: the gap between eligible expenses and all other income (own, third-party, other public).
    - Anteil: the funding rate of the eligible expenses (rounded half up to cents).
    - Festbetrag: the fixed sum applied for, at most the eligible expenses it is spent on.
    - Voll: the eligible expenses not covered by third-party or other public money (no own share is expected).
    """
    eligible, requested = money(eligible), money(requested)
    if financing_type == FinancingType.FEHLBEDARF:
        grant = eligible - money(own) - money(third) - money(other_public)
    elif financing_type == FinancingType.ANTEIL:
        if funding_rate is None:
            raise ValueError("Anteilfinanzierung ohne Fördersatz")
        grant = money(eligible * Decimal(funding_rate) / 100)
    elif financing_type == FinancingType.FESTBETRAG:
        grant = eligible
    elif financing_type == FinancingType.VOLL:
        grant = eligible - money(third) - money(other_public)
    else:
        raise ValueError(f"Unknown financing type {financing_type!r}")
    grant = max(ZERO, min(grant, requested))
    if cap is not None:
        grant = min(grant, money(cap))
    return money(grant)


def financing_compute(*, financing_type: str, funding_rate: Decimal | None, plan_years, eligible_by_year: dict,
                      cap_per_year: Decimal | None = None, requested_by_year: dict | None = None
                      ) -> list[YearFinancing]:
    """Per plan year: the eligible expenses given, the plan's other income, and the resulting grant."""
    rows = []
    for p in plan_years:
        eligible = money(eligible_by_year.get(p.year, ZERO))
        requested = money((requested_by_year or {}).get(p.year, p.requested_grant))
        grant = grant_for_year(financing_type=financing_type, funding_rate=funding_rate, eligible=eligible,
                               own=p.own_funds, third=p.third_party_funds, other_public=p.other_public_funds,
                               requested=requested, cap=cap_per_year)
        rows.append(YearFinancing(year=p.year, eligible=eligible, own_funds=money(p.own_funds),
                                  third_party_funds=money(p.third_party_funds),
                                  other_public_funds=money(p.other_public_funds), requested=requested, grant=grant))
    return rows


# --- Festbetrag: unit rates and quantities ---------------------------------------------------------------------

def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _dec(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except Exception:  # noqa: BLE001 - junk in JSON counts as zero
        return ZERO


def unit_basis(*, rule, details: dict, organisation=None) -> list[dict]:
    """The unit rates and quantities a Festbetrag is computed from, one row each:
    {"label", "quantity", "unit", "rate", "amount"} (amounts as strings for the notice's JSON snapshot)."""
    code, rows = rule.line.code, []

    def row(label, quantity, unit, rate, amount=None):
        amount = money(Decimal(quantity) * rate) if amount is None else money(amount)
        rows.append({"label": label, "quantity": str(quantity), "unit": unit, "rate": str(money(rate)),
                     "amount": str(amount)})

    if code == "lotsen" and rule.hourly_rate is not None:
        coord, other = _int(details.get("coordinating_lotsen")), _int(details.get("other_lotsen"))
        limit = coord * (rule.max_hours_coordinating or 0) + other * (rule.max_hours_other or 0)
        hours = min(_int(details.get("hours")), limit) if limit else _int(details.get("hours"))
        row("Aufwandsentschädigung der Integrationslotsinnen und -lotsen", hours, "Stunden", rule.hourly_rate)
        courses = _int(details.get("qualification_courses"))
        if courses and rule.cap_per_course:
            row("Qualifizierungskurse", courses, "Kurse", rule.cap_per_course)
        if rule.flat_rate and coord + other >= 5 and organisation is not None and (
            organisation.kind not in OrganisationKind.the_33()
            and (organisation.inhabitants is None or organisation.inhabitants < 50000)
        ):
            row("Koordinierungspauschale", 1, "Pauschale", rule.flat_rate)
    elif code in ("mitsprache", "sprachkurse") and rule.unit_rate is not None:
        courses, units = _int(details.get("courses")), _int(details.get("units_per_course"))
        if rule.max_units_per_course:
            units = min(units, rule.max_units_per_course)
        per_course = rule.unit_rate * units
        capped = rule.cap_per_course is not None and per_course > rule.cap_per_course
        row(f"Unterricht: {courses} Kurse × {units} Unterrichtseinheiten"
            + (f" (höchstens {format_eur(rule.cap_per_course)} je Kurs)" if capped else ""),
            courses * units, "Unterrichtseinheiten", rule.unit_rate,
            amount=(min(per_course, rule.cap_per_course) if rule.cap_per_course is not None else per_course) * courses)
        childcare = _int(details.get("childcare_units"))
        if childcare and rule.childcare_rate:
            row("Kinderbetreuung", childcare, "Einheiten", rule.childcare_rate)
    elif code == "laiendolmetscher" and rule.flat_rate is not None:
        assignments = min(_int(details.get("assignments")), 5 * _int(details.get("clients")))
        row("Einsätze der Laiendolmetscherinnen und -dolmetscher (höchstens 5 je Klientin/Klient)", assignments,
            "Einsätze", rule.flat_rate)
    elif code == "migrantenorganisationen":
        if _dec(details.get("micro_project")):
            row("Mikroprojekt", 1, "Jahr", _dec(details.get("micro_project")))
        if _dec(details.get("minijob")):
            row("Minijob-Kraft", 1, "Jahr", _dec(details.get("minijob")))
    return rows


# --- Proof of use --------------------------------------------------------------------------------------------------

def proof_of_use_deadline(period_end: datetime.date) -> datetime.date:
    """Nr. 6.1 ANBest-P / ANBest-GK: the proof of use is due at the latest „mit Ablauf des sechsten auf den
    Bewilligungszeitraum folgenden Monats“ — the last day of that month, not the same day six months later
    (period ending 15.03.2027 -> 30.09.2027; 31.08.2027 -> 29.02.2028)."""
    month_index = period_end.month - 1 + 6
    year, month = period_end.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


# --- Delivery and finality ---------------------------------------------------------------------------------------

def receipt_days() -> int:
    """§ 41 Abs. 2 Satz 2 HVwVfG: a notice transmitted electronically counts as received on the third day after it
    was sent (the federal VwVfG moved postal delivery to the fourth day from 2025; Hessen's wording is the Land's
    law — a setting, so an amendment of the HVwVfG needs no release)."""
    return int(getattr(settings, "WIR_NOTICE_RECEIPT_DAYS", 3))


def _easter(year: int) -> datetime.date:
    """Gregorian Easter Sunday (anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return datetime.date(year, month, day)


def hessen_holidays(year: int) -> set[datetime.date]:
    """Public holidays in Hessen (Hessisches Feiertagsgesetz § 1): the administrative courts sit there."""
    easter = _easter(year)
    delta = datetime.timedelta
    return {
        datetime.date(year, 1, 1), easter - delta(days=2), easter + delta(days=1), datetime.date(year, 5, 1),
        easter + delta(days=39), easter + delta(days=50), easter + delta(days=60), datetime.date(year, 10, 3),
        datetime.date(year, 12, 25), datetime.date(year, 12, 26),
    }


def next_working_day(day: datetime.date) -> datetime.date:
    """§ 222 Abs. 2 ZPO (via § 57 Abs. 2 VwGO): a deadline ending on a Saturday, Sunday or public holiday ends on
    the next working day."""
    while day.weekday() >= 5 or day in hessen_holidays(day.year):
        day += datetime.timedelta(days=1)
    return day


def received_on(sent: datetime.date) -> datetime.date:
    """The day an electronically sent notice counts as received (Bekanntgabe). The fiction is not a deadline: it
    is not moved off a weekend (HessVGH, OS IV 97/65)."""
    return sent + datetime.timedelta(days=receipt_days())


def action_deadline(received: datetime.date) -> datetime.date:
    """Last day for the Klage: one month after notification (§ 74 Abs. 1 Satz 2 VwGO), ending on the day of the
    next month with the same number, or that month's last day (§ 57 Abs. 2 VwGO, § 222 Abs. 1 ZPO, § 188 Abs. 2
    and 3 BGB), moved to the next working day (§ 222 Abs. 2 ZPO)."""
    month_index = received.month
    year, month = received.year + month_index // 12, month_index % 12 + 1
    end = datetime.date(year, month, min(received.day, calendar.monthrange(year, month)[1]))
    return next_working_day(end)


def final_on(*, sent_at, waived_at=None) -> datetime.date | None:
    """The first day the notice is final (bestandskräftig): the day after the action deadline, or the day the
    recipient waived the remedy. None while the notice has not been sent."""
    if waived_at is not None:
        return timezone.localdate(waived_at)
    if sent_at is None:
        return None
    return action_deadline(received_on(timezone.localdate(sent_at))) + datetime.timedelta(days=1)


def notice_sent_at(notice):
    return notice.first_sent_at or notice.sent_at


# Notices that are letters, not decisions: no remedy, never final (a receipt, a hearing, the end of a revocation
# proceeding without revocation).
LETTER_KINDS = frozenset({"receipt", "hearing", "revocation_end", "proof_receipt", "proof_check"})


def notice_received_on(notice) -> datetime.date | None:
    sent = notice_sent_at(notice)
    return received_on(timezone.localdate(sent)) if sent else None


def notice_action_deadline(notice) -> datetime.date | None:
    received = notice_received_on(notice)
    return action_deadline(received) if received else None


def notice_final_on(notice) -> datetime.date | None:
    """When this notice becomes (or became) final — for the payments issue: money is paid on a final approval."""
    return final_on(sent_at=notice_sent_at(notice), waived_at=notice.remedy_waived_at)


def approval_final_on(application) -> datetime.date | None:
    """When the application's approval (Zuwendungsbescheid) becomes final; None if none has been sent."""
    from .models import NoticeKind

    notice = application.notices.filter(kind=NoticeKind.APPROVAL).order_by("-created_at", "-id").first()
    return notice_final_on(notice) if notice else None


# --- Declarations at submission --------------------------------------------------------------------------------

VAT_CHOICES = [
    ("nein", "Wir sind nicht zum Vorsteuerabzug berechtigt (Ausgaben brutto)"),
    ("ja", "Wir sind zum Vorsteuerabzug berechtigt (Ausgaben netto, ohne Umsatzsteuer)"),
    ("teilweise", "Wir sind teilweise zum Vorsteuerabzug berechtigt"),
]
OTHER_FUNDING_CHOICES = [
    ("keine", "Für dasselbe Vorhaben wurden keine weiteren Fördermittel beantragt oder bewilligt"),
    ("beantragt", "Weitere Fördermittel sind beantragt"),
    ("erhalten", "Weitere Fördermittel sind bewilligt oder erhalten"),
]
# (key, statement the applicant confirms) — the wording is what the record shows later
CONFIRMATIONS = [
    ("not_started", "Mit dem Vorhaben wurde noch nicht begonnen; als Beginn gilt bereits der Abschluss eines der "
                    "Ausführung zuzurechnenden Lieferungs- oder Leistungsvertrags (Ausnahme: schriftliche Zustimmung "
                    "zum vorzeitigen Maßnahmebeginn)."),
    ("correct_complete", "Die Angaben in diesem Antrag und seinen Anlagen sind richtig und vollständig. Änderungen "
                         "teilen wir unverzüglich mit."),
    ("electronic_delivery", "Wir sind damit einverstanden, dass Bescheide elektronisch (per E-Mail und im WIR-Portal) "
                            "bekannt gegeben werden."),
]


def declaration_problems(declarations: dict) -> dict[str, str]:
    """Missing or invalid declarations by field name (German messages)."""
    problems = {}
    for key, _statement in CONFIRMATIONS:
        if declarations.get(key) is not True:
            problems[key] = {
                "not_started": "Bitte bestätigen Sie, dass mit dem Vorhaben noch nicht begonnen wurde.",
                "correct_complete": "Bitte bestätigen Sie die Richtigkeit und Vollständigkeit Ihrer Angaben.",
                "electronic_delivery": "Bitte stimmen Sie der elektronischen Bekanntgabe der Bescheide zu.",
            }[key]
    if declarations.get("vat") not in dict(VAT_CHOICES):
        problems["vat"] = "Bitte geben Sie an, ob Sie zum Vorsteuerabzug berechtigt sind."
    if declarations.get("other_funding") not in dict(OTHER_FUNDING_CHOICES):
        problems["other_funding"] = "Bitte geben Sie an, ob weitere Fördermittel beantragt oder erhalten wurden."
    elif declarations.get("other_funding") != "keine" and not str(declarations.get("other_funding_details") or "").strip():
        problems["other_funding_details"] = "Bitte nennen Sie Geldgeber, Betrag und Stand der weiteren Förderung."
    return problems


def declarations_record(declarations: dict, *, user, name: str) -> dict:
    """What is stored with the application: the choices, the statements as worded, who declared and when."""
    return {
        **{key: True for key, _ in CONFIRMATIONS},
        "vat": declarations["vat"],
        "other_funding": declarations["other_funding"],
        "other_funding_details": str(declarations.get("other_funding_details") or "").strip()[:2000],
        "statements": [statement for _, statement in CONFIRMATIONS],
        "declared_at": timezone.now().isoformat(),
        "declared_by": name,
        "declared_by_id": getattr(user, "pk", None),
    }


# --- Proof of use: due dates (issue 14) ---------------------------------------------------------------------------

def month_end_after(day: datetime.date, months: int) -> datetime.date:
    """The last day of the `months`-th month after the month of `day` — how the Nebenbestimmungen word a proof
    deadline („mit Ablauf des sechsten auf den Bewilligungszeitraum folgenden Monats“, „binnen vier Monaten nach
    Ablauf des Haushaltsjahres“): 31.12.2027 + 4 -> 30.04.2028; 31.08.2027 + 6 -> 29.02.2028 (leap year)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class ProofTermsValues:
    interim_months: int = 4
    final_months: int = 6
    overspend_percent: Decimal = Decimal("20")
    spend_months: int = 2


def proof_terms_for(*, line_id: int | None, year: int | None) -> ProofTermsValues:
    """The proof-of-use terms of a line and year (ProofTerms, most specific row first; built-in default: four
    months after each budget year, six after the period, 20 % per cost line, two months to spend)."""
    from .models import ProofTerms

    rows = {(r.line_id, r.year): r for r in ProofTerms.objects.filter(
        Q(line_id=line_id) | Q(line__isnull=True), Q(year=year) | Q(year__isnull=True))}
    for key in ((line_id, year), (line_id, None), (None, year), (None, None)):
        row = rows.get(key)
        if row is not None:
            return ProofTermsValues(interim_months=row.interim_months, final_months=row.final_months,
                                    overspend_percent=row.overspend_percent, spend_months=row.spend_months)
    return ProofTermsValues()


@dataclass(frozen=True)
class ProofDue:
    kind: str          # "interim" or "final"
    year_from: int
    year_to: int
    due_on: datetime.date


def proof_due_dates(*, period_start: datetime.date, period_end: datetime.date,
                    terms: ProofTermsValues) -> list[ProofDue]:
    """The proofs a grant owes: an interim proof for every budget year that ends before the period does (Nr. 6.1
    ANBest-P: within `interim_months` after that year, to the end of the month), and the final proof over the
    whole period, `final_months` after its end (to the end of the month). A one-year grant owes the final proof
    only."""
    dues = [ProofDue("interim", year, year, month_end_after(datetime.date(year, 12, 31), terms.interim_months))
            for year in range(period_start.year, period_end.year)]
    dues.append(ProofDue("final", period_start.year, period_end.year,
                         month_end_after(period_end, terms.final_months)))
    return dues
# --- Weiterleitung (Mikroprojekte of the WIR-Vielfaltszentren, issue 12) ----------------------------------------

def forwarding_year_amount(application) -> Decimal:
    """What an application may pass on to local non-profits per year: the Mikroprojekte amount it applied for,
    within the line's part-cap per year (LineRule.limits["micro_projects"]). 0 for lines without Mikroprojekte."""
    limits = application.rule.limits or {}
    if "micro_projects" not in limits:
        return Decimal("0.00")
    try:
        amount = Decimal(str((application.details or {}).get("micro_projects") or "0"))
    except ArithmeticError:
        return Decimal("0.00")
    return money(max(Decimal("0"), min(amount, Decimal(str(limits["micro_projects"])))))
