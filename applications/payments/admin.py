"""Staff admin of the payment side: open requests (confirm, order, refuse), payment runs (export SEPA/CSV,
execute once), payment plans, and payments not reported as spent in time. Thin: every button calls a service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from applications.models import Application, Payment, PaymentMode, PaymentPlan, PaymentRun, PaymentStatus
from applications.payments import exports, services
from applications.payments.forms import PaymentRefuseForm
from funding.admin_paging import HonestPaginator, LeanChangeList


class OverdueFilter(admin.SimpleListFilter):
    title = "Verwendung"
    parameter_name = "verwendung"

    def lookups(self, request, model_admin):
        return [("ueberfaellig", "nicht rechtzeitig als verwendet gemeldet")]

    def queryset(self, request, queryset):
        if self.value() == "ueberfaellig":
            return queryset.filter(pk__in=services.overdue_unspent().values("pk"))
        return queryset


class YearFilter(admin.SimpleListFilter):
    """The programme years (a small table), not SELECT DISTINCT over every payment."""

    title = "Haushaltsjahr"
    parameter_name = "year__exact"

    def lookups(self, request, model_admin):
        from funding.models import ProgrammeYear

        return [(str(y), str(y)) for y in ProgrammeYear.objects.order_by("year").values_list("year", flat=True)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(year=int(self.value()))
        return queryset


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("id", "file_number", "organisation", "budget_year", "amount", "status", "source", "requested_at",
                    "confirmed_by_name", "ordered_by_name", "run", "spend_by", "spent_reported_at")
    list_filter = ("status", "source", OverdueFilter, YearFilter)
    list_select_related = ("application__organisation", "run")
    # The rows show the file number, the organisation's name and the run's number, not the application's texts
    # and JSON (issue 18: loading whole application rows for every payment was most of the list's time).
    list_only = ("application", "year", "amount", "status", "source", "requested_at", "confirmed_by_name",
                 "ordered_by_name", "run", "spend_by", "spent_reported_at", "application__file_number",
                 "application__organisation__name", "run__number")
    search_fields = ("=application__file_number", "^application__file_number", "=id")
    search_help_text = "Aktenzeichen (ganz oder Anfang, z. B. WIR-2027-VZ) oder Nummer der Auszahlung"
    show_full_result_count = False
    paginator = HonestPaginator  # exact counts, every page reachable
    list_per_page = 50  # the house's queue size: rendering 100 rows × 13 columns costs more than the SQL
    ordering = ("-requested_at", "-id")
    actions = ("confirm", "order", "collect_into_run")
    readonly_fields = [f.name for f in Payment._meta.fields] + ["refuse_link"]

    @admin.display(description="Aktenzeichen", ordering="application__file_number")
    def file_number(self, obj):
        return obj.application.file_number

    @admin.display(description="Haushaltsjahr", ordering="year")
    def budget_year(self, obj):
        return str(obj.year)  # not "2.026"

    @admin.display(description="Organisation")
    def organisation(self, obj):
        return obj.application.organisation.name

    @admin.display(description="Ablehnen")
    def refuse_link(self, obj):
        if obj and obj.status in services.PENDING and not obj.run_id:
            return format_html('<a class="button" href="{}">Auszahlung ablehnen …</a>',
                               reverse("admin:applications_payment_refuse", args=[obj.pk]))
        return "–"

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    def get_search_results(self, request, queryset, search_term):
        """The file number by its beginning (the applications' unique index) or the payment's number; Django's
        generic search ORed UPPER(file_number) across the join, which no index serves (issue 18: 130 ms SQL at
        10k payments for one file number)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(application__in=Application.objects.filter(file_number__startswith=term.upper()).values("pk"))
        if term.isdigit() and len(term) <= 18:
            condition |= Q(pk=int(term))
        return queryset.filter(condition), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_confirm_permission(self, request):
        return services.may(request.user, "payment_confirm")

    def has_order_permission(self, request):
        return services.may(request.user, "payment_order")

    def _each(self, request, queryset, service, done: str):
        ok = 0
        for payment in queryset.select_related("application"):
            try:
                service(payment=payment, user=request.user)
                ok += 1
            except services.PaymentError as exc:
                self.message_user(request, f"Auszahlung {payment.pk}: {exc}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} Auszahlung(en) {done}.", messages.SUCCESS)

    @admin.action(description="Sachlich richtig zeichnen", permissions=["confirm"])
    def confirm(self, request, queryset):
        self._each(request, queryset, services.payment_confirm, "sachlich richtig gezeichnet")

    @admin.action(description="Auszahlung anordnen (Haushalt)", permissions=["order"])
    def order(self, request, queryset):
        self._each(request, queryset, services.payment_order, "angeordnet")

    @admin.action(description="Angeordnete Auszahlungen in einen neuen Zahllauf aufnehmen", permissions=["order"])
    def collect_into_run(self, request, queryset):
        try:
            run = services.run_create(user=request.user, payment_ids=queryset.values_list("pk", flat=True))
        except services.PaymentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        self.message_user(request, f"Zahllauf {run.number} mit {run.count} Auszahlungen angelegt.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:applications_paymentrun_change", args=[run.pk]))

    def get_urls(self):
        return [path("<int:pk>/ablehnen/", self.admin_site.admin_view(self.refuse_view),
                     name="applications_payment_refuse"), *super().get_urls()]

    def refuse_view(self, request, pk: int):
        if not services.may(request.user, "payment_refuse"):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("application__organisation"), pk=pk)
        form = PaymentRefuseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payment_refuse(payment=payment, user=request.user, reason=form.cleaned_data["reason"])
            except services.PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Auszahlung {payment.pk} abgelehnt.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:applications_payment_change", args=[payment.pk]))
        return render(request, "admin/applications/payment/refuse.html", {
            **self.admin_site.each_context(request), "payment": payment, "form": form, "opts": self.model._meta,
            "title": f"Auszahlung {payment.pk} ablehnen",
        }, status=400 if request.method == "POST" else 200)


