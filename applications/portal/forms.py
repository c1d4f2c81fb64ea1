"""Forms of the applicant portal's application pages: common part, the line's own fields (from the line registry, funding/linetypes.py),
and the cost and financing plan per budget year (cost item formset + income form).

Forms check formats only (real dates, amounts with at most two decimals, positive). The funding rules (caps,
balance, period) come from rules.py and are attached to the fields by `problems_attach` in the view, so the
applicant sees every message at its field and nothing typed is lost.
"""

import datetime
from decimal import Decimal

from django import forms

from applications.models import Application, CostCategory
from applications.rules import line_fields
from wir_portal.forms import MoneyField
from wir_portal.money import money


class EuroField(MoneyField):
    """The portal's money field (wir_portal.forms.MoneyField: one parser for every form), optional by default,
    right-aligned."""

    def __init__(self, *, positive: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(positive=positive, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["class"] = "text-end"
        return attrs


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"]
DATE_INVALID = "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ), z. B. 01.01.2027."


def _date_field(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=False, help_text=help_text, widget=DateInput(),
                           input_formats=DATE_FORMATS, error_messages={"invalid": DATE_INVALID})


class ApplicationForm(forms.ModelForm):
    """The common part of every application. Only the title is needed to save a draft."""

    use_required_attribute = False

    period_start = _date_field("Beginn des Vorhabens")
    period_end = _date_field("Ende des Vorhabens")

    class Meta:
        model = Application
        fields = ["title", "purpose", "target_group", "period_start", "period_end", "contact_name", "contact_email",
                  "contact_phone"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 6}),
            "target_group": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "title": "Ein kurzer Name für Ihr Vorhaben, z. B. „Integrationslotsen Kassel-Nord 2027“.",
            "purpose": "Was wollen Sie erreichen, für wen, mit welchen Maßnahmen? Ausführliches gern als Anlage "
                       "„Konzeption“.",
            "target_group": "Wen erreicht das Vorhaben (z. B. geflüchtete Frauen mit Kindern)?",
            "contact_name": "Wer beantwortet Rückfragen des Regierungspräsidiums?",
        }

    def __init__(self, *args, rule=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        for name, field in self.fields.items():
            field.required = name == "title"
        self.fields["title"].error_messages["required"] = "Bitte geben Sie einen Titel an – auch für einen Entwurf."
        self.fields["contact_email"].error_messages["invalid"] = "Bitte geben Sie eine gültige E-Mail-Adresse ein."
        if rule is not None:
            year = rule.programme_year.year
            if rule.line.multi_year and rule.max_months:
                hint = f"Beginn im Programmjahr {year}; Laufzeit höchstens {rule.max_months} Monate."
            else:
                hint = f"Innerhalb des Programmjahres {year} (01.01.–31.12.{year})."
            self.fields["period_start"].help_text = hint
            self.fields["period_end"].help_text = hint

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "Das Ende darf nicht vor dem Beginn liegen.")
        return data


