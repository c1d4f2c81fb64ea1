"""Budget rules: allocations within a year's volume, commitment authority (VE) for years whose budget is not yet
enacted, and the ledger (commit / release / pay) under row locks.

LOCK ORDER — every path that books or re-allocates money takes its row locks in this order, and only this order
(two paths in opposite order deadlock; issue 16 found "approval: rule then year" against "allocation save: year
then rule"):

    1. applications            (by id; applications.services._lock)
    2. programme years         (ascending year; FOR UPDATE only by paths that change a year's figures or
                                 enactment: programme_year_save, rule_save, programme_year_enact)
    3. line rules              (ascending programme year, then line id; `lock_rules`)
    4. ledger rows             (inserted, never locked or updated)

Bookings (budget_commit*, budget_release, budget_pay) lock rules only, with `FOR UPDATE OF` the rule row (a plain
`select_for_update()` with `select_related` would also lock the joined year and line — the cause of the deadlock),
and read the year's enactment *after* the rule lock, so an enactment that runs at the same time is either wholly
before the booking (booked against the allocation) or wholly after it (converts the booking it finds).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from wir_portal.money import format_eur, money

from .models import LedgerEntry, LedgerKind, LedgerSource, LineRule, ProgrammeYear

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
# Where Haushalt sets allocations and commitment authority (named in refusals, so the reader knows who can act).
RULES_ADMIN_PATH = "Verwaltung › Programm und Haushalt › Förderregeln je Jahr"


class BudgetError(Exception):
    """A booking or allocation that would break a budget rule. The message is German, for the user."""


@dataclass(frozen=True)
class BudgetFigures:
    allocation: Decimal
    committed: Decimal
    paid: Decimal
    authority: Decimal | None = None  # commitment authority (VE); None: none granted
    authority_committed: Decimal = ZERO  # booked against the VE (not yet converted)
    enacted: bool = True
    refunded: Decimal = ZERO  # refunds received after a revocation (REFUND rows), in the year and line paid from

    @property
    def available(self) -> Decimal:
        return self.allocation - self.committed

    @property
    def authority_available(self) -> Decimal:
        return (self.authority or ZERO) - self.authority_committed

    @property
    def bookable(self) -> Decimal:
        """What an approval may still book for this line and year: the allocation once the year's budget is
        enacted, the VE before."""
        return self.available if self.enacted else self.authority_available

    @property
    def committed_total(self) -> Decimal:
        return self.committed + self.authority_committed

    @property
    def utilisation(self) -> Decimal:
        """Share of the allocation committed — of the VE, while the year's budget is not enacted."""
        base, used = (self.allocation, self.committed) if self.enacted else (self.authority, self.authority_committed)
        if not base:
            return ZERO
        return money(used * 100 / base)


def _signed(source: str | None = None):
    cond = {} if source is None else {"source": source}
    return Coalesce(
        Sum(
            Case(
                When(kind=LedgerKind.COMMITMENT, then=F("amount"), **cond),
                When(kind=LedgerKind.RELEASE, then=-F("amount"), **cond),
                default=Value(ZERO),
                output_field=_MONEY,
            )
        ),
        Value(ZERO),
        output_field=_MONEY,
    )


def _committed_expr():
    return _signed()


def ledger_totals(*, rule_ids=None) -> dict[int, dict[str, Decimal]]:
    """Per rule id, in one aggregate query: committed against the allocation, committed against the VE, paid."""
    qs = LedgerEntry.objects.all()
    if rule_ids is not None:
        qs = qs.filter(rule_id__in=rule_ids)
    rows = qs.values("rule_id").annotate(
        committed=_signed(LedgerSource.ALLOCATION),
        authority_committed=_signed(LedgerSource.AUTHORITY),
        paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY),
        refunded=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.REFUND)), Value(ZERO), output_field=_MONEY),
    )
    return {row["rule_id"]: {"committed": row["committed"], "authority_committed": row["authority_committed"],
                             "paid": row["paid"], "refunded": row["refunded"]} for row in rows}


EMPTY_TOTALS = {"committed": ZERO, "authority_committed": ZERO, "paid": ZERO, "refunded": ZERO}


