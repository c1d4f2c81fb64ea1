"""Every figure of the programme reports, computed by database aggregation.

Each public function runs a fixed number of queries whatever the number of applications or ledger rows; nothing
here loops over application or ledger rows in Python (only over the already aggregated rows: at most one per
funding line, year or district).

Definitions (the same as funding.services.ledger_totals):
    committed = commitments − releases (booked against the line's rule of that budget year)
    paid      = payments
    available = allocation − committed
Applications belong to the year and line of their rule; money belongs to the budget year of the ledger row's rule
(a multi-year approval booked 2027/2028 counts to 2027 and 2028 respectively).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from applications.models import Application
from applications.workflow import Status
from funding.models import District, FundingLine, LedgerEntry, LedgerKind, LineRule, ProgrammeYear, Regierungsbezirk
from wir_portal.money import money

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)

FUNDED = [Status.APPROVED, Status.PARTIALLY_APPROVED]
DECIDED = [Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REJECTED]
PENDING = [Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.RESUBMITTED, Status.RECOMMENDED]
FIRST_YEAR = 2014


# --- Filters --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """The filters of all report pages and exports (already validated, see forms.ReportFilterForm)."""

    year: int | None = None
    line_id: int | None = None
    regierungsbezirk: str = ""
    district_id: int | None = None
    kind: str = ""

    @property
    def scoped_to_organisations(self) -> bool:
        """Region or kind filters narrow applications and money, but not the lines' allocations."""
        return bool(self.regierungsbezirk or self.district_id or self.kind)

    def application_q(self, prefix: str = "") -> Q:
        """Q for applications (prefix "application__" when filtering ledger rows)."""
        q = Q()
        if self.regierungsbezirk:
            q &= Q(**{f"{prefix}organisation__regierungsbezirk": self.regierungsbezirk})
        if self.district_id:
            q &= Q(**{f"{prefix}organisation__entity_id": self.district_id}) | Q(
                **{f"{prefix}organisation__entity__isnull": True, f"{prefix}organisation__district_id": self.district_id}
            )
        if self.kind:
            q &= Q(**{f"{prefix}organisation__kind": self.kind})
        return q

    def applications(self) -> QuerySet[Application]:
        qs = Application.objects.filter(self.application_q())
        if self.year:
            qs = qs.filter(rule__programme_year__year=self.year)
        if self.line_id:
            qs = qs.filter(rule__line_id=self.line_id)
        return qs

    def ledger(self) -> QuerySet[LedgerEntry]:
        qs = LedgerEntry.objects.filter(self.application_q("application__"))
        if self.year:
            qs = qs.filter(rule__programme_year__year=self.year)
        if self.line_id:
            qs = qs.filter(rule__line_id=self.line_id)
        return qs

    def admin_params(self, year_ids: dict[int, int]) -> dict[str, str]:
        """The same filters as query parameters of the admin changelist of applications (which filters the
        programme year by its primary key: year_ids maps year → ProgrammeYear.pk)."""
        params: dict[str, str] = {}
        if self.year and self.year in year_ids:
            params[ADMIN_PARAMS["year"]] = str(year_ids[self.year])
        if self.line_id:
            params[ADMIN_PARAMS["line"]] = str(self.line_id)
        if self.regierungsbezirk:
            params[ADMIN_PARAMS["regierungsbezirk"]] = self.regierungsbezirk
        if self.district_id:
            params[ADMIN_PARAMS["district"]] = str(self.district_id)
        if self.kind:
            params[ADMIN_PARAMS["kind"]] = self.kind
        return params

    def query_params(self) -> dict[str, str]:
        """The filters as query parameters of the report pages and exports."""
        params = {"jahr": self.year, "bereich": self.line_id, "rb": self.regierungsbezirk,
                  "kreis": self.district_id, "art": self.kind}
        return {k: str(v) for k, v in params.items() if v}


# Query parameters of the applications admin changelist (applications/admin.py list_filter).
ADMIN_PARAMS = {
    "year": "rule__programme_year__id__exact",
    "line": "rule__line__id__exact",
    "regierungsbezirk": "organisation__regierungsbezirk__exact",
    "district": "organisation__district__id__exact",
    "kind": "organisation__kind__exact",
    "status": "status",  # StatusFilter.parameter_name
    "status_in": "status__in",
}
ADMIN_APPLICATIONS_URL = "/admin/applications/application/"
ADMIN_LEDGER_URL = "/admin/funding/ledgerentry/"


# --- Database helpers -----------------------------------------------------------------------------------------


