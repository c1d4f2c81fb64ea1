"""The report filter form (GET): year, funding line, region (Regierungsbezirk or district), organisation kind."""

from django import forms

from funding.models import OrganisationKind, Regierungsbezirk

from .selectors import FilterChoices, ReportFilters


class ReportFilterForm(forms.Form):
    jahr = forms.TypedChoiceField(label="Programmjahr", coerce=int, required=False, empty_value=None)
    bereich = forms.TypedChoiceField(label="Förderbereich", coerce=int, required=False, empty_value=None)
    rb = forms.ChoiceField(label="Regierungsbezirk", required=False,
                           choices=[("", "alle Regierungsbezirke"), *Regierungsbezirk.choices])
    kreis = forms.TypedChoiceField(label="Landkreis / Stadt", coerce=int, required=False, empty_value=None)
    art = forms.ChoiceField(label="Art der Organisation", required=False,
                            choices=[("", "alle Arten"), *OrganisationKind.choices])

    def __init__(self, data=None, *, choices: FilterChoices, with_year: bool = True):
        super().__init__(data)
        self.fields["jahr"].choices = [(y, str(y)) for y in choices.years]
        self.fields["bereich"].choices = [("", "alle Förderbereiche"), *choices.lines]
        self.fields["kreis"].choices = [("", "alle Landkreise und Städte"), *choices.districts]
        if not with_year:
            del self.fields["jahr"]
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select"

    def filters(self, *, default_year: int | None) -> ReportFilters:
        """The validated filters; invalid values are ignored (a report page never fails on a stale link)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        year = data.get("jahr") or default_year
        return ReportFilters(year=year, line_id=data.get("bereich"), regierungsbezirk=data.get("rb") or "",
                             district_id=data.get("kreis"), kind=data.get("art") or "")