def figures_for(rule: LineRule, totals: dict[str, Decimal], *, enacted: bool = True) -> BudgetFigures:
    return BudgetFigures(allocation=rule.allocation, committed=totals["committed"], paid=totals["paid"],
                         authority=rule.commitment_authority, authority_committed=totals["authority_committed"],
                         enacted=enacted, refunded=totals.get("refunded", ZERO))


def budget_figures(*, rule: LineRule) -> BudgetFigures:
    totals = ledger_totals(rule_ids=[rule.pk]).get(rule.pk, EMPTY_TOTALS)
    enacted = ProgrammeYear.objects.filter(pk=rule.programme_year_id).values_list("budget_enacted", flat=True).first()
    return figures_for(rule, totals, enacted=enacted is not False)


def budget_available(*, rule: LineRule) -> Decimal:
    return budget_figures(rule=rule).available


def committed_for_application(*, application_id: int, rule_id: int | None = None,
                              source: str | None = None) -> Decimal:
    qs = LedgerEntry.objects.filter(application_id=application_id)
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    return qs.aggregate(total=_signed(source))["total"]


def _actor_name(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def lock_rules(rule_ids) -> dict[int, LineRule]:
    """Lock line rules in the one order (ascending year, then line) — only the rule rows, never the joined year or
    line. Returns them by id with line and programme year loaded (the year re-read after the lock)."""
    ids = sorted(set(rule_ids))
    list(LineRule.objects.select_for_update(of=("self",)).filter(pk__in=ids)
         .order_by("programme_year__year", "line_id", "pk").values_list("pk", flat=True))
    return {r.pk: r for r in LineRule.objects.select_related("line", "programme_year").filter(pk__in=ids)}


def missing_budget_message(*, line_name: str, year: int) -> str:
    return (f"Für {year} ist weder ein Mittelansatz noch eine Verpflichtungsermächtigung für „{line_name}“ "
            f"festgelegt – Haushalt kann sie unter {RULES_ADMIN_PATH} anlegen.")


def _book_commitment(*, locked: LineRule, application, amount: Decimal, user, reason: str) -> LedgerEntry:
    """Check and book one commitment against a rule already locked by the caller (see LOCK ORDER)."""
    totals = ledger_totals(rule_ids=[locked.pk]).get(locked.pk, EMPTY_TOTALS)
    year, line = locked.programme_year.year, locked.line.name
    if locked.programme_year.budget_enacted:
        available = locked.allocation - totals["committed"]
        if amount > available:
            raise BudgetError(
                f"Die Mittel im Förderbereich „{line}“ {year} reichen nicht aus: "
                f"beantragt {format_eur(amount)}, verfügbar noch {format_eur(available)}"
                + (f" – Haushalt kann den Mittelansatz unter {RULES_ADMIN_PATH} erhöhen." if not locked.allocation
                   else ".")
            )
        source = LedgerSource.ALLOCATION
    else:
        if not locked.commitment_authority:
            raise BudgetError(
                f"Für {year} ist der Haushalt noch nicht beschlossen und für „{line}“ keine "
                f"Verpflichtungsermächtigung festgelegt – Haushalt kann sie unter {RULES_ADMIN_PATH} festlegen."
            )
        available = locked.commitment_authority - totals["authority_committed"]
        if amount > available:
            raise BudgetError(
                f"Die Verpflichtungsermächtigung {year} im Förderbereich „{line}“ reicht nicht aus: "
                f"beantragt {format_eur(amount)}, verfügbar noch {format_eur(available)}."
            )
        source = LedgerSource.AUTHORITY
    return LedgerEntry.objects.create(
        rule=locked, application=application, kind=LedgerKind.COMMITMENT, source=source, amount=amount,
        reason=reason, created_by=user, created_by_name=_actor_name(user),
    )


def budget_commit(*, rule: LineRule, application, amount: Decimal, user, reason: str = "") -> LedgerEntry:
    """Book a commitment against a line's yearly budget (allocation, or VE before the year is enacted). Must run
    inside the caller's transaction.

    The rule row is locked first (SELECT ... FOR UPDATE OF), so concurrent approvals serialise on it and can
    never together commit more than the allocation or the VE.
    """
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = lock_rules([rule.pk])[rule.pk]
        return _book_commitment(locked=locked, application=application, amount=amount, user=user, reason=reason)


def budget_commit_years(*, line, application, amounts: dict[int, Decimal], user,
                        reason: str = "") -> list[LedgerEntry]:
    """Book a multi-year approval: each year's tranche against that year's allocation, or against its VE while the
    year's budget is not enacted — all years or none (one savepoint), rules locked in the one order.

    A year without a rule (or with neither allocation nor VE) is refused with the figure that is missing and who
    sets it."""
    parts = {int(y): money(a) for y, a in amounts.items() if money(a) > 0}
    if not parts:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    rule_ids = dict(LineRule.objects.filter(line=line, programme_year__year__in=list(parts))
                    .values_list("programme_year__year", "pk"))
    for year in sorted(parts):
        if year not in rule_ids:
            raise BudgetError(missing_budget_message(line_name=line.name, year=year))
    with transaction.atomic():
        locked = lock_rules(rule_ids.values())
        entries = []
        for year in sorted(parts):
            rule = locked[rule_ids[year]]
            if rule.programme_year.budget_enacted is False and not rule.commitment_authority and not rule.allocation:
                raise BudgetError(missing_budget_message(line_name=line.name, year=year))
            entries.append(_book_commitment(locked=rule, application=application, amount=parts[year], user=user,
                                            reason=reason))
        return entries


def budget_release(*, rule: LineRule, application, amount: Decimal, user, reason: str) -> LedgerEntry:
    """Release (part of) an application's commitment back to the line's budget (VE bookings first: they are the
    later money)."""
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = lock_rules([rule.pk])[rule.pk]
        on_authority = committed_for_application(application_id=application.pk, rule_id=locked.pk,
                                                 source=LedgerSource.AUTHORITY)
        committed = committed_for_application(application_id=application.pk, rule_id=locked.pk)
        if amount > committed:
            raise BudgetError(
                f"Es können höchstens {format_eur(committed)} freigegeben werden, die für diesen Antrag gebunden sind."
            )
        source = LedgerSource.AUTHORITY if on_authority >= amount else LedgerSource.ALLOCATION
        if ZERO < on_authority < amount:  # split over both sources: two rows
            LedgerEntry.objects.create(
                rule=locked, application=application, kind=LedgerKind.RELEASE, source=LedgerSource.AUTHORITY,
                amount=on_authority, reason=reason, created_by=user, created_by_name=_actor_name(user),
            )
            amount -= on_authority
        return LedgerEntry.objects.create(
            rule=locked, application=application, kind=LedgerKind.RELEASE, source=source, amount=amount,
            reason=reason, created_by=user, created_by_name=_actor_name(user),
        )


def budget_pay(*, rule: LineRule, application, amount: Decimal, user, reason: str = "") -> LedgerEntry:
    """Record a payment (Mittelabruf) within the amount committed against the enacted allocation (money booked
    against a VE cannot be paid before its year's budget is enacted)."""
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = lock_rules([rule.pk])[rule.pk]
        committed = committed_for_application(application_id=application.pk, rule_id=locked.pk,
                                              source=LedgerSource.ALLOCATION)
        paid = paid_net_for_application(application_id=application.pk, rule_id=locked.pk)
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


def authority_check(*, rule_id: int | None, authority: Decimal | None) -> None:
    """A VE may not drop below what is booked against it."""
    if not rule_id:
        return
    booked = ledger_totals(rule_ids=[rule_id]).get(rule_id, EMPTY_TOTALS)["authority_committed"]
    if booked > 0 and (authority or ZERO) < booked:
        raise BudgetError(
            f"Die Verpflichtungsermächtigung darf nicht unter die gegen sie gebundenen Mittel "
            f"({format_eur(booked)}) sinken."
        )


def committed_check(*, rule_id: int | None, allocation: Decimal) -> None:
    if not rule_id:
        return
    committed = ledger_totals(rule_ids=[rule_id]).get(rule_id, EMPTY_TOTALS)["committed"]
    if allocation < committed:
        raise BudgetError(
            f"Der Mittelansatz darf nicht unter die bereits gebundenen Mittel ({format_eur(committed)}) sinken."
        )


def rule_save(*, rule: LineRule) -> LineRule:
    """Create or update a line's yearly rule; the year's allocations may never exceed its volume, an allocation
    never drops below what is committed against it, a VE never below what is booked against it.

    Lock order: the programme year (two staff members editing allocations at once cannot both pass the volume
    check), then the rule itself (an approval booking at the same moment waits or is waited for — it never
    slips between the check and the save)."""
    with transaction.atomic():
        year = ProgrammeYear.objects.select_for_update().get(pk=rule.programme_year_id)
        if rule.pk:
            lock_rules([rule.pk])
        allocation_check(programme_year=year, allocation=rule.allocation, rule_id=rule.pk)
        committed_check(rule_id=rule.pk, allocation=rule.allocation)
        authority_check(rule_id=rule.pk, authority=rule.commitment_authority)
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


@dataclass(frozen=True)
class Conversion:
    rule: LineRule
    amount: Decimal
    applications: int


def programme_year_enact(*, programme_year: ProgrammeYear, user) -> list[Conversion]:
    """The year's budget is enacted: every line's VE bookings become commitments of that year's allocation (per
    application a release against the VE and a commitment against the allocation, so the ledger stays append-only).

    All or nothing: refused, naming the line, if an allocation cannot take what was booked against its VE. Lock
    order: the year, then its rules."""
    with transaction.atomic():
        year = ProgrammeYear.objects.select_for_update().get(pk=programme_year.pk)
        if year.budget_enacted:
            raise BudgetError(f"Der Haushalt {year.year} ist bereits als beschlossen eingetragen.")
        rule_ids = list(LineRule.objects.filter(programme_year=year).values_list("pk", flat=True))
        locked = lock_rules(rule_ids)
        totals = ledger_totals(rule_ids=rule_ids)
        per_app = (LedgerEntry.objects.filter(rule_id__in=rule_ids, source=LedgerSource.AUTHORITY)
                   .values("rule_id", "application_id").annotate(net=_signed(LedgerSource.AUTHORITY))
                   .order_by("rule_id", "application_id"))
        by_rule: dict[int, list[tuple[int, Decimal]]] = {}
        for row in per_app:
            if row["net"] > 0:
                by_rule.setdefault(row["rule_id"], []).append((row["application_id"], row["net"]))
        problems = []
        for rule_id, apps in by_rule.items():
            rule = locked[rule_id]
            t = totals.get(rule_id, EMPTY_TOTALS)
            needed = t["committed"] + sum((a for _, a in apps), ZERO)
            if needed > rule.allocation:
                problems.append(f"„{rule.line.name}“: Mittelansatz {format_eur(rule.allocation)}, gebunden "
                                f"einschließlich VE {format_eur(needed)}")
        if problems:
            raise BudgetError(
                f"Der Haushalt {year.year} kann nicht als beschlossen eingetragen werden: Die Mittelansätze reichen "
                f"für die gegen die Verpflichtungsermächtigung gebundenen Mittel nicht aus ({'; '.join(problems)}). "
                f"Haushalt kann die Mittelansätze unter {RULES_ADMIN_PATH} erhöhen."
            )
        reason = f"Haushaltsbeschluss {year.year}: Umbuchung aus der Verpflichtungsermächtigung in den Mittelansatz"
        rows, done = [], []
        for rule_id, apps in sorted(by_rule.items()):
            rule = locked[rule_id]
            for application_id, net in apps:
                for kind, source in ((LedgerKind.RELEASE, LedgerSource.AUTHORITY),
                                     (LedgerKind.COMMITMENT, LedgerSource.ALLOCATION)):
                    rows.append(LedgerEntry(rule=rule, application_id=application_id, kind=kind, source=source,
                                            amount=net, reason=reason, created_by=user,
                                            created_by_name=_actor_name(user)))
            done.append(Conversion(rule=rule, amount=sum((a for _, a in apps), ZERO), applications=len(apps)))
        for row in rows:
            row.save()  # save(), not bulk_create: the figures version rises (funding.figures_cache)
        year.budget_enacted = True
        year.save(update_fields=["budget_enacted"])
        return done


# --- refunds (applications/revocation/) -------------------------------------------------------------------------

def paid_net_for_application(*, application_id: int, rule_id: int) -> Decimal:
    """Paid and not refunded: Σ PAYMENT − Σ REFUND of one application and rule."""
    row = LedgerEntry.objects.filter(application_id=application_id, rule_id=rule_id).aggregate(
        paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY),
        refunded=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.REFUND)), Value(ZERO), output_field=_MONEY))
    return row["paid"] - row["refunded"]


