"""The Belegliste: one expense at a time and the CSV/XLSX import — good file, one bad row (nothing imported), and the
bad inputs: a date outside the period, three decimals, a cost line not in the plan, a 20 MB file, UTF-16; cp1252
(Excel on German Windows) is read correctly."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Expense
from applications.proof import services
from tests.proof.conftest import add_lines, expense, pay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def items(funded):
    return add_lines(funded, [("Honorare", "25000.00"), ("Sachkosten", "15000.00")])


def csv_file(text: str, *, encoding="utf-8", name="belege.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


HEADER = "Datum;Empfänger;Grund;Betrag;Kostenposition;Beleg-Nr.\n"


def test_add_one(funded, items, people):
    data = services.ExpenseInput(paid_on=datetime.date(2027, 3, 1), payee="Dozentin A", purpose="Kurs März",
                                 amount=D("1200.00"), cost_item=items[0])
    services.expense_add(application=funded, user=people["colleague"], data=data)
    assert Expense.objects.get().amount == D("1200.00")


@pytest.mark.parametrize("field, changes, message", [
    ("paid_on", {"paid_on": datetime.date(2026, 12, 31)}, r"außerhalb des Bewilligungszeitraums \(01\.01\.2027 bis 31\.12\.2027\)"),
    ("payee", {"payee": " "}, "an wen gezahlt"),
    ("cost_item", {"cost_item": None}, "nicht zum bewilligten Finanzierungsplan"),
])
def test_add_refused(funded, items, people, field, changes, message):
    data = services.ExpenseInput(**{"paid_on": datetime.date(2027, 3, 1), "payee": "A", "purpose": "B",
                                    "amount": D("1.00"), "cost_item": items[0], **changes})
    with pytest.raises(services.ProofError, match=message) as exc:
        services.expense_add(application=funded, user=people["colleague"], data=data)
    assert exc.value.field == field


def test_cost_line_of_another_application_refused(funded, items, people, org):
    from tests.proof.conftest import funded_app

    other = funded_app(org)
    data = services.ExpenseInput(paid_on=datetime.date(2027, 3, 1), payee="A", purpose="B", amount=D("1.00"),
                                 cost_item=other.cost_items.first())
    with pytest.raises(services.ProofError, match="nicht zum bewilligten"):
        services.expense_add(application=funded, user=people["colleague"], data=data)


@pytest.mark.parametrize("text, expected", [("1.234,56", "1234.56"), ("1234,5", "1234.50"), ("1234.56", "1234.56"),
                                            ("12,340", "12.34"), ("1,234.56", "1234.56"), (" 99 € ", "99.00")])
def test_amounts(text, expected):
    assert services.parse_amount(text) == D(expected)


@pytest.mark.parametrize("text", ["12,345", "1.234", "0,001"])
def test_three_decimals_refused(text):
    with pytest.raises(ValueError, match="mehr als zwei Nachkommastellen"):
        services.parse_amount(text)


def test_import_good_file(funded, items, people):
    upload = csv_file(HEADER + "01.03.2027;Dozentin A;Kurs März;1.200,00;2027/1;R-1\n"
                               "15.03.2027;Bürobedarf GmbH;Papier;89,90;Sachkosten;\n"
                               "\n"
                               "2027-04-01;Müller & Söhne;Miete April;500;2027/2 Sachkosten;R-3\n")
    result = services.expenses_import(application=funded, user=people["colleague"], upload=upload)
    assert (result.created, result.errors) == (3, [])
    rows = list(Expense.objects.order_by("paid_on").values_list("payee", "amount", "cost_item_id", "imported"))
    assert rows == [("Dozentin A", D("1200.00"), items[0].pk, True), ("Bürobedarf GmbH", D("89.90"), items[1].pk, True),
                    ("Müller & Söhne", D("500.00"), items[1].pk, True)]


def test_import_one_bad_row_imports_nothing(funded, items, people):
    upload = csv_file(HEADER + "01.03.2027;A;Kurs;100,00;2027/1;\n"
                               "02.03.2027;B;Kurs;100,005;2027/1;\n"          # row 3: three decimals
                               "03.03.2027;C;Kurs;100,00;2027/1;\n")
    result = services.expenses_import(application=funded, user=people["colleague"], upload=upload)
    assert result.created == 0
    assert result.errors == ["Zeile 3, Spalte „Betrag“: Der Betrag „100,005“ hat mehr als zwei Nachkommastellen; "
                             "bitte auf Cent genau angeben."]
    assert not Expense.objects.exists()


def test_import_names_every_bad_row_and_field(funded, items, people):
    upload = csv_file(HEADER + "31.12.2026;A;Kurs;100,00;2027/1;\n"               # before the period
                               "01.03.2027;B;Kurs;100,00;2027/9;\n"               # no such cost line
                               "kein Datum;;Kurs;-5;2027/1;\n")                    # date, payee, amount
    result = services.expenses_import(application=funded, user=people["colleague"], upload=upload)
    assert result.errors[0] == ("Zeile 2, Spalte „Datum“: Das Zahlungsdatum 31.12.2026 liegt außerhalb des "
                                "Bewilligungszeitraums (01.01.2027 bis 31.12.2027).")
    assert result.errors[1].startswith("Zeile 3, Spalte „Kostenposition“: Die Kostenposition „2027/9“ gehört nicht "
                                       "zum bewilligten Finanzierungsplan (erlaubt: 2027/1, 2027/2).")
    assert {e.split(":")[0] for e in result.errors[2:]} == {"Zeile 4, Spalte „Datum“", "Zeile 4, Spalte „Betrag“",
                                                            "Zeile 4, Spalte „Empfänger“"}
    assert not Expense.objects.exists()


def test_import_cp1252_is_read_correctly(funded, items, people):
    upload = csv_file(HEADER + "01.03.2027;Bäckerei Größe;Verpflegung für Kurs;45,00;2027/2;\n", encoding="cp1252")
    result = services.expenses_import(application=funded, user=people["colleague"], upload=upload)
    assert result.created == 1 and Expense.objects.get().payee == "Bäckerei Größe"


def test_import_utf16_refused(funded, items, people):
    upload = csv_file(HEADER + "01.03.2027;A;B;1,00;2027/1;\n", encoding="utf-16")
    with pytest.raises(services.ImportRefused, match="UTF-16"):
        services.expenses_import(application=funded, user=people["colleague"], upload=upload)


def test_import_20_mb_refused(funded, items, people):
    upload = SimpleUploadedFile("gross.csv", HEADER.encode() + b"x" * (20 * 1024 * 1024), content_type="text/csv")
    with pytest.raises(services.ImportRefused, match="20,0 MB groß; erlaubt sind höchstens 10 MB"):
        services.expenses_import(application=funded, user=people["colleague"], upload=upload)


def test_import_wrong_type_and_missing_columns(funded, items, people):
    with pytest.raises(services.ImportRefused, match="nicht erlaubt"):
        services.expenses_import(application=funded, user=people["colleague"],
                                 upload=SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf"))
    with pytest.raises(services.ImportRefused, match="fehlen die Spalten „Betrag“"):
        services.expenses_import(application=funded, user=people["colleague"],
                                 upload=csv_file("Datum;Empfänger;Grund;Kostenposition\n01.03.2027;A;B;2027/1\n"))


def test_import_xlsx(funded, items, people):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Datum", "Empfänger", "Grund", "Betrag", "Kostenposition"])
    sheet.append([datetime.datetime(2027, 5, 2), "Stadtwerke", "Strom", 123.45, "2027/2"])
    sheet.append([datetime.date(2027, 5, 3), "Stadtwerke", "Wasser", 10, "2027/2"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("belege.xlsx", buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    result = services.expenses_import(application=funded, user=people["colleague"], upload=upload)
    assert result.created == 2
    assert sorted(Expense.objects.values_list("amount", flat=True)) == [D("10.00"), D("123.45")]


def test_xlsx_three_decimals_refused(funded, items, people):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Datum", "Empfänger", "Grund", "Betrag", "Kostenposition"])
    workbook.active.append([datetime.date(2027, 5, 2), "A", "B", 12.345, "2027/1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = services.expenses_import(application=funded, user=people["colleague"],
                                      upload=SimpleUploadedFile("b.xlsx", buffer.getvalue()))
    assert result.errors == ["Zeile 2, Spalte „Betrag“: Der Betrag „12.345“ hat mehr als zwei Nachkommastellen; "
                             "bitte auf Cent genau angeben."]


def test_planned_vs_spent_warnings(funded, items):
    # Honorare 25,000 approved: 30,100 spent = 120.4 % -> beyond the 20 % tolerance (30,000)
    expense(funded, items[0], "30100.00")
    expense(funded, items[1], "1000.00")
    # 5,000 paid on 01.02.2027; by 15.04.2027 more than two months ago, spent 31,100 covers it: no unspent warning
    pay(funded, 2027, "5000.00", paid_on=datetime.date(2027, 2, 1))
    overview = services.spending_overview(funded, today=datetime.date(2027, 4, 15))
    honorare, sach = overview.lines
    assert (honorare.spent, honorare.share, honorare.over_tolerance) == (D("30100.00"), D("120.40"), True)
    assert sach.over_tolerance is False
    assert len(overview.warnings) == 1 and "mehr als 20 % über dem Ansatz" in overview.warnings[0]


def test_paid_money_not_spent_within_two_months(funded, items):
    expense(funded, items[0], "1000.00")
    pay(funded, 2027, "5000.00", paid_on=datetime.date(2027, 2, 1))
    pay(funded, 2027, "3000.00", paid_on=datetime.date(2027, 3, 1))
    # on 15.04.2027 the payment of 01.02. is older than two months (cut-off 15.02.), the one of 01.03. is not:
    # 5,000 paid − 1,000 spent = 4,000 not covered
    overview = services.spending_overview(funded, today=datetime.date(2027, 4, 15))
    assert any(w.startswith("2027: 4.000,00 € der vor mehr als 2 Monaten ausgezahlten Mittel") for w in overview.warnings)


def test_submitted_year_is_locked(funded, items, people, proof):
    expense(funded, items[0], "100.00")
    proof.report = {q.key: "1" for q in services.questions_for(funded)}
    proof.save()
    services.proof_submit(proof=proof, user=people["signatory"])
    data = services.ExpenseInput(paid_on=datetime.date(2027, 3, 1), payee="A", purpose="B", amount=D("1.00"),
                                 cost_item=items[0])
    with pytest.raises(services.ProofError, match="bereits eingereicht"):
        services.expense_add(application=funded, user=people["colleague"], data=data)
