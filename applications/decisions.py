"""Decisions that hold: partial approval per cost line, Änderungsantrag under four eyes, early start, remedy waiver.

Business rules that write; the pure rules (financing, deadlines, ANBest) are in decision_rules. Views and the admin
call these only. Every money change goes through four eyes: whoever recommended (the application or the
amendment) cannot decide a raise (issue 16).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from applications import decision_rules, rules
from applications.audit import ApplicationError, actor_name, event_record
from applications.models import (
    AmendmentRequest,
    AmendmentStatus,
    Application,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from applications.notices.outbox import notice_create
from applications.selectors import actors_for
from applications.services import _lock, application_decide, four_eyes_threshold
from applications.workflow import FUNDED, PENDING, Actor, TransitionError, check_transition
from funding import services as budget
from funding.models import LedgerEntry, LedgerKind, LineRule
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")
DEFAULT_PARTIAL_REASON = ("Die in der Tabelle genannten Ausgaben sind nicht oder nur in der angegebenen Höhe "
                          "zuwendungsfähig; die Zuwendung ist aus den zuwendungsfähigen Ausgaben berechnet.")


# --- Partial approval: the eligible expenses per cost line ---------------------------------------------------

def partial_financing(*, application: Application, eligible: dict[int, Decimal]):
    """The per-year financing the approved lines carry (eligible: cost item id -> approved amount)."""
    items = list(application.cost_items.all())
    by_year: dict[int, Decimal] = {}
    for item in items:
        by_year[item.year] = by_year.get(item.year, ZERO) + money(eligible.get(item.pk, item.amount))
    rule = application.rule
    return decision_rules.financing_compute(
        financing_type=rule.financing_type, funding_rate=rule.funding_rate,
        plan_years=list(application.plan_years.all()), eligible_by_year=by_year,
        cap_per_year=rules.max_grant(application=application),
    )


def application_partially_approve(*, application: Application, user, lines: dict[int, tuple[Decimal, str]],
                                  reasons: str = "") -> Application:
    """Teilbewilligung: staff fix per cost line the eligible amount (0 = not eligible), with a reason wherever it is
    below the amount applied for. The grant per year follows from that plan and the financing type; then the
    decision books it like any approval (four eyes, caps, budget, notice) — all in one transaction."""
    with transaction.atomic():
        app = _lock(application)
        check_transition(action="partially_approve", status=app.status, actors=actors_for(user, app))
        items = list(app.cost_items.select_for_update().order_by("year", "id"))
        if not items:
            raise ApplicationError("Der Antrag hat keine Kostenpositionen.")
        eligible: dict[int, Decimal] = {}
        for item in items:
            if item.pk not in lines:
                raise ApplicationError(f"Bitte entscheiden Sie über jede Kostenposition (es fehlt „{item.description}“"
                                       f" {item.year}).")
            approved, reason = lines[item.pk]
            approved = money(approved)
            if approved < 0 or approved > item.amount:
                raise ApplicationError(f"„{item.description}“ {item.year}: zuwendungsfähig sind 0 bis "
                                       f"{format_eur(item.amount)} (beantragter Betrag).")
            if approved < item.amount and not (reason or "").strip():
                raise ApplicationError(f"„{item.description}“ {item.year}: Bitte begründen Sie, warum die Ausgabe "
                                       "nicht oder nicht in voller Höhe zuwendungsfähig ist (steht im Bescheid).")
            eligible[item.pk] = approved
        if all(eligible[i.pk] == i.amount for i in items):
            raise ApplicationError("Alle Ausgaben sind in voller Höhe zuwendungsfähig: das ist eine Bewilligung, "
                                   "keine Teilbewilligung.")
        for item in items:
            item.approved_amount = eligible[item.pk]
            item.exclusion_reason = (lines[item.pk][1] or "").strip() if eligible[item.pk] < item.amount else ""
        type(items[0]).objects.bulk_update(items, ["approved_amount", "exclusion_reason"])
        rows = partial_financing(application=app, eligible=eligible)
        total = sum((r.grant for r in rows), ZERO)
        if total <= 0:
            raise ApplicationError("Aus den zuwendungsfähigen Ausgaben ergibt sich keine Zuwendung. Wenn nichts "
                                   "gefördert werden kann, lehnen Sie den Antrag bitte ab.")
        split = {r.year: r.grant for r in rows}
        return application_decide(application=app, user=user, action="partially_approve", amount=total,
                                  split=split, reasons=(reasons or "").strip() or DEFAULT_PARTIAL_REASON,
                                  eligible_fixed=True)


# --- Änderungsantrag ------------------------------------------------------------------------------------------

def _is_signatory(user, application) -> bool:
    return "signatory" in actors_for(user, application)


def amendment_plan(*, application: Application, cost_amounts: dict[int, Decimal],
                   year_amounts: dict[int, Decimal]) -> tuple[dict[int, Decimal], list[str]]:
    """Check a requested new plan against the financing type and the line's caps: the grant of each year must be
    carried by that year's (new) eligible expenses. Returns (eligible by year, problems)."""
    items = list(application.cost_items.all())
    plan_years = list(application.plan_years.all())
    known = {i.pk for i in items}
    problems = [f"Unbekannte Kostenposition {pk}." for pk in cost_amounts if pk not in known]
    by_year: dict[int, Decimal] = {}
    for item in items:
        current = item.approved_amount if item.approved_amount is not None else item.amount
        new = money(cost_amounts.get(item.pk, current))
        if new < 0:
            problems.append(f"„{item.description}“ {item.year}: Der Betrag darf nicht negativ sein.")
        by_year[item.year] = by_year.get(item.year, ZERO) + new
    rule = application.rule
    cap = rules.max_grant(application=application)
    new_grants = {p.year: money(year_amounts.get(p.year, p.approved_grant or ZERO)) for p in plan_years}
    # years of an extension (not yet in the plan): the grant moved there is carried by a new cost line of that year
    extra = {y: money(a) for y, a in year_amounts.items() if y not in new_grants}
    new_grants.update(extra)
    for year, amount in extra.items():
        by_year[year] = by_year.get(year, ZERO) + amount
        if amount <= 0:
            problems.append(f"{year}: Bitte geben Sie an, welcher Teil der Zuwendung auf {year} entfällt.")
    problems += [p.message for p in rules.grant_cap_problems(
        rule=rule, details=application.details or {}, organisation=application.organisation, amounts=new_grants,
        what="beantragte Zuwendung")]
    for p in plan_years:
        new_grant = money(year_amounts.get(p.year, p.approved_grant or ZERO))
        if new_grant < 0:
            problems.append(f"{p.year}: Die Zuwendung darf nicht negativ sein.")
            continue
        carried = decision_rules.grant_for_year(
            financing_type=rule.financing_type, funding_rate=rule.funding_rate, eligible=by_year.get(p.year, ZERO),
            own=p.own_funds, third=p.third_party_funds, other_public=p.other_public_funds, requested=new_grant,
            cap=cap)
        if carried < new_grant:
            problems.append(
                f"{p.year}: Eine Zuwendung von {format_eur(new_grant)} ist durch die zuwendungsfähigen Ausgaben von "
                f"{format_eur(by_year.get(p.year, ZERO))} nicht gedeckt ({rule.get_financing_type_display()}"
                + (f", Höchstbetrag {format_eur(cap)}" if cap is not None else "") + f"; möglich: {format_eur(carried)})."
            )
    return by_year, problems


