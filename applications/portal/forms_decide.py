"""Portal forms of the decisions work: declarations at submission, Änderungsantrag, early start request.

Money fields use the portal's EuroField (German input); rule checks are the services' (decisions.py), attached
to the form so nothing typed is lost."""

import datetime

from django import forms

from applications.decision_rules import CONFIRMATIONS, OTHER_FUNDING_CHOICES, VAT_CHOICES
from applications.portal.forms import EuroField
from wir_portal.money import format_eur


class DeclarationsForm(forms.Form):
    vat = forms.ChoiceField(label="Vorsteuerabzug", choices=VAT_CHOICES, widget=forms.RadioSelect,
                            error_messages={"required": "Bitte geben Sie an, ob Sie zum Vorsteuerabzug berechtigt "
                                                        "sind."})
    other_funding = forms.ChoiceField(
        label="Weitere Förderung für dasselbe Vorhaben", choices=OTHER_FUNDING_CHOICES, widget=forms.RadioSelect,
        error_messages={"required": "Bitte geben Sie an, ob weitere Fördermittel beantragt oder erhalten wurden."})
    other_funding_details = forms.CharField(
        label="Geldgeber, Betrag und Stand der weiteren Förderung", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        messages = {
            "not_started": "Bitte bestätigen Sie, dass mit dem Vorhaben noch nicht begonnen wurde.",
            "correct_complete": "Bitte bestätigen Sie die Richtigkeit und Vollständigkeit Ihrer Angaben.",
            "electronic_delivery": "Bitte stimmen Sie der elektronischen Bekanntgabe der Bescheide zu.",
        }
        for key, statement in CONFIRMATIONS:
            self.fields[key] = forms.BooleanField(label=statement, error_messages={"required": messages[key]})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("other_funding") in ("beantragt", "erhalten") and not (
                cleaned.get("other_funding_details") or "").strip():
            self.add_error("other_funding_details", "Bitte nennen Sie Geldgeber, Betrag und Stand der weiteren "
                                                    "Förderung.")
        return cleaned

    def declarations(self) -> dict:
        return dict(self.cleaned_data)


class AmendmentRequestForm(forms.Form):
    """Änderungsantrag: a later end of the period, new amounts of the cost lines, a new grant per year."""

    new_period_end = forms.DateField(label="Neues Ende des Bewilligungszeitraums", required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text="Leer lassen, wenn der Zeitraum gleich bleibt.")
    reasons = forms.CharField(label="Begründung", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": "Bitte begründen Sie den Änderungsantrag."})

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.items = list(application.cost_items.all())
        self.plan_years = list(application.plan_years.all())
        for item in self.items:
            current = item.approved_amount if item.approved_amount is not None else item.amount
            self.fields[f"cost_{item.pk}"] = EuroField(
                label=f"{item.year} · {item.description}", initial=current,
                help_text=f"bisher zuwendungsfähig {format_eur(current)}")
        for p in self.plan_years:
            self.fields[f"grant_{p.year}"] = EuroField(
                label=f"Zuwendung {p.year}", initial=p.approved_grant or 0,
                help_text=f"bisher bewilligt {format_eur(p.approved_grant or 0)}")
        # An extension into the following budget years (multi-year lines, within the funding period or maximum
        # duration): the part of the grant moved there (issue 12). Left empty unless the new end lies there.
        self.extension_years = []
        if application.rule.line.multi_year and self.plan_years:
            from applications.rules import last_plan_year

            last = max(p.year for p in self.plan_years)
            self.extension_years = list(range(last + 1, min(last_plan_year(application.rule), last + 2) + 1))
        for year in self.extension_years:
            self.fields[f"grant_{year}"] = EuroField(
                label=f"Zuwendung {year} (nur bei Verlängerung bis in das Jahr {year})", required=False,
                help_text="Der Teil der Zuwendung, der auf dieses Haushaltsjahr entfällt; kürzen Sie dafür "
                          "gegebenenfalls die bisherigen Jahre.")

    def clean_new_period_end(self):
        value = self.cleaned_data.get("new_period_end")
        if value and value.year > 2100:
            raise forms.ValidationError("Bitte geben Sie ein gültiges Datum an.")
        return value

    def changes(self) -> dict:
        cost_amounts, year_amounts = {}, {}
        for item in self.items:
            value = self.cleaned_data.get(f"cost_{item.pk}")
            if value is not None:
                cost_amounts[item.pk] = value
        for p in self.plan_years:
            value = self.cleaned_data.get(f"grant_{p.year}")
            if value is not None:
                year_amounts[p.year] = value
        for year in self.extension_years:
            value = self.cleaned_data.get(f"grant_{year}")
            if value:
                year_amounts[year] = value
        return {"new_period_end": self.cleaned_data.get("new_period_end"), "cost_amounts": cost_amounts,
                "year_amounts": year_amounts, "reasons": self.cleaned_data.get("reasons", "")}


class EarlyStartRequestForm(forms.Form):
    start = forms.DateField(label="Beginn des Vorhabens ab", widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"required": "Bitte geben Sie an, ab wann Sie beginnen möchten.",
                                            "invalid": "Bitte geben Sie ein gültiges Datum an."})
    reason = forms.CharField(label="Warum muss das Vorhaben vor der Bewilligung beginnen?", max_length=3000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "Bitte begründen Sie den vorzeitigen Beginn."})

    def clean_start(self):
        value = self.cleaned_data["start"]
        if value.year > 2100 or value < datetime.date(2000, 1, 1):
            raise forms.ValidationError("Bitte geben Sie ein gültiges Datum an.")
        return value
