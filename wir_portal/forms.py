"""Form building blocks shared by the applicant portal and the staff admin.

- `MoneyField`: the one money field of every form (it parses with `wir_portal.money.parse_eur`).
- `no_control_characters`: the validator of every single-line text field (CR/LF, NUL, other control characters
  would end up in mail headers, CSV rows and PDF titles); `single_line_fields` applies it to a form.
- `AdminInputMixin`: admin pages get the same money field for money columns (DecimalField with two decimals)
  and the control-character check on single-line text fields.
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .money import MAX_AMOUNT, MoneyParseError, format_eur, money, parse_eur


class MoneyField(forms.Field):
    """An amount typed the German way ('40.000', '40.000,00', '1,5', '1.234,56 €') -> Decimal in cents.

    `min_value` (default 0: negative amounts are refused) and `positive` (refuse 0 too). Invalid or ambiguous
    input gets a German message at the field; the typed text is shown again (Django keeps the bound value).
    """

    widget = forms.TextInput
    default_error_messages = {
        "negative": "Der Betrag darf nicht negativ sein.",
        "zero": "Der Betrag muss größer als 0 sein.",
        "too_large": f"Der Betrag ist zu groß. Bitte geben Sie höchstens {format_eur(MAX_AMOUNT)} an.",
    }

    def __init__(self, *, positive: bool = False, max_value: Decimal = MAX_AMOUNT, **kwargs):
        self.positive = positive
        self.max_value = max_value
        for unused in ("max_digits", "decimal_places", "min_value", "localize"):
            kwargs.pop(unused, None)  # model DecimalField.formfield() passes these; the parser knows the format
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            amount = value
            if not amount.is_finite():
                raise ValidationError(MoneyParseError("x").message, code="invalid")
        else:
            try:
                amount = parse_eur(value)
            except MoneyParseError as exc:
                raise ValidationError(exc.message, code=exc.code) from None
        if amount < 0:
            raise ValidationError(self.error_messages["negative"], code="negative")
        if self.positive and amount == 0:
            raise ValidationError(self.error_messages["zero"], code="zero")
        if amount > self.max_value:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return money(amount)

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return format_eur(value, symbol=False)
        return value

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (money(initial) if initial not in (None, "") else None)
        except (ValidationError, ValueError, TypeError):
            return True

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "30"})
        return attrs


# --- Single-line text -----------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_MESSAGE = "Bitte geben Sie nur eine Zeile ohne Steuerzeichen (z. B. Zeilenumbrüche) ein."


def no_control_characters(value) -> None:
    """Refuse CR, LF, NUL, TAB and every other control character (and the Unicode line separators)."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_characters")


def is_single_line(field: forms.Field) -> bool:
    return (isinstance(field, forms.CharField) and not isinstance(field.widget, forms.Textarea)
            and not isinstance(field.widget, forms.PasswordInput))


def single_line_fields(form: forms.BaseForm) -> None:
    """Attach `no_control_characters` to every single-line CharField of a bound form (EmailField, URLField etc.
    included). Passwords are left alone: they are never displayed or mailed and may contain anything."""
    for field in form.fields.values():
        if is_single_line(field) and no_control_characters not in field.validators:
            field.validators.append(no_control_characters)


class SingleLineFormMixin:
    """Mix into a Form/ModelForm: every single-line text field refuses control characters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        single_line_fields(self)


# --- Admin --------------------------------------------------------------------------------------------------------

def is_money_column(db_field) -> bool:
    """Money columns are DecimalField(max_digits >= 8, decimal_places=2); percentages and post counts
    (max_digits=5) are not."""
    return (isinstance(db_field, models.DecimalField) and db_field.decimal_places == 2
            and (db_field.max_digits or 0) >= 8)


class AdminInputMixin:
    """ModelAdmin/InlineModelAdmin: money columns use MoneyField ('40.000' is 40.000,00 €, not 40,00 €) and
    single-line text fields refuse control characters."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_money_column(db_field) and not db_field.choices:
            defaults = {"required": not db_field.blank, "label": db_field.verbose_name.capitalize(),
                        "help_text": db_field.help_text}
            if db_field.has_default() and not callable(db_field.default):
                defaults["initial"] = db_field.default
            field = MoneyField(**{**defaults, **kwargs})
            return field
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and is_single_line(field) and no_control_characters not in field.validators:
            field.validators.append(no_control_characters)
        return field