def amendment_request_create(*, application: Application, user, reasons: str, new_period_end=None,
                             year_amounts: dict[int, Decimal] | None = None,
                             cost_amounts: dict[int, Decimal] | None = None) -> AmendmentRequest:
    """The applicant's Änderungsantrag (portal): longer period, money moved between cost lines, a higher grant."""
    year_amounts = {int(y): money(a) for y, a in (year_amounts or {}).items()}
    cost_amounts = {int(k): money(a) for k, a in (cost_amounts or {}).items()}
    with transaction.atomic():
        app = _lock(application)
        if not _is_signatory(user, app):
            raise TransitionError("Nur zeichnungsberechtigte Personen können einen Änderungsantrag stellen.")
        if app.status not in FUNDED:
            raise ApplicationError("Ein Änderungsantrag ist nur für bewilligte Vorhaben möglich.")
        if app.amendment_requests.filter(status__in=[AmendmentStatus.SUBMITTED, AmendmentStatus.RECOMMENDED]).exists():
            raise ApplicationError("Es liegt bereits ein offener Änderungsantrag vor. Bitte warten Sie die "
                                   "Entscheidung ab.")
        if not (reasons or "").strip():
            raise ApplicationError("Bitte begründen Sie den Änderungsantrag.")
        plan_years = {p.year: p for p in app.plan_years.all()}
        extension_years = (set(range(max(plan_years or [app.year]) + 1, new_period_end.year + 1))
                           if new_period_end is not None else set())
        unknown = [y for y in year_amounts if y not in plan_years and y not in extension_years]
        if unknown:
            raise ApplicationError(f"Das Jahr {unknown[0]} gehört nicht zum Bewilligungszeitraum.")
        if new_period_end is not None:
            if app.period_end and new_period_end <= app.period_end:
                raise ApplicationError("Der Bewilligungszeitraum kann nur verlängert werden; das neue Ende muss nach "
                                       f"dem {app.period_end:%d.%m.%Y} liegen.")
            last_year = max(plan_years) if plan_years else app.year
            if new_period_end.year > last_year:
                _extension_check(application=app, new_period_end=new_period_end, last_year=last_year,
                                 year_amounts=year_amounts)
        old_total = app.approved_amount or ZERO
        new_years = {y: year_amounts.get(y, p.approved_grant or ZERO) for y, p in plan_years.items()}
        new_years.update({y: year_amounts[y] for y in extension_years if y in year_amounts})
        new_total = money(sum(new_years.values(), ZERO))
        if new_total <= 0:
            raise ApplicationError("Eine Zuwendung von 0 € ist keine Änderung. Wenn Sie auf die Zuwendung verzichten "
                                   "möchten, teilen Sie dies bitte dem Regierungspräsidium mit.")
        changed_costs = {pk: a for pk, a in cost_amounts.items()
                         if any(i.pk == pk and (i.approved_amount if i.approved_amount is not None else i.amount) != a
                                for i in app.cost_items.all())}
        changed_years = {y: a for y, a in year_amounts.items()
                         if y not in plan_years or a != (plan_years[y].approved_grant or ZERO)}
        if new_period_end is None and not changed_costs and not changed_years:
            raise ApplicationError("Der Änderungsantrag ändert nichts: bitte geben Sie ein neues Ende, neue Beträge "
                                   "der Kostenpositionen oder eine neue Zuwendung an.")
        _, problems = amendment_plan(application=app, cost_amounts=cost_amounts, year_amounts=new_years)
        if problems:
            raise ApplicationError(" ".join(problems))
        amendment = AmendmentRequest.objects.create(
            application=app, new_period_end=new_period_end,
            year_amounts={str(y): str(a) for y, a in changed_years.items()},
            cost_amounts={str(pk): str(a) for pk, a in changed_costs.items()},
            reasons=reasons.strip(), previous_amount=old_total, new_amount=new_total, requested_by=user,
            requested_by_name=actor_name(user),
        )
        event_record(application=app, user=user, action="amendment_request", reason=reasons.strip()[:500],
                     amount=new_total)
        return amendment


