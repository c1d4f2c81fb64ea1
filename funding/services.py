"""Budget rules: allocations within a year's volume, and the ledger (commit / release / pay) under row locks."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from wir_portal.money import format_eur, money

from .models import LedgerEntry, LedgerKind, LineRule, ProgrammeYear

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


class BudgetError(Exception):
    """A booking or allocation that would break a budget rule. The message is German, for the user."""


@dataclass(frozen=True)
class BudgetFigures:
    allocation: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def available(self) -> Decimal:
        return self.allocation - self.committed

    @property
    def utilisation(self) -> Decimal:
        if not self.allocation:
            return ZERO
        return money(self.committed * 100 / self.allocation)


def _committed_expr():
    return Coalesce(
        Sum(
            Case(
                When(kind=LedgerKind.COMMITMENT, then=F("amount")),
                When(kind=LedgerKind.RELEASE, then=-F("amount")),
                default=Value(ZERO),
                output_field=_MONEY,
            )
        ),
        Value(ZERO),
        output_field=_MONEY,
    )


def ledger_totals(*, rule_ids=None) -> dict[int, dict[str, Decimal]]:
    """Committed and paid per rule id, in one aggregate query."""
    qs = LedgerEntry.objects.all()
    if rule_ids is not None:
        qs = qs.filter(rule_id__in=rule_ids)
    rows = qs.values("rule_id").annotate(
        committed=_committed_expr(),
        paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY),
    )
    return {row["rule_id"]: {"committed": row["committed"], "paid": row["paid"]} for row in rows}


def budget_figures(*, rule: LineRule) -> BudgetFigures:
    totals = ledger_totals(rule_ids=[rule.pk]).get(rule.pk, {"committed": ZERO, "paid": ZERO})
    return BudgetFigures(allocation=rule.allocation, committed=totals["committed"], paid=totals["paid"])


def budget_available(*, rule: LineRule) -> Decimal:
    return budget_figures(rule=rule).available


def committed_for_application(*, application_id: int, rule_id: int | None = None) -> Decimal:
    qs = LedgerEntry.objects.filter(application_id=application_id)
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    return qs.aggregate(total=_committed_expr())["total"]


def _actor_name(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def budget_commit(*, rule: LineRule, application, amount: Decimal, user, reason: str = "") -> LedgerEntry:
    """Book a commitment against a line's yearly budget. Must run inside the caller's transaction.

    The rule row is locked first (SELECT ... FOR UPDATE), so concurrent approvals serialise on it and can
    never together commit more than the allocation.
    """
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = LineRule.objects.select_for_update().select_related("line", "programme_year").get(pk=rule.pk)
        available = budget_available(rule=locked)
        if amount > available:
            raise BudgetError(
                f"Die Mittel im Förderbereich „{locked.line.name}“ {locked.programme_year.year} reichen nicht aus: "
                f"beantragt {format_eur(amount)}, verfügbar noch {format_eur(available)}."
            )
        return LedgerEntry.objects.create(
            rule=locked, application=application, kind=LedgerKind.COMMITMENT, amount=amount,
            reason=reason, created_by=user, created_by_name=_actor_name(user),
        )


def budget_release(*, rule: LineRule, application, amount: Decimal, user, reason: str) -> LedgerEntry:
    """Release (part of) an application's commitment back to the line's budget."""
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = LineRule.objects.select_for_update().get(pk=rule.pk)
        committed = committed_for_application(application_id=application.pk, rule_id=locked.pk)
        if amount > committed:
            raise BudgetError(
                f"Es können höchstens {format_eur(committed)} freigegeben werden, die für diesen Antrag gebunden sind."
            )
        return LedgerEntry.objects.create(
            rule=locked, application=application, kind=LedgerKind.RELEASE, amount=amount,
            reason=reason, created_by=user, created_by_name=_actor_name(user),
        )


def budget_pay(*, rule: LineRule, application, amount: Decimal, user, reason: str = "") -> LedgerEntry:
    """Record a payment (Mittelabruf) within the committed amount."""
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = LineRule.objects.select_for_update().get(pk=rule.pk)
        committed = committed_for_application(application_id=application.pk, rule_id=locked.pk)
        paid = LedgerEntry.objects.filter(
            application_id=application.pk, rule_id=locked.pk, kind=LedgerKind.PAYMENT
        ).aggregate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY))["total"]
        if paid + amount > committed:
            raise BudgetError(
                f"Die Auszahlung überschreitet die Bewilligung: gebunden {format_eur(committed)}, "
                f"bereits ausgezahlt {format_eur(paid)}."
            )
        return LedgerEntry.objects.create(
            rule=locked, application=application, kind=LedgerKind.PAYMENT, amount=amount,
            reason=reason, created_by=user, created_by_name=_actor_name(user),
        )


def year_allocated(*, programme_year: ProgrammeYear, exclude_rule_id: int | None = None) -> Decimal:
    qs = LineRule.objects.filter(programme_year=programme_year)
    if exclude_rule_id:
        qs = qs.exclude(pk=exclude_rule_id)
    return qs.aggregate(total=Coalesce(Sum("allocation"), Value(ZERO), output_field=_MONEY))["total"]


def allocation_check(*, programme_year: ProgrammeYear, allocation: Decimal, rule_id: int | None = None) -> None:
    """Raise BudgetError if setting this allocation would push the year's allocations over its volume."""
    others = year_allocated(programme_year=programme_year, exclude_rule_id=rule_id)
    if others + money(allocation) > programme_year.volume:
        raise BudgetError(
            f"Die Summe der Mittelansätze {programme_year.year} ({format_eur(others + money(allocation))}) "
            f"überschritte das Programmvolumen von {format_eur(programme_year.volume)}; "
            f"höchstens {format_eur(programme_year.volume - others)} sind für diesen Förderbereich möglich."
        )


def rule_save(*, rule: LineRule) -> LineRule:
    """Create or update a line's yearly rule; the year's allocations may never exceed its volume.

    The programme year row is locked so two staff members editing allocations at once cannot both pass the check.
    """
    with transaction.atomic():
        year = ProgrammeYear.objects.select_for_update().get(pk=rule.programme_year_id)
        allocation_check(programme_year=year, allocation=rule.allocation, rule_id=rule.pk)
        if rule.pk:
            committed = ledger_totals(rule_ids=[rule.pk]).get(rule.pk, {"committed": ZERO})["committed"]
            if rule.allocation < committed:
                raise BudgetError(
                    f"Der Mittelansatz darf nicht unter die bereits gebundenen Mittel ({format_eur(committed)}) sinken."
                )
        rule.full_clean()
        rule.save()
        return rule


def programme_year_save(*, programme_year: ProgrammeYear) -> ProgrammeYear:
    """The volume may not drop below what is already allocated to the lines."""
    with transaction.atomic():
        if programme_year.pk:
            ProgrammeYear.objects.select_for_update().get(pk=programme_year.pk)
            allocated = year_allocated(programme_year=programme_year)
            if programme_year.volume < allocated:
                raise BudgetError(
                    f"Das Programmvolumen darf nicht unter die Summe der Mittelansätze ({format_eur(allocated)}) sinken."
                )
        programme_year.full_clean()
        programme_year.save()
        return programme_year
