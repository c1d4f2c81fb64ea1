"""Read models for the budget: the years × lines overview, built from a fixed number of aggregate queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from .models import LineRule, ProgrammeYear
from .services import ZERO, BudgetFigures, ledger_totals


@dataclass(frozen=True)
class BudgetRow:
    rule: LineRule
    figures: BudgetFigures

    @property
    def line(self):
        return self.rule.line


@dataclass
class BudgetYear:
    programme_year: ProgrammeYear
    rows: list[BudgetRow] = field(default_factory=list)

    @property
    def volume(self) -> Decimal:
        return self.programme_year.volume

    @property
    def allocated(self) -> Decimal:
        return sum((r.figures.allocation for r in self.rows), ZERO)

    @property
    def unallocated(self) -> Decimal:
        return self.volume - self.allocated

    @property
    def allocated_share(self) -> Decimal:
        return _percent(self.allocated, self.volume)

    @property
    def totals(self) -> BudgetFigures:
        return BudgetFigures(
            allocation=self.allocated,
            committed=sum((r.figures.committed for r in self.rows), ZERO),
            paid=sum((r.figures.paid for r in self.rows), ZERO),
        )


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(Decimal("0.1"))


def budget_overview(*, years: list[int] | None = None) -> list[BudgetYear]:
    """Years (newest first) × lines with allocation, committed, paid, available and utilisation.

    Three queries whatever the number of years, lines and ledger entries: programme years, rules with their
    lines, and one aggregate over the ledger grouped by rule.
    """
    year_qs = ProgrammeYear.objects.order_by("-year")
    if years:
        year_qs = year_qs.filter(year__in=years)
    by_id = {y.pk: BudgetYear(programme_year=y) for y in year_qs}
    if not by_id:
        return []
    rules = list(
        LineRule.objects.filter(programme_year_id__in=by_id)
        .select_related("line")
        .only("allocation", "programme_year_id", "line__name", "line__order")  # not the rules' JSON and texts
        .order_by("line__order", "line__name")
    )
    totals = ledger_totals(rule_ids=[r.pk for r in rules])
    for r in rules:
        t = totals.get(r.pk, {"committed": ZERO, "paid": ZERO})
        by_id[r.programme_year_id].rows.append(
            BudgetRow(rule=r, figures=BudgetFigures(allocation=r.allocation, committed=t["committed"], paid=t["paid"]))
        )
    return list(by_id.values())
