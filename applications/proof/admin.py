"""Staff admin of the proof of use: the list of proofs (overdue and to check first), the check page (VV Nr. 11 zu
§ 44 LHO: checklist, sample receipts, approved vs actual, recomputation, Prüfvermerk under four eyes), the
reminders sent, and the terms per line and year. Thin: every button calls a service."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from applications.models import (
    CheckDepth,
    CheckStatus,
    CostItem,
    Expense,
    Proof,
    ProofCheck,
    ProofDocument,
    ProofReminder,
    ProofStatus,
    ProofTerms,
)
from applications.proof import services
from wir_portal.money import format_eur


class StateFilter(admin.SimpleListFilter):
    title = "Stand"
    parameter_name = "stand"

    def lookups(self, request, model_admin):
        return [("ueberfaellig", "Überfällig"), ("pruefen", "Zu prüfen (eingereicht, in Prüfung)"),
                ("gegenzeichnen", "Wartet auf Gegenzeichnung"), ("offen", "Offen, nicht fällig"),
                ("geprueft", "Geprüft")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value == "ueberfaellig":
            return queryset.filter(status=ProofStatus.OPEN, due_on__lt=today)
        if value == "pruefen":
            return queryset.filter(status__in=(ProofStatus.SUBMITTED, ProofStatus.IN_CHECK))
        if value == "gegenzeichnen":
            return queryset.filter(checks__status=CheckStatus.SIGNED)
        if value == "offen":
            return queryset.filter(status=ProofStatus.OPEN, due_on__gte=today)
        if value == "geprueft":
            return queryset.filter(status=ProofStatus.CHECKED)
        return queryset


class ReminderInline(admin.TabularInline):
    model = ProofReminder
    extra = 0
    can_delete = False
    fields = ("kind", "due_on", "sent_at", "mail")
    readonly_fields = fields
    verbose_name_plural = "Versandte Erinnerungen"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proof)
class ProofAdmin(admin.ModelAdmin):
    list_display = ("file_number", "organisation", "line", "what", "due_on", "state")
    list_filter = (StateFilter, "kind", "status", "year_to", ("application__rule__line", admin.RelatedOnlyFieldListFilter),
                   "application__organisation__regierungsbezirk")
    list_select_related = ("application__organisation", "application__rule__line")
    search_fields = ("=application__file_number", "^application__file_number")
    search_help_text = "Aktenzeichen (ganz oder Anfang)"
    show_full_result_count = False
    ordering = ("due_on", "id")
    list_per_page = 50
    inlines = [ReminderInline]
    readonly_fields = ("application", "kind", "year_from", "year_to", "due_on", "status", "submitted_at",
                       "submitted_by_name", "notice")
    fields = readonly_fields
    change_form_template = "admin/applications/proof/check.html"

    @admin.display(description="Aktenzeichen", ordering="application__file_number")
    def file_number(self, obj):
        return obj.application.file_number

    @admin.display(description="Organisation")
    def organisation(self, obj):
        return obj.application.organisation.name

    @admin.display(description="Bereich")
    def line(self, obj):
        return obj.application.rule.line.short

    @admin.display(description="Nachweis", ordering="year_from")
    def what(self, obj):
        years = str(obj.year_from) if obj.year_from == obj.year_to else f"{obj.year_from}–{obj.year_to}"
        return f"{obj.get_kind_display()} {years}"

    @admin.display(description="Stand", ordering="status")
    def state(self, obj):
        if services.is_overdue(obj):
            return format_html('<strong class="wir-overdue">Überfällig seit {}</strong>', obj.due_on.strftime("%d.%m.%Y"))
        if obj.submitted_at:
            return f"{obj.get_status_display()} (eingereicht {timezone.localtime(obj.submitted_at):%d.%m.%Y})"
        return obj.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("applications.check_proof") or request.user.has_perm(
            "applications.countersign_proof")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/pruefen/<str:step>/", wrap(self.check_action_view),
                 name="applications_proof_check_action"),
            path("<int:object_id>/unterlage/<int:doc_pk>/", wrap(self.document_view),
                 name="applications_proof_document"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proof = self._proof(request, object_id)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}),
                                                                  **self._check_context(request, proof)})

    def _proof(self, request, object_id) -> Proof:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Proof.objects.select_related("application__organisation", "application__rule__line",
                                                              "application__rule__programme_year"), pk=object_id)

    def _check_context(self, request, proof: Proof) -> dict:
        application = proof.application
        check = proof.checks.order_by("-started_at", "-id").first()
        statement = services.proof_statement(proof)
        recompute = services.proof_recompute(proof) if proof.status != ProofStatus.OPEN else []
        expenses = (Expense.objects.filter(application_id=application.pk, paid_on__year__gte=proof.year_from,
                                           paid_on__year__lte=proof.year_to).aggregate(n=Count("id")))["n"]
        items = [line["item_id"] for y in statement for line in y.lines]
        return {
            "proof": proof, "application": application, "check": check, "statement": statement,
            "recompute": recompute, "expense_count": expenses,
            "questions": [(q.label, (proof.report or {}).get(q.key, "")) for q in services.questions_for(application)],
            "documents": list(proof.documents.select_related("cost_item")),
            "checklist": [(key, label, bool((check.checklist or {}).get(key)) if check else False)
                          for key, label in services.checklist_for(check.depth if check else CheckDepth.CURSORY)],
            "check_form": CheckForm(initial={"depth": check.depth, "notes": check.notes, **(check.checklist or {})}
                                    if check else None),
            "sample_items": list(CostItem.objects.filter(pk__in=items).order_by("year", "id")),
            "chosen_samples": set(check.sample_items.values_list("pk", flat=True)) if check else set(),
            "can_check": request.user.has_perm("applications.check_proof"),
            "can_countersign": request.user.has_perm("applications.countersign_proof"),
            "repayment_total": sum((max(y.difference, 0) for y in recompute), 0),
            "overdue": services.is_overdue(proof),
            "revocation_open_url": self._revocation_open_url(application),
        }

    @staticmethod
    def _revocation_open_url(application) -> str:
        """The countersigned Prüfvermerk's repayment opens a revocation proceeding with its amount and reasons
        filled in (applications/revocation: the hearing, the decision and the refund notice follow there)."""
        repayment = services.proof_repayment(application)
        if repayment is None:
            return ""
        amount, reasons = repayment
        query = urlencode({"antrag": application.pk, "anlass": "proof_result",
                           "pruefbetrag": f"{amount:.2f}".replace(".", ","), "bezug": reasons[:300]})
        return f"{reverse('admin:applications_revocation_add')}?{query}"

    def check_action_view(self, request, object_id, step):
        proof = self._proof(request, object_id)
        if request.method != "POST":
            raise Http404
        back = HttpResponseRedirect(reverse("admin:applications_proof_change", args=[proof.pk]))
        check = proof.checks.order_by("-started_at", "-id").first()
        try:
            if step == "beginnen":
                services.check_start(proof=proof, user=request.user,
                                     depth=request.POST.get("depth") or CheckDepth.CURSORY)
                done = "Die Prüfung ist begonnen."
            elif check is None:
                raise services.ProofError("Bitte beginnen Sie zuerst die Prüfung.")
            elif step == "speichern":
                form = CheckForm(request.POST)
                if not form.is_valid():
                    raise services.ProofError("Bitte wählen Sie die Prüfungstiefe.")
                services.check_save(check=check, user=request.user, depth=form.cleaned_data["depth"],
                                    checklist={k: form.cleaned_data.get(k) for k, _ in services.CHECKLIST_KEYS},
                                    notes=form.cleaned_data["notes"])
                done = "Prüfliste und Feststellungen sind gespeichert."
            elif step == "belege":
                ids = [int(i) for i in request.POST.getlist("sample_items") if i.isdigit()]
                services.check_request_samples(check=check, user=request.user,
                                               cost_items=list(CostItem.objects.filter(pk__in=ids)))
                done = "Die Belege sind angefordert; die Empfängerin/der Empfänger wurde per E-Mail benachrichtigt."
            elif step == "zeichnen":
                check = services.check_sign(check=check, user=request.user)
                done = f"Prüfvermerk gezeichnet: {check.get_outcome_display()}. Er wartet auf die Gegenzeichnung."
            elif step == "gegenzeichnen":
                check = services.check_countersign(check=check, user=request.user)
                done = (f"Prüfvermerk gegengezeichnet: {check.get_outcome_display()}"
                        + (f" ({format_eur(check.repayment)})" if check.repayment else "") + ". Das PDF wird erstellt.")
            else:
                raise Http404
        except services.ProofError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return back

    def document_view(self, request, object_id, doc_pk):
        proof = self._proof(request, object_id)
        document = get_object_or_404(ProofDocument, pk=doc_pk, proof=proof)
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)


class CheckForm(forms.Form):
    depth = forms.ChoiceField(label="Prüfungstiefe", choices=CheckDepth.choices)
    notes = forms.CharField(label="Prüfungsfeststellungen", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                            max_length=8000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in services.CHECKLIST_KEYS:
            self.fields[key] = forms.BooleanField(label=label, required=False)


@admin.register(ProofReminder)
class ProofReminderAdmin(admin.ModelAdmin):
    list_display = ("proof", "kind", "due_on", "sent_at")
    list_filter = ("kind",)
    list_select_related = ("proof__application",)
    search_fields = ("=proof__application__file_number",)
    readonly_fields = ("proof", "kind", "due_on", "sent_at", "mail")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProofCheck)
class ProofCheckAdmin(admin.ModelAdmin):
    list_display = ("proof_link", "depth", "status", "outcome", "repayment_display", "signed_by_name",
                    "countersigned_by_name", "notice")
    list_filter = ("status", "outcome", "depth")
    list_select_related = ("proof__application", "notice")
    search_fields = ("=proof__application__file_number",)
    show_full_result_count = False

    @admin.display(description="Nachweis")
    def proof_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:applications_proof_change", args=[obj.proof_id]),
                           obj.proof)

    @admin.display(description="Rückforderung", ordering="repayment")
    def repayment_display(self, obj):
        return format_eur(obj.repayment) if obj.repayment else "–"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProofTerms)
class ProofTermsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "line", "year", "interim_months", "final_months", "overspend_percent", "spend_months")
    list_select_related = ("line",)
    list_filter = ("year",)


__all__ = ["ProofAdmin", "ProofReminderAdmin", "ProofCheckAdmin", "ProofTermsAdmin"]
