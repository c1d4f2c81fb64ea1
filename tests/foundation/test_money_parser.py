"""The one money parser (wir_portal.money.parse_eur) and the one money field (wir_portal.forms.MoneyField) that
every form of the portal and the admin uses: never a silent factor of 1,000, never a 500 on hostile numbers."""

from decimal import Decimal

import pytest
from django import forms

from wir_portal.forms import MoneyField
from wir_portal.money import MoneyParseError, parse_eur


@pytest.mark.parametrize(("text", "expected"), [
    ("40.000", "40000"), ("40.000,00", "40000"), ("40000", "40000"), ("40 000", "40000"), ("40.000 €", "40000"),
    ("40.000,00 EUR", "40000"), ("1,5", "1.5"), ("1,50", "1.50"), ("0,01", "0.01"), ("1.234,56", "1234.56"),
    ("1.234.567,8", "1234567.8"), ("1234.56", "1234.56"), ("12.5", "12.5"), ("1.234", "1234"),
    ("1234,56", "1234.56"), ("\u00a050.000,00\u00a0€", "50000"), ("9.999.999.999,99", "9999999999.99"),
    ("-50", "-50"),
])
def test_german_amounts_parse_to_the_amount_meant(text, expected):
    assert parse_eur(text) == Decimal(expected)


@pytest.mark.parametrize(("text", "code"), [
    ("1,234", "ambiguous"), ("1234.567", "ambiguous"), ("1,234.56", "ambiguous"), ("1.234.56", "ambiguous"),
    ("1,234,567", "ambiguous"), ("1,555", "ambiguous"),
    ("1,2345", "decimals"), ("1.234,567", "decimals"),
    ("NaN", "invalid"), ("-NaN", "invalid"), ("sNaN", "invalid"), ("Infinity", "invalid"), ("-inf", "invalid"),
    ("1e308", "invalid"), ("1E+30", "invalid"), ("1e3", "invalid"), ("0x10", "invalid"), ("", "invalid"),
    ("٤٠", "invalid"), ("40.000,-", "invalid"), ("abc", "invalid"),
    ("1" * 30, "too_large"), ("12345678901", "too_large"), ("1" * 31, "too_large"), ("9" * 400, "too_large"),
])
def test_hostile_or_ambiguous_input_is_refused_with_a_german_message(text, code):
    with pytest.raises(MoneyParseError) as exc:
        parse_eur(text)
    assert exc.value.code == code
    assert "Bitte" in exc.value.message  # German, telling what to type


def test_the_ambiguity_message_names_both_readings():
    with pytest.raises(MoneyParseError) as exc:
        parse_eur("1,234")
    assert "mehrdeutig" in exc.value.message and "1.234,00" in exc.value.message and "1,23" in exc.value.message


class _Form(forms.Form):
    amount = MoneyField(positive=True)


@pytest.mark.parametrize("text", ["NaN", "-NaN", "1e308", "1E+30", "1" * 30, "Infinity", "-5", "0", "0,00",
                                  "99.999.999.999,00", "1,234"])
def test_the_field_turns_every_bad_number_into_a_field_error(text):
    form = _Form({"amount": text})
    assert not form.is_valid()
    assert form.errors["amount"]
    assert form["amount"].value() == text  # what was typed is shown again


def test_the_field_reads_thousands_as_thousands():
    form = _Form({"amount": "40.000"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("40000.00")
