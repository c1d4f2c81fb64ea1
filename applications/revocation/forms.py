"""Forms of the revocation room. Formats only; the rules come from services.py and their messages are attached to
the field they concern (RevocationError.field), so nothing typed is lost."""

from django import forms

from applications.models import RevocationBasis, RevocationGround, RevocationOutcome
from applications.portal.forms import DATE_FORMATS, DATE_INVALID, DateInput, EuroField
from wir_portal.money import format_eur

TEXTAREA = {"rows": 6, "class": "vLargeTextField"}


def _date(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, help_text=help_text, widget=DateInput(),
                           input_formats=DATE_FORMATS,
                           error_messages={"invalid": DATE_INVALID, "required": "Bitte geben Sie ein Datum an."})


class RevocationOpenForm(forms.Form):
    ground = forms.ChoiceField(label="Anlass", choices=[("", "– bitte wählen –"), *RevocationGround.choices],
                               error_messages={"required": "Bitte wählen Sie den Anlass."})
    basis = forms.ChoiceField(label="Rechtsgrundlage", choices=[("", "– bitte wählen –"), *RevocationBasis.choices],
                              error_messages={"required": "Bitte wählen Sie die Rechtsgrundlage."})
    facts = forms.CharField(label="Sachverhalt (steht in Anhörung und Bescheid)", max_length=8000,
                            widget=forms.Textarea(attrs=TEXTAREA),
                            error_messages={"required": "Bitte schildern Sie den Sachverhalt."})
    effective_date = _date("Wirksam ab (Unwirksamwerden des Bescheids)",
                           help_text="Mit Wirkung für die Vergangenheit möglich (§ 49 Abs. 3, § 48 Abs. 1 HVwVfG), "
                                     "frühestens ab dem Zuwendungsbescheid.")
    proof_amount = EuroField(label="Betrag aus der Prüfung des Verwendungsnachweises",
                             help_text="nur beim Anlass „Ergebnis der Prüfung des Verwendungsnachweises“")
    proof_reference = forms.CharField(label="Bezug (Prüfvermerk)", max_length=300, required=False)

    def __init__(self, *args, positions: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.positions = positions
        for year, pos in positions.items():
            self.fields[f"amount_{year}"] = EuroField(
                label=f"Widerrufener Betrag {year}",
                help_text=f"bewilligt {format_eur(pos.granted)}, ausgezahlt (abzügl. Rückzahlungen) "
                          f"{format_eur(pos.paid_net)}")

    def amount_fields(self):
        return [self[f"amount_{year}"] for year in self.positions]

    def amounts(self) -> dict:
        return {year: self.cleaned_data.get(f"amount_{year}") for year in self.positions}


class HearingForm(forms.Form):
    deadline = _date("Frist zur Stellungnahme")


class PrepareForm(forms.Form):
    outcome = forms.ChoiceField(label="Vorgeschlagene Entscheidung", choices=RevocationOutcome.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": "Bitte wählen Sie die vorgeschlagene Entscheidung."})
    considerations = forms.CharField(
        label="Ermessenserwägungen (Begründung des Bescheids bzw. des Schreibens)", max_length=8000,
        widget=forms.Textarea(attrs=TEXTAREA),
        error_messages={"required": "Bitte legen Sie die Ermessenserwägungen dar."})
    answer_assessment = forms.CharField(label="Würdigung der Stellungnahme", max_length=8000, required=False,
                                        widget=forms.Textarea(attrs=TEXTAREA))
    interest_waived = forms.BooleanField(label="Auf Zinsen verzichten (§ 49a Abs. 3 Satz 2 HVwVfG)", required=False)
    interest_waiver_reason = forms.CharField(label="Begründung des Zinsverzichts", max_length=4000, required=False,
                                             widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}))


class SendBackForm(forms.Form):
    reason = forms.CharField(label="Grund der Rückgabe", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Bitte begründen Sie die Rückgabe."})


class ClaimPaymentForm(forms.Form):
    received_on = _date("Eingegangen am")
    amount = EuroField(label="Betrag in €", required=True,
                       error_messages={"required": "Bitte geben Sie den Betrag an."})
    reference = forms.CharField(label="Verwendungszweck / Buchungsreferenz", max_length=200, required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class AnswerForm(forms.Form):
    text = forms.CharField(label="Ihre Stellungnahme", max_length=8000, widget=forms.Textarea(attrs={"rows": 10}),
                           error_messages={"required": "Bitte schreiben Sie Ihre Stellungnahme."})
    documents = MultipleFileField(label="Unterlagen (PDF, DOCX, XLSX, ODT, JPEG oder PNG)", required=False)
