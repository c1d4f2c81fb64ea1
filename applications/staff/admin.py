"""The staff admin: the applications work queue, the application page with decision forms, organisations.

The admin is thin: every decision is a form (forms_admin.DECISIONS) that calls one service; which buttons show
comes from workflow.actions_from(status, actors_for(user)). Domain errors become admin messages, never a 500.
The status field is never editable by hand (nothing in this admin edits an application directly).
"""

import datetime
import re
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.templatetags import admin_list as admin_list_tags
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers
from django.contrib.admin.templatetags.admin_list import result_list as admin_result_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe

from applications import pdf_jobs, rules, services
from applications.accounts import organisation_data
from applications.accounts.services import AccountError
from applications.models import Application, Membership, Organisation, OrganisationAction, OrganisationEvent
from applications.selectors import actors_for
from applications.staff.forms import DECISIONS, BulkApproveForm, decisions_for
from applications.workflow import PENDING, Actor, Status, TransitionError, event_label
from funding.admin_labels import LabelledTabularInline
from funding.admin_paging import HonestPaginator, exact_count
from funding.models import AttachmentKind
from funding.services import BudgetError, budget_figures
from wir_portal.forms import AdminInputMixin
from wir_portal.money import format_eur
from wir_portal.urlutils import pk_url_parts

FILE_NUMBER_RE = re.compile(r"^WIR-", re.IGNORECASE)
BULK_APPROVE_MAX = 200
DOMAIN_ERRORS = (TransitionError, services.ApplicationError, BudgetError)


# --- Organisations ------------------------------------------------------------------------------------------------

class VerifiedFilter(admin.SimpleListFilter):
    title = "Prüfung"
    parameter_name = "geprueft"

    def lookups(self, request, model_admin):
        return [("ja", "geprüft"), ("nein", "noch nicht geprüft")]

    def queryset(self, request, queryset):
        if self.value() == "ja":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "nein":
            return queryset.filter(verified_at__isnull=True)
        return queryset


class MembershipFormSet(BaseInlineFormSet):
    """Staff may not remove or demote an organisation's last administration or last signatory here either."""

    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.pk:
            return
        from applications.accounts.services import membership_loss_problems

        removed, roles, added = set(), {}, []
        for form in self.initial_forms:
            if not hasattr(form, "cleaned_data") or form.instance.pk is None:
                continue
            if form.cleaned_data.get("DELETE"):
                removed.add(form.instance.pk)
            elif form.cleaned_data.get("role"):
                roles[form.instance.pk] = form.cleaned_data["role"]
        for form in self.extra_forms:  # people added in the same save count as remaining
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("user") and data.get("role") and not data.get("DELETE"):
                added.append(data["role"])
        problems = membership_loss_problems(organisation_ids=[self.instance.pk], removed=removed, roles=roles,
                                            added=added)
        if problems:
            raise ValidationError(problems)


class MembershipInline(LabelledTabularInline):
    model = Membership
    formset = MembershipFormSet
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


ORGANISATION_EVENTS_SHOWN = 50