def budget_refund(*, rule: LineRule, application, amount: Decimal, user, reason: str) -> LedgerEntry:
    """A refund of paid money received (Erstattung after a revocation): a REFUND row in the year and line the
    money was paid from — never more than paid and not refunded. Locks the rule row (LOCK ORDER step 3). The
    caller releases the commitment it no longer needs (applications/revocation: the revoked part that was kept
    bound until refunded)."""
    amount = money(amount)
    if amount <= 0:
        raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        locked = lock_rules([rule.pk])[rule.pk]
        paid_net = paid_net_for_application(application_id=application.pk, rule_id=locked.pk)
        if amount > paid_net:
            raise BudgetError(f"Erstattet werden kann höchstens, was ausgezahlt und noch nicht zurückgezahlt ist: "
                              f"{format_eur(paid_net)}.")
        return LedgerEntry.objects.create(
            rule=locked, application=application, kind=LedgerKind.REFUND, amount=amount, reason=reason,
            created_by=user, created_by_name=_actor_name(user),
        )


def refunds_by_rule(*, rule_ids=None) -> dict[int, Decimal]:
    """Refunds received per rule (year and line), for the budget overview and the reports."""
    qs = LedgerEntry.objects.filter(kind=LedgerKind.REFUND)
    if rule_ids is not None:
        qs = qs.filter(rule_id__in=rule_ids)
    return {row["rule_id"]: row["total"] for row in qs.values("rule_id").annotate(total=Sum("amount")).order_by()}
