"""Forms of the proof-of-use pages. Formats only; the rules (period, plan, decimals, signatory) come from
services.py and their messages are attached to the field they concern, so nothing typed is lost."""

from django import forms

from applications.models import CostItem
from applications.proof import services

DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"]


class AmountText(forms.CharField):
    """A euro amount as typed (1.234,56): parsed by services.parse_amount, which names three decimals."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 30:
            raise forms.ValidationError("Der Betrag ist zu lang.")
        try:
            return services.parse_amount(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ExpenseForm(forms.Form):
    paid_on = forms.DateField(label="Zahlungsdatum", input_formats=DATE_FORMATS,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              error_messages={"required": "Bitte geben Sie das Zahlungsdatum an.",
                                              "invalid": "Bitte geben Sie ein gültiges Datum an (z. B. 31.03.2027)."})
    payee = forms.CharField(label="Empfänger", max_length=200,
                            error_messages={"required": "Bitte geben Sie an, an wen gezahlt wurde."})
    purpose = forms.CharField(label="Grund der Zahlung", max_length=300,
                              error_messages={"required": "Bitte geben Sie den Grund der Zahlung an."})
    amount = AmountText(label="Betrag in €", widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 30}),
                        error_messages={"required": "Bitte geben Sie den Betrag an."})
    cost_item = forms.TypedChoiceField(label="Kostenposition des Finanzierungsplans", coerce=int, choices=(),
                                       error_messages={"invalid_choice": "Diese Kostenposition gehört nicht zum "
                                                                         "bewilligten Finanzierungsplan.",
                                                       "required": "Bitte wählen Sie die Kostenposition."})
    receipt_number = forms.CharField(label="Beleg-Nr. (freiwillig)", max_length=60, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {line.item.pk: line.item for line in lines}
        self.fields["cost_item"].choices = [("", "– bitte wählen –")] + [(line.item.pk, line.label) for line in lines]

    def expense_input(self) -> services.ExpenseInput:
        data = self.cleaned_data
        return services.ExpenseInput(paid_on=data["paid_on"], payee=data["payee"], purpose=data["purpose"],
                                     amount=data["amount"], cost_item=self.items.get(data["cost_item"]),
                                     receipt_number=data.get("receipt_number") or "")


class ImportForm(forms.Form):
    upload = forms.FileField(label="Datei (CSV oder XLSX)",
                             help_text="Spalten: Datum; Empfänger; Grund; Betrag; Kostenposition (z. B. 2027/1); "
                                       "optional Beleg-Nr. CSV als UTF-8 oder Windows-1252, Trennzeichen ; oder ,",
                             error_messages={"required": "Bitte wählen Sie eine Datei."})


INCOME_FIELDS = list(services.INCOME_LABELS.items())


class ReportForm(forms.Form):
    """The Sachbericht (the line's questions) and the actual income per year of the proof."""

    def __init__(self, *args, questions, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions, self.years = questions, years
        for q in questions:
            if q.kind == "number":
                self.fields[q.key] = forms.IntegerField(label=q.label, min_value=0, required=False, help_text=q.help,
                                                        error_messages={"invalid": "Bitte eine ganze Zahl angeben.",
                                                                        "min_value": "Bitte keine negative Zahl."})
            else:
                self.fields[q.key] = forms.CharField(label=q.label, required=False, help_text=q.help, max_length=8000,
                                                     widget=forms.Textarea(attrs={"rows": 4}))
        for year in years:
            for key, label in INCOME_FIELDS:
                self.fields[f"{key}_{year}"] = AmountZero(
                    label=f"{label} {year} (Ist)", required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 30}))

    def report(self) -> dict:
        return {q.key: self.cleaned_data.get(q.key) for q in self.questions}

    def incomes(self) -> dict:
        return {year: {key: self.cleaned_data.get(f"{key}_{year}") for key, _ in INCOME_FIELDS} for year in self.years}


class AmountZero(AmountText):
    """An income amount: empty or 0 is allowed."""

    def to_python(self, value):
        if str(value or "").strip() in ("", "0", "0,00", "0.00"):
            return None
        return super().to_python(value)


class DocumentForm(forms.Form):
    upload = forms.FileField(label="Datei (PDF, DOCX, XLSX, ODT, JPEG oder PNG)",
                             error_messages={"required": "Bitte wählen Sie eine Datei."})
    cost_item = forms.TypedChoiceField(label="Beleg zur Kostenposition", coerce=int, required=False, empty_value=None,
                                       choices=())

    def __init__(self, *args, requested: list[CostItem] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if requested:
            self.fields["cost_item"].choices = [(c.pk, f"{c.year}: {c.description}") for c in requested]
        else:
            del self.fields["cost_item"]
