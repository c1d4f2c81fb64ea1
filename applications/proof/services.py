"""Proof of use (Verwendungsnachweis): due dates, the Belegliste kept during the project, the zahlenmäßiger
Nachweis and Sachbericht, submission by a signatory, reminders, the check by staff and its Prüfvermerk.

Every rule that writes lives here; views, admin and tasks call these functions. Money is Decimal. Lock order (the
one of every money path, funding/services.py): application → proof → line rules (through budget_release).

Legal basis (cited in the German texts): Nr. 1.2, 1.4, 2.1, 6.1, 6.9 ANBest-P / ANBest-GK (Anlagen 2 und 3 zu den
VV zu § 44 LHO Hessen) and VV Nr. 11 zu § 44 LHO (Prüfung des Verwendungsnachweises).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils import timezone

from applications import decision_rules
from applications.audit import ApplicationError, actor_name, event_record
from applications.models import (
    Application,
    CheckDepth,
    CheckOutcome,
    CheckStatus,
    CostItem,
    Expense,
    Membership,
    Notice,
    NoticeKind,
    Payment,
    PaymentStatus,
    PlanYear,
    Proof,
    ProofCheck,
    ProofDocument,
    ProofDocumentKind,
    ProofIncome,
    ProofKind,
    ProofReminder,
    ProofReminderKind,
    ProofStatus,
    Role,
)
from applications.notices.outbox import mail_queue, notice_create
from applications.portal.uploads import validate_upload
from applications.workflow import FUNDED
from funding import services as budget
from funding.models import FinancingType, LineRule
from wir_portal import mail
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")


class ProofError(ApplicationError):
    """A proof-of-use rule refused the request. German message; `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _lock(application_id: int) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("organisation", "rule__line", "rule__programme_year").get(pk=application_id))


def _recipients(application: Application) -> list[str]:
    return sorted({e for e in [application.organisation.email, application.contact_email] if e})


def _portal_link(application: Application) -> str:
    return f"{settings.SITE_URL}{reverse('portal:proof', args=[application.pk])}"


def is_signatory(user, organisation_id: int) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, organisation_id=organisation_id, role__in=(Role.SIGNATORY, Role.ADMIN)).exists()


def _require_staff(user, perm: str, what: str) -> None:
    if not (user.is_authenticated and user.is_staff and user.has_perm(f"applications.{perm}")):
        raise ProofError(f"Sie haben keine Berechtigung, {what}.")


# --- 1. Due dates --------------------------------------------------------------------------------------------------

def _notice_dues(application: Application) -> list[decision_rules.ProofDue] | None:
    """The due dates the latest approval or amendment notice named (None: no notice names them)."""
    notice = (Notice.objects.filter(application_id=application.pk, kind__in=(NoticeKind.APPROVAL, NoticeKind.AMENDMENT))
              .order_by("-created_at", "-id").only("context").first())
    return _dues_from(notice.context if notice else {})


def _dues_from(context: dict) -> list[decision_rules.ProofDue] | None:
    """Due dates from a notice's context (or the same keys read from the database); None if it names none."""
    if not context.get("proof_deadline") or not context.get("period_end"):
        return None
    interim = context.get("proof_interim") or []
    if isinstance(interim, str):  # read as text from the database (KT)
        interim = json.loads(interim)
    start = datetime.date.fromisoformat(context.get("period_start") or context["period_end"])
    end = datetime.date.fromisoformat(context["period_end"])
    dues = [decision_rules.ProofDue(ProofKind.INTERIM, d["year"], d["year"], datetime.date.fromisoformat(d["due_on"]))
            for d in interim]
    dues.append(decision_rules.ProofDue(ProofKind.FINAL, start.year, end.year,
                                        datetime.date.fromisoformat(context["proof_deadline"])))
    return dues


def proof_dues(application: Application) -> list[decision_rules.ProofDue]:
    """What the grant owes, as the notice said it (computed from the terms of the line and year for an approval
    without a stored date)."""
    dues = _notice_dues(application)
    if dues is not None:
        return dues
    if not application.period_end:
        return []
    terms = decision_rules.proof_terms_for(line_id=application.rule.line_id, year=application.rule.programme_year.year)
    return decision_rules.proof_due_dates(period_start=application.period_start or application.period_end,
                                          period_end=application.period_end, terms=terms)


def proofs_ensure(*, application: Application) -> list[Proof]:
    """Create the proof rows a funded application owes (idempotent), and move the due date of open ones when an
    Änderungsbescheid changed the period. Submitted or checked proofs keep their dates."""
    if application.status not in FUNDED:
        return list(application.proofs.all())
    existing = {(p.kind, p.year_from): p for p in Proof.objects.filter(application_id=application.pk)}
    wanted = proof_dues(application)
    to_create = []
    for due in wanted:
        proof = existing.get((due.kind, due.year_from))
        if proof is None:
            to_create.append(Proof(application_id=application.pk, kind=due.kind, year_from=due.year_from,
                                   year_to=due.year_to, due_on=due.due_on))
        elif proof.status == ProofStatus.OPEN and (proof.due_on, proof.year_to) != (due.due_on, due.year_to):
            Proof.objects.filter(pk=proof.pk).update(due_on=due.due_on, year_to=due.year_to)
    if to_create:
        Proof.objects.bulk_create(to_create, ignore_conflicts=True)
    return list(Proof.objects.filter(application_id=application.pk).order_by("due_on", "id"))


ENSURE_BATCH = 1000


def proofs_ensure_all(*, limit: int | None = None) -> int:
    """Beat: create the proofs of funded applications that have none yet, as their latest approval or amendment
    notice named them (nothing in the core calls this room). In batches: per batch one query for the notices'
    dates (only those keys of the context) and one bulk insert. Returns how many applications were handled."""
    qs = (Application.objects.filter(status__in=FUNDED, period_end__isnull=False)
          .filter(~Exists(Proof.objects.filter(application_id=OuterRef("pk")))).order_by("pk")
          .values_list("pk", "period_start", "period_end", "rule__line_id", "rule__programme_year__year"))
    rows = list(qs[:limit] if limit else qs)
    terms: dict[tuple[int, int], decision_rules.ProofTermsValues] = {}
    for index in range(0, len(rows), ENSURE_BATCH):
        batch = rows[index:index + ENSURE_BATCH]
        contexts: dict[int, dict] = {}
        for n in (Notice.objects.filter(application_id__in=[r[0] for r in batch],
                                        kind__in=(NoticeKind.APPROVAL, NoticeKind.AMENDMENT))
                  .order_by("application_id", "-created_at", "-id")
                  .values("application_id", proof_deadline=KT("context__proof_deadline"),
                          proof_interim=KT("context__proof_interim"), period_start=KT("context__period_start"),
                          period_end=KT("context__period_end"))):
            contexts.setdefault(n["application_id"], n)
        proofs = []
        for pk, start, end, line_id, year in batch:
            dues = _dues_from(contexts.get(pk) or {})
            if dues is None:
                if (line_id, year) not in terms:
                    terms[(line_id, year)] = decision_rules.proof_terms_for(line_id=line_id, year=year)
                dues = decision_rules.proof_due_dates(period_start=start or end, period_end=end,
                                                      terms=terms[(line_id, year)])
            proofs += [Proof(application_id=pk, kind=d.kind, year_from=d.year_from, year_to=d.year_to,
                             due_on=d.due_on) for d in dues]
        Proof.objects.bulk_create(proofs, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def is_overdue(proof: Proof, *, today: datetime.date | None = None) -> bool:
    return proof.status == ProofStatus.OPEN and proof.due_on < (today or timezone.localdate())


# --- 2. Belegliste ---------------------------------------------------------------------------------------------------

def _plan_items(application: Application) -> list[CostItem]:
    """The cost lines of the approved plan (approved amount > 0; before a line decision the amount applied for)."""
    return [c for c in application.cost_items.all().order_by("year", "id")
            if (c.approved_amount if c.approved_amount is not None else c.amount) > 0]


def item_label(item: CostItem, number: int) -> str:
    return f"{item.year}/{number} {item.description}"


def _eligible(item: CostItem) -> Decimal:
    return item.approved_amount if item.approved_amount is not None else item.amount


def locked_years_for(application_id: int) -> set[int]:
    """Years whose proof has been submitted: their Belegliste is part of a submitted proof and stays as it was."""
    years: set[int] = set()
    for year_from, year_to in (Proof.objects.filter(application_id=application_id)
                               .exclude(status=ProofStatus.OPEN).values_list("year_from", "year_to")):
        years.update(range(year_from, year_to + 1))
    return years


def _period(application: Application) -> tuple[datetime.date | None, datetime.date | None]:
    start = application.period_start
    if application.early_start_consented and application.early_start_from and (
            start is None or application.early_start_from < start):
        start = application.early_start_from
    return start, application.period_end


def parse_amount(value) -> Decimal:
    """'1.234,56' / '1234,56' / '1234.56' / Decimal / int -> Decimal; raises ValueError with a German message
    (more than two decimals, not a number, not positive)."""
    if isinstance(value, float):  # a spreadsheet cell: its shortest representation, never binary noise
        value = repr(value)
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    else:
        text = str(value or "").strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
        if not text:
            raise ValueError("Bitte geben Sie einen Betrag an.")
        if "," in text and "." in text:
            decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_sep == "," else ","
            text = text.replace(thousands, "").replace(decimal_sep, ".")
        else:
            text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"„{value}“ ist kein Betrag (Beispiel: 1234,56).") from None
    if not amount.is_finite():
        raise ValueError(f"„{value}“ ist kein Betrag (Beispiel: 1234,56).")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"Der Betrag „{value}“ hat mehr als zwei Nachkommastellen; bitte auf Cent genau angeben.")
    if amount <= 0:
        raise ValueError("Der Betrag muss größer als 0 sein.")
    if amount >= Decimal("10000000000"):
        raise ValueError("Der Betrag ist zu groß.")
    return money(amount)


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"„{text}“ ist kein Datum (Beispiel: 31.03.2027)." if text else "Bitte geben Sie ein Datum an.")


@dataclass
class ExpenseInput:
    paid_on: datetime.date | None
    payee: str
    purpose: str
    amount: Decimal | None
    cost_item: CostItem | None
    receipt_number: str = ""


def expense_problems(*, application: Application, data: ExpenseInput, locked_years: set[int]) -> dict[str, str]:
    """German messages by field for one line of the Belegliste (empty: fine)."""
    problems: dict[str, str] = {}
    start, end = _period(application)
    if data.paid_on is not None and start and end and not (start <= data.paid_on <= end):
        problems["paid_on"] = (f"Das Zahlungsdatum {data.paid_on:%d.%m.%Y} liegt außerhalb des "
                               f"Bewilligungszeitraums ({start:%d.%m.%Y} bis {end:%d.%m.%Y}).")
    if not data.payee.strip():
        problems["payee"] = "Bitte geben Sie an, an wen gezahlt wurde."
    elif len(data.payee) > 200:
        problems["payee"] = "Der Empfänger darf höchstens 200 Zeichen lang sein."
    if not data.purpose.strip():
        problems["purpose"] = "Bitte geben Sie den Grund der Zahlung an."
    elif len(data.purpose) > 300:
        problems["purpose"] = "Der Grund darf höchstens 300 Zeichen lang sein."
    if len(data.receipt_number) > 60:
        problems["receipt_number"] = "Die Beleg-Nr. darf höchstens 60 Zeichen lang sein."
    item = data.cost_item
    if item is None or item.application_id != application.pk or _eligible(item) <= 0:
        problems["cost_item"] = "Diese Kostenposition gehört nicht zum bewilligten Finanzierungsplan."
    elif data.paid_on is not None and "paid_on" not in problems:
        if item.year != data.paid_on.year:
            problems["cost_item"] = (f"Die Kostenposition gehört zum Haushaltsjahr {item.year}, die Zahlung ist "
                                     f"vom {data.paid_on:%d.%m.%Y}. Bitte wählen Sie die Position des Jahres "
                                     f"{data.paid_on.year}.")
        elif item.year in locked_years:
            problems["paid_on"] = (f"Der Nachweis für {item.year} ist bereits eingereicht; Belege dieses Jahres "
                                   "können nicht mehr ergänzt werden.")
    return problems


def expense_add(*, application: Application, user, data: ExpenseInput) -> Expense:
    if application.status not in FUNDED:
        raise ProofError("Belege können nur zu bewilligten Vorhaben erfasst werden.")
    with transaction.atomic():
        application = _lock(application.pk)
        problems = expense_problems(application=application, data=data, locked_years=locked_years_for(application.pk))
        if problems:
            field_name, message = next(iter(problems.items()))
            raise ProofError(message, field=field_name)
        return Expense.objects.create(application=application, cost_item=data.cost_item, paid_on=data.paid_on,
                                      payee=data.payee.strip(), purpose=data.purpose.strip(), amount=data.amount,
                                      receipt_number=data.receipt_number.strip(), created_by=user)


def expense_delete(*, expense: Expense, user) -> None:
    with transaction.atomic():
        application = _lock(expense.application_id)
        if expense.paid_on.year in locked_years_for(application.pk):
            raise ProofError(f"Der Nachweis für {expense.paid_on.year} ist eingereicht; seine Belege bleiben.")
        Expense.objects.filter(pk=expense.pk).delete()
        event_record(application=application, user=user, action="proof_expense_deleted", amount=expense.amount,
                     reason=f"Beleg vom {expense.paid_on:%d.%m.%Y} an {expense.payee[:80]} gelöscht",
                     visible_to_applicant=True)


# --- CSV / XLSX import -----------------------------------------------------------------------------------------------

IMPORT_MAX_ROWS = 10_000
# header (as written by the recipient's accounting export, case-insensitive) -> field
IMPORT_COLUMNS = {
    "datum": "paid_on", "zahlungsdatum": "paid_on", "buchungsdatum": "paid_on",
    "empfänger": "payee", "empfaenger": "payee", "zahlungsempfänger": "payee", "empfänger/einzahler": "payee",
    "grund": "purpose", "zweck": "purpose", "verwendungszweck": "purpose", "buchungstext": "purpose",
    "betrag": "amount", "betrag (€)": "amount", "betrag in €": "amount", "betrag eur": "amount",
    "kostenposition": "cost_item", "position": "cost_item", "kostenart": "cost_item",
    "beleg-nr.": "receipt_number", "beleg-nr": "receipt_number", "belegnummer": "receipt_number",
}
FIELD_LABELS = {"paid_on": "Datum", "payee": "Empfänger", "purpose": "Grund", "amount": "Betrag",
                "cost_item": "Kostenposition", "receipt_number": "Beleg-Nr."}
REQUIRED_COLUMNS = ("paid_on", "payee", "purpose", "amount", "cost_item")


@dataclass
class ImportResult:
    created: int = 0
    errors: list[str] = field(default_factory=list)


class ImportRefused(ProofError):
    pass


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or Windows-1252 (Excel's „CSV (Trennzeichen-getrennt)“ on German Windows);
    UTF-16 and binary files are refused with a message saying what to do."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise ImportRefused("Die Datei ist als UTF-16 („Unicode-Text“) gespeichert. Bitte speichern Sie sie als "
                            "„CSV UTF-8 (durch Trennzeichen getrennt)“ oder als Excel-Arbeitsmappe (.xlsx).",
                            field="upload")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportRefused("Die Zeichenkodierung der Datei ist unbekannt. Bitte speichern Sie sie als „CSV UTF-8 "
                            "(durch Trennzeichen getrennt)“ oder als Excel-Arbeitsmappe (.xlsx).",
                            field="upload") from None


def _csv_rows(raw: bytes) -> list[list]:
    import csv
    import io

    text = _decode(raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(upload) -> list[list]:
    from openpyxl import load_workbook

    try:
        upload.seek(0)
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any broken workbook: one message
        raise ImportRefused("Die Excel-Datei lässt sich nicht lesen. Bitte speichern Sie sie erneut als .xlsx.",
                            field="upload") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(["" if v is None else v for v in row])
            if len(rows) > IMPORT_MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _item_lookup(items: list[CostItem]) -> dict[str, CostItem]:
    """Cost lines by the label the Belegliste shows („2027/1“) and by their description within the year."""
    lookup: dict[str, CostItem] = {}
    per_year: dict[int, int] = {}
    for item in items:
        per_year[item.year] = per_year.get(item.year, 0) + 1
        lookup[f"{item.year}/{per_year[item.year]}"] = item
        lookup.setdefault(f"{item.year}|{item.description.strip().lower()}", item)
    return lookup


def expenses_import(*, application: Application, user, upload) -> ImportResult:
    """Import the Belegliste from a CSV or XLSX export: every row checked, German errors naming row and column;
    nothing is imported while any row is wrong."""
    if application.status not in FUNDED:
        raise ProofError("Belege können nur zu bewilligten Vorhaben erfasst werden.")
    name = PurePath(upload.name or "").name
    ext = PurePath(name).suffix.lower()
    limit = settings.WIR_MAX_UPLOAD_BYTES
    if ext not in (".csv", ".xlsx"):
        raise ImportRefused(f"Dateityp „{ext or 'ohne Endung'}“ ist für den Import nicht erlaubt. Erlaubt sind CSV "
                            "und XLSX.", field="upload")
    if upload.size > limit:
        raise ImportRefused(f"Die Datei ist {upload.size / 1024 / 1024:.1f} MB groß; erlaubt sind höchstens "
                            f"{limit // 1024 // 1024} MB.".replace(".", ",", 1), field="upload")
    if upload.size == 0:
        raise ImportRefused("Die Datei ist leer.", field="upload")
    if ext == ".xlsx":
        try:
            validate_upload(upload)  # extension, size and content (a real workbook)
        except ValidationError as exc:
            raise ImportRefused(" ".join(exc.messages), field="upload") from None
        rows = _xlsx_rows(upload)
    else:
        upload.seek(0)
        rows = _csv_rows(upload.read())
    numbered = [(number, r) for number, r in enumerate(rows, start=1) if any(str(v).strip() for v in r)]
    if not numbered:
        raise ImportRefused("Die Datei enthält keine Zeilen.", field="upload")
    header = [str(h).strip().lower() for h in numbered[0][1]]
    columns = {IMPORT_COLUMNS[h]: i for i, h in reversed(list(enumerate(header))) if h in IMPORT_COLUMNS}
    missing = [FIELD_LABELS[f] for f in REQUIRED_COLUMNS if f not in columns]
    if missing:
        raise ImportRefused("In der ersten Zeile fehlen die Spalten " + ", ".join(f"„{m}“" for m in missing)
                            + ". Erwartet: Datum; Empfänger; Grund; Betrag; Kostenposition (optional Beleg-Nr.).",
                            field="upload")
    body = numbered[1:]
    if len(body) > IMPORT_MAX_ROWS:
        raise ImportRefused(f"Die Datei enthält mehr als {IMPORT_MAX_ROWS:,} Belege; bitte teilen Sie sie auf."
                            .replace(",", "."), field="upload")
    with transaction.atomic():
        application = _lock(application.pk)
        items = _plan_items(application)
        lookup = _item_lookup(items)
        locked_years = locked_years_for(application.pk)
        errors: list[str] = []
        new: list[Expense] = []
        for number, row in body:
            def cell(name, row=row):
                index = columns.get(name)
                return row[index] if index is not None and index < len(row) else ""

            row_errors: dict[str, str] = {}
            paid_on = amount = None
            try:
                paid_on = parse_date(cell("paid_on"))
            except ValueError as exc:
                row_errors["paid_on"] = str(exc)
            try:
                amount = parse_amount(cell("amount"))
            except ValueError as exc:
                row_errors["amount"] = str(exc)
            key = str(cell("cost_item")).strip()
            item = lookup.get(key) or (lookup.get(f"{paid_on.year}|{key.lower()}") if paid_on else None)
            if item is None and key and "|" not in key:
                item = lookup.get(key.split(" ", 1)[0])  # "2027/1 Personal" as shown in the portal
            data = ExpenseInput(paid_on=paid_on, payee=str(cell("payee")).strip(), purpose=str(cell("purpose")).strip(),
                                amount=amount, cost_item=item, receipt_number=str(cell("receipt_number")).strip())
            for field_name, message in expense_problems(application=application, data=data,
                                                        locked_years=locked_years).items():
                if field_name == "cost_item" and item is None:
                    message = (f"Die Kostenposition „{key}“ gehört nicht zum bewilligten Finanzierungsplan "
                               "(erlaubt: " + ", ".join(sorted(k for k in lookup if "|" not in k)) + ")."
                               if key else "Bitte geben Sie die Kostenposition an (z. B. 2027/1).")
                row_errors.setdefault(field_name, message)
            for field_name, message in row_errors.items():
                errors.append(f"Zeile {number}, Spalte „{FIELD_LABELS[field_name]}“: {message}")
            if not row_errors:
                new.append(Expense(application=application, cost_item=item, paid_on=paid_on, payee=data.payee,
                                   purpose=data.purpose, amount=amount, receipt_number=data.receipt_number,
                                   imported=True, created_by=user))
        if errors:
            return ImportResult(created=0, errors=errors)
        Expense.objects.bulk_create(new, batch_size=1000)
        event_record(application=application, user=user, action="proof_expenses_imported",
                     amount=sum((e.amount for e in new), ZERO),
                     reason=f"{len(new)} Belege aus {name[:100]} importiert")
        return ImportResult(created=len(new))


# --- planned vs spent ------------------------------------------------------------------------------------------------

@dataclass
class LineFigures:
    item: CostItem
    label: str
    approved: Decimal
    spent: Decimal = ZERO
    tolerance_percent: Decimal = Decimal("20")

    @property
    def share(self) -> Decimal | None:
        return money(self.spent * 100 / self.approved) if self.approved else None

    @property
    def over_tolerance(self) -> bool:
        return self.spent > money(self.approved * (100 + self.tolerance_percent) / 100)

    @property
    def over(self) -> bool:
        return self.spent > self.approved


@dataclass
class SpendingOverview:
    lines: list[LineFigures]
    warnings: list[str]
    by_year: dict[int, dict[str, Decimal]]
    tolerance_percent: Decimal
    spend_months: int

    @property
    def approved(self) -> Decimal:
        return sum((line.approved for line in self.lines), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((line.spent for line in self.lines), ZERO)


def spending_overview(application: Application, *, today: datetime.date | None = None) -> SpendingOverview:
    """Planned vs spent per cost line with the warnings the Nebenbestimmungen call for (three queries)."""
    today = today or timezone.localdate()
    terms = decision_rules.proof_terms_for(line_id=application.rule.line_id, year=application.rule.programme_year.year)
    items = _plan_items(application)
    spent = dict(Expense.objects.filter(application_id=application.pk).order_by().values("cost_item_id")
                 .annotate(total=Sum("amount")).values_list("cost_item_id", "total"))
    lines, per_year_counter = [], {}
    for item in items:
        per_year_counter[item.year] = per_year_counter.get(item.year, 0) + 1
        lines.append(LineFigures(item=item, label=item_label(item, per_year_counter[item.year]),
                                 approved=_eligible(item), spent=money(spent.get(item.pk) or ZERO),
                                 tolerance_percent=terms.overspend_percent))
    warnings = []
    tol = f"{terms.overspend_percent.normalize():f}".replace(".", ",")
    by_year: dict[int, dict[str, Decimal]] = {}
    for line in lines:
        row = by_year.setdefault(line.item.year, {"approved": ZERO, "spent": ZERO, "paid_due": ZERO})
        row["approved"] += line.approved
        row["spent"] += line.spent
        if line.over_tolerance:
            warnings.append(
                f"Kostenposition {line.label}: {format_eur(line.spent)} ausgegeben, bewilligt {format_eur(line.approved)} "
                f"– mehr als {tol} % über dem Ansatz. Ohne vorherige Zustimmung (Änderungsantrag) ist eine "
                f"Überschreitung nur bis {tol} % zulässig, soweit sie durch Einsparungen bei anderen Positionen "
                "ausgeglichen wird (Nr. 1.2 ANBest-P / ANBest-GK).")
    for year, row in by_year.items():
        if row["spent"] > row["approved"]:
            warnings.append(f"{year}: Die Ausgaben ({format_eur(row['spent'])}) übersteigen die zuwendungsfähigen "
                            f"Ausgaben insgesamt ({format_eur(row['approved'])}); der Mehrbetrag wird nicht gefördert.")
    cutoff = _add_months_back(today, terms.spend_months)
    for year, total in (Payment.objects.filter(application_id=application.pk, status=PaymentStatus.PAID,
                                               paid_on__lte=cutoff).order_by().values("year")
                        .annotate(total=Sum("amount")).values_list("year", "total")):
        row = by_year.setdefault(year, {"approved": ZERO, "spent": ZERO, "paid_due": ZERO})
        row["paid_due"] = money(total)
        if money(total) > row["spent"]:
            warnings.append(
                f"{year}: {format_eur(money(total) - row['spent'])} der vor mehr als {terms.spend_months} Monaten "
                "ausgezahlten Mittel sind nicht durch Belege gedeckt. Ausgezahlte Mittel sind binnen "
                f"{terms.spend_months} Monaten zu verwenden (Nr. 1.4 ANBest-P); sonst können Zinsen verlangt werden "
                "(§ 49a Abs. 4 HVwVfG). Bitte erfassen Sie die Belege oder melden Sie nicht benötigte Mittel.")
    return SpendingOverview(lines=lines, warnings=warnings, by_year=dict(sorted(by_year.items())),
                            tolerance_percent=terms.overspend_percent, spend_months=terms.spend_months)


def _add_months_back(day: datetime.date, months: int) -> datetime.date:
    import calendar

    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- 3. Zahlenmäßiger Nachweis, Sachbericht, submission --------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    key: str
    label: str
    kind: str = "text"  # text | number
    help: str = ""


COMMON_QUESTIONS = (
    Question("activities", "Durchgeführte Maßnahmen und Aktivitäten",
             help="Was wurde im Zeitraum umgesetzt? (Angebote, Termine, Kooperationen)"),
    Question("activities_count", "Anzahl der durchgeführten Angebote/Veranstaltungen", "number"),
    Question("participants", "Erreichte Teilnehmende (Anzahl)", "number"),
    Question("results", "Ergebnisse und Zielerreichung",
             help="Inwieweit wurde der Zuwendungszweck erreicht? Was hat sich bewährt?"),
    Question("deviations", "Abweichungen vom Finanzierungsplan und von der Konzeption",
             help="Begründen Sie wesentliche Abweichungen (z. B. Überschreitung einer Kostenposition)."),
)
LINE_QUESTIONS = {
    "vielfaltszentren": (
        Question("targets", "Stand der Ziele der Zielvereinbarung",
                 help="Je vereinbartem Ziel: erreicht / teilweise / nicht erreicht, mit Begründung und Kennzahl."),
        Question("micro_projects", "Weitergeleitete Mikroprojekte",
                 help="Je Träger: Name, weitergeleiteter Betrag, Ergebnis (Nachweis der Weiterleitung)."),
        Question("network", "Netzwerkarbeit und Vernetzung im Kreis/in der Stadt"),
    ),
    "lotsen": (Question("hours", "Geleistete Stunden der Integrationslotsinnen und -lotsen", "number"),),
    "mitsprache": (Question("units", "Durchgeführte Unterrichtseinheiten", "number"),),
    "sprachkurse": (Question("units", "Durchgeführte Unterrichtseinheiten", "number"),),
    "laiendolmetscher": (Question("assignments", "Durchgeführte Einsätze", "number"),),
}


def questions_for(application: Application) -> list[Question]:
    return [*COMMON_QUESTIONS, *LINE_QUESTIONS.get(application.rule.line.code, ())]


def report_problems(application: Application, report: dict) -> dict[str, str]:
    problems = {}
    for q in questions_for(application):
        value = report.get(q.key)
        if q.kind == "number":
            if value in (None, ""):
                problems[q.key] = f"Bitte geben Sie „{q.label}“ an."
        elif not str(value or "").strip():
            problems[q.key] = f"Bitte füllen Sie „{q.label}“ aus."
    return problems


def proof_report_save(*, proof: Proof, user, report: dict, incomes: dict[int, dict[str, Decimal]]) -> Proof:
    """Save the Sachbericht and the actual income per year (a draft: nothing is checked for completeness here)."""
    with transaction.atomic():
        _lock(proof.application_id)
        proof = Proof.objects.select_for_update().get(pk=proof.pk)
        if proof.status != ProofStatus.OPEN:
            raise ProofError("Der Nachweis ist eingereicht und kann nicht mehr geändert werden.")
        proof.report = {k: (str(v) if v is not None else "") for k, v in report.items()}
        proof.save(update_fields=["report"])
        for year, values in incomes.items():
            if year not in proof.years:
                continue
            ProofIncome.objects.update_or_create(proof=proof, year=year, defaults={
                k: money(values.get(k) or ZERO) for k in ("own_funds", "third_party_funds", "other_public_funds",
                                                           "revenues")})
        return proof


@dataclass
class StatementYear:
    year: int
    lines: list[dict]
    cost_planned: Decimal
    cost_actual: Decimal
    income_planned: dict[str, Decimal]
    income_actual: dict[str, Decimal]
    grant_approved: Decimal
    grant_paid: Decimal

    @property
    def income_planned_total(self) -> Decimal:
        return sum(self.income_planned.values(), ZERO) + self.grant_approved

    @property
    def income_actual_total(self) -> Decimal:
        return sum(self.income_actual.values(), ZERO) + self.grant_paid


INCOME_LABELS = {"own_funds": "Eigenmittel", "third_party_funds": "Drittmittel",
                 "other_public_funds": "Andere öffentliche Zuwendungen", "revenues": "Einnahmen"}


def proof_statement(proof: Proof) -> list[StatementYear]:
    """The zahlenmäßiger Nachweis per year of the proof, laid out like the financing plan: each cost line planned
    (eligible) vs actual (Σ Belegliste), income planned vs actual, the grant approved vs paid."""
    application = proof.application
    overview = spending_overview(application)
    plans = {p.year: p for p in PlanYear.objects.filter(application_id=application.pk)}
    incomes = {i.year: i for i in ProofIncome.objects.filter(proof_id=proof.pk)}
    paid = dict(Payment.objects.filter(application_id=application.pk, status=PaymentStatus.PAID).order_by()
                .values("year").annotate(total=Sum("amount")).values_list("year", "total"))
    years = []
    for year in proof.years:
        lines = [{"label": line.label, "category": line.item.get_category_display(), "planned": line.approved,
                  "actual": line.spent, "item_id": line.item.pk}
                 for line in overview.lines if line.item.year == year]
        plan = plans.get(year)
        income = incomes.get(year)
        years.append(StatementYear(
            year=year, lines=lines,
            cost_planned=sum((x["planned"] for x in lines), ZERO), cost_actual=sum((x["actual"] for x in lines), ZERO),
            income_planned={k: money(getattr(plan, k, ZERO) if plan and k != "revenues" else ZERO)
                            for k in INCOME_LABELS},
            income_actual={k: money(getattr(income, k) if income else ZERO) for k in INCOME_LABELS},
            grant_approved=money(plan.approved_grant if plan and plan.approved_grant is not None
                                  else (plan.requested_grant if plan else ZERO)),
            grant_paid=money(paid.get(year) or ZERO),
        ))
    return years


def _statement_json(statement: list[StatementYear]) -> list[dict]:
    return [{"year": y.year,
             "lines": [{"label": x["label"], "category": x["category"], "planned": str(x["planned"]),
                        "actual": str(x["actual"])} for x in y.lines],
             "cost_planned": str(y.cost_planned), "cost_actual": str(y.cost_actual),
             "income_planned": {k: str(v) for k, v in y.income_planned.items()},
             "income_actual": {k: str(v) for k, v in y.income_actual.items()},
             "grant_approved": str(y.grant_approved), "grant_paid": str(y.grant_paid)}
            for y in statement]


def proof_submit(*, proof: Proof, user) -> Proof:
    """A signatory submits the proof: complete Sachbericht, at least one Beleg; the zahlenmäßiger Nachweis is
    frozen, a receipt (PDF/A through the notice outbox) is mailed. A second click changes nothing."""
    application = proof.application
    if not is_signatory(user, application.organisation_id):
        raise ProofError("Den Verwendungsnachweis reichen zeichnungsberechtigte Personen der Organisation ein.")
    with transaction.atomic():
        application = _lock(application.pk)
        proof = Proof.objects.select_for_update().get(pk=proof.pk)
        proof.application = application
        if proof.status != ProofStatus.OPEN:
            raise ProofError(f"Der Nachweis wurde bereits am {timezone.localtime(proof.submitted_at):%d.%m.%Y} "
                             "eingereicht.")
        problems = report_problems(application, proof.report or {})
        if problems:
            raise ProofError(next(iter(problems.values())), field=next(iter(problems)))
        if not Expense.objects.filter(application_id=application.pk, paid_on__year__gte=proof.year_from,
                                      paid_on__year__lte=proof.year_to).exists():
            raise ProofError("Die Belegliste ist leer. Bitte erfassen oder importieren Sie die Belege des "
                             "Zeitraums, bevor Sie den Nachweis einreichen.")
        statement = proof_statement(proof)
        now = timezone.now()
        proof.status, proof.submitted_at, proof.submitted_by = ProofStatus.SUBMITTED, now, user
        proof.submitted_by_name = actor_name(user)
        proof.snapshot = {"years": _statement_json(statement),
                          "expenses": Expense.objects.filter(application_id=application.pk,
                                                             paid_on__year__gte=proof.year_from,
                                                             paid_on__year__lte=proof.year_to).count()}
        notice = notice_create(application=application, kind=NoticeKind.PROOF_RECEIPT, user=None,
                               extra={"proof": _proof_notice_data(proof, statement)})
        proof.notice = notice
        proof.save(update_fields=["status", "submitted_at", "submitted_by", "submitted_by_name", "snapshot", "notice"])
        event_record(application=application, user=user, action="proof_submitted",
                     reason=f"{proof.get_kind_display()} {_years_text(proof)} eingereicht")
        return proof


def _years_text(proof: Proof) -> str:
    return str(proof.year_from) if proof.year_from == proof.year_to else f"{proof.year_from}–{proof.year_to}"


def _proof_notice_data(proof: Proof, statement: list[StatementYear]) -> dict:
    return {"kind": proof.kind, "kind_label": proof.get_kind_display(), "years": _years_text(proof),
            "due_on": f"{proof.due_on:%d.%m.%Y}",
            "submitted_at": timezone.localdate(proof.submitted_at).isoformat() if proof.submitted_at else None,
            "submitted_by": proof.submitted_by_name, "statement": _statement_json(statement)}


def proof_document_store(*, proof: Proof, user, upload, kind: str = ProofDocumentKind.SUPPORT,
                         cost_item: CostItem | None = None) -> ProofDocument:
    """A supporting document (open proof) or a sample receipt (asked for by the check); checked by size,
    extension and content like every upload."""
    if kind == ProofDocumentKind.SUPPORT and proof.status != ProofStatus.OPEN:
        raise ProofError("Der Nachweis ist eingereicht; Unterlagen können nur noch auf Anforderung ergänzt werden.")
    if kind == ProofDocumentKind.RECEIPT:
        requested = set(CostItem.objects.filter(
            pk__in=ProofCheck.sample_items.through.objects.filter(
                proofcheck__proof=proof, proofcheck__status=CheckStatus.SAMPLES_REQUESTED).values("costitem_id"))
            .values_list("pk", flat=True))
        if cost_item is None or cost_item.pk not in requested:
            raise ProofError("Für diese Kostenposition wurden keine Belege angefordert.", field="cost_item")
    try:
        _, content_type = validate_upload(upload)
    except ValidationError as exc:
        raise ProofError(" ".join(exc.messages), field="upload") from None
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        document = ProofDocument(application=proof.application, proof=proof, kind=kind, cost_item=cost_item,
                                 original_name=PurePath(upload.name).name[:255], content_type=content_type,
                                 size=upload.size, sha256=digest.hexdigest(), uploaded_by=user)
        document.file.save(document.original_name, upload, save=False)
        document.save()
        event_record(application=proof.application, user=user, action="proof_document",
                     reason=f"{document.get_kind_display()}: {document.original_name[:100]}")
    return document


# --- 4. Reminders ----------------------------------------------------------------------------------------------------

def reminder_offsets() -> list[tuple[str, int]]:
    """(kind, days relative to the due date) in time order; WIR_PROOF_REMINDER_DAYS (default: 4 weeks before,
    on the day, 2 and 6 weeks after)."""
    configured = getattr(settings, "WIR_PROOF_REMINDER_DAYS", None) or {}
    defaults = {ProofReminderKind.BEFORE: -28, ProofReminderKind.DUE: 0, ProofReminderKind.OVERDUE_1: 14,
                ProofReminderKind.OVERDUE_2: 42}
    offsets = {kind: int(configured.get(str(kind), days)) for kind, days in defaults.items()}
    return sorted(offsets.items(), key=lambda kv: kv[1])


REMINDER_SUBJECTS = {
    ProofReminderKind.BEFORE: "Erinnerung: Verwendungsnachweis bis {due} vorlegen",
    ProofReminderKind.DUE: "Heute fällig: Verwendungsnachweis",
    ProofReminderKind.OVERDUE_1: "Verwendungsnachweis überfällig (seit {due})",
    ProofReminderKind.OVERDUE_2: "Zweite Mahnung: Verwendungsnachweis überfällig (seit {due})",
}


def proof_reminders_send(*, today: datetime.date | None = None) -> int:
    """Beat: send each open proof the latest reminder whose day has come — once per proof and kind (a unique row;
    running twice, or two workers at once, sends nothing twice). A day the job did not run is caught up with the
    latest reminder only. Four queries to find the work, whatever the number of applications."""
    today = today or timezone.localdate()
    offsets = reminder_offsets()
    sent = 0
    for index, (kind, days) in enumerate(offsets):
        # kind applies when today >= due + days; it is the latest one while today < due + next days
        qs = Proof.objects.filter(status=ProofStatus.OPEN, due_on__lte=today - datetime.timedelta(days=days))
        if index + 1 < len(offsets):
            qs = qs.filter(due_on__gt=today - datetime.timedelta(days=offsets[index + 1][1]))
        qs = qs.filter(~Exists(ProofReminder.objects.filter(proof_id=OuterRef("pk"), kind=kind)))
        for proof in qs.select_related("application__organisation").order_by("pk").iterator(chunk_size=500):
            if _reminder_send(proof=proof, kind=kind, today=today):
                sent += 1
    return sent


def _reminder_send(*, proof: Proof, kind: str, today: datetime.date) -> bool:
    application = proof.application
    try:
        with transaction.atomic():
            reminder = ProofReminder.objects.create(proof=proof, kind=kind, due_on=proof.due_on)
            subject = REMINDER_SUBJECTS[kind].format(due=f"{proof.due_on:%d.%m.%Y}")
            text, html = mail.render_templated(template="proof_reminder", context={
                "application": application, "proof": proof, "kind": kind, "today": today,
                "overdue": proof.due_on < today, "link": _portal_link(application)})
            reminder.mail = mail_queue(
                kind="proof_reminder", to=_recipients(application),
                subject=mail.subject_text(f"{subject} – {application.file_number}", limit=140), text=text,
                html=html, application=application)
            reminder.save(update_fields=["mail"])
            event_record(application=application, user=None, action="proof_reminder",
                         reason=f"{ProofReminderKind(kind).label}: {proof.get_kind_display()} {_years_text(proof)}, "
                                f"vorzulegen bis {proof.due_on:%d.%m.%Y}")
    except IntegrityError:  # another run sent this one in the meantime
        return False
    return True


def overdue_proofs(*, today: datetime.date | None = None):
    today = today or timezone.localdate()
    return Proof.objects.filter(status=ProofStatus.OPEN, due_on__lt=today)


# --- 5. Checking -----------------------------------------------------------------------------------------------------

CHECKLIST = (
    ("in_time", "Nachweis fristgerecht vorgelegt", "both"),
    ("complete", "Sachbericht, zahlenmäßiger Nachweis und Belegliste vollständig", "both"),
    ("purpose", "Zuwendungszweck nach dem Sachbericht erreicht", "both"),
    ("plan", "Ausgaben entsprechen dem Finanzierungsplan (Abweichungen je Position ≤ Toleranz)", "both"),
    ("income", "Einnahmen und Eigenmittel vollständig angegeben", "both"),
    ("timely_use", "Ausgezahlte Mittel binnen zwei Monaten verwendet", "both"),
    ("receipts", "Stichprobe der Belege geprüft (Beträge, Zahlungsdatum, Zuordnung)", "thorough"),
    ("procurement", "Vergabevorschriften beachtet (Nr. 3 ANBest-P)", "thorough"),
    ("inventory", "Inventarisierung beschaffter Gegenstände (Nr. 4.2 ANBest-P)", "thorough"),
)


CHECKLIST_KEYS = [(key, label) for key, label, _ in CHECKLIST]


def checklist_for(depth: str) -> list[tuple[str, str]]:
    return [(key, label) for key, label, scope in CHECKLIST if scope == "both" or depth == CheckDepth.THOROUGH]


def check_start(*, proof: Proof, user, depth: str = CheckDepth.CURSORY) -> ProofCheck:
    _require_staff(user, "check_proof", "Verwendungsnachweise zu prüfen")
    with transaction.atomic():
        application = _lock(proof.application_id)
        proof = Proof.objects.select_for_update().get(pk=proof.pk)
        if proof.status == ProofStatus.OPEN:
            raise ProofError("Der Nachweis ist noch nicht eingereicht.")
        if proof.status == ProofStatus.CHECKED:
            raise ProofError("Der Nachweis ist bereits geprüft.")
        open_check = proof.checks.exclude(status=CheckStatus.COUNTERSIGNED).first()
        if open_check:
            return open_check
        check = ProofCheck.objects.create(proof=proof, depth=depth, started_by=user)
        proof.status = ProofStatus.IN_CHECK
        proof.save(update_fields=["status"])
        event_record(application=application, user=user, action="proof_check_started",
                     reason=f"{proof.get_kind_display()} {_years_text(proof)}: {check.get_depth_display()}",
                     visible_to_applicant=False)
        return check


def check_save(*, check: ProofCheck, user, depth: str, checklist: dict, notes: str) -> ProofCheck:
    _require_staff(user, "check_proof", "Verwendungsnachweise zu prüfen")
    with transaction.atomic():
        check = ProofCheck.objects.select_for_update().get(pk=check.pk)
        if check.status in (CheckStatus.SIGNED, CheckStatus.COUNTERSIGNED):
            raise ProofError("Der Prüfvermerk ist gezeichnet und kann nicht mehr geändert werden.")
        check.depth = depth
        check.checklist = {key: bool(checklist.get(key)) for key, _ in checklist_for(depth)}
        check.notes = notes.strip()
        check.save(update_fields=["depth", "checklist", "notes"])
        return check


def check_request_samples(*, check: ProofCheck, user, cost_items: list[CostItem]) -> ProofCheck:
    """Ask the recipient for the receipts of chosen cost lines (vertiefte Prüfung); they upload them in the portal."""
    _require_staff(user, "check_proof", "Verwendungsnachweise zu prüfen")
    if not cost_items:
        raise ProofError("Bitte wählen Sie mindestens eine Kostenposition.", field="sample_items")
    with transaction.atomic():
        application = _lock(check.proof.application_id)
        check = ProofCheck.objects.select_for_update().select_related("proof").get(pk=check.pk)
        if any(c.application_id != application.pk for c in cost_items):
            raise ProofError("Die Kostenposition gehört nicht zu diesem Antrag.", field="sample_items")
        if check.status in (CheckStatus.SIGNED, CheckStatus.COUNTERSIGNED):
            raise ProofError("Der Prüfvermerk ist bereits gezeichnet.")
        check.sample_items.set(cost_items)
        check.status, check.samples_requested_at = CheckStatus.SAMPLES_REQUESTED, timezone.now()
        check.save(update_fields=["status", "samples_requested_at"])
        labels = ", ".join(c.description for c in cost_items)
        event_record(application=application, user=user, action="proof_samples_requested",
                     reason=f"Belege angefordert für: {labels[:500]}")
        mail.send_templated(to=_recipients(application),
                            subject=mail.subject_text(f"Belege zum Verwendungsnachweis angefordert – "
                                                      f"{application.file_number}", limit=140),
                            template="proof_samples", application=application,
                            context={"application": application, "items": cost_items, "proof": check.proof,
                                     "link": _portal_link(application)})
        return check


@dataclass(frozen=True)
class YearRecompute:
    year: int
    approved_grant: Decimal
    eligible_planned: Decimal
    eligible_actual: Decimal
    income_planned: Decimal
    income_actual: Decimal
    grant_due: Decimal
    paid: Decimal

    @property
    def difference(self) -> Decimal:
        """Paid minus what the grant should have been: > 0 is to be repaid, < 0 is still owed."""
        return self.paid - self.grant_due


def eligible_actual(*, lines: list[tuple[Decimal, Decimal]], tolerance_percent: Decimal) -> Decimal:
    """The actual eligible expenses of a year: each cost line counts at most its approved amount plus the
    tolerance (Nr. 1.2 ANBest-P), the sum at most the approved total (overspending is only allowed where savings
    elsewhere balance it). `lines`: (approved, actual) per cost line."""
    counted = sum((min(actual, money(approved * (100 + tolerance_percent) / 100)) if approved > 0 else ZERO
                   for approved, actual in lines), ZERO)
    return money(min(counted, sum((approved for approved, _ in lines), ZERO)))


def grant_after_proof(*, financing_type: str, funding_rate: Decimal | None, approved_grant: Decimal,
                      eligible_planned: Decimal, eligible_actual: Decimal, income_planned: Decimal,
                      income_actual: Decimal, unit_rows: list[dict] | None = None) -> Decimal:
    """What one budget year's grant should have been after the proof of use (Nr. 2.1 ANBest-P), never more than
    approved:

    - Fehlbedarf: the gap that actually arose — reduced by the full amount of lower costs or higher income
      (eligible_actual − income_actual, income = own + third-party + other public funds + revenues);
    - Voll: as Fehlbedarf (no own share was expected; every income reduces the grant);
    - Anteil: the funding rate of the actual eligible expenses (pro rata);
    - Festbetrag: unchanged unless the unit basis was not reached (achieved quantities × unit rate, rows given as
      {"quantity", "achieved", "rate"}) or the actual eligible expenses fall below the fixed sum.
    """
    approved_grant = money(approved_grant)
    if financing_type in (FinancingType.FEHLBEDARF, FinancingType.VOLL):
        due = eligible_actual - income_actual
    elif financing_type == FinancingType.ANTEIL:
        if funding_rate is None:
            raise ValueError("Anteilfinanzierung ohne Fördersatz")
        due = money(eligible_actual * Decimal(funding_rate) / 100)
    elif financing_type == FinancingType.FESTBETRAG:
        due = approved_grant
        rows = [r for r in unit_rows or [] if r.get("achieved") not in (None, "")]
        if rows:
            reached = sum((money(min(Decimal(str(r["achieved"])), Decimal(str(r["quantity"]))) * Decimal(str(r["rate"])))
                           for r in rows), ZERO)
            planned = sum((money(Decimal(str(r["quantity"])) * Decimal(str(r["rate"]))) for r in rows), ZERO)
            if reached < planned:
                due = min(due, reached)
        due = min(due, eligible_actual)
    else:
        raise ValueError(f"Unknown financing type {financing_type!r}")
    return money(max(ZERO, min(due, approved_grant)))


def _unit_rows(application: Application, report: dict) -> list[dict]:
    """The Festbetrag's unit basis as the approval fixed it, with the quantities the Sachbericht reports."""
    notice = (Notice.objects.filter(application_id=application.pk, kind__in=(NoticeKind.APPROVAL, NoticeKind.AMENDMENT))
              .order_by("-created_at", "-id").only("context").first())
    rows = (notice.context.get("unit_basis") if notice else None) or decision_rules.unit_basis(
        rule=application.rule, details=application.details or {}, organisation=application.organisation)
    achieved_by_unit = {"Stunden": report.get("hours"), "Unterrichtseinheiten": report.get("units"),
                        "Einsätze": report.get("assignments")}
    return [{**r, "achieved": achieved_by_unit.get(r.get("unit"))} for r in rows]


def proof_recompute(proof: Proof) -> list[YearRecompute]:
    """Approved vs actual per year of the proof and the grant it should have been, with what was paid."""
    application = proof.application
    rule = application.rule
    terms = decision_rules.proof_terms_for(line_id=rule.line_id, year=rule.programme_year.year)
    statement = proof_statement(proof)
    report = proof.report or {}
    rows = _unit_rows(application, report) if rule.financing_type == FinancingType.FESTBETRAG else []
    result = []
    for year in statement:
        eligible = eligible_actual(lines=[(x["planned"], x["actual"]) for x in year.lines],
                                   tolerance_percent=terms.overspend_percent)
        income_planned = sum((v for k, v in year.income_planned.items()), ZERO)
        income_actual = sum(year.income_actual.values(), ZERO)
        due = grant_after_proof(financing_type=rule.financing_type, funding_rate=rule.funding_rate,
                                approved_grant=year.grant_approved, eligible_planned=year.cost_planned,
                                eligible_actual=eligible, income_planned=income_planned,
                                income_actual=income_actual, unit_rows=rows)
        result.append(YearRecompute(year=year.year, approved_grant=year.grant_approved,
                                    eligible_planned=year.cost_planned, eligible_actual=eligible,
                                    income_planned=income_planned, income_actual=income_actual, grant_due=due,
                                    paid=year.grant_paid))
    return result


def check_sign(*, check: ProofCheck, user) -> ProofCheck:
    """The person who checked signs the Prüfvermerk: the recomputation is fixed with it."""
    _require_staff(user, "check_proof", "Verwendungsnachweise zu prüfen")
    with transaction.atomic():
        application = _lock(check.proof.application_id)
        check = ProofCheck.objects.select_for_update().select_related("proof").get(pk=check.pk)
        if check.status in (CheckStatus.SIGNED, CheckStatus.COUNTERSIGNED):
            raise ProofError("Der Prüfvermerk ist bereits gezeichnet.")
        missing = [label for key, label in checklist_for(check.depth) if key not in (check.checklist or {})]
        if missing:
            raise ProofError("Bitte bearbeiten Sie die Prüfliste vollständig (fehlt: " + "; ".join(missing) + ").")
        check.proof.application = application
        years = proof_recompute(check.proof)
        check.result = {"years": [{"year": y.year, "approved_grant": str(y.approved_grant),
                                   "eligible_planned": str(y.eligible_planned),
                                   "eligible_actual": str(y.eligible_actual),
                                   "income_planned": str(y.income_planned), "income_actual": str(y.income_actual),
                                   "grant_due": str(y.grant_due), "paid": str(y.paid),
                                   "difference": str(y.difference)} for y in years],
                        "financing_type": application.rule.financing_type,
                        "financing_type_label": application.rule.get_financing_type_display(),
                        "funding_rate": str(application.rule.funding_rate) if application.rule.funding_rate else None}
        check.result["totals"] = {key: str(sum((getattr(y, key) for y in years), ZERO)) for key in (
            "approved_grant", "eligible_planned", "eligible_actual", "income_planned", "income_actual", "grant_due",
            "paid", "difference")}
        check.grant_due = sum((y.grant_due for y in years), ZERO)
        check.paid = sum((y.paid for y in years), ZERO)
        check.repayment = sum((max(y.difference, ZERO) for y in years), ZERO)
        if check.repayment > 0:
            check.outcome = CheckOutcome.REPAYMENT
        else:
            check.outcome = CheckOutcome.CLOSED if check.proof.kind == ProofKind.FINAL else CheckOutcome.ACCEPTED
        check.status, check.signed_by, check.signed_at = CheckStatus.SIGNED, user, timezone.now()
        check.signed_by_name = actor_name(user)
        check.save()
        event_record(application=application, user=user, action="proof_check_signed", amount=check.repayment,
                     reason=f"Prüfvermerk gezeichnet: {check.get_outcome_display()}", visible_to_applicant=False)
        return check


def check_countersign(*, check: ProofCheck, user) -> ProofCheck:
    """Another person countersigns (four eyes). The Prüfvermerk goes out as a PDF through the notice outbox; a
    final proof without objection closes the grant (unused commitments released in the ledger, the retention
    released); otherwise the grant is marked „Rückforderung einzuleiten“ with the computed amount."""
    _require_staff(user, "countersign_proof", "Prüfvermerke gegenzuzeichnen")
    with transaction.atomic():
        application = _lock(check.proof.application_id)  # LOCK ORDER: application, then proof, then line rules
        proof = Proof.objects.select_for_update().get(pk=check.proof_id)
        check = ProofCheck.objects.select_for_update().get(pk=check.pk)
        if check.status != CheckStatus.SIGNED:
            raise ProofError("Nur ein gezeichneter Prüfvermerk kann gegengezeichnet werden.")
        if check.signed_by_id == user.pk:
            raise ProofError("Vier-Augen-Prinzip: Wer geprüft hat, kann den Prüfvermerk nicht gegenzeichnen.")
        check.status, check.countersigned_by, check.countersigned_at = (CheckStatus.COUNTERSIGNED, user,
                                                                        timezone.now())
        check.countersigned_by_name = actor_name(user)
        proof.status = ProofStatus.CHECKED
        proof.save(update_fields=["status"])
        released = []
        if check.outcome == CheckOutcome.CLOSED:
            released = _close_grant(application=application, check=check, user=user)
        proof.application = application
        check.proof = proof
        check.notice = notice_create(application=application, kind=NoticeKind.PROOF_CHECK, user=user,
                                     amount=check.repayment, reasons=check.notes,
                                     extra={"proof": _check_notice_data(check, released)})
        check.save()
        event_record(application=application, user=user, action="proof_checked", amount=check.repayment,
                     reason=f"{proof.get_kind_display()} {_years_text(proof)} geprüft: {check.get_outcome_display()}"
                            + (f" ({format_eur(check.repayment)})" if check.repayment else ""))
        return check


def _close_grant(*, application: Application, check: ProofCheck, user) -> list[dict]:
    """Release per year what stays committed beyond the grant due (funding.services.budget_release, rules in
    ascending year: the lock order) and the retention the payments room holds back."""
    from applications.payments import services as payments

    figures = payments.year_figures(application)
    due_by_year = {int(y["year"]): Decimal(y["grant_due"]) for y in check.result.get("years", [])}
    rules = {r.programme_year.year: r for r in LineRule.objects.select_related("programme_year")
             .filter(line_id=application.rule.line_id, programme_year__year__in=list(figures))}
    released = []
    for year, f in figures.items():
        unused = money(f.approved - max(due_by_year.get(year, f.approved), f.paid))
        if unused > 0 and year in rules:
            budget.budget_release(rule=rules[year], application=application, amount=unused, user=user,
                                  reason=f"Verwendungsnachweis geprüft: nicht benötigte Mittel {year}")
            event_record(application=application, user=user, action="proof_release", amount=unused,
                         reason=f"Bindung {year} freigegeben (Förderfall abgeschlossen)", visible_to_applicant=False)
            released.append({"year": year, "amount": str(unused)})
    # The retention (Einbehalt) becomes payable: the countersigned Prüfvermerk is the decision (four eyes already),
    # so the payments room's one entry point releases it; idempotent (a year released before stays released once).
    retained = [year for year, f in figures.items() if f.retention > 0]
    if retained:
        payments.retention_release(application, by=user, years=retained,
                                   reason=f"Verwendungsnachweis geprüft ({check.get_depth_display()}), "
                                          f"Prüfvermerk gegengezeichnet")
    return released


def _check_notice_data(check: ProofCheck, released: list[dict]) -> dict:
    proof = check.proof
    return {"kind_label": proof.get_kind_display(), "years": _years_text(proof),
            "submitted_at": timezone.localdate(proof.submitted_at).isoformat() if proof.submitted_at else None,
            "due_on": f"{proof.due_on:%d.%m.%Y}", "depth": check.get_depth_display(),
            "checklist": [{"label": label, "ok": bool((check.checklist or {}).get(key))}
                          for key, label in checklist_for(check.depth)],
            "samples": [c.description for c in check.sample_items.all()],
            "result": check.result, "grant_due": str(check.grant_due), "paid": str(check.paid),
            "repayment": str(check.repayment), "outcome": check.outcome, "outcome_label": check.get_outcome_display(),
            "signed_by": check.signed_by_name, "countersigned_by": check.countersigned_by_name,
            "released": released}


def proof_repayment(application: Application) -> tuple[Decimal, str] | None:
    """The repayment computed by the latest countersigned check of this application, with its reasons — for the
    revocation proceeding (opened from the Prüfvermerk). None: no countersigned check asks for a repayment."""
    check = (ProofCheck.objects.filter(proof__application_id=application.pk, status=CheckStatus.COUNTERSIGNED)
             .select_related("proof").order_by("-countersigned_at", "-id").first())
    if check is None or check.outcome != CheckOutcome.REPAYMENT or not check.repayment:
        return None
    lines = [f"Prüfung des {check.proof.get_kind_display()}es {_years_text(check.proof)} "
             f"({check.get_depth_display()}), gegengezeichnet am {timezone.localtime(check.countersigned_at):%d.%m.%Y}."]
    for y in check.result.get("years", []):
        if Decimal(y["difference"]) > 0:
            lines.append(f"{y['year']}: zuwendungsfähige Ausgaben (Ist) {format_eur(y['eligible_actual'])}, "
                         f"Einnahmen (Ist) {format_eur(y['income_actual'])}; Zuwendung nach Prüfung "
                         f"{format_eur(y['grant_due'])}, ausgezahlt {format_eur(y['paid'])}, zu erstatten "
                         f"{format_eur(y['difference'])}.")
    if check.notes:
        lines.append(check.notes)
    return money(check.repayment), "\n".join(lines)
