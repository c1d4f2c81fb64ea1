"""The payment run's files: pain.001 valid against the XSD shipped with sepaxml, every amount, IBAN and the
control sum checked against hand-computed figures; the same bytes on re-export; the treasury CSV with formula
injection neutralised."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from lxml import etree

from applications.models import Payment
from applications.payments import exports, services
from tests.factories import OrganisationFactory, application
from tests.payments.conftest import IBAN, fund

D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
IBAN_2 = "DE02120300000000202051"  # Deutsche Kreditbank example IBAN (BIC BYLADEM1001)


@pytest.fixture
def run(funded, people, staffers, org):
    """Three payments to two payees: 1,000.00 + 2,500.50 (funded) and 0.01 (second organisation)."""
    other = OrganisationFactory(iban=IBAN_2, name="=HYPERLINK(\"http://evil\")", account_holder="")
    from applications.models import Role
    from tests.factories import member

    member(people["signatory"], other, Role.SIGNATORY)
    second = fund(application(organisation=other, code="integrationsprojekte", year=2027, grant="100.00", costs="200.00"), {2027: D("100.00")})
    ids = []
    for app, amount in ((funded, "1000.00"), (funded, "2500.50"), (second, "0.01")):
        p = services.payment_request(application=app, user=people["signatory"], year=2027, amount=D(amount),
                                     need_declared=True)
        services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
        services.payment_order(payment=p, user=staffers["haushalt"])
        ids.append(p.pk)
    return services.run_create(user=staffers["haushalt"], payment_ids=ids, execution_date=datetime.date(2027, 3, 1))


def _schema():
    import os

    import sepaxml

    return etree.XMLSchema(etree.parse(os.path.join(os.path.dirname(sepaxml.__file__), "schemas",
                                                    "pain.001.001.03.xsd")))


def test_pain001_valid_and_figures_hand_computed(run):
    data = exports.sepa_bytes(run)
    doc = etree.fromstring(data)
    schema = _schema()
    assert schema.validate(doc), schema.error_log
    assert exports.pain001_validate(data) == []
    # hand-computed: 1000.00 + 2500.50 + 0.01 = 3500.51, three transactions
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "3500.51"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == run.number
    txs = doc.findall(".//p:CdtTrfTxInf", namespaces=NS)
    got = sorted((tx.findtext("p:Amt/p:InstdAmt", namespaces=NS), tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS))
                 for tx in txs)
    assert got == sorted([("1000.00", IBAN), ("2500.50", IBAN), ("0.01", IBAN_2)])
    assert {tx.find("p:Amt/p:InstdAmt", namespaces=NS).get("Ccy") for tx in txs} == {"EUR"}
    assert doc.findtext(".//p:PmtInf/p:ReqdExctnDt", namespaces=NS) == "2027-03-01"
    assert doc.findtext(".//p:PmtInf/p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE02500105170137075030"
    ids = {tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for tx in txs}
    assert ids == {f"WIR-AZ-{pk}" for pk in Payment.objects.filter(run=run).values_list("pk", flat=True)}
    assert all(len(tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS)) <= 140 for tx in txs)


def test_chunks_make_one_valid_file_with_the_same_sums(run, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 1)  # three <PmtInf> blocks
    data = exports.sepa_bytes(run)
    doc = etree.fromstring(data)
    assert _schema().validate(doc)
    blocks = doc.findall(".//p:PmtInf", namespaces=NS)
    assert len(blocks) == 3
    assert sorted(b.findtext("p:CtrlSum", namespaces=NS) for b in blocks) == ["0.01", "1000.00", "2500.50"]
    assert len({b.findtext("p:PmtInfId", namespaces=NS) for b in blocks}) == 3
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "3500.51"


def test_re_export_gives_the_same_bytes_also_after_execution(run, staffers):
    first = exports.sepa_bytes(run)
    first_csv = "".join(exports.csv_stream(run))
    services.run_execute(run=run, user=staffers["haushalt"])
    run.refresh_from_db()
    assert exports.sepa_bytes(run) == first
    assert "".join(exports.csv_stream(run)) == first_csv


def test_the_validator_finds_errors(run):
    data = exports.sepa_bytes(run).replace(b"<CtrlSum>3500.51</CtrlSum>", b"<CtrlSum>drei</CtrlSum>", 1)
    assert exports.pain001_validate(data)
    assert exports.pain001_validate(b"<kein xml")


def test_export_refuses_without_payer_iban(run, settings):
    settings.WIR_PAYER_IBAN = ""
    with pytest.raises(services.PaymentError):
        exports.sepa_bytes(run)


def test_csv_columns_figures_and_formula_neutralised(run):
    text = "".join(exports.csv_stream(run))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == exports.CSV_HEADER
    body = rows[1:]
    assert len(body) == 3
    amounts = sorted(D(r[5].replace(",", ".")) for r in body)
    assert amounts == [D("0.01"), D("1000.00"), D("2500.50")] and sum(amounts) == D("3500.51")
    by_iban = {r[3]: r for r in body}
    evil = by_iban[IBAN_2]
    assert evil[2] == "'=HYPERLINK(\"http://evil\")"  # payee neutralised
    assert by_iban[IBAN][4] == "COBADEFFXXX" and by_iban[IBAN][2] == "Testverein Kasse"
    assert all(len(r[8]) <= 140 and r[6] in r[8] for r in body)
    assert all(r[7].startswith("WIR-") and r[1] == "01.03.2027" for r in body)


@pytest.mark.parametrize("value,expected", [("=1+2", "'=1+2"), ("+49", "'+49"), ("-3", "'-3"), ("@SUM", "'@SUM"),
                                            ("\tx", "'\tx"), ("\rx", "'\rx"), ("Verein", "Verein"), ("", "")])
def test_cell(value, expected):
    assert exports.cell(value) == expected


def test_export_streams_in_bounded_memory(run, django_assert_max_num_queries):
    """The query count does not depend on the number of payments (aggregate + one chunked read)."""
    with django_assert_max_num_queries(3):
        exports.sepa_bytes(run)
    with django_assert_max_num_queries(2):
        "".join(exports.csv_stream(run))
