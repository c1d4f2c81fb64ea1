"""The files of a payment run: SEPA credit transfer (pain.001.001.03) and a CSV for the state treasury.

Both are streamed with flat memory: the payments are read in chunks (.iterator over .values()); the SEPA file's
group header (number of transactions, control sum) comes from one aggregate query first, then each chunk of
payments is serialised by the `sepaxml` library into one <PmtInf> block. The content depends only on the run and
its payments (message id = run number, creation time = the run's, ids derived from primary keys), so a second
export gives the same bytes. `pain001_validate` checks a file against the XSD shipped with sepaxml.
"""

from __future__ import annotations

import csv
import datetime
import functools
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from applications.models import Payment, PaymentRun
from applications.payments.services import PaymentError
from wir_portal.cells import neutralise

SCHEMA = "pain.001.001.03"
CHUNK = 500
CSV_HEADER = ["Zahllauf", "Ausführungsdatum", "Zahlungsempfänger", "IBAN", "BIC", "Betrag (EUR)", "Aktenzeichen",
              "Haushaltsstelle", "Verwendungszweck", "End-to-End-ID"]
_FIELDS = ("pk", "amount", "iban", "account_holder", "year", "application__file_number",
           "application__organisation__name", "application__rule__line__short", "application__rule__line__name")
_PMTINF = re.compile(rb"<PmtInf>.*</PmtInf>", re.S)
_PMTINFID = re.compile(rb"<PmtInfId>[^<]*</PmtInfId>")


def _payer() -> dict:
    iban = (getattr(settings, "WIR_PAYER_IBAN", "") or "").replace(" ", "")
    if not iban:
        raise PaymentError("Die Bankverbindung der Landeskasse ist nicht eingerichtet (WIR_PAYER_IBAN).")
    config = {"name": settings.WIR_PAYER_NAME, "IBAN": iban, "batch": True, "currency": "EUR"}
    if getattr(settings, "WIR_PAYER_BIC", ""):
        config["BIC"] = settings.WIR_PAYER_BIC
    return config


@functools.lru_cache(maxsize=4096)
def bic_for(iban: str) -> str:
    """The BIC where the bank registry knows it (schwifty), else empty."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        bic = IBAN(iban).bic
    except (SchwiftyException, ValueError):
        return ""
    return str(bic) if bic else ""


def purpose(row: dict) -> str:
    """Verwendungszweck, at most 140 characters: file number, programme, year, payment id."""
    text = (f"{row['application__file_number'] or ''} WIR Zuwendung {row['year']} "
            f"{row['application__rule__line__name']} Auszahlung {row['pk']}")
    return text[:140]


def budget_line(row: dict) -> str:
    return f"WIR-{row['application__rule__line__short']}-{row['year']}"


def _rows(run: PaymentRun) -> Iterator[dict]:
    return Payment.objects.filter(run=run).order_by("pk").values(*_FIELDS).iterator(chunk_size=2000)


def _chunks(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def sepa_stream(run: PaymentRun) -> Iterator[bytes]:
    """pain.001.001.03 as a sequence of byte chunks."""
    from sepaxml import SepaTransfer
    from text_unidecode import unidecode

    config = _payer()
    totals = Payment.objects.filter(run=run).aggregate(n=Count("id"), total=Sum("amount"))
    if not totals["n"]:
        raise PaymentError("Der Zahllauf enthält keine Auszahlungen.")
    created = timezone.localtime(run.created_at).strftime("%Y-%m-%dT%H:%M:%S")
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{SCHEMA}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><CstmrCdtTrfInitn><GrpHdr>'
        f"<MsgId>{escape(run.number)}</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{totals['n']}</NbOfTxs>"
        f"<CtrlSum>{totals['total']:.2f}</CtrlSum><InitgPty><Nm>{escape(unidecode(config['name'])[:70])}</Nm>"
        "</InitgPty></GrpHdr>"
    ).encode()
    for index, chunk in enumerate(_chunks(_rows(run), CHUNK), start=1):
        sepa = SepaTransfer(dict(config), schema=SCHEMA, clean=True)
        for row in chunk:
            payment = {
                "name": row["account_holder"] or row["application__organisation__name"],
                "IBAN": row["iban"], "amount": int(row["amount"] * 100),
                "execution_date": run.execution_date, "description": purpose(row),
                "endtoend_id": f"WIR-AZ-{row['pk']}",
            }
            bic = bic_for(row["iban"])
            if bic:
                payment["BIC"] = bic
            sepa.add_payment(payment)
        block = _PMTINF.search(sepa.export(validate=False)).group(0)
        yield _PMTINFID.sub(f"<PmtInfId>{run.number}-{index}</PmtInfId>".encode(), block, count=1)
    yield b"</CstmrCdtTrfInitn></Document>"


def sepa_bytes(run: PaymentRun) -> bytes:
    return b"".join(sepa_stream(run))


@functools.lru_cache(maxsize=1)
def _schema():
    import sepaxml
    from lxml import etree

    path = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{SCHEMA}.xsd")
    return etree.XMLSchema(etree.parse(path))


def pain001_validate(data: bytes) -> list[str]:
    """Schema errors of a pain.001.001.03 file (empty list: valid)."""
    from lxml import etree

    schema = _schema()
    try:
        document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    if schema.validate(document):
        return []
    return [str(e) for e in schema.error_log]


# --- CSV for the treasury ----------------------------------------------------------------------------------------

def cell(value) -> str:
    """Neutralise spreadsheet formulas (wir_portal.cells, the rule of every export)."""
    return neutralise("" if value is None else str(value))


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


class _Echo:
    def write(self, value):
        return value


def csv_stream(run: PaymentRun) -> Iterator[str]:
    """Semicolon-separated, decimal comma, UTF-8 with BOM (Excel opens it correctly)."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    day = run.execution_date.strftime("%d.%m.%Y") if isinstance(run.execution_date, datetime.date) else ""
    for row in _rows(run):
        yield writer.writerow([
            cell(run.number), day, cell(row["account_holder"] or row["application__organisation__name"]),
            cell(row["iban"]), cell(bic_for(row["iban"])), _amount(row["amount"]),
            cell(row["application__file_number"]), cell(budget_line(row)), cell(purpose(row)),
            f"WIR-AZ-{row['pk']}",
        ])