@admin.register(OrganisationEvent)
class OrganisationEventAdmin(admin.ModelAdmin):
    """The organisation's audit trail (read-only), the whole of it: the organisation's page shows the latest
    ORGANISATION_EVENTS_SHOWN entries and links here, filtered to the organisation."""

    list_display = ["created_at", "organisation", "action", "subject", "from_role", "to_role", "actor_name"]
    list_filter = ["action"]
    list_select_related = ["organisation"]
    search_fields = ["subject", "actor_name"]
    search_help_text = "Nummer der Organisation (aus ihrer Seite verlinkt), betroffene Person oder Handelnde"
    show_full_result_count = False
    paginator = HonestPaginator
    fields = ["created_at", "organisation", "action", "subject", "from_role", "to_role", "actor_name"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit() and len(term) < 12:
            return queryset.filter(organisation_id=int(term)), False
        return queryset.filter(Q(subject__icontains=term) | Q(actor_name__icontains=term)), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["name", "is_verified_display", "kind", "regierungsbezirk", "district"]
    list_filter = ["kind", "regierungsbezirk", VerifiedFilter]
    list_select_related = ["district"]
    search_fields = ["name", "email", "register_number"]
    show_full_result_count = False
    paginator = HonestPaginator
    list_per_page = 50  # like the queue: 100 rows of the default renderer were most of the page's time (issue 18)
    readonly_fields = ["verified_at", "verified_by", "created_at", "pending_bank_display", "pending_legal_form_display"]
    raw_id_fields = ["entity"]
    # The audit trail is not an inline (it grows without bound): the change form shows its latest entries.
    inlines = [MembershipInline]
    change_form_template = "admin/applications/organisation/change_form.html"
    actions = ["verify", "bank_change_confirm", "bank_change_discard", "legal_form_confirm", "legal_form_discard"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "legal_form", "pending_legal_form_display", "district", "entity",
                           "regierungsbezirk", "inhabitants"]}),
        ("Kontakt", {"fields": ["street", "postcode", "city", "email", "phone"]}),
        ("Gemeinnützigkeit und Bankverbindung", {"fields": ["non_profit", "register_number", "iban", "account_holder",
                                                            "pending_bank_display"]}),
        ("Prüfung", {"fields": ["verified_at", "verified_by", "created_at"]}),
    ]

    # -- bank account and kind: Haushalt/superusers only, every change in the audit trail, four eyes after payments

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not organisation_data.may_change_bank_details(request.user):
            fields += list(organisation_data.GUARDED_FIELDS)
        return fields

    @admin.display(description="Ausstehende Änderung der Bankverbindung")
    def pending_bank_display(self, obj):
        if obj is None or obj.pending_bank_at is None:
            return "–"
        by = obj.pending_bank_by.get_full_name() or obj.pending_bank_by.email if obj.pending_bank_by else "–"
        return (f"{obj.pending_iban} ({obj.pending_account_holder or 'ohne Kontoinhaber'}), eingetragen von {by} "
                f"am {timezone.localtime(obj.pending_bank_at):%d.%m.%Y %H:%M} – wartet auf Bestätigung durch eine "
                "zweite Person")

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        try:
            note = organisation_data.organisation_staff_save(organisation=obj, changed=form.changed_data,
                                                              user=request.user)
        except AccountError as exc:
            raise PermissionDenied(str(exc)) from exc
        if note:
            self.message_user(request, note, messages.WARNING)

    @admin.display(description="Ausstehende Änderung der Rechtsform")
    def pending_legal_form_display(self, obj):
        if obj is None or obj.pending_legal_form_at is None:
            return "–"
        by = obj.pending_legal_form_by
        name = (by.get_full_name() or by.email) if by else "–"
        return (f"{obj.get_pending_legal_form_display() or 'nicht angegeben'}, eingetragen von {name} am "
                f"{timezone.localtime(obj.pending_legal_form_at):%d.%m.%Y %H:%M} – wartet auf Bestätigung durch eine "
                "zweite Person")

    @admin.action(description="Ausstehende Rechtsform bestätigen (Vier-Augen-Prinzip)", permissions=["change"])
    def legal_form_confirm(self, request, queryset):
        self._bank_action(request, queryset, organisation_data.organisation_legal_form_confirm,
                          "Neue Rechtsform bestätigt und gültig für neue Bescheide")

    @admin.action(description="Ausstehende Rechtsform verwerfen", permissions=["change"])
    def legal_form_discard(self, request, queryset):
        self._bank_action(request, queryset, organisation_data.organisation_legal_form_discard,
                          "Ausstehende Rechtsform verworfen")

    def has_bank_permission(self, request, obj=None):
        return organisation_data.may_change_bank_details(request.user)

    @admin.action(description="Ausstehende Bankverbindung bestätigen (Vier-Augen-Prinzip)", permissions=["bank"])
    def bank_change_confirm(self, request, queryset):
        self._bank_action(request, queryset, organisation_data.organisation_bank_change_confirm,
                          "Neue Bankverbindung bestätigt und gültig")

    @admin.action(description="Ausstehende Bankverbindung verwerfen", permissions=["bank"])
    def bank_change_discard(self, request, queryset):
        self._bank_action(request, queryset, organisation_data.organisation_bank_change_discard,
                          "Ausstehende Bankverbindung verworfen")

    def _bank_action(self, request, queryset, service, done_text):
        done = []
        for org in queryset:
            try:
                service(organisation=org, user=request.user)
                done.append(org.name)
            except AccountError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(request, f"{done_text}: {', '.join(done)}.", messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        """Memberships edited by staff here enter the organisation's audit trail like those changed in the portal."""
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        from applications.accounts.services import organisation_event_record, person_label

        # The admin's change view runs in one transaction: the entries commit together with the change.
        before = {m.pk: m.role for m in Membership.objects.filter(organisation=form.instance)}
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects:
            organisation_event_record(organisation=form.instance, action=OrganisationAction.JOINED,
                                      user=request.user, subject=person_label(membership.user), to_role=membership.role)
        for membership, _fields in formset.changed_objects:
            if before.get(membership.pk, membership.role) != membership.role:
                organisation_event_record(organisation=form.instance, action=OrganisationAction.ROLE_CHANGED,
                                          user=request.user, subject=person_label(membership.user),
                                          from_role=before[membership.pk], to_role=membership.role)
        for membership in formset.deleted_objects:
            organisation_event_record(organisation=form.instance, action=OrganisationAction.REMOVED,
                                      user=request.user, subject=person_label(membership.user),
                                      from_role=before.get(membership.pk, membership.role))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **self._events_context(request, object_id),
                         "can_verify": obj is not None and obj.verified_at is None
                         and self.has_change_permission(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _events_context(self, request, object_id) -> dict:
        """The latest audit entries (one query for them, one for the count) and a link to all of them."""
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            return {}
        events = OrganisationEvent.objects.filter(organisation_id=pk)
        latest = list(events.order_by("-created_at", "-id")[:ORGANISATION_EVENTS_SHOWN])
        total = len(latest) if len(latest) < ORGANISATION_EVENTS_SHOWN else events.count()
        url = None
        if request.user.has_perm("applications.view_organisationevent"):
            url = reverse("admin:applications_organisationevent_changelist") + f"?q={pk}"
        return {"organisation_events": latest, "organisation_events_total": total,
                "organisation_events_url": url}

    @admin.display(description="Geprüft", boolean=True, ordering="verified_at")
    def is_verified_display(self, obj):
        return obj.verified_at is not None

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(name__icontains=term) | Q(email__iexact=term) | Q(register_number__iexact=term)), False

    @admin.action(description="Organisation prüfen/verifizieren", permissions=["change"])
    def verify(self, request, queryset):
        from applications.accounts.services import AccountError, organisation_verify

        done, failed = [], []
        for org in queryset.filter(verified_at__isnull=True):
            try:
                organisation_verify(organisation=org, user=request.user)
                done.append(org.name)
            except AccountError as exc:
                failed.append(f"{org.name}: {exc}")
        if done:
            self.message_user(request, f"Geprüft und freigeschaltet: {', '.join(done)}.", messages.SUCCESS)
        for text in failed:
            self.message_user(request, text, messages.ERROR)
        if not done and not failed:
            self.message_user(request, "Die ausgewählten Organisationen waren bereits geprüft.", messages.INFO)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # -- verification from the organisation's own page (not only the list action) --

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("<int:object_id>/pruefen/", self.admin_site.admin_view(self.verify_view),
                     name="{}_{}_verify".format(*info)), *super().get_urls()]

    def verify_view(self, request, object_id):
        """POST only: verify this organisation (organisation_verify), back to its page with a message."""
        from applications.accounts.services import AccountError, organisation_verify

        organisation = get_object_or_404(Organisation, pk=object_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:applications_organisation_change", args=[organisation.pk]))
        if not self.has_change_permission(request, organisation):
            raise PermissionDenied
        if organisation.verified_at is not None:
            self.message_user(request, f"„{organisation.name}“ war bereits geprüft.", messages.INFO)
        else:
            try:
                organisation_verify(organisation=organisation, user=request.user)
            except AccountError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"„{organisation.name}“ ist geprüft und freigeschaltet.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:applications_organisation_change", args=[organisation.pk]))