def _extension_check(*, application: Application, new_period_end, last_year: int,
                     year_amounts: dict[int, Decimal]) -> None:
    """An extension of the period into later budget years (issue 12): only for lines approved over several years,
    within the line's last plan year (funding period or maximum duration); each new year must carry the part of the
    grant moved there (the budget — allocation or VE of that year — is booked when the amendment is decided)."""
    rule = application.rule
    if not rule.line.multi_year:
        raise ApplicationError(f"„{rule.line.name}“ wird je Haushaltsjahr bewilligt: das neue Ende muss im Jahr "
                               f"{last_year} liegen.")
    limit = rules.last_plan_year(rule)
    if new_period_end.year > limit:
        raise ApplicationError(f"Das neue Ende darf spätestens im Jahr {limit} liegen (Förderperiode bzw. "
                               "Höchstlaufzeit des Förderbereichs).")
    problems = [p.message for p in rules.period_problems(rule=rule, start=application.period_start,
                                                         end=new_period_end) if p.field == "period_end"]
    if problems:
        raise ApplicationError(problems[0])
    for year in range(last_year + 1, new_period_end.year + 1):
        if money(year_amounts.get(year, ZERO)) <= 0:
            raise ApplicationError(f"Das neue Ende liegt im Haushaltsjahr {new_period_end.year}: Bitte geben Sie an, "
                                   f"welcher Teil der Zuwendung auf {year} entfällt (und kürzen Sie dafür "
                                   "gegebenenfalls die bisherigen Jahre).")