class DetailsForm(forms.Form):
    """The funding line's own fields, built from the line registry (rules.line_fields); stored in Application.details (JSON)."""

    use_required_attribute = False

    def __init__(self, *args, line_code: str, details: dict | None = None, **kwargs):
        kwargs.setdefault("prefix", "details")
        initial = {}
        self.specs = line_fields(line_code)
        for name, _, kind, _ in self.specs:
            value = (details or {}).get(name)
            if value in (None, ""):
                continue
            if kind == "date":
                try:
                    value = datetime.date.fromisoformat(str(value))
                except ValueError:
                    value = None
            elif kind in ("decimal", "money"):
                try:
                    value = Decimal(str(value))
                except ArithmeticError:
                    value = None
            initial[name] = value
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name, label, kind, help_text in self.specs:
            if kind == "decimal":
                field = forms.DecimalField(label=label, required=False, min_value=0, max_digits=5, decimal_places=2,
                                           localize=True, help_text=help_text,
                                           error_messages={"invalid": "Bitte geben Sie eine Zahl ein, z. B. 0,5.",
                                                           "min_value": "Die Zahl darf nicht negativ sein.",
                                                           "max_decimal_places": "Höchstens zwei Nachkommastellen."})
                field.widget.attrs["inputmode"] = "decimal"
            elif kind == "int":
                field = forms.IntegerField(label=label, required=False, min_value=0, max_value=1_000_000,
                                           help_text=help_text,
                                           error_messages={"invalid": "Bitte geben Sie eine ganze Zahl ein.",
                                                           "min_value": "Die Zahl darf nicht negativ sein."})
            elif kind == "date":
                field = _date_field(label, help_text)
            elif kind == "money":
                field = EuroField(label=label, help_text=help_text)
            elif kind == "lines":  # one entry per line (e.g. recipients of a Weiterleitung), checked by the line type
                field = forms.CharField(label=label, required=False, max_length=3000, help_text=help_text,
                                        widget=forms.Textarea(attrs={"rows": 4}))
            else:
                field = forms.CharField(label=label, required=False, max_length=300, help_text=help_text)
            self.fields[name] = field

    def details(self) -> dict:
        """The cleaned values in the JSON shape rules.py reads (decimals as strings, dates ISO)."""
        out = {}
        for name, _, kind, _ in self.specs:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if kind in ("decimal", "money"):
                value = str(value)
            elif kind == "date":
                value = value.isoformat()
            out[name] = value
        return out


class CostItemForm(forms.Form):
    """One line of the cost plan. A line left completely empty is ignored."""

    use_required_attribute = False

    category = forms.ChoiceField(label="Kostenart", required=False,
                                 choices=[("", "– bitte wählen –"), *CostCategory.choices])
    description = forms.CharField(label="Bezeichnung", required=False, max_length=200)
    amount = EuroField(label="Betrag in €", positive=True)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        filled = [bool(data.get("category")), bool((data.get("description") or "").strip()),
                  data.get("amount") is not None]
        if any(filled) and not all(filled):
            if not filled[0]:
                self.add_error("category", "Bitte wählen Sie die Kostenart.")
            if not filled[1]:
                self.add_error("description", "Bitte beschreiben Sie die Kostenposition.")
            if not filled[2]:
                self.add_error("amount", "Bitte geben Sie den Betrag an.")
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["data-plan-cost"] = ""

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("category") or (data.get("description") or "").strip() or data.get("amount"))


CostItemFormSet = forms.formset_factory(CostItemForm, extra=0, can_delete=True, max_num=200, absolute_max=300)


class IncomeForm(forms.Form):
    """The financing side of one budget year."""

    use_required_attribute = False

    own_funds = EuroField(label="Eigenmittel", help_text="Eigene Mittel Ihrer Organisation")
    third_party_funds = EuroField(label="Drittmittel", help_text="z. B. Spenden, Stiftungen, Teilnahmebeiträge")
    other_public_funds = EuroField(label="Andere öffentliche Zuwendungen",
                                   help_text="z. B. Bund, Kommune, andere Landesprogramme")
    requested_grant = EuroField(label="Beantragte Zuwendung (WIR)",
                                help_text="Der Betrag, den Sie aus dem Landesprogramm WIR beantragen")

    INCOME_FIELDS = ("own_funds", "third_party_funds", "other_public_funds", "requested_grant")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["data-plan-income"] = ""

    def amount(self, name: str) -> Decimal:
        return (getattr(self, "cleaned_data", {}) or {}).get(name) or Decimal("0.00")