@admin.register(PaymentRun)
class PaymentRunAdmin(admin.ModelAdmin):
    list_display = ("number", "execution_date", "count", "total", "created_by_name", "created_at", "executed_at")
    readonly_fields = ("number", "execution_date", "count", "total", "created_by_name", "created_at",
                       "executed_at", "executed_by_name", "files")
    exclude = ("created_by", "executed_by")
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Dateien und Ausführung")
    def files(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        sepa = reverse("admin:applications_paymentrun_sepa", args=[obj.pk])
        csv_url = reverse("admin:applications_paymentrun_csv", args=[obj.pk])
        if obj.executed_at:
            state = format_html("Ausgeführt am {} von {}", timezone.localtime(obj.executed_at).strftime("%d.%m.%Y %H:%M"),
                                obj.executed_by_name)
        else:
            state = format_html('<a class="button" href="{}">Als ausgeführt kennzeichnen …</a>',
                                reverse("admin:applications_paymentrun_execute", args=[obj.pk]))
        return format_html('<a class="button" href="{}">SEPA-Datei (pain.001)</a> '
                           '<a class="button" href="{}">CSV für die Landeskasse</a> {}', sepa, csv_url, state)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/sepa.xml", wrap(self.sepa_view), name="applications_paymentrun_sepa"),
            path("<int:pk>/zahllauf.csv", wrap(self.csv_view), name="applications_paymentrun_csv"),
            path("<int:pk>/ausfuehren/", wrap(self.execute_view), name="applications_paymentrun_execute"),
            *super().get_urls(),
        ]

    def _run(self, request, pk: int) -> PaymentRun:
        if not services.may(request.user, "payment_run"):
            raise PermissionDenied
        return get_object_or_404(PaymentRun, pk=pk)

    def sepa_view(self, request, pk: int):
        run = self._run(request, pk)
        try:
            stream = exports.sepa_stream(run)
            first = next(stream)  # the header: refuses (PaymentError) before the response starts
        except services.PaymentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:applications_paymentrun_change", args=[run.pk]))
        response = StreamingHttpResponse(_prepend(first, stream), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{run.number}.xml"'
        return response

    def csv_view(self, request, pk: int):
        run = self._run(request, pk)
        response = StreamingHttpResponse(exports.csv_stream(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{run.number}.csv"'
        return response

    def execute_view(self, request, pk: int):
        run = self._run(request, pk)
        if request.method == "POST":
            try:
                services.run_execute(run=run, user=request.user)
            except services.PaymentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Zahllauf {run.number} ist ausgeführt; {run.count} Auszahlungen sind "
                                           "im Haushalt gebucht.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:applications_paymentrun_change", args=[run.pk]))
        return render(request, "admin/applications/paymentrun/execute.html", {
            **self.admin_site.each_context(request), "run": run, "opts": self.model._meta,
            "title": f"Zahllauf {run.number} als ausgeführt kennzeichnen",
        })


def _prepend(first, rest):
    yield first
    yield from rest


class PaymentPlanForm(forms.ModelForm):
    class Meta:
        model = PaymentPlan
        fields = ("application", "year", "mode", "tranches")


class RetentionActionForm(ActionForm):
    reason = forms.CharField(label="Begründung (Freigabe des Einbehalts)", required=False, max_length=500)


@admin.register(PaymentPlan)
class PaymentPlanAdmin(admin.ModelAdmin):
    form = PaymentPlanForm
    list_display = ("application", "budget_year", "mode", "tranches", "retention_release_proposed_by_name",
                    "retention_released_at", "retention_released_by_name")
    action_form = RetentionActionForm
    actions = ("retention_propose", "retention_confirm")

    def has_retention_propose_permission(self, request):
        return services.may(request.user, "payment_retention_propose")

    def has_retention_confirm_permission(self, request):
        return services.may(request.user, "payment_retention_release")

    def _plans(self, request, queryset, call, done: str):
        ok = 0
        for plan in queryset.select_related("application"):
            try:
                call(plan)
                ok += 1
            except services.PaymentError as exc:
                self.message_user(request, f"{plan.application} {plan.year}: {exc}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} Einbehalt/Einbehalte {done}.", messages.SUCCESS)

    @admin.action(description="Freigabe des Einbehalts vorschlagen (Fallback, 1. Person)",
                  permissions=["retention_propose"])
    def retention_propose(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._plans(request, queryset, lambda plan: services.retention_release_propose(
            application=plan.application, user=request.user, year=plan.year, reason=reason), "zur Freigabe vorgeschlagen")

    @admin.action(description="Einbehalt freigeben (Fallback, 2. Person)", permissions=["retention_confirm"])
    def retention_confirm(self, request, queryset):
        self._plans(request, queryset, lambda plan: services.retention_release_confirm(
            application=plan.application, user=request.user, year=plan.year), "freigegeben")

    @admin.display(description="Haushaltsjahr", ordering="year")
    def budget_year(self, obj):
        return str(obj.year)
    list_select_related = ("application",)
    raw_id_fields = ("application",)
    list_filter = ("mode", "year")
    search_fields = ("=application__file_number",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            try:
                plan = services.payment_plan_set(application=obj.application, user=request.user, year=obj.year,
                                                 mode=obj.mode, tranches=obj.tranches or 4)
            except services.PaymentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            obj.pk = plan.pk


__all__ = ["PaymentAdmin", "PaymentRunAdmin", "PaymentPlanAdmin", "PaymentMode", "PaymentStatus"]
