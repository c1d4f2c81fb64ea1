"""Read models for the budget: the years × lines overview, built from a fixed number of aggregate queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from .models import FundingPeriod, LineRule, ProgrammeYear
from .services import EMPTY_TOTALS, ZERO, BudgetFigures, figures_for, ledger_totals


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
    def enacted(self) -> bool:
        return self.programme_year.budget_enacted

    @property
    def has_authority(self) -> bool:
        return any(r.figures.authority is not None or r.figures.authority_committed for r in self.rows)

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
            authority=sum((r.figures.authority or ZERO for r in self.rows), ZERO),
            authority_committed=sum((r.figures.authority_committed for r in self.rows), ZERO),
            enacted=self.enacted,
            refunded=sum((r.figures.refunded for r in self.rows), ZERO),
        )

    @property
    def has_refunds(self) -> bool:
        return any(r.figures.refunded for r in self.rows)


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
        # not the rules' JSON and texts
        .only("allocation", "commitment_authority", "programme_year_id", "line__name", "line__order")
        .order_by("line__order", "line__name")
    )
    totals = ledger_totals(rule_ids=[r.pk for r in rules])
    for r in rules:
        year = by_id[r.programme_year_id]
        year.rows.append(BudgetRow(rule=r, figures=figures_for(r, totals.get(r.pk, EMPTY_TOTALS),
                                                                 enacted=year.enacted)))
    return list(by_id.values())


@dataclass
class PeriodLine:
    """One line over a funding period: enacted allocations, commitment authority of the years not yet enacted,
    committed (against both), paid, and what may still be booked."""

    line_name: str
    allocation: Decimal = ZERO
    authority: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    available: Decimal = ZERO
    years: list[int] = field(default_factory=list)

    def add(self, year: int, figures: BudgetFigures) -> None:
        self.years.append(year)
        self.committed += figures.committed_total
        self.paid += figures.paid
        self.available += figures.bookable
        if figures.enacted:
            self.allocation += figures.allocation
        else:
            self.authority += figures.authority or ZERO


@dataclass
class PeriodSummary:
    period: FundingPeriod
    lines: list[PeriodLine]
    missing_years: list[int]

    @property
    def totals(self) -> PeriodLine:
        total = PeriodLine(line_name="Summe")
        for line in self.lines:
            total.allocation += line.allocation
            total.authority += line.authority
            total.committed += line.committed
            total.paid += line.paid
            total.available += line.available
        return total


def period_overview(*, years: list[BudgetYear]) -> list[PeriodSummary]:
    """Each funding period as a whole (e.g. 2026–2030), summed per line from the years' figures already loaded
    (one query: the periods). Only lines that belong to the period (a rule in its first year or a rule linked to
    it) are shown."""
    by_year = {y.programme_year.year: y for y in years}
    out = []
    for period in FundingPeriod.objects.order_by("first_year"):
        lines: dict[str, PeriodLine] = {}
        for year in period.years:
            budget_year = by_year.get(year)
            if budget_year is None:
                continue
            for row in budget_year.rows:
                lines.setdefault(row.line.name, PeriodLine(line_name=row.line.name)).add(year, row.figures)
        out.append(PeriodSummary(period=period, lines=list(lines.values()),
                                 missing_years=[y for y in period.years if y not in by_year]))
    return out