class YearPlan:
    """The forms of one budget year: the cost items (formset) and the income form."""

    def __init__(self, year: int, *, data=None, items=(), plan_year=None, blank_rows: int = 2):
        self.year = year
        initial = [{"category": i.category, "description": i.description, "amount": i.amount} for i in items]
        self.costs = CostItemFormSet(data=data, prefix=f"cost-{year}", initial=initial)
        if data is None:
            self.costs.extra = blank_rows if initial else 3
        income_initial = {}
        if plan_year is not None:
            income_initial = {name: getattr(plan_year, name) for name in IncomeForm.INCOME_FIELDS}
        self.income = IncomeForm(data=data, prefix=f"plan-{year}", initial=income_initial)
        self.errors: list[str] = []  # plan-level messages for this year (balance), shown in the year's block

    @property
    def anchor(self) -> str:
        return f"plan-{self.year}"

    def is_valid(self) -> bool:
        costs_ok = self.costs.is_valid()
        income_ok = self.income.is_valid()
        return costs_ok and income_ok

    def cost_rows(self) -> list[tuple[str, str, Decimal]]:
        rows = []
        for form in self.costs.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or form.is_blank:
                continue
            rows.append((data["category"], data["description"].strip(), data["amount"]))
        return rows

    @property
    def total_costs(self) -> Decimal:
        return money(sum((amount for _, _, amount in self.cost_rows()), Decimal("0")))

    @property
    def total_income(self) -> Decimal:
        return money(sum((self.income.amount(n) for n in IncomeForm.INCOME_FIELDS), Decimal("0")))

    def _shown(self, form, name):
        if form.is_bound:
            value = (getattr(form, "cleaned_data", None) or {}).get(name)
            if value is None and name not in (getattr(form, "cleaned_data", None) or {}):
                try:
                    value = EuroField().clean(form.data.get(form.add_prefix(name)))
                except forms.ValidationError:
                    value = None
        else:
            value = form.initial.get(name)
        return value or Decimal("0")

    @property
    def shown_total_costs(self) -> Decimal:
        """Totals shown before JavaScript recalculates them (and without JavaScript)."""
        return money(sum((self._shown(f, "amount") for f in self.costs.forms
                          if not (f.is_bound and f.data.get(f.add_prefix("DELETE")))), Decimal("0")))

    @property
    def shown_total_income(self) -> Decimal:
        return money(sum((self._shown(self.income, n) for n in IncomeForm.INCOME_FIELDS), Decimal("0")))

    @property
    def shown_difference(self) -> Decimal:
        return self.shown_total_income - self.shown_total_costs

    def decorate(self) -> None:
        """Bootstrap classes, and aria-describedby/aria-invalid pointing at the error text, for the table cells."""
        for form in self.costs.forms:
            for name, field in form.fields.items():
                widget = field.widget
                base = "form-select" if isinstance(widget, forms.Select) else (
                    "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control")
                classes = {c for c in widget.attrs.get("class", "").split() if c != "is-invalid"} | {base}
                if form.is_bound and name in form.errors:
                    classes.add("is-invalid")
                    widget.attrs["aria-describedby"] = f"{form[name].auto_id}_error"
                    widget.attrs["aria-invalid"] = "true"
                widget.attrs["class"] = " ".join(sorted(classes))

    def has_input(self) -> bool:
        return bool(self.cost_rows()) or self.total_income > 0

    def plan_input(self):
        from applications.services import PlanInput

        return PlanInput(year=self.year, costs=self.cost_rows(),
                         **{name: self.income.amount(name) for name in IncomeForm.INCOME_FIELDS})


class MessageReplyForm(forms.Form):
    body = forms.CharField(label="Ihre Nachricht an das Regierungspräsidium", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                           error_messages={"required": "Bitte geben Sie eine Nachricht ein."})


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Begründung (freiwillig)", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)
    confirm = forms.BooleanField(label="Ja, ich möchte diesen Antrag verbindlich zurückziehen.",
                                 error_messages={"required": "Bitte bestätigen Sie, dass Sie den Antrag "
                                                             "zurückziehen möchten."})


class AttachmentUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Art der Anlage")
    file = forms.FileField(label="Datei", help_text="PDF, DOCX, XLSX, ODT, JPEG oder PNG, höchstens 10 MB",
                           error_messages={"required": "Bitte wählen Sie eine Datei aus."})

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["file"].widget.attrs["accept"] = ".pdf,.docx,.xlsx,.odt,.jpg,.jpeg,.png"