@dataclass(frozen=True)
class PayItem:
    """One payment of a batch: `budget_pay` for many (a payment run)."""

    rule_id: int
    application_id: int
    amount: Decimal
    reason: str = ""


def budget_pay_batch(*, items: list[PayItem], user, application_ids_query=None) -> list[LedgerEntry]:
    """`budget_pay` for a whole payment run in a constant number of queries: the rules involved locked once in the
    one lock order, one aggregate of committed (against the allocation) and paid per application and rule, the
    check paid + new ≤ committed per application and rule (so committed − released ≥ paid holds per rule), then one
    batch insert of the PAYMENT rows. All or nothing: the first pair that would be overpaid refuses the batch.

    `application_ids_query` (a values("application_id") queryset) narrows the aggregate without sending ten
    thousand ids as parameters; without it the ids of `items` are used. Runs in the caller's transaction."""
    if not items:
        return []
    for item in items:
        if money(item.amount) <= 0:
            raise BudgetError("Der Betrag muss größer als 0 sein.")
    with transaction.atomic():
        lock_rules({i.rule_id for i in items})
        apps = application_ids_query if application_ids_query is not None else {i.application_id for i in items}
        rows = (LedgerEntry.objects.filter(rule_id__in={i.rule_id for i in items}, application_id__in=apps)
                .order_by().values("application_id", "rule_id")
                .annotate(committed=_signed(LedgerSource.ALLOCATION),
                          paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO),
                                        output_field=_MONEY),
                          refunded=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.REFUND)), Value(ZERO),
                                            output_field=_MONEY)))
        # paid and not refunded, as budget_pay counts it (a refund after a revocation gives room back)
        room = {(r["application_id"], r["rule_id"]): (r["committed"], r["paid"] - r["refunded"]) for r in rows}
        adding: dict[tuple[int, int], Decimal] = {}
        for item in items:
            key = (item.application_id, item.rule_id)
            adding[key] = adding.get(key, ZERO) + money(item.amount)
        for key, amount in sorted(adding.items()):
            committed, paid = room.get(key, (ZERO, ZERO))
            if paid + amount > committed:
                raise BudgetError(
                    f"Die Auszahlung überschreitet die Bewilligung (Antrag {key[0]}): gebunden "
                    f"{format_eur(committed)}, bereits ausgezahlt {format_eur(paid)}, in diesem Lauf "
                    f"{format_eur(amount)}.", )
        name = _actor_name(user)
        entries = LedgerEntry.objects.bulk_create([
            LedgerEntry(rule_id=i.rule_id, application_id=i.application_id, kind=LedgerKind.PAYMENT,
                        amount=money(i.amount), reason=i.reason, created_by=user, created_by_name=name)
            for i in items], batch_size=1000)
        from .figures_cache import figures_changed  # bulk_create sends no signals: raise the figures version

        figures_changed()
        return entries