def _extension_plan_years(*, application: Application, amendment: AmendmentRequest,
                          amounts: dict[int, Decimal]) -> None:
    """The new budget years of an approved extension: a plan year with the grant moved there and one cost line that
    carries it (the applicant's request names the amount per year; the Änderungsbescheid lists it as eligible)."""
    from applications.models import CostItem, PlanYear

    requested = timezone.localdate(amendment.created_at)
    for year, amount in sorted(amounts.items()):
        PlanYear.objects.create(application=application, year=year, requested_grant=amount, approved_grant=amount)
        CostItem.objects.create(application=application, year=year, category="other",
                                description=f"Ausgaben {year} nach Verlängerung (Änderungsantrag vom "
                                            f"{requested:%d.%m.%Y})", amount=amount, approved_amount=amount)


def _lock_amendment(amendment: AmendmentRequest) -> tuple[AmendmentRequest, Application]:
    app = _lock(amendment.application)  # lock order: application first, then the amendment, then budget rows
    return AmendmentRequest.objects.select_for_update().get(pk=amendment.pk), app


def amendment_recommend(*, amendment: AmendmentRequest, user, recommendation: str, reason: str = "") -> AmendmentRequest:
    if recommendation not in ("approve", "reject"):
        raise ApplicationError("Bitte wählen Sie ein Votum.")
    if recommendation == "reject" and not reason.strip():
        raise ApplicationError("Bitte begründen Sie das Votum.")
    with transaction.atomic():
        amendment, app = _lock_amendment(amendment)
        if Actor.SACHBEARBEITUNG not in actors_for(user, app):
            raise TransitionError("Sie haben keine Berechtigung für ein Votum zum Änderungsantrag.")
        if amendment.status != AmendmentStatus.SUBMITTED:
            raise TransitionError(f"Der Änderungsantrag ist im Status „{amendment.get_status_display()}“; ein Votum "
                                  "ist nicht mehr möglich.")
        amendment.status = AmendmentStatus.RECOMMENDED
        amendment.recommendation, amendment.recommendation_reason = recommendation, reason.strip()
        amendment.recommended_by, amendment.recommended_at = user, timezone.now()
        amendment.save()
        event_record(application=app, user=user, action="amendment_recommend", reason=reason.strip(),
                     visible_to_applicant=False)
        return amendment


def _paid_by_year(application: Application) -> dict[int, Decimal]:
    rows = (LedgerEntry.objects.filter(application=application, kind=LedgerKind.PAYMENT)
            .values("rule__programme_year__year").annotate(total=Sum("amount")))
    return {r["rule__programme_year__year"]: r["total"] for r in rows}


