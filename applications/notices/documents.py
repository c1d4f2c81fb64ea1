"""The documents of notices (Bescheide): the context snapshot each kind is rendered from, subjects, courts.

outbox.notice_create stores this context (Notice.context) and the legal text versions (Notice.legal_versions)
with the decision, so a later re-render produces the same document.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.utils import timezone

from applications import decision_rules
from applications.models import Application, CostCategory, NoticeKind
from applications.notices.legal import KIND_TEXTS, current_texts
from wir_portal.money import money

SUBJECTS = {
    NoticeKind.APPROVAL: "Zuwendungsbescheid",
    NoticeKind.REJECTION: "Ablehnungsbescheid",
    NoticeKind.AMENDMENT: "Änderungsbescheid",
    NoticeKind.RECEIPT: "Eingangsbestätigung",
    NoticeKind.EARLY_START: "Zustimmung zum vorzeitigen Maßnahmebeginn",
    NoticeKind.PROOF_RECEIPT: "Eingangsbestätigung Verwendungsnachweis",
    NoticeKind.PROOF_CHECK: "Prüfvermerk zum Verwendungsnachweis",
    # revocation (applications/revocation/)
    NoticeKind.HEARING: "Anhörung vor einem Widerruf",
    NoticeKind.REVOCATION: "Widerrufs- und Erstattungsbescheid",
    NoticeKind.WITHDRAWAL: "Rücknahme- und Erstattungsbescheid",
    NoticeKind.REVOCATION_END: "Einstellung des Widerrufsverfahrens",
    NoticeKind.EARLY_START_REFUSAL: "Ablehnung des vorzeitigen Maßnahmebeginns",
}


class NoticeError(Exception):
    """A notice cannot be produced as asked (German message for staff). Not retried: data must be fixed first."""


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _dec(value) -> str | None:
    return str(money(value)) if value is not None else None


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def court_for(organisation) -> dict[str, str]:
    """The administrative court at the applicant's seat (§ 52 Nr. 3 VwGO); Sonderstatusstädte via their Landkreis.

    Refuses (NoticeError) if the seat or its court is unknown: a wrong Rechtsbehelfsbelehrung extends the deadline
    to one year (§ 58 Abs. 2 VwGO), so there is deliberately no fallback court.
    """
    district = organisation.entity or organisation.district
    if district is None:
        raise NoticeError(
            f"Für die Organisation „{organisation.name}“ ist kein Sitz (Landkreis oder Stadt) hinterlegt. Ohne ihn "
            "lässt sich das zuständige Verwaltungsgericht für die Rechtsbehelfsbelehrung nicht bestimmen. Bitte "
            "ergänzen Sie den Sitz der Organisation und versuchen Sie es erneut."
        )
    court = district.court or (district.landkreis.court if district.landkreis_id else None)
    if court is None:
        raise NoticeError(
            f"Für „{district.name}“ ist kein zuständiges Verwaltungsgericht hinterlegt (§ 1 Abs. 2 HessAGVwGO). "
            "Bitte ergänzen Sie es unter Gebietskörperschaften und versuchen Sie es erneut."
        )
    return {"name": court.name, "address": court.address.replace("\n", ", ")}


def notice_context_build(*, application: Application, kind: str, amount: Decimal | None = None,
                         previous_amount: Decimal | None = None, reasons: str = "",
                         when: datetime.datetime | None = None, signer: str = "") -> dict:
    """The decision data as JSON: everything the template shows, frozen at the time of the decision."""
    org, rule = application.organisation, application.rule
    when = when or timezone.now()
    plan_years = list(application.plan_years.all())
    cost_items = list(application.cost_items.all())
    categories = dict(CostCategory.choices)
    submitter = application.submitted_by
    context = {
        "kind": kind,
        "date": _iso(timezone.localdate(when)),
        "file_number": application.file_number or "",
        "title": application.title,
        "purpose": application.purpose,
        "target_group": application.target_group,
        "line": rule.line.name,
        "year": rule.programme_year.year,
        "period_start": _iso(application.period_start),
        "period_end": _iso(application.period_end),
        "submitted_at": _iso(timezone.localdate(application.submitted_at) if application.submitted_at else None),
        "received_at": _iso(timezone.localdate(application.submitted_at or when)),
        "requested_amount": _dec(application.requested_amount),
        "total_costs": _dec(application.total_costs),
        "amount": _dec(amount),
        "previous_amount": _dec(previous_amount),
        "reasons": reasons.strip(),
        "financing_type": rule.financing_type,
        "financing_type_label": rule.get_financing_type_display(),
        "funding_rate": _dec(rule.funding_rate) if rule.funding_rate is not None else None,
        "line_conditions": rule.conditions,
        "recipient": {
            "name": org.name,
            "contact_name": application.contact_name,
            "address_lines": org.address_lines,
            "is_municipal": org.is_municipal,
            "kind_label": org.get_kind_display(),
        },
        "cost_items": [
            {"year": c.year, "category": categories.get(c.category, c.category), "description": c.description,
             "amount": _dec(c.amount),
             # what the decision fixed as eligible (None: not decided -> the amount applied for)
             "approved_amount": _dec(c.approved_amount) if c.approved_amount is not None else None,
             "exclusion_reason": c.exclusion_reason}
            for c in cost_items
        ],
        "plan_years": [
            {"year": p.year, "own_funds": _dec(p.own_funds), "third_party_funds": _dec(p.third_party_funds),
             "other_public_funds": _dec(p.other_public_funds), "requested_grant": _dec(p.requested_grant),
             "approved_grant": _dec(p.approved_grant)}
            for p in plan_years
        ],
        "recipients": sorted({e for e in [org.email, submitter.email if submitter else ""] if e}),
        "submitter_name": (submitter.get_full_name() or submitter.get_username()) if submitter else "",
        "signer": signer if kind != NoticeKind.RECEIPT else "",
    }
    if application.period_end:
        # The proof-of-use terms of the line and year (ProofTerms; default: 6 months after the period, 4 after each
        # completed budget year of a multi-year grant) — applications/proof creates its due rows from the same.
        terms = decision_rules.proof_terms_for(line_id=rule.line_id, year=rule.programme_year.year)
        dues = decision_rules.proof_due_dates(period_start=application.period_start or application.period_end,
                                              period_end=application.period_end, terms=terms)
        context["proof_deadline"] = _iso(dues[-1].due_on)
        context["proof_final_months"] = terms.final_months
        context["proof_interim_months"] = terms.interim_months
        context["proof_interim"] = [{"year": d.year_from, "due_on": _iso(d.due_on)} for d in dues[:-1]]
    context["anbest_key"] = decision_rules.anbest_for(org) or ""
    context["recipient"]["legal_form_label"] = org.get_legal_form_display() if org.legal_form else ""
    context["bank"] = {"iban": decision_rules.iban_display(org.iban), "holder": org.account_holder}
    eligible_by_year: dict[int, Decimal] = {}
    for c in cost_items:
        value = c.approved_amount if c.approved_amount is not None else c.amount
        eligible_by_year[c.year] = eligible_by_year.get(c.year, Decimal("0")) + value
    context["financing"] = [
        {"year": p.year, "eligible": _dec(eligible_by_year.get(p.year, Decimal("0"))),
         "other_income": _dec(p.own_funds + p.third_party_funds + p.other_public_funds),
         "requested": _dec(p.requested_grant),
         "grant": _dec(p.approved_grant if p.approved_grant is not None else p.requested_grant)}
        for p in plan_years
    ]
    if rule.financing_type == "festbetrag":
        context["unit_basis"] = decision_rules.unit_basis(rule=rule, details=application.details or {},
                                                          organisation=org)
    if kind in (NoticeKind.EARLY_START, NoticeKind.EARLY_START_REFUSAL):
        context["early_start_from"] = _iso(application.early_start_from)
        context["early_start_reason"] = application.early_start_reason
    if kind != NoticeKind.RECEIPT:
        try:  # frozen with the decision; if unknown now, the renderer resolves it again or refuses
            context["court"] = court_for(org)
        except NoticeError:
            context["court"] = None
    if kind in (NoticeKind.APPROVAL, NoticeKind.AMENDMENT):
        context.update(_commitment_authority(application))
    if kind == NoticeKind.APPROVAL:
        context["payment_plan"] = _payment_plan(application)
        forwarding = _forwarding(application)
        if forwarding:
            context["forwarding"] = forwarding
    if kind == NoticeKind.AMENDMENT:
        original = application.notices.filter(kind=NoticeKind.APPROVAL).order_by("-created_at", "-id").first()
        context["original_date"] = original.context.get("date") if original else None
        context["original_number"] = original.number if original else ""
    return context


def _commitment_authority(application: Application) -> dict:
    """The years of this application booked against commitment authority (VE, § 38 LHO) — net of releases and of
    conversions into allocation commitments at enactment — and the budget year whose plan grants that VE: the last
    enacted year before the first of them (empty when every year is on an enacted budget)."""
    from django.db.models import Sum

    from funding.models import LedgerEntry, LedgerKind, LedgerSource, ProgrammeYear

    rows = (LedgerEntry.objects.filter(application=application, source=LedgerSource.AUTHORITY,
                                       kind__in=[LedgerKind.COMMITMENT, LedgerKind.RELEASE])
            .values("rule__programme_year__year", "kind").annotate(total=Sum("amount")))
    net: dict[int, Decimal] = {}
    for row in rows:
        sign = 1 if row["kind"] == LedgerKind.COMMITMENT else -1
        year = row["rule__programme_year__year"]
        net[year] = net.get(year, Decimal("0")) + sign * row["total"]
    years = sorted(y for y, amount in net.items() if amount > 0)
    if not years:
        return {}
    budget_year = (ProgrammeYear.objects.filter(budget_enacted=True, year__lt=years[0])
                   .order_by("-year").values_list("year", flat=True).first())
    return {"authority_years": years, "authority_budget_year": budget_year}


def _forwarding(application: Application) -> dict | None:
    """Mikroprojekte passed on to local non-profits (Weiterleitung, Nr. 12 VV zu § 44 LHO): the cap per Mikroprojekt
    and year (the line's part-cap) and the amount per year applied for; None if the application passes nothing on."""
    cap = (application.rule.limits or {}).get("micro_projects")
    amount = decision_rules.forwarding_year_amount(application)
    if cap is None or amount <= 0:
        return None
    return {"cap": _dec(Decimal(cap)), "per_year": _dec(amount)}


def _payment_plan(application: Application) -> list[dict]:
    """The payment plan per year (applications/payments): tranches with their dates; years without a row (or an
    empty list) are paid on request (Mittelabruf)."""
    from applications.models import PaymentMode, PaymentPlan
    from applications.payments.plans import tranche_due_dates
    from funding.models import ProgrammeYear

    rows = []
    plans = list(PaymentPlan.objects.filter(application=application).order_by("year"))
    enacted = dict(ProgrammeYear.objects.filter(year__in=[p.year for p in plans]).values_list("year", "budget_enacted"))
    for plan in plans:
        dates = tranche_due_dates(year=plan.year, tranches=plan.tranches) if plan.mode == PaymentMode.TRANCHES else []
        rows.append({"year": plan.year, "mode": plan.mode, "tranches": plan.tranches,
                     "dates": [d.strftime("%d.%m.%Y") for d in dates], "enacted": enacted.get(plan.year, True)})
    return rows


def legal_versions_for(kind: str) -> dict[str, int]:
    texts = current_texts()
    return {key: texts[key].version for key in KIND_TEXTS[kind] if key in texts}


__all__ = ["NoticeError", "NoticeKind", "SUBJECTS", "court_for", "notice_context_build", "legal_versions_for"]