# --- Applications: the work queue -----------------------------------------------------------------------------------

def titled(filter_class, title: str):
    """A field list filter with a German title of our choosing (instead of the field's verbose name)."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


class StatusFilter(admin.SimpleListFilter):
    title = "Status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in Status.choices if value != Status.DRAFT]

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.filter(status=self.value())
        return queryset


class SearchPaginator(HonestPaginator):
    """For searches: one query for the ordered ids of the matches (at most IDS_LIMIT + 1) is both the exact count
    and the page when there are up to IDS_LIMIT matches; the page's rows then come by primary key. For a selective
    term PostgreSQL answers that from the trigram and btree indexes (bitmap scan, small sort), where the LIMIT 50
    page query walks the submitted_at index and filters thousands of rows ("Hanau", 1,664 matches: page 11 ms ->
    ids 8 ms + page 0.5 ms). A broad term (more matches) is counted exactly (cached) and paged like any list: its
    matches are dense, so the page query finds its rows quickly."""

    IDS_LIMIT = 2_000

    @cached_property
    def ids(self) -> list:
        return list(self.object_list.values_list("pk", flat=True)[:self.IDS_LIMIT + 1])

    @cached_property
    def count(self) -> int:
        return len(self.ids) if len(self.ids) <= self.IDS_LIMIT else exact_count(self.object_list)

    def page(self, number):
        if self.count > self.IDS_LIMIT:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.object_list.filter(pk__in=self.ids[bottom:top]), number, self)


class WaitingFilter(admin.SimpleListFilter):
    title = "Wartezeit seit Eingang"
    parameter_name = "wartezeit"

    def lookups(self, request, model_admin):
        return [("lt2", "unter 2 Wochen"), ("2to6", "2–6 Wochen"), ("gt6", "über 6 Wochen")]

    def queryset(self, request, queryset):
        now = timezone.now()
        two, six = now - datetime.timedelta(weeks=2), now - datetime.timedelta(weeks=6)
        open_ = queryset.filter(status__in=PENDING)
        if self.value() == "lt2":
            return open_.filter(submitted_at__gt=two)
        if self.value() == "2to6":
            return open_.filter(submitted_at__lte=two, submitted_at__gt=six)
        if self.value() == "gt6":
            return open_.filter(submitted_at__lte=six)
        return queryset


class ProofFilter(admin.SimpleListFilter):
    """The work queue's view of the proof of use (applications/proof): grants whose proof is overdue or waits to be
    checked. The proofs themselves are checked under „Verwendungsnachweise“."""

    title = "Verwendungsnachweis"
    parameter_name = "nachweis"

    def lookups(self, request, model_admin):
        return [("ueberfaellig", "überfällig"), ("pruefen", "eingereicht, zu prüfen")]

    def queryset(self, request, queryset):
        from django.db.models import Exists, OuterRef

        from applications.models import Proof, ProofStatus

        if self.value() == "ueberfaellig":
            proofs = Proof.objects.filter(status=ProofStatus.OPEN, due_on__lt=timezone.localdate())
        elif self.value() == "pruefen":
            proofs = Proof.objects.filter(status__in=(ProofStatus.SUBMITTED, ProofStatus.IN_CHECK))
        else:
            return queryset
        return queryset.filter(Exists(proofs.filter(application_id=OuterRef("pk"))))


QUEUE_COLUMNS = ("file_number", "organisation_name", "line_short", "year", "status", "requested", "approved",
                 "waiting_days")
# What the queue's columns read: the application's own fields (texts, JSON details, contacts stay in the database)
# and three names from related rows as annotations, so each row is one model instance instead of five
# (select_related built an Organisation, LineRule, FundingLine and ProgrammeYear per row: 8 -> 4 ms for 50 rows).
QUEUE_FIELDS = ("id", "file_number", "status", "requested_amount", "approved_amount", "submitted_at", "decided_at")
QUEUE_ANNOTATIONS = {
    "queue_organisation_name": F("organisation__name"),
    "queue_line_short": F("rule__line__short"),
    "queue_year": F("rule__programme_year__year"),
}


def _text(value) -> str:
    """A value as the admin's items_for_result shows it: None as "-", blank as "", everything escaped."""
    if value is None:
        return "-"
    value = str(value)
    return escape(value) if value.strip() else ""


