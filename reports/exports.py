"""CSV and Excel exports of applications and ledger rows with the report's current filters.

Memory stays flat for 100,000 rows: one query read in chunks (.iterator(chunk_size=2000) over .values_list());
CSV and XLSX are both streamed while the rows are read (StreamingHttpResponse; XLSX by reports.spreadsheet, so the
first byte leaves before the first row is read). Numbers are typed (Excel can sum them), headers German.
Text from people (names, titles, reasons) is neutralised against formula injection (spreadsheet.neutralise) in
both formats; numbers and dates never are.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.utils import timezone

from applications.workflow import Status
from funding.models import LedgerKind, OrganisationKind

from .selectors import ReportFilters
from .spreadsheet import SheetColumn, neutralise, xlsx_stream

CHUNK = 2000
STATUS_LABELS = dict(Status.choices)
KIND_LABELS = dict(OrganisationKind.choices)
LEDGER_LABELS = dict(LedgerKind.choices)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = "text"  # text | money | int | date | datetime | status | orgkind | ledgerkind


APPLICATION_COLUMNS = [
    Column("Antrags-ID", "id", "int"),
    Column("Aktenzeichen", "file_number"),
    Column("Titel des Vorhabens", "title"),
    Column("Organisation", "organisation__name"),
    Column("Art der Organisation", "organisation__kind", "orgkind"),
    Column("Landkreis / Stadt", "district_name"),
    Column("Regierungsbezirk", "organisation__regierungsbezirk"),
    Column("Förderbereich", "rule__line__name"),
    Column("Programmjahr", "rule__programme_year__year", "int"),
    Column("Status", "status", "status"),
    Column("Eingereicht am", "submitted_at", "datetime"),
    Column("Entschieden am", "decided_at", "datetime"),
    Column("Gesamtkosten (€)", "total_costs", "money"),
    Column("Beantragt (€)", "requested_amount", "money"),
    Column("Bewilligt (€)", "approved_amount", "money"),
]

LEDGER_COLUMNS = [
    Column("Buchungs-ID", "id", "int"),
    Column("Gebucht am", "created_at", "datetime"),
    Column("Art", "kind", "ledgerkind"),
    Column("Betrag (€)", "amount", "money"),
    Column("Gebunden (€, Freigaben negativ)", "signed_committed", "money"),
    Column("Haushaltsjahr", "rule__programme_year__year", "int"),
    Column("Förderbereich", "rule__line__name"),
    Column("Aktenzeichen", "application__file_number"),
    Column("Organisation", "application__organisation__name"),
    Column("Landkreis / Stadt", "district_name"),
    Column("Regierungsbezirk", "application__organisation__regierungsbezirk"),
    Column("Gebucht von", "created_by_name"),
    Column("Begründung", "reason"),
]


def _applications(filters: ReportFilters):
    qs = filters.applications().annotate(
        district_name=Coalesce(F("organisation__entity__name"), F("organisation__district__name"))
    ).order_by("rule__programme_year__year", "rule__line__order", "id")
    return qs.values_list(*[c.field for c in APPLICATION_COLUMNS])


def _ledger(filters: ReportFilters):
    from django.db.models import Case, DecimalField, Value, When

    qs = filters.ledger().annotate(
        district_name=Coalesce(F("application__organisation__entity__name"),
                               F("application__organisation__district__name")),
        signed_committed=Case(
            When(kind=LedgerKind.COMMITMENT, then=F("amount")), When(kind=LedgerKind.RELEASE, then=-F("amount")),
            default=Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
    ).order_by("created_at", "id")
    return qs.values_list(*[c.field for c in LEDGER_COLUMNS])


DATASETS = {
    "antraege": ("Anträge", APPLICATION_COLUMNS, _applications),
    "buchungen": ("Haushaltsbuchungen", LEDGER_COLUMNS, _ledger),
}


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def _typed(value, kind: str):
    """A cell value for Excel: Decimal → float is not used; openpyxl writes Decimal as a number."""
    if value is None:
        return None
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "datetime":
        return _local(value)
    if kind == "status":
        return STATUS_LABELS.get(value, value)
    if kind == "orgkind":
        return KIND_LABELS.get(value, value)
    if kind == "ledgerkind":
        return LEDGER_LABELS.get(value, value)
    return value


def _csv_text(value, kind: str) -> str:
    """German spreadsheet conventions: decimal comma, dates dd.mm.yyyy."""
    value = _typed(value, kind)
    if value is None:
        return ""
    if kind == "money":
        return f"{value:.2f}".replace(".", ",")
    if kind == "datetime":
        return value.strftime("%d.%m.%Y %H:%M")
    if kind == "int" and isinstance(value, int):
        return str(value)
    return neutralise(str(value))


class _Echo:
    def write(self, value):
        return value


def _filename(title: str, filters: ReportFilters, ext: str) -> str:
    parts = ["WIR", title.replace(" ", "-")]
    if filters.year:
        parts.append(str(filters.year))
    parts.append(timezone.localdate().strftime("%Y%m%d"))
    return "-".join(parts).replace("ä", "ae").replace("ö", "oe").replace("ü", "ue") + f".{ext}"


def csv_rows(dataset: str, filters: ReportFilters):
    """Yield CSV lines (first the UTF-8 BOM so Excel reads umlauts, then the header)."""
    _, columns, query = DATASETS[dataset]
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([c.header for c in columns])
    kinds = [c.kind for c in columns]
    for row in query(filters).iterator(chunk_size=CHUNK):
        yield writer.writerow([_csv_text(v, k) for v, k in zip(row, kinds, strict=True)])


def xlsx_chunks(dataset: str, filters: ReportFilters):
    """Yield the .xlsx file in pieces while the rows are read (reports.spreadsheet.xlsx_stream)."""
    title, columns, query = DATASETS[dataset]
    kinds = [c.kind for c in columns]
    sheet_columns = [
        SheetColumn(c.header, style=c.kind if c.kind in ("money", "int", "datetime") else "text",
                    width=14 if c.kind in ("money", "int", "datetime") else 28)
        for c in columns
    ]

    def rows():
        for row in query(filters).iterator(chunk_size=CHUNK):
            yield [_typed(v, k) for v, k in zip(row, kinds, strict=True)]

    return xlsx_stream(title=title, columns=sheet_columns, rows=rows())


def export_response(*, dataset: str, fmt: str, filters: ReportFilters):
    title = DATASETS[dataset][0]
    if fmt == "csv":
        response = StreamingHttpResponse(csv_rows(dataset, filters), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(title, filters, "csv")}"'
        return response
    response = StreamingHttpResponse(
        xlsx_chunks(dataset, filters), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(title, filters, "xlsx")}"'
    return response