def amendment_decide(*, amendment: AmendmentRequest, user, approve: bool, reasons: str = "") -> AmendmentRequest:
    """Decide an Änderungsantrag. Four eyes: the person who recommended it — or who recommended the application —
    may not decide a change of money. An approval books the difference per year (commit or, on the applicant's
    own request, release — never below what was paid: repayment needs a revocation with a hearing), updates the
    plan and the period, and issues the Änderungsbescheid; a refusal issues a notice with reasons."""
    with transaction.atomic():
        amendment, app = _lock_amendment(amendment)
        # who may decide an Änderungsbescheid, and from which status, is the workflow table's "amend" edge
        check_transition(action="amend", status=app.status, actors=actors_for(user, app))
        if amendment.status != AmendmentStatus.RECOMMENDED:
            raise TransitionError("Über den Änderungsantrag kann erst nach dem Votum der Sachbearbeitung und nur "
                                  "einmal entschieden werden.")
        if not approve and not reasons.strip():
            raise ApplicationError("Bitte begründen Sie die Ablehnung (sie steht im Bescheid).")
        plan_years = {p.year: p for p in app.plan_years.all()}
        new_years = {y: money(amendment.year_amounts.get(str(y), p.approved_grant or ZERO))
                     for y, p in plan_years.items()}
        old_years = {y: money(p.approved_grant or ZERO) for y, p in plan_years.items()}
        # an extension into later budget years: the amounts moved there are new years of the plan (from 0 €)
        for key, value in amendment.year_amounts.items():
            if int(key) not in plan_years:
                new_years[int(key)], old_years[int(key)] = money(Decimal(value)), ZERO
        raise_total = sum((max(ZERO, new_years[y] - old_years[y]) for y in new_years), ZERO)
        money_changes = any(new_years[y] != old_years[y] for y in new_years) or bool(amendment.cost_amounts)
        if user.pk == amendment.recommended_by_id and money_changes:
            raise ApplicationError("Vier-Augen-Prinzip: Wer das Votum zum Änderungsantrag abgegeben hat, darf nicht "
                                   "selbst darüber entscheiden.")
        if user.pk == app.recommended_by_id and raise_total > four_eyes_threshold():
            raise ApplicationError("Vier-Augen-Prinzip: Wer das Votum zum Antrag abgegeben hat, darf die Zuwendung "
                                   "nicht durch einen Änderungsbescheid erhöhen.")
        now = timezone.now()
        amendment.decided_by, amendment.decided_at, amendment.decision_reasons = user, now, reasons.strip()
        request_date = timezone.localdate(amendment.created_at).isoformat()
        if not approve:
            amendment.status = AmendmentStatus.REJECTED
            amendment.save()
            event_record(application=app, user=user, action="amendment_reject", reason=reasons.strip())
            notice_create(application=app, kind=NoticeKind.AMENDMENT, user=user, amount=app.approved_amount,
                          previous_amount=app.approved_amount, reasons=reasons,
                          extra={"amendment": {"rejected": True, "requested_at": request_date}})
            return amendment

        _, problems = amendment_plan(application=app, cost_amounts={int(k): Decimal(v) for k, v in
                                                                    amendment.cost_amounts.items()},
                                     year_amounts=new_years)
        if problems:
            raise ApplicationError(" ".join(problems))
        paid = _paid_by_year(app)
        for year, new in new_years.items():
            if new < paid.get(year, ZERO):
                raise ApplicationError(
                    f"{year}: Ausgezahlt sind bereits {format_eur(paid[year])}; die Zuwendung kann im Änderungsbescheid "
                    "nicht darunter sinken (eine Rückforderung erfordert einen Widerruf nach Anhörung).")
        raises = {y: new_years[y] - old_years[y] for y in new_years if new_years[y] > old_years[y]}
        cuts = {y: old_years[y] - new_years[y] for y in new_years if new_years[y] < old_years[y]}
        line_rules = {r.programme_year.year: r for r in LineRule.objects.select_related("programme_year", "line")
                      .filter(line_id=app.rule.line_id, programme_year__year__in=list(new_years))}
        try:
            # every rule touched locked first, in the one order (funding.services, LOCK ORDER)
            budget.lock_rules([line_rules[y].pk for y in (*raises, *cuts) if y in line_rules])
            if raises:  # each year against its allocation or, not yet enacted, its VE; all or nothing
                budget.budget_commit_years(line=app.rule.line, application=app, amounts=raises, user=user,
                                           reason=f"Änderungsbescheid {app.file_number}")
            for year, amount in sorted(cuts.items()):
                budget.budget_release(rule=line_rules[year], application=app, amount=amount, user=user,
                                      reason=f"Änderungsbescheid {app.file_number} (auf Antrag)")
        except budget.BudgetError as exc:
            raise ApplicationError(str(exc)) from exc
        for year, amount in sorted({**raises, **cuts}.items()):
            event_record(application=app, user=user, action="budget_commit" if year in raises else "budget_release",
                         amount=amount, reason=f"Änderungsbescheid {year}", visible_to_applicant=False)
        old_period_end = app.period_end
        for item in app.cost_items.all():
            new = amendment.cost_amounts.get(str(item.pk))
            if new is None:
                continue
            new = money(Decimal(new))
            if new > 0:
                item.amount, item.approved_amount, item.exclusion_reason = new, new, ""
            else:
                item.approved_amount = ZERO
                item.exclusion_reason = f"Auf Ihren Änderungsantrag vom {timezone.localdate(amendment.created_at):%d.%m.%Y} entfallen."
            item.save(update_fields=["amount", "approved_amount", "exclusion_reason"])
        for year, p in plan_years.items():
            if new_years[year] != old_years[year]:
                p.approved_grant = new_years[year]
                p.save(update_fields=["approved_grant"])
        _extension_plan_years(application=app, amendment=amendment,
                              amounts={y: a for y, a in new_years.items() if y not in plan_years})
        previous = app.approved_amount or ZERO
        app.approved_amount = money(sum(new_years.values(), ZERO))
        if amendment.new_period_end:
            app.period_end = amendment.new_period_end
        app.save(update_fields=["approved_amount", "period_end", "updated_at"])
        amendment.status = AmendmentStatus.APPROVED
        amendment.save()
        event_record(application=app, user=user, action="amend", from_status=app.status, to_status=app.status,
                     reason=reasons.strip() or "Änderungsantrag bewilligt", amount=app.approved_amount)
        notice_create(application=app, kind=NoticeKind.AMENDMENT, user=user, amount=app.approved_amount,
                      previous_amount=previous, reasons=reasons,
                      extra={"amendment": {
                          "rejected": False, "requested_at": request_date,
                          "old_period_end": old_period_end.isoformat() if old_period_end else None,
                          "new_period_end": amendment.new_period_end.isoformat() if amendment.new_period_end else None,
                          "years": [{"year": y, "old": str(old_years[y]), "new": str(new_years[y])}
                                    for y in sorted(new_years)],
                      }})
        return amendment


