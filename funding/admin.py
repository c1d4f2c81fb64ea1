"""Admin for the budget floor: programme years, funding lines, yearly rules, districts, courts, the ledger.

Saves of years and rules go through funding.services (programme_year_save / rule_save), so "allocations never
exceed the volume" is enforced in one place. The form checks first (clear message at the field); the service
checks again under a row lock, and a BudgetError raised there (a concurrent edit) becomes an admin message.
"""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from wir_portal.forms import AdminInputMixin, MoneyField, SingleLineFormMixin
from wir_portal.money import format_eur

from . import selectors, services
from .admin_labels import LabelledListEditableMixin
from .admin_paging import HonestPaginator, LeanChangeList
from .figures_cache import FiguresCache
from .linetypes import line_type
from .models import (
    AdministrativeCourt,
    AttachmentKind,
    BaseRate,
    CapScope,
    District,
    FundingLine,
    FundingPeriod,
    LedgerEntry,
    LineRule,
    OrganisationKind,
    ProgrammeYear,
)


class BudgetErrorAsMessageMixin:
    """A BudgetError from the locked re-check in the service shows as an error message, never as a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.BudgetError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- Programme years + budget overview --------------------------------------------------------------------------

class ProgrammeYearForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = ProgrammeYear
        fields = ["year", "volume", "is_open", "budget_enacted", "notes"]

    def clean(self):
        cleaned = super().clean()
        volume = cleaned.get("volume")
        if self.instance.pk and volume is not None:
            allocated = services.year_allocated(programme_year=self.instance)
            if volume < allocated:
                self.add_error(
                    "volume",
                    f"Das Programmvolumen darf nicht unter die Summe der Mittelansätze "
                    f"({format_eur(allocated)}) sinken.",
                )
        return cleaned


class LineRuleInline(admin.TabularInline):
    model = LineRule
    fields = ["line", "allocation", "financing_type", "deadline"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Förderbereiche und Mittelansätze dieses Jahres"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line", "programme_year")


@admin.register(ProgrammeYear)
class ProgrammeYearAdmin(AdminInputMixin, BudgetErrorAsMessageMixin, admin.ModelAdmin):
    form = ProgrammeYearForm
    list_display = ["year", "volume_eur", "is_open", "budget_enacted"]
    list_filter = ["is_open", "budget_enacted"]
    inlines = [LineRuleInline]
    change_list_template = "admin/funding/programmeyear/change_list.html"
    actions = ["enact_budget"]

    def get_readonly_fields(self, request, obj=None):
        # Enactment converts the year's VE bookings: only through the action (programme_year_enact), never by a tick.
        return ["budget_enacted"] if obj is not None else []

    @admin.action(description="Haushalt beschließen: VE-Bindungen in den Mittelansatz umbuchen",
                  permissions=["change"])
    def enact_budget(self, request, queryset):
        for year in queryset.order_by("year"):
            try:
                done = services.programme_year_enact(programme_year=year, user=request.user)
            except services.BudgetError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
                continue
            moved = sum((c.amount for c in done), services.ZERO)
            self.message_user(
                request,
                f"Haushalt {year.year} als beschlossen eingetragen; {format_eur(moved)} aus "
                f"{sum(c.applications for c in done)} Bewilligungen von der Verpflichtungsermächtigung in den "
                "Mittelansatz umgebucht.",
                level=messages.SUCCESS,
            )

    @admin.display(description="Programmvolumen", ordering="volume")
    def volume_eur(self, obj):
        return format_eur(obj.volume)

    def save_model(self, request, obj, form, change):
        services.programme_year_save(programme_year=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # years carry rules and bookings (PROTECT); closing a year is `is_open = False`

    def get_urls(self):
        return [
            path("haushalt/", self.admin_site.admin_view(self.budget_view), name="funding_budget_overview"),
            *super().get_urls(),
        ]

    def budget_view(self, request):
        if not request.user.has_perm("applications.view_budget"):
            raise PermissionDenied
        selected = request.GET.get("jahr", "")
        year = int(selected) if re.fullmatch(r"[0-9]{4}", selected) else None  # isdigit() also accepts "²"
        # The figures (and their HTML) are the same for everyone with the permission: cached under the figures
        # version, so a booking or an edited allocation shows at once (funding.figures_cache).
        figures = FiguresCache.current("budget", sources=BUDGET_SOURCES).get_or_compute(
            ("overview", year, selected == str(year)), lambda: _budget_figures(year=year, selected=selected),
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Haushaltsübersicht: Mittelansätze, Bindungen, verfügbare Mittel",
            "figures": figures,
            "opts": self.model._meta,
            "ledger_url": reverse("admin:funding_ledgerentry_changelist"),
            "can_view_ledger": request.user.has_perm("funding.view_ledgerentry"),
        }
        return TemplateResponse(request, "admin/funding/budget_overview.html", context)


# Files that shape the cached budget figures (a change to them starts a new cache generation).
BUDGET_SOURCES = ("funding/selectors.py", "funding/services.py", "funding/admin.py", "wir_portal/money.py",
                  "wir_portal/templatetags", "templates/admin/funding")


def _budget_figures(*, year: int | None, selected: str) -> dict[str, str]:
    """The year filter, the years × lines tables and the funding periods as a whole, as HTML. Four queries:
    years, rules, the ledger aggregate (selectors.budget_overview, all years: the periods need them) and the
    periods."""
    all_years = selectors.budget_overview()
    shown = [y for y in all_years if year is None or y.programme_year.year == year]
    context = {
        "years": shown,
        "periods": selectors.period_overview(years=all_years),
        "all_years": [y.programme_year.year for y in all_years],
        "selected": selected if year is not None and selected == str(year) else "",
    }
    return {
        "filter": render_to_string("admin/funding/_budget_filter.html", context),
        "years": render_to_string("admin/funding/_budget_years.html", context),
        "periods": render_to_string("admin/funding/_budget_periods.html", context),
    }


# --- Funding lines and their yearly rules ------------------------------------------------------------------------

@admin.register(FundingLine)
class FundingLineAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ["name", "code", "short", "order", "multi_year"]
    list_editable = ["order"]
    list_filter = ["multi_year"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False


class LineRuleForm(SingleLineFormMixin, forms.ModelForm):
    eligible_kinds = forms.MultipleChoiceField(
        label="Antragsberechtigte", choices=OrganisationKind.choices, widget=forms.CheckboxSelectMultiple,
    )
    required_attachments = forms.MultipleChoiceField(
        label="Pflichtanlagen", choices=AttachmentKind.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )

    class Meta:
        model = LineRule
        # `limits` is edited as one field per part-cap of the line (LIMIT_PREFIX)
        fields = ["programme_year", "line", "allocation", "commitment_authority", "funding_period", "financing_type",
                  "funding_rate", "deadline", "eligible_kinds", "one_per_organisation", "required_attachments",
                  "cap_per_application", "cap_scope", "cap_per_post", "max_posts", "cap_per_course", "unit_rate",
                  "max_units_per_course", "childcare_rate", "hourly_rate", "max_hours_coordinating",
                  "max_hours_other", "flat_rate", "max_months", "conditions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The line's part-caps (funding.linetypes), one field each, stored in LineRule.limits.
        if "cap_scope" in self.fields:  # absent in a post: the default (per year), as before the field existed
            self.fields["cap_scope"].required = False
        self.limit_specs = line_type(self.instance.line.code).limits if self.instance.line_id else ()
        for spec in self.limit_specs:
            value = (self.instance.limits or {}).get(spec.key)
            if spec.unit == "eur":
                field = MoneyField(label=f"{spec.label} (€)", required=False)  # the one money parser
            else:
                field = forms.IntegerField(label=spec.label, required=False, min_value=0, max_value=10_000_000)
            field.initial = value
            self.fields[LIMIT_PREFIX + spec.key] = field

    def clean(self):
        cleaned = super().clean()
        if "cap_scope" in self.fields and not cleaned.get("cap_scope"):
            cleaned["cap_scope"] = CapScope.YEAR
        limits = dict(self.instance.limits or {})
        for spec in self.limit_specs:
            value = cleaned.get(LIMIT_PREFIX + spec.key)
            if value is None:
                limits.pop(spec.key, None)
            else:
                limits[spec.key] = str(value)
        self.instance.limits = limits
        year = cleaned.get("programme_year") or (self.instance.programme_year if self.instance.programme_year_id else None)
        allocation = cleaned.get("allocation")
        if "commitment_authority" in cleaned:
            try:
                services.authority_check(rule_id=self.instance.pk, authority=cleaned.get("commitment_authority"))
            except services.BudgetError as exc:
                self.add_error("commitment_authority", str(exc))
        if year is None or allocation is None:
            return cleaned
        try:
            services.allocation_check(programme_year=year, allocation=allocation, rule_id=self.instance.pk)
            services.committed_check(rule_id=self.instance.pk, allocation=allocation)
        except services.BudgetError as exc:
            self.add_error("allocation", str(exc))
        return cleaned


LIMIT_PREFIX = "limit_"


@admin.register(LineRule)
class LineRuleAdmin(AdminInputMixin, BudgetErrorAsMessageMixin, admin.ModelAdmin):
    form = LineRuleForm
    list_display = ["line_name", "programme_year", "allocation_eur", "authority_eur", "financing_type", "deadline",
                    "one_per_organisation"]
    list_per_page = 50  # 14 years × 8 lines on one page of 100 rows cost more to render than to query (issue 18)
    list_filter = ["programme_year", "line", "financing_type"]
    list_select_related = ["line", "programme_year"]
    search_fields = ["line__name"]
    fieldsets = [
        (None, {"fields": ["programme_year", "line", "allocation", "commitment_authority", "funding_period",
                           "financing_type", "funding_rate", "deadline"]}),
        ("Antragsberechtigung und Anlagen", {"fields": ["eligible_kinds", "one_per_organisation", "required_attachments"]}),
        ("Höchstbeträge und Sätze", {"fields": [
            "cap_per_application", "cap_scope", "cap_per_post", "max_posts", "cap_per_course", "unit_rate", "max_units_per_course",
            "childcare_rate", "hourly_rate", "max_hours_coordinating", "max_hours_other", "flat_rate", "max_months",
        ]}),
        ("Nebenbestimmungen", {"fields": ["conditions", "payment_retention_percent"]}),
    ]

    @admin.display(description="Förderbereich", ordering="line__order")
    def line_name(self, obj):
        return format_html('<span class="wir-org">{}</span>', obj.line.name)

    @admin.display(description="Mittelansatz", ordering="allocation")
    def allocation_eur(self, obj):
        return format_eur(obj.allocation)

    @admin.display(description="VE", ordering="commitment_authority")
    def authority_eur(self, obj):
        return "–" if obj.commitment_authority is None else format_eur(obj.commitment_authority)

    def get_readonly_fields(self, request, obj=None):
        # Once a rule exists, its year and line are its identity (applications and bookings point at it).
        return ["programme_year", "line", "limits_display"] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        specs = line_type(obj.line.code).limits if obj is not None else ()
        if specs:
            # Editors get one form field per part-cap; viewers one read-only line with German labels (the form's
            # extra fields would show as "Limit micro project: None").
            fields = ([LIMIT_PREFIX + s.key for s in specs] if self.has_change_permission(request, obj)
                      else ["limits_display"])
            fieldsets = [*fieldsets[:3], ("Teilhöchstbeträge und Grenzen dieses Förderbereichs je Jahr",
                                          {"fields": fields}), *fieldsets[3:]]
        return fieldsets

    @admin.display(description="Teilhöchstbeträge und Grenzen")
    def limits_display(self, obj):
        values = obj.limits or {}
        parts = []
        for spec in line_type(obj.line.code).limits:
            value = values.get(spec.key)
            if value in (None, ""):
                shown = "nicht festgelegt"
            else:
                shown = format_eur(Decimal(value)) if spec.unit == "eur" else str(value)
            parts.append(f"{spec.label}: {shown}")
        return "; ".join(parts) or "–"

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The part-cap fields are the form's own (added per line in LineRuleForm.__init__), not model fields.
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        readonly = self.get_readonly_fields(request, obj)
        kwargs["fields"] = [f for f in fields if not f.startswith(LIMIT_PREFIX) and f not in readonly]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        services.rule_save(rule=obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundingPeriod)
class FundingPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "first_year", "last_year"]

    def has_delete_permission(self, request, obj=None):
        return False  # rules point at it (PROTECT)


# --- Districts and courts -----------------------------------------------------------------------------------------

@admin.register(AdministrativeCourt)
class AdministrativeCourtAdmin(admin.ModelAdmin):
    list_display = ["name", "address"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "regierungsbezirk", "court", "population"]
    list_filter = ["regierungsbezirk", "kind", "court"]
    list_select_related = ["court"]
    search_fields = ["name", "kreisschluessel"]
    fields = ["name", "kind", "kreisschluessel", "regierungsbezirk", "landkreis", "court", "population"]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["name", "kind", "kreisschluessel", "regierungsbezirk", "landkreis"]

    def has_add_permission(self, request):
        return request.user.is_superuser  # the 33 are fixed by law; seeded

    def has_delete_permission(self, request, obj=None):
        return False


# --- The ledger (read-only) ---------------------------------------------------------------------------------------

@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "application_link", "kind", "amount_eur", "created_by_name", "reason"]
    list_filter = ["kind", "rule__programme_year", "rule__line"]
    list_select_related = ["rule__line", "rule__programme_year", "application"]
    # The rows read the rule's line and year and the application's file number only (not its texts and JSON).
    list_only = ["created_at", "kind", "amount", "created_by_name", "reason", "rule__line__name",
                 "rule__programme_year__year", "application__file_number", "application__title"]
    search_fields = ["application__file_number"]
    show_full_result_count = False
    paginator = HonestPaginator
    list_per_page = 50
    fields = ["created_at", "rule", "application", "kind", "amount", "reason", "created_by_name"]
    readonly_fields = fields

    @admin.display(description="Betrag", ordering="amount")
    def amount_eur(self, obj):
        return format_eur(obj.amount)

    # Sorted by the application's key (an index of the ledger), not by the application's own order (-created_at):
    # that joined and sorted every ledger row with its application for one page (issue 18).
    @admin.display(description="Antrag", ordering="application_id")
    def application_link(self, obj):
        return str(obj.application) if obj.application_id else "–"

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(application__file_number__startswith=term), False

    # Money moves only through funding.services; nobody adds, edits or deletes a booking by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BaseRateForm(forms.ModelForm):
    class Meta:
        model = BaseRate
        fields = ["valid_from", "rate", "source"]

    def clean_valid_from(self):
        day = self.cleaned_data["valid_from"]
        if (day.month, day.day) not in ((1, 1), (7, 1)):
            raise forms.ValidationError("Der Basiszinssatz ändert sich nur zum 1. Januar und zum 1. Juli (§ 247 Abs. 1 BGB).")
        return day

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate is not None and not (Decimal("-10") <= rate <= Decimal("20")):
            raise forms.ValidationError("Bitte prüfen Sie den Wert: erwartet wird ein Prozentsatz wie 1,27 oder -0,88.")
        return rate


@admin.register(BaseRate)
class BaseRateAdmin(admin.ModelAdmin):
    """Haushalt enters the next half-year's published value; published values are never edited or deleted."""

    form = BaseRateForm
    list_display = ["valid_from", "rate", "source"]
    date_hierarchy = None
    ordering = ["-valid_from"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
