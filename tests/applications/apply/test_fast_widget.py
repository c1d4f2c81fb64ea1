"""The cost plan's widgets built in Python (wir_portal.templatetags.fastforms) are Django's HTML, byte for byte."""

from unittest import mock

import pytest
from django import forms
from django.forms.boundfield import BoundField

from applications.portal.forms import CostItemForm, CostItemFormSet
from wir_portal.templatetags.fastforms import fast_widget


def _compare(form, *, fast=True):
    """Equal HTML; with ``fast`` the filter must build it itself (Django's rendering is not called)."""
    for name in form.fields:
        bf = form[name]
        expected = str(bf.as_widget())
        if fast and name in CostItemForm.base_fields:  # the formset's DELETE checkbox goes Django's way
            with mock.patch.object(BoundField, "as_widget", side_effect=AssertionError("fell back")):
                got = str(fast_widget(bf))
        else:
            got = str(fast_widget(bf))
        assert got == expected, name


@pytest.mark.parametrize("data", [
    None,
    {"category": "personnel", "description": 'Stelle "A" <b>&</b>', "amount": "1.234,56"},
    {"category": "", "description": "", "amount": "abc"},  # invalid: aria-invalid, errors
    {"category": "nonsense", "description": "x" * 250, "amount": "-5"},
])
def test_cost_item_widgets_equal_djangos(data):
    form = CostItemForm(data=data)
    if data is not None:
        form.is_valid()
    _compare(form)


def test_formset_rows_and_empty_form_equal_djangos():
    data = {"cost-2027-TOTAL_FORMS": "2", "cost-2027-INITIAL_FORMS": "0",
            "cost-2027-0-category": "material", "cost-2027-0-description": "Papier", "cost-2027-0-amount": "12,50",
            "cost-2027-1-category": "", "cost-2027-1-description": "ohne Art", "cost-2027-1-amount": ""}
    formset = CostItemFormSet(data=data, prefix="cost-2027")
    formset.is_valid()
    for form in [*formset.forms, formset.empty_form]:
        _compare(form)


def test_other_widgets_fall_back_to_django():
    class Other(forms.Form):
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        kinds = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
        grouped = forms.ChoiceField(choices=[("Gruppe", [("a", "A"), ("b", "B")])])

    form = Other()
    _compare(form, fast=False)