class WorkQueueChangeList(ChangeList):
    """The applications changelist with the same HTML as Django's, built faster.

    Measured at 100,000 applications, 50 rows a page: Django's items_for_result (lookup_field, display_for_*,
    format_html per cell, reverse + add_preserved_filters per row) was the largest cost of the page, more than its
    SQL. Here each row is one f-string: the change link is reversed once with a placeholder, the status labels are
    looked up in a dict, and only the columns the queue shows are loaded. Popups, list_editable or another column
    set fall back to Django's rendering; tests/admin compare both outputs."""

    def get_results(self, request):
        super().get_results(request)  # counts self.queryset: no joins, no columns
        # The page (still lazy: a slice, or everything on a single page / "Alle anzeigen") gets the queue's columns.
        # Only here, not in get_queryset: admin actions get the plain queryset of the selection.
        page = self.result_list
        if page.query.is_sliced:
            # Two steps: the page's ids with only the joins its order and filters need (sorted by line or year,
            # or filtered by year, the three name joins for every candidate row made PostgreSQL join and sort
            # ~90k wide rows: 235 -> ~60 ms at 100k), then the 50 rows with their names by id.
            ids = list(page.select_related(None).values_list("pk", flat=True))
            self.result_list = (self.queryset.filter(pk__in=ids).select_related(None).only(*QUEUE_FIELDS)
                                .annotate(**QUEUE_ANNOTATIONS))
        else:  # a single page, "Alle anzeigen", or a search page by ids (SearchPaginator)
            self.result_list = page.select_related(None).only(*QUEUE_FIELDS).annotate(**QUEUE_ANNOTATIONS)

    def _fast(self) -> bool:
        columns = tuple(self.list_display)
        if columns[:1] == ("action_checkbox",):  # only for users who may run an action (bulk approval)
            columns = columns[1:]
        return columns == QUEUE_COLUMNS and not self.is_popup and not getattr(self, "formset", None)

    def results_html(self):
        if not self._fast():
            context = admin_result_list(self)
        else:
            headers = list(result_headers(self))
            context = {
                "cl": self,
                "result_hidden_fields": [],
                "result_headers": headers,
                "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
                "results": [ResultList(None, [row]) for row in self.fast_rows()],
            }
        return render_to_string("admin/change_list_results.html", context)

    def fast_rows(self):
        link_start, link_end = (escape(part) for part in pk_url_parts(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", current_app=self.model_admin.admin_site.name,
            finish=lambda url: add_preserved_filters({"preserved_filters": self.preserved_filters, "opts": self.opts},
                                                     url)))
        statuses = {value: escape(label) for value, label in Status.choices}
        ma = self.model_admin
        checkbox = self.list_display[0] == "action_checkbox"
        for obj in self.result_list:
            days = ma.waiting_days(obj)
            if isinstance(days, int):
                days = str(days) if -1000 < days < 1000 else formats.number_format(days)  # as display_for_value
            yield mark_safe(
                (f'<td class="action-checkbox">{ma.action_checkbox(obj)}</td>' if checkbox else "")
                + f'<th class="field-file_number"><a href="{link_start}{obj.pk}{link_end}">{_text(obj.file_number)}</a></th>'
                f'<td class="field-organisation_name">{ma.organisation_name(obj)}</td>'
                f'<td class="field-line_short">{_text(ma.line_short(obj))}</td>'
                f'<td class="field-year">{_text(ma.year(obj))}</td>'
                f'<td class="field-status">{statuses.get(obj.status, "-")}</td>'
                f'<td class="field-requested">{_text(ma.requested(obj))}</td>'
                f'<td class="field-approved">{_text(ma.approved(obj))}</td>'
                f'<td class="field-waiting_days">{_text(days)}</td>'
            )


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["file_number", "organisation_name", "line_short", "year", "status", "requested", "approved",
                    "waiting_days"]
    list_display_links = ["file_number"]
    list_filter = [
        ("rule__programme_year", titled(admin.RelatedFieldListFilter, "Programmjahr")),
        ("rule__line", titled(admin.RelatedFieldListFilter, "Förderbereich")),
        StatusFilter,
        ("organisation__regierungsbezirk", titled(admin.ChoicesFieldListFilter, "Regierungsbezirk")),
        ("organisation__district", titled(admin.RelatedFieldListFilter, "Landkreis / Stadt")),
        ("organisation__kind", titled(admin.ChoicesFieldListFilter, "Art der Organisation")),
        WaitingFilter,
        ProofFilter,
    ]
    list_select_related = False  # the columns read annotations (WorkQueueChangeList.get_results), no related rows
    search_fields = ["file_number", "title", "organisation__name"]
    search_help_text = "Aktenzeichen (ganz oder Anfang, z. B. WIR-2027-FM), Name der Organisation oder Titel"
    show_full_result_count = False
    list_per_page = 50
    paginator = HonestPaginator  # exact counts (cached under the figures version), every page reachable
    ordering = ["-submitted_at", "-id"]
    actions = ["bulk_approve"]
    change_form_template = "admin/applications/application/review.html"

    # -- columns (no per-row queries: related names come from QUEUE_ANNOTATIONS, set by WorkQueueChangeList) --

    def action_checkbox(self, obj):
        """Django's markup, without rendering a form widget template per row (the largest per-row cost measured)."""
        return mark_safe(
            f'<input type="checkbox" name="{admin.helpers.ACTION_CHECKBOX_NAME}" value="{escape(obj.pk)}" '
            f'class="action-select" aria-label="Antrag auswählen: {escape(obj.file_number or obj.pk)}">'
        )

    @admin.display(description="Organisation", ordering="organisation__name")
    def organisation_name(self, obj):
        return mark_safe(f'<span class="wir-org">{escape(obj.queue_organisation_name)}</span>')

    @admin.display(description="Bereich", ordering="sort_line")  # = rule.line.order, indexed (issue 18)
    def line_short(self, obj):
        return obj.queue_line_short

    @admin.display(description="Jahr", ordering="sort_year")  # = rule.programme_year.year, indexed
    def year(self, obj):
        return str(obj.queue_year)  # a string: no thousands separator in "2027"

    @admin.display(description="Beantragt", ordering="requested_amount")
    def requested(self, obj):
        return format_eur(obj.requested_amount)

    @admin.display(description="Bewilligt", ordering="approved_amount")
    def approved(self, obj):
        return format_eur(obj.approved_amount) if obj.approved_amount is not None else "–"

    @admin.display(description="Tage", ordering="submitted_at")
    def waiting_days(self, obj):
        if obj.submitted_at is None:
            return "–"
        end = obj.decided_at if obj.status not in PENDING and obj.decided_at else timezone.now()
        return (end - obj.submitted_at).days

    # -- queryset, search, permissions --

    def get_changelist(self, request, **kwargs):
        return WorkQueueChangeList

    def get_queryset(self, request):
        # Drafts are the applicants' own work in progress; the ministry sees what was submitted (a draft the
        # applicant withdrew before submitting never reached it either: without a submission date it would also
        # sort before everything else, PostgreSQL putting NULLs first in descending order).
        return (super().get_queryset(request).exclude(status=Status.DRAFT)
                .exclude(status=Status.WITHDRAWN, submitted_at__isnull=True))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        searching = bool(request.GET.get(SEARCH_VAR, "").strip())
        paginator = SearchPaginator if searching else self.paginator
        return paginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        """File numbers by exact value or prefix (btree index); organisation names are resolved to ids first
        (trigram index on PostgreSQL), so the applications query never ORs across a join."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if FILE_NUMBER_RE.match(term):
            return queryset.filter(file_number__startswith=term.upper()), False
        condition = Q(file_number__startswith=term.upper()) | Q(title__icontains=term)
        if len(term) >= 2:
            # All matching organisations (a few thousand at most): a cap here would silently drop matches.
            org_ids = list(Organisation.objects.filter(name__icontains=term).order_by().values_list("id", flat=True))
            if org_ids:
                condition |= Q(organisation_id__in=org_ids)
        return queryset.filter(condition), False

    def has_add_permission(self, request):
        return False  # applicants create applications in the portal

    def has_change_permission(self, request, obj=None):
        return False  # no field is edited by hand; decisions are the forms below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("applications.decide_application")

    # -- URLs: the application page, decision forms, attachment downloads, notice preview --

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/aktion/<slug:action>/", wrap(self.decision_view), name=f"{prefix}_decide"),
            path("<int:object_id>/anlage/<int:attachment_id>/", wrap(self.attachment_view),
                 name=f"{prefix}_attachment"),
            path("<int:object_id>/bescheid-vorschau/", wrap(self.notice_preview_view),
                 name=f"{prefix}_notice_preview"),
            *super().get_urls(),
        ]

    def _application(self, request, object_id) -> Application:
        if not re.fullmatch(r"[0-9]{1,18}", str(object_id)):
            raise Http404("Diesen Antrag gibt es nicht.")  # /abc/change/ is not an id: 404, not 500
        app = get_object_or_404(
            self.get_queryset(request).select_related("organisation__district", "rule__line", "rule__programme_year"),
            pk=object_id,
        )
        # The two staff users in one query of their own: as two more joins they made PostgreSQL plan an 8-table
        # query (100k data set: 4.5 ms planning for 0.6 ms execution; 6 tables + this query: ~1.9 ms).
        user_ids = {app.recommended_by_id, app.decided_by_id} - {None}
        if user_ids:
            users = get_user_model().objects.in_bulk(user_ids)
            if app.recommended_by_id in users:
                app.recommended_by = users[app.recommended_by_id]
            if app.decided_by_id in users:
                app.decided_by = users[app.decided_by_id]
        if not self.has_view_permission(request, app):
            raise PermissionDenied
        return app

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        app = self._application(request, object_id)
        actors = actors_for(request.user, app)
        context = {
            **self.admin_site.each_context(request),
            **self._review_context(request, app, actors),
            "title": f"Antrag {app.file_number or app.pk}",
            "subtitle": app.title,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_form_template, context)

    def _review_context(self, request, app: Application, actors: set[str]) -> dict:
        plan_years = list(app.plan_years.all())
        cost_items = list(app.cost_items.all())
        plan = []
        for p in plan_years:
            items = [c for c in cost_items if c.year == p.year]
            costs = sum((c.amount for c in items), services.ZERO)
            plan.append({"year": p, "items": items, "costs": costs, "income": p.total_income,
                         "difference": p.total_income - costs})
        orphan_years = sorted({c.year for c in cost_items} - {p.year for p in plan_years})
        for year in orphan_years:
            items = [c for c in cost_items if c.year == year]
            plan.append({"year": None, "year_number": year, "items": items,
                         "costs": sum((c.amount for c in items), services.ZERO), "income": services.ZERO})
        details = app.details or {}
        line_fields = [
            {"label": label, "value": _detail_display(details.get(name, ""), kind), "help": help_text}
            for name, label, kind, help_text in rules.line_fields(app.rule.line)
        ]
        known = {name for name, *_ in rules.line_fields(app.rule.line)}
        line_fields += [{"label": key, "value": value, "help": ""} for key, value in details.items() if key not in known]
        attachments = list(app.attachments.all())
        for att in attachments:
            att.kind_label = AttachmentKind(att.kind).label if att.kind in AttachmentKind.values else att.kind
        status_labels = dict(Status.choices)
        events = list(app.events.all())
        for ev in events:
            ev.from_label = status_labels.get(ev.from_status, ev.from_status)
            ev.to_label = status_labels.get(ev.to_status, ev.to_status)
            ev.action_label = event_label(ev.action)
        can_budget = request.user.has_perm("applications.view_budget")
        figures = budget_figures(rule=app.rule) if can_budget else None
        opts = self.opts
        from applications.decision_rules import LETTER_KINDS, notice_final_on, notice_received_on

        notices = list(app.notices.all())
        for n in notices:  # receipts are no decisions: no remedy, no finality
            decision = n.kind not in LETTER_KINDS
            n.received_on = notice_received_on(n) if decision else None
            n.final_on = notice_final_on(n) if decision else None
        return {
            "opts": opts,
            "original": app,
            "application": app,
            "amendments": list(app.amendment_requests.select_related("recommended_by", "decided_by")),
            "declarations": _declarations_display(app.declarations),
            "has_view_permission": True,
            "app_label": opts.app_label,
            "status_label": status_labels.get(app.status, app.status),
            "line_fields": line_fields,
            "plan": plan,
            "plan_totals": {
                "costs": sum((row["costs"] for row in plan), services.ZERO),
                "income": sum((row["income"] for row in plan), services.ZERO),
            },
            "cap": rules.max_grant(application=app),
            "attachments": attachments,
            "events": events,
            "messages_list": list(app.messages.all()),
            "notes": list(app.internal_notes.all()),
            "notices": notices,
            "decisions": [d for d in decisions_for(app, actors)
                          if not services.four_eyes_refuses(application=app, user=request.user, action=d.action)],
            "budget": figures,
            "recommendation_label": RECOMMENDATION_LABELS.get(app.recommendation, app.recommendation),
            "preview_available": app.status in PENDING and notice_preview_function() is not None,
            "can_view_notices": request.user.has_perm("applications.view_notice"),
            "four_eyes_blocked": Actor.BEWILLIGUNG in actors and app.recommended_by_id == request.user.pk
            and app.requested_amount > services.four_eyes_threshold(),
        }

    # -- decisions --

    def decision_view(self, request, object_id, action):
        app = self._application(request, object_id)
        decision = DECISIONS.get(action)
        if decision is None:
            raise Http404
        actors = actors_for(request.user, app)
        if not decision.may_use(actors) or (action == "note" and not request.user.has_perm(
                "applications.add_internalnote")):
            raise PermissionDenied
        change_url = reverse("admin:applications_application_change", args=[app.pk])
        form = decision.form(request.POST if request.method == "POST" else None, application=app)
        if request.method == "POST" and form.is_valid():
            try:
                decision.run(application=app, user=request.user, data=form.cleaned_data)
            except DOMAIN_ERRORS as exc:
                self.message_user(request, str(exc), messages.ERROR)
                form.add_error(None, str(exc))
            else:
                self.message_user(request, decision.success, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        elif request.method == "GET" and services.four_eyes_refuses(application=app, user=request.user,
                                                                     action=action):
            self.message_user(request, "Vier-Augen-Prinzip: Sie haben das Votum abgegeben und können diesen Antrag "
                                       "nicht selbst bewilligen.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        elif request.method == "GET" and decision not in decisions_for(app, actors):
            self.message_user(
                request, f"„{decision.label}“ ist im Status „{Status(app.status).label}“ nicht möglich.", messages.ERROR
            )
            return HttpResponseRedirect(change_url)
        figures = None
        if action in ("approve", "partially_approve", "amendment_decide"):
            figures = budget_figures(rule=app.rule)
        from applications.staff.forms import open_amendment

        amendment = open_amendment(app) if action.startswith("amendment_") else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": app,
            "application": app,
            "decision": decision,
            "form": form,
            "title": f"{decision.label}: {app.file_number or app.pk}",
            "subtitle": app.title,
            "change_url": change_url,
            "budget": figures,
            "cap": rules.max_grant(application=app),
            "recommendation_label": RECOMMENDATION_LABELS.get(app.recommendation, app.recommendation),
            "four_eyes_threshold": services.four_eyes_threshold(),
            "status_label": Status(app.status).label,
            "amendment": amendment,
            "amendment_rows": _amendment_rows(app, amendment) if amendment else [],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/applications/application/decision.html", context)

    def attachment_view(self, request, object_id, attachment_id):
        app = self._application(request, object_id)
        if not request.user.has_perm("applications.view_attachment"):
            raise PermissionDenied
        attachment = get_object_or_404(app.attachments, pk=attachment_id)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404("Die Datei ist nicht mehr vorhanden.")
        return FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type or "application/octet-stream")

    def notice_preview_view(self, request, object_id):
        """The draft notice as PDF: rendered by a background job (applications.pdf_jobs), never in this request."""
        app = self._application(request, object_id)
        if notice_preview_function() is None:
            raise Http404("Die Bescheidvorschau ist noch nicht verfügbar.")
        path = pdf_jobs.pdf_ready("preview", app, user_id=request.user.pk)
        if path is None:
            failure = pdf_jobs.pdf_failure("preview", app, consume=True)
            if failure:
                self.message_user(request, f"Die Bescheidvorschau konnte nicht erstellt werden: {failure}",
                                  messages.ERROR)
                return HttpResponseRedirect(reverse("admin:applications_application_change", args=[app.pk]))
            context = {**self.admin_site.each_context(request), "title": "Bescheidvorschau wird erstellt",
                       "application": app, "opts": self.opts}
            return TemplateResponse(request, "admin/applications/application/preview_pending.html", context,
                                    status=202)
        from django.core.files.storage import default_storage

        with default_storage.open(path, "rb") as stored:
            response = HttpResponse(stored.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="ENTWURF-{app.file_number or app.pk}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response

    # -- bulk decision --

    @admin.action(description="Bewilligen (Sammelentscheidung)", permissions=["decide"])
    def bulk_approve(self, request, queryset):
        # "Alle N auswählen" names the exact number it acts on; a decision form for thousands of applications is
        # not a decision anybody can check, so the bulk decision takes at most BULK_APPROVE_MAX at once.
        selected = queryset.count()
        if selected > BULK_APPROVE_MAX:
            self.message_user(request, f"{selected} Anträge ausgewählt: Sammelentscheidungen umfassen höchstens "
                                       f"{BULK_APPROVE_MAX} Anträge. Bitte die Auswahl eingrenzen (z. B. Filter "
                                       "„Status: Votum abgegeben“ und Förderbereich).", messages.ERROR)
            return None
        apps = list(queryset.select_related("organisation", "rule__line", "rule__programme_year").order_by("file_number"))
        form = BulkApproveForm(request.POST if "apply" in request.POST else None, applications=apps)
        if "apply" in request.POST and form.is_valid():
            done, failed = [], []
            for app in apps:
                amount = form.cleaned_data[f"amount_{app.pk}"]
                action = "approve" if amount >= app.requested_amount else "partially_approve"
                try:
                    services.application_decide(application=app, user=request.user, action=action, amount=amount,
                                                reasons=form.cleaned_data.get("reasons", ""))
                except DOMAIN_ERRORS as exc:
                    failed.append((app, str(exc)))
                else:
                    done.append(app)
            if done:
                total = sum((form.cleaned_data[f"amount_{a.pk}"] for a in done), services.ZERO)
                self.message_user(
                    request,
                    f"{len(done)} Anträge bewilligt ({format_eur(total)}): "
                    + ", ".join(a.file_number or str(a.pk) for a in done) + ".",
                    messages.SUCCESS,
                )
            for app, reason in failed:
                self.message_user(request, f"{app.file_number or app.pk} nicht bewilligt: {reason}", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Bewilligen (Sammelentscheidung)",
            "form": form,
            "applications": apps,
            "total_requested": sum((a.requested_amount for a in apps), services.ZERO),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "not_recommended": [a for a in apps if a.status != Status.RECOMMENDED],
        }
        return TemplateResponse(request, "admin/applications/application/bulk_approve.html", context)


def _amendment_rows(app: Application, amendment) -> list[tuple[str, str, str]]:
    """What an Änderungsantrag changes, as (what, before, requested) for the decision page."""
    rows = []
    if amendment.new_period_end:
        rows.append(("Ende des Bewilligungszeitraums", f"{app.period_end:%d.%m.%Y}" if app.period_end else "–",
                     f"{amendment.new_period_end:%d.%m.%Y}"))
    items = {str(i.pk): i for i in app.cost_items.all()}
    for pk, amount in amendment.cost_amounts.items():
        item = items.get(pk)
        if item is not None:
            before = item.approved_amount if item.approved_amount is not None else item.amount
            rows.append((f"{item.year} {item.description}", format_eur(before), format_eur(Decimal(amount))))
    plan = {str(p.year): p for p in app.plan_years.all()}
    for year, amount in amendment.year_amounts.items():
        p = plan.get(year)
        rows.append((f"Zuwendung {year}", format_eur(p.approved_grant or 0) if p else "–", format_eur(Decimal(amount))))
    rows.append(("Zuwendung insgesamt", format_eur(amendment.previous_amount), format_eur(amendment.new_amount)))
    return rows


def _declarations_display(declarations: dict) -> list[str]:
    from applications.decision_rules import OTHER_FUNDING_CHOICES, VAT_CHOICES

    if not declarations:
        return []
    lines = list(declarations.get("statements") or [])
    lines.append(dict(VAT_CHOICES).get(declarations.get("vat"), ""))
    other = dict(OTHER_FUNDING_CHOICES).get(declarations.get("other_funding"), "")
    if declarations.get("other_funding_details"):
        other += f": {declarations['other_funding_details']}"
    lines.append(other)
    lines.append(f"Erklärt von {declarations.get('declared_by', '')} am "
                 f"{str(declarations.get('declared_at', ''))[:10]}")
    return [line for line in lines if line]


def _detail_display(value, kind: str) -> str:
    """A line-specific value as staff read it: dates 22.11.2026, decimals with a comma, money as euros."""
    if value in (None, ""):
        return ""
    try:
        if kind == "date":
            return datetime.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
        if kind == "money":
            return format_eur(Decimal(str(value)))
        if kind == "decimal":
            return str(value).replace(".", ",")
    except (ValueError, ArithmeticError):
        pass
    return str(value)


# Django's boolean icons say alt="True"/"False"/"None" (English, read aloud by screen readers): German instead.
def _boolean_icon(field_val):
    from django.templatetags.static import static
    from django.utils.html import format_html

    icon, label = {True: ("yes", "Ja"), False: ("no", "Nein"), None: ("unknown", "Unbekannt")}[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), label)


admin_list_tags._boolean_icon = _boolean_icon  # used by changelists and read-only fields

RECOMMENDATION_LABELS = {"approve": "Bewilligung", "partial": "Teilbewilligung", "reject": "Ablehnung"}


def notice_preview_function():
    """The notices work provides a draft (ENTWURF) preview: notice_pipeline.notice_preview(application=, user=)."""
    from applications.notices import outbox as notice_pipeline

    return getattr(notice_pipeline, "notice_preview", None)