# --- Early start (vorzeitiger Maßnahmebeginn) ----------------------------------------------------------------

def early_start_request(*, application: Application, user, start: datetime.date, reason: str,
                        today: datetime.date | None = None) -> Application:
    today = today or timezone.localdate()
    with transaction.atomic():
        app = _lock(application)
        if not _is_signatory(user, app):
            raise TransitionError("Nur zeichnungsberechtigte Personen können den vorzeitigen Beginn beantragen.")
        if app.status not in PENDING:
            raise ApplicationError("Den vorzeitigen Beginn können Sie nur für einen eingereichten, noch nicht "
                                   "entschiedenen Antrag beantragen.")
        if app.early_start_requested_at is not None:
            raise ApplicationError("Der vorzeitige Beginn ist bereits beantragt.")
        if not (reason or "").strip():
            raise ApplicationError("Bitte begründen Sie, warum das Vorhaben vor der Bewilligung beginnen muss.")
        if start < today:
            raise ApplicationError("Der vorzeitige Beginn kann nicht rückwirkend zugelassen werden; bitte wählen Sie "
                                   "ein Datum ab heute.")
        if app.period_end and start > app.period_end:
            raise ApplicationError("Der Beginn muss im beantragten Zeitraum liegen.")
        app.early_start_requested_at, app.early_start_from = timezone.now(), start
        app.early_start_reason, app.early_start_requested_by = reason.strip(), user
        app.save(update_fields=["early_start_requested_at", "early_start_from", "early_start_reason",
                                "early_start_requested_by", "updated_at"])
        event_record(application=app, user=user, action="early_start_request", reason=reason.strip()[:500])
        return app