class DaysBetween(Func):
    """Days (fractional) from the first to the second datetime expression."""

    output_field = FloatField()

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))",
                           arg_joiner=") - julianday(", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection,
                           template="(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 86400.0)",
                           arg_joiner=" - ", **extra_context)


class Median(Aggregate):
    """PostgreSQL: percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _committed():
    return Coalesce(
        Sum(Case(When(kind=LedgerKind.COMMITMENT, then=F("amount")), When(kind=LedgerKind.RELEASE, then=-F("amount")),
                 default=Value(ZERO), output_field=_MONEY)),
        Value(ZERO), output_field=_MONEY,
    )


def _paid():
    return Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY)


def _money_sum(field_name: str, q: Q | None = None):
    return Coalesce(Sum(field_name, filter=q), Value(ZERO), output_field=_MONEY)


def application_counts():
    """Annotations counting applications by outcome (one aggregate query when used with values())."""
    return {
        "received": Count("id", filter=Q(submitted_at__isnull=False)),
        "decided": Count("id", filter=Q(status__in=DECIDED)),
        "approved": Count("id", filter=Q(status__in=FUNDED)),
        "partially": Count("id", filter=Q(status=Status.PARTIALLY_APPROVED)),
        "rejected": Count("id", filter=Q(status=Status.REJECTED)),
        "pending": Count("id", filter=Q(status__in=PENDING)),
        "withdrawn": Count("id", filter=Q(status=Status.WITHDRAWN, submitted_at__isnull=False)),
        "requested": _money_sum("requested_amount", Q(submitted_at__isnull=False)),
    }


def medians(qs: QuerySet[Application], group: str | None) -> dict:
    """Median days from submission to decision of the decided applications, per value of `group` (or None → key
    None for all). One query on either database.

    PostgreSQL: percentile_cont. SQLite: the middle row(s) of each group picked by window functions (ordered offset),
    so at most two rows per group leave the database.
    """
    decided = qs.filter(status__in=DECIDED, submitted_at__isnull=False, decided_at__isnull=False)
    days = DaysBetween(F("submitted_at"), F("decided_at"))
    if connection.vendor == "postgresql":
        if group is None:
            value = decided.aggregate(m=Median(days))["m"]
            return {None: value} if value is not None else {}
        rows = decided.order_by().values(group).annotate(m=Median(days)).values_list(group, "m")
        return {key: value for key, value in rows if value is not None}
    partition = [F(group)] if group else []
    rows = (
        decided.order_by()
        .annotate(
            days=days,
            rn=Window(RowNumber(), partition_by=partition or None, order_by=F("days").asc()),
            cnt=Window(Count("id"), partition_by=partition or None),
        )
        .filter(rn__gte=(F("cnt") + 1) / 2, rn__lte=(F("cnt") + 2) / 2)
        .values_list(group or "cnt", "days")
    )
    middle: dict = {}
    for key, value in rows:  # at most two rows per group
        middle.setdefault(key if group else None, []).append(value)
    return {key: sum(values) / len(values) for key, values in middle.items()}


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return money(Decimal(part) * 100 / Decimal(whole))


def _days(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"))


# --- Overview of one year -------------------------------------------------------------------------------------


@dataclass
class LineRow:
    line_id: int
    name: str
    rule_id: int | None = None
    allocation: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    received: int = 0
    decided: int = 0
    approved: int = 0
    partially: int = 0
    rejected: int = 0
    pending: int = 0
    withdrawn: int = 0
    requested: Decimal = ZERO
    median_days: Decimal | None = None
    refunded: Decimal = ZERO  # refunds after a revocation (ledger REFUND rows, applications/revocation)

    @property
    def available(self) -> Decimal:
        return self.allocation - self.committed

    @property
    def utilisation(self) -> Decimal | None:
        return money(self.committed * 100 / self.allocation) if self.allocation else None

    @property
    def approval_rate(self) -> Decimal | None:
        return _rate(self.approved, self.decided)

    @property
    def committed_unpaid(self) -> Decimal:
        return max(self.committed - self.paid, ZERO)


@dataclass
class Overview:
    filters: ReportFilters
    year: int
    volume: Decimal | None
    rows: list[LineRow]
    total: LineRow
    allocated: Decimal = ZERO

    @property
    def unallocated(self) -> Decimal | None:
        return None if self.volume is None else self.volume - self.allocated


def _add_counts(target: LineRow, counts: dict) -> None:
    for key in ("received", "decided", "approved", "partially", "rejected", "pending", "withdrawn", "requested"):
        setattr(target, key, counts[key])


def programme_overview(filters: ReportFilters) -> Overview:
    """Volume, and per funding line allocation, committed, paid, available, utilisation, application counts,
    approval rate and median decision time, for filters.year. Six queries."""
    year = filters.year or datetime.date.today().year
    volume = ProgrammeYear.objects.filter(year=year).values_list("volume", flat=True).first()  # 1
    rules = (LineRule.objects.filter(programme_year__year=year).select_related("line")
             .only("allocation", "line__name", "line__order").order_by("line__order", "line__name"))
    if filters.line_id:
        rules = rules.filter(line_id=filters.line_id)
    rows = {r.line_id: LineRow(line_id=r.line_id, name=r.line.name, rule_id=r.pk, allocation=r.allocation)
            for r in rules}  # 2
    money_rows = (filters.ledger().order_by().values("rule__line_id")
                  .annotate(committed=_committed(), paid=_paid(),
                            refunded=_money_sum("amount", Q(kind=LedgerKind.REFUND))))  # 3
    for m in money_rows:
        row = rows.get(m["rule__line_id"])
        if row is not None:
            row.committed, row.paid, row.refunded = m["committed"], m["paid"], m["refunded"]
    apps = filters.applications().filter(rule__programme_year__year=year)
    for c in apps.order_by().values("rule__line_id").annotate(**application_counts()):  # 4
        row = rows.get(c["rule__line_id"])
        if row is not None:
            _add_counts(row, c)
    for line_id, value in medians(apps, "rule__line_id").items():  # 5
        if line_id in rows:
            rows[line_id].median_days = _days(value)
    total = LineRow(line_id=0, name="Summe")
    for row in rows.values():  # aggregated rows, one per line
        for key in ("allocation", "committed", "paid", "received", "decided", "approved", "partially", "rejected",
                    "pending", "withdrawn", "requested", "refunded"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    total.median_days = _days(medians(apps, None).get(None))  # 6
    allocated = total.allocation
    return Overview(filters=filters, year=year, volume=volume, rows=list(rows.values()), total=total,
                    allocated=allocated)


# --- Trend across years ---------------------------------------------------------------------------------------


@dataclass
class YearRow:
    year: int
    volume: Decimal = ZERO
    allocation: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    received: int = 0
    decided: int = 0
    approved: int = 0
    partially: int = 0
    rejected: int = 0
    pending: int = 0
    withdrawn: int = 0
    requested: Decimal = ZERO
    median_days: Decimal | None = None

    @property
    def utilisation(self) -> Decimal | None:
        return money(self.committed * 100 / self.volume) if self.volume else None

    @property
    def approval_rate(self) -> Decimal | None:
        return _rate(self.approved, self.decided)


def programme_trend(filters: ReportFilters, *, last_year: int | None = None) -> list[YearRow]:
    """One row per programme year from 2014 to last_year (default: the latest programme year). Five queries.

    filters.year is ignored here (the trend is across years); the other filters apply."""
    filters = ReportFilters(line_id=filters.line_id, regierungsbezirk=filters.regierungsbezirk,
                            district_id=filters.district_id, kind=filters.kind)
    years = ProgrammeYear.objects.filter(year__gte=FIRST_YEAR).order_by("year")
    if last_year:
        years = years.filter(year__lte=last_year)
    rows = {y: YearRow(year=y, volume=v) for y, v in years.values_list("year", "volume")}  # 1
    rules = LineRule.objects.filter(programme_year__year__in=list(rows))
    if filters.line_id:
        rules = rules.filter(line_id=filters.line_id)
    for a in rules.order_by().values("programme_year__year").annotate(total=_money_sum("allocation")):  # 2
        rows[a["programme_year__year"]].allocation = a["total"]
    ledger = filters.ledger().filter(rule__programme_year__year__in=list(rows))
    for m in ledger.order_by().values("rule__programme_year__year").annotate(committed=_committed(), paid=_paid()):  # 3
        row = rows[m["rule__programme_year__year"]]
        row.committed, row.paid = m["committed"], m["paid"]
    apps = filters.applications().filter(rule__programme_year__year__in=list(rows))
    for c in apps.order_by().values("rule__programme_year__year").annotate(**application_counts()):  # 4
        for key in ("received", "decided", "approved", "partially", "rejected", "pending", "withdrawn", "requested"):
            setattr(rows[c["rule__programme_year__year"]], key, c[key])
    for y, value in medians(apps, "rule__programme_year__year").items():  # 5
        rows[y].median_days = _days(value)
    return list(rows.values())


# --- By region ------------------------------------------------------------------------------------------------


@dataclass
class RegionRow:
    key: object
    name: str
    kind: str = ""
    regierungsbezirk: str = ""
    population: int | None = None
    received: int = 0
    decided: int = 0
    approved: int = 0
    rejected: int = 0
    pending: int = 0
    requested: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def per_inhabitant(self) -> Decimal | None:
        if not self.population:
            return None
        return money(self.committed / self.population)


@dataclass
class Regions:
    filters: ReportFilters
    bezirke: list[RegionRow]
    districts: list[RegionRow]
    unassigned: RegionRow
    total: RegionRow
    has_population: bool = False


_REGION_COUNTS = ("received", "decided", "approved", "rejected", "pending", "requested")


def regions_report(filters: ReportFilters) -> Regions:
    """Per Regierungsbezirk and per each of the 33 districts: applications, committed and paid money and (where
    the population is known) committed € per inhabitant. Organisations that are not one of the 33 count to their
    seat district (Organisation.district). Five queries."""
    district_key = Coalesce(F("organisation__entity_id"), F("organisation__district_id"))
    ledger_district_key = Coalesce(F("application__organisation__entity_id"), F("application__organisation__district_id"))
    districts = {d.pk: RegionRow(key=d.pk, name=d.name, kind=d.get_kind_display(), regierungsbezirk=d.regierungsbezirk,
                                 population=d.population)
                 for d in District.objects.order_by("regierungsbezirk", "name")}  # 1
    bezirke = {value: RegionRow(key=value, name=label) for value, label in Regierungsbezirk.choices}
    unassigned = RegionRow(key=None, name="ohne Zuordnung zu einem Kreis")
    apps = filters.applications()
    counts = application_counts()
    region_counts = {k: counts[k] for k in _REGION_COUNTS}
    for c in apps.order_by().annotate(dkey=district_key).values("dkey").annotate(**region_counts):  # 2
        row = districts.get(c["dkey"], unassigned)
        for key in _REGION_COUNTS:
            setattr(row, key, c[key])
    for c in apps.order_by().values("organisation__regierungsbezirk").annotate(**region_counts):  # 3
        row = bezirke.setdefault(c["organisation__regierungsbezirk"],
                                 RegionRow(key=c["organisation__regierungsbezirk"], name=c["organisation__regierungsbezirk"]))
        for key in _REGION_COUNTS:
            setattr(row, key, c[key])
    ledger = filters.ledger().order_by()
    for m in ledger.annotate(dkey=ledger_district_key).values("dkey").annotate(committed=_committed(), paid=_paid()):  # 4
        row = districts.get(m["dkey"], unassigned)
        row.committed, row.paid = m["committed"], m["paid"]
    for m in ledger.values("application__organisation__regierungsbezirk").annotate(committed=_committed(), paid=_paid()):  # 5
        key = m["application__organisation__regierungsbezirk"]
        row = bezirke.setdefault(key, RegionRow(key=key, name=key))
        row.committed, row.paid = m["committed"], m["paid"]
    # Population of a Regierungsbezirk only where every one of its districts has a known population.
    for rb in bezirke.values():
        members = [d for d in districts.values() if d.regierungsbezirk == rb.key]
        if members and all(d.population for d in members):
            rb.population = sum(d.population for d in members)
    total = RegionRow(key="total", name="Hessen insgesamt")
    for row in bezirke.values():
        for key in (*_REGION_COUNTS, "committed", "paid"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    if all(d.population for d in districts.values()) and districts:
        total.population = sum(d.population for d in districts.values())
    if filters.district_id:
        district_rows = [d for d in districts.values() if d.key == filters.district_id]
    elif filters.regierungsbezirk:
        district_rows = [d for d in districts.values() if d.regierungsbezirk == filters.regierungsbezirk]
    else:
        district_rows = list(districts.values())
    return Regions(filters=filters, bezirke=list(bezirke.values()), districts=district_rows, unassigned=unassigned,
                   total=total, has_population=any(d.population for d in districts.values()))


# --- Reference lists for the filter form ----------------------------------------------------------------------


@dataclass
class FilterChoices:
    years: list[int] = field(default_factory=list)
    year_ids: dict[int, int] = field(default_factory=dict)
    lines: list[tuple[int, str]] = field(default_factory=list)
    districts: list[tuple[int, str]] = field(default_factory=list)


def filter_choices() -> FilterChoices:
    """Three queries."""
    year_ids = dict(ProgrammeYear.objects.order_by("-year").values_list("year", "id"))
    return FilterChoices(
        years=list(year_ids), year_ids=year_ids,
        lines=list(FundingLine.objects.order_by("order", "name").values_list("id", "name")),
        districts=list(District.objects.order_by("name").values_list("id", "name")),
    )


def ledger_committed_total(filters: ReportFilters) -> Decimal:
    """The ledger's committed sum under these filters (the reports' totals must equal it)."""
    return filters.ledger().aggregate(total=_committed())["total"]


# --- Cash flow (payments) -------------------------------------------------------------------------------------


@dataclass
class CashFlowRow:
    year: int
    month: int | None
    count: int = 0
    paid: Decimal = ZERO


@dataclass
class CashFlow:
    months: list[CashFlowRow]
    years: list[CashFlowRow]

    @property
    def total(self) -> Decimal:
        return sum((r.paid for r in self.years), ZERO)


def cash_flow(filters: ReportFilters) -> CashFlow:
    """Money paid out (PAYMENT ledger entries) per calendar month and year of the booking. The filters narrow by
    programme year, line and region like the other pages. Two queries."""
    from django.db.models.functions import ExtractMonth, ExtractYear

    ledger = filters.ledger().filter(kind=LedgerKind.PAYMENT).order_by()
    months = [
        CashFlowRow(year=m["y"], month=m["m"], count=m["n"], paid=m["paid"])
        for m in ledger.annotate(y=ExtractYear("created_at"), m=ExtractMonth("created_at"))
        .values("y", "m").annotate(n=Count("id"), paid=_money_sum("amount")).order_by("y", "m")
    ]
    years = [
        CashFlowRow(year=m["y"], month=None, count=m["n"], paid=m["paid"])
        for m in ledger.annotate(y=ExtractYear("created_at")).values("y")
        .annotate(n=Count("id"), paid=_money_sum("amount")).order_by("y")
    ]
    return CashFlow(months=months, years=years)


# --- Proof of use (applications/proof): state per year, line and region -----------------------------------------

@dataclass(frozen=True)
class ProofStateRow:
    year: int
    line: str
    region: str
    due: int
    overdue: int
    submitted: int
    checked: int
    repayment: Decimal

    @property
    def total(self) -> int:
        return self.due + self.overdue + self.submitted + self.checked


def proof_states(filters: ReportFilters, *, today: datetime.date | None = None) -> list[ProofStateRow]:
    """Proofs of use per budget year (the last year a proof covers), line and Regierungsbezirk: due (open, not yet
    overdue), overdue, submitted (incl. in check), checked — and the repayments the countersigned checks computed.
    The year filter picks the proofs covering that budget year. Two queries, whatever the number of proofs."""
    from applications.models import CheckStatus, Proof, ProofCheck, ProofStatus

    today = today or timezone.localdate()
    proofs = Proof.objects.filter(filters.application_q("application__"))
    checks = ProofCheck.objects.filter(filters.application_q("proof__application__"), status=CheckStatus.COUNTERSIGNED)
    if filters.year:
        proofs = proofs.filter(year_from__lte=filters.year, year_to__gte=filters.year)
        checks = checks.filter(proof__year_from__lte=filters.year, proof__year_to__gte=filters.year)
    if filters.line_id:
        proofs = proofs.filter(application__rule__line_id=filters.line_id)
        checks = checks.filter(proof__application__rule__line_id=filters.line_id)
    keys = ("year_to", "application__rule__line__name", "application__organisation__regierungsbezirk")
    repayments = {
        (r["proof__year_to"], r["proof__application__rule__line__name"],
         r["proof__application__organisation__regierungsbezirk"]): r["total"]
        for r in checks.order_by().values(*[f"proof__{k}" for k in keys]).annotate(total=_money_sum("repayment"))
    }
    rows = []
    for r in (proofs.order_by().values(*keys)
              .annotate(due=Count("id", filter=Q(status=ProofStatus.OPEN, due_on__gte=today)),
                        overdue=Count("id", filter=Q(status=ProofStatus.OPEN, due_on__lt=today)),
                        submitted=Count("id", filter=Q(status__in=(ProofStatus.SUBMITTED, ProofStatus.IN_CHECK))),
                        checked=Count("id", filter=Q(status=ProofStatus.CHECKED)))
              .order_by(*keys)):
        key = (r["year_to"], r["application__rule__line__name"], r["application__organisation__regierungsbezirk"])
        rows.append(ProofStateRow(year=key[0], line=key[1], region=key[2], due=r["due"], overdue=r["overdue"],
                                  submitted=r["submitted"], checked=r["checked"],
                                  repayment=repayments.get(key) or Decimal("0.00")))
    return rows
