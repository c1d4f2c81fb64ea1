"""The Weiterleitung form: formats only; the rules and their messages come from services.py (at the field)."""

from django import forms

from applications.payments.forms import AmountField


class ForwardingForm(forms.Form):
    year = forms.TypedChoiceField(label="Haushaltsjahr", coerce=int, choices=(),
                                  error_messages={"invalid_choice": "Bitte wählen Sie ein bewilligtes Haushaltsjahr."})
    recipient_name = forms.CharField(label="Empfänger (gemeinnütziger Träger)", max_length=200,
                                     error_messages={"required": "Bitte geben Sie den Namen des Empfängers an."})
    recipient_address = forms.CharField(label="Anschrift des Empfängers", max_length=300,
                                        error_messages={"required": "Bitte geben Sie die Anschrift des Empfängers an."})
    purpose = forms.CharField(label="Zweck (Mikroprojekt)", max_length=300,
                              error_messages={"required": "Bitte geben Sie den Zweck des Mikroprojekts an."})
    amount = AmountField(label="Betrag in €", positive=True, required=True,
                         error_messages={"required": "Bitte geben Sie den Betrag an."})
    forwarded_on = forms.DateField(label="Datum der Weiterleitung (Vertrag bzw. Bescheid)",
                                   widget=forms.DateInput(attrs={"type": "date"}),
                                   error_messages={"required": "Bitte geben Sie das Datum an.",
                                                   "invalid": "Bitte geben Sie ein gültiges Datum an."})

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        if len(years) == 1:
            self.fields["year"].initial = years[0]