def early_start_decide(*, application: Application, user, consent: bool, reason: str = "") -> Application:
    """Staff answer the request by a notice through the outbox: consent (Zustimmung) or refusal (Ablehnung des
    vorzeitigen Maßnahmebeginns, with reasons and Rechtsbehelfsbelehrung — it is an administrative act)."""
    with transaction.atomic():
        app = _lock(application)
        if Actor.BEWILLIGUNG not in actors_for(user, app):
            raise TransitionError("Sie haben keine Berechtigung, über den vorzeitigen Maßnahmebeginn zu entscheiden.")
        if app.early_start_requested_at is None or app.early_start_decided_at is not None:
            raise ApplicationError("Es liegt kein offener Antrag auf vorzeitigen Maßnahmebeginn vor.")
        if app.status not in PENDING:
            raise ApplicationError("Über den Antrag ist bereits entschieden; der vorzeitige Beginn ist gegenstandslos.")
        if not consent and not reason.strip():
            raise ApplicationError("Bitte begründen Sie die Ablehnung.")
        app.early_start_decided_at, app.early_start_consented = timezone.now(), consent
        app.save(update_fields=["early_start_decided_at", "early_start_consented", "updated_at"])
        if consent:
            event_record(application=app, user=user, action="early_start_consent",
                         reason=f"ab {app.early_start_from:%d.%m.%Y}")
            notice_create(application=app, kind=NoticeKind.EARLY_START, user=user, reasons=reason)
        else:
            event_record(application=app, user=user, action="early_start_refuse", reason=reason.strip())
            notice_create(application=app, kind=NoticeKind.EARLY_START_REFUSAL, user=user, reasons=reason)
        return app


# --- Remedy waiver (Rechtsbehelfsverzicht) ----------------------------------------------------------------------

WAIVABLE = (NoticeKind.APPROVAL, NoticeKind.AMENDMENT)


def notice_remedy_waive(*, notice: Notice, user) -> Notice:
    """The recipient waives the action against a favourable notice: it is final at once (the payments issue may pay
    from then on). Only a signatory, only once the notice has been sent, only before it became final anyway."""
    with transaction.atomic():
        _lock(notice.application)
        current = Notice.objects.select_for_update(of=("self",)).select_related("application").get(pk=notice.pk)
        if not _is_signatory(user, current.application):
            raise TransitionError("Nur zeichnungsberechtigte Personen können auf Rechtsbehelfe verzichten.")
        if current.kind not in WAIVABLE:
            raise ApplicationError("Auf Rechtsbehelfe kann nur bei Zuwendungs- und Änderungsbescheiden verzichtet "
                                   "werden.")
        if current.status != NoticeStatus.SENT:
            raise ApplicationError("Der Bescheid ist noch nicht versandt.")
        if current.remedy_waived_at is not None:
            raise ApplicationError("Sie haben bereits auf Rechtsbehelfe verzichtet.")
        final = decision_rules.notice_final_on(current)
        if final is not None and final <= timezone.localdate():
            raise ApplicationError(f"Der Bescheid ist bereits seit dem {final:%d.%m.%Y} bestandskräftig.")
        current.remedy_waived_at, current.remedy_waived_by = timezone.now(), user
        current.remedy_waived_by_name = actor_name(user)
        current.save(update_fields=["remedy_waived_at", "remedy_waived_by", "remedy_waived_by_name"])
        event_record(application=current.application, user=user, action="remedy_waiver",
                     reason=f"Rechtsbehelfsverzicht zum Bescheid {current.number}")
        return current
