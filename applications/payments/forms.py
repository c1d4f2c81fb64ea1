"""Forms of the payment pages. Formats only (amount, year, declaration); the rules come from services.py and
their messages are attached to the field they concern, so nothing typed is lost."""

from decimal import InvalidOperation

from django import forms

from applications.portal.forms import EuroField


class AmountField(EuroField):
    """The portal's EuroField; an absurdly long number (which makes its cent check raise) is "too large"."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except InvalidOperation:
            raise forms.ValidationError("Der Betrag ist zu groß.", code="too_large") from None


class PaymentRequestForm(forms.Form):
    year = forms.TypedChoiceField(label="Haushaltsjahr", coerce=int, choices=(),
                                  error_messages={"invalid_choice": "Bitte wählen Sie ein bewilligtes Haushaltsjahr."})
    amount = AmountField(label="Betrag in €", positive=True, required=True,
                       error_messages={"required": "Bitte geben Sie den Betrag an."})
    need_declared = forms.BooleanField(
        label="Ich erkläre, dass der Betrag binnen zwei Monaten nach der Auszahlung für fällige Zahlungen benötigt "
              "wird (Nr. 1.4 ANBest-P / ANBest-GK).",
        required=True,
        error_messages={"required": "Bitte bestätigen Sie, dass die Mittel binnen zwei Monaten benötigt werden."},
    )

    def __init__(self, *args, years: list[int], labels: dict[int, str] | None = None, initial: int | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        labels = labels or {}
        self.fields["year"].choices = [(y, labels.get(y, str(y))) for y in years]
        if initial is not None or len(years) == 1:
            self.fields["year"].initial = initial if initial is not None else years[0]


class PaymentRefuseForm(forms.Form):
    reason = forms.CharField(label="Begründung (für die Antragstellenden sichtbar)", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
                             error_messages={"required": "Bitte begründen Sie die Ablehnung."})
