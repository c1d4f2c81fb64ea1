"""Staff admin of revocation and recovery: the proceedings queue (deadline and answer at a glance), opening a
proceeding from an approval, the hearing, preparing and deciding (four eyes), and the refund claims with their
interest breakdown, payments received and reminders. Thin: every button calls a service."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone

from applications.models import (
    Application,
    RefundClaim,
    Revocation,
    RevocationDocument,
    RevocationOutcome,
    RevocationStatus,
)
from applications.revocation import services
from applications.revocation.forms import (
    ClaimPaymentForm,
    HearingForm,
    PrepareForm,
    RevocationOpenForm,
    SendBackForm,
)
from funding.admin_paging import HonestPaginator, LeanChangeList


class HearingFilter(admin.SimpleListFilter):
    title = "Anhörung"
    parameter_name = "anhoerung"

    def lookups(self, request, model_admin):
        return [("beantwortet", "Stellungnahme eingegangen"), ("abgelaufen", "Frist abgelaufen, keine Stellungnahme"),
                ("laeuft", "Frist läuft")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        hearing = queryset.filter(status=RevocationStatus.HEARING)
        if self.value() == "beantwortet":
            return hearing.filter(answered_at__isnull=False)
        if self.value() == "abgelaufen":
            return hearing.filter(answered_at__isnull=True, hearing_deadline__lt=today)
        if self.value() == "laeuft":
            return hearing.filter(answered_at__isnull=True, hearing_deadline__gte=today)
        return queryset


def _add_field_error(form, exc):
    field = exc.field if getattr(exc, "field", None) in form.fields else None
    form.add_error(field, str(exc))


@admin.register(Revocation)
class RevocationAdmin(admin.ModelAdmin):
    list_display = ("id", "file_number", "organisation", "status", "ground", "revoked_total", "refund_total",
                    "hearing_deadline", "answer_state", "opened_by_name", "opened_at")
    list_display_links = ("id", "file_number")
    list_filter = ("status", HearingFilter, "ground", "basis")
    list_select_related = ("application__organisation",)
    search_fields = ("=application__file_number", "^application__file_number")
    show_full_result_count = False
    ordering = ("-opened_at", "-id")
    # like the other staff lists (issue 18): 50 rows, exact counts, a page's keys first, then its rows by key
    list_per_page = 50
    paginator = HonestPaginator

    def get_changelist(self, request, **kwargs):
        return LeanChangeList
    change_form_template = "admin/applications/revocation/detail.html"

    @admin.display(description="Aktenzeichen", ordering="application__file_number")
    def file_number(self, obj):
        return obj.application.file_number

    @admin.display(description="Organisation")
    def organisation(self, obj):
        return obj.application.organisation.name

    @admin.display(description="Stellungnahme")
    def answer_state(self, obj):
        if obj.answered_at:
            return f"eingegangen am {timezone.localtime(obj.answered_at):%d.%m.%Y}"
        if obj.status == RevocationStatus.HEARING and obj.hearing_deadline and obj.hearing_deadline < timezone.localdate():
            return "Frist abgelaufen"
        return "–"

    def has_add_permission(self, request):
        return services.may(request.user, "revocation_open")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/anhoerung/", wrap(self.hearing_view), name="applications_revocation_hearing"),
            path("<int:pk>/vorbereiten/", wrap(self.prepare_view), name="applications_revocation_prepare"),
            path("<int:pk>/entscheiden/", wrap(self.decide_view), name="applications_revocation_decide"),
            path("<int:pk>/zurueckgeben/", wrap(self.send_back_view), name="applications_revocation_send_back"),
            path("<int:pk>/unterlagen/<int:doc_pk>/", wrap(self.document_view),
                 name="applications_revocation_document"),
            *super().get_urls(),
        ]

    # --- opening -----------------------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        file_number = (request.GET.get("aktenzeichen") or request.POST.get("aktenzeichen") or "").strip()
        application = None
        lookup_error = ""
        if request.GET.get("antrag", "").isdigit():
            application = Application.objects.filter(pk=int(request.GET["antrag"])).first()
        elif file_number:
            application = Application.objects.filter(file_number=file_number).first()
            if application is None:
                lookup_error = f"Ein Antrag mit dem Aktenzeichen „{file_number}“ ist nicht bekannt."
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Widerrufsverfahren eröffnen", "file_number": file_number, "lookup_error": lookup_error}
        if application is None:
            return render(request, "admin/applications/revocation/open.html", context)
        positions = {y: p for y, p in services.year_positions(application).items() if p.granted > 0}
        # a prefill from elsewhere (e.g. the proof-of-use check): ?antrag=<id>&anlass=proof_result&pruefbetrag=…&bezug=…
        initial = {"ground": request.GET.get("anlass", ""), "proof_amount": request.GET.get("pruefbetrag", ""),
                   "proof_reference": request.GET.get("bezug", "")[:300]}
        form = RevocationOpenForm(request.POST or None, positions=positions, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                rv = services.revocation_open(
                    application=application, user=request.user, ground=data["ground"], basis=data["basis"],
                    facts=data["facts"], effective_date=data["effective_date"], amounts=form.amounts(),
                    proof_amount=data.get("proof_amount"), proof_reference=data.get("proof_reference", ""))
            except services.RevocationError as exc:
                _add_field_error(form, exc)
            else:
                self.message_user(request, "Das Widerrufsverfahren ist eröffnet. Als Nächstes: Anhörung versenden.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:applications_revocation_change", args=[rv.pk]))
        context.update({"application": application, "form": form, "approved_on": services.approval_date(application),
                        "positions": positions})
        return render(request, "admin/applications/revocation/open.html", context,
                      status=400 if request.method == "POST" else 200)

    # --- the detail page with the step that is due ----------------------------------------------------------

    def _revocation(self, request, pk) -> Revocation:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Revocation.objects.select_related(
            "application__organisation", "application__rule__line", "hearing_notice", "decision_notice"), pk=pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise PermissionDenied
        rv = self._revocation(request, int(object_id))
        return self._detail(request, rv)

    def _detail(self, request, rv, *, hearing_form=None, prepare_form=None, send_back_form=None, status=200):
        user = request.user
        claim = RefundClaim.objects.filter(revocation=rv).first()
        figures = services.claim_figures(claim, until=timezone.localdate()) if claim else None
        positions = services.year_positions(rv.application)
        years = []
        for y in rv.years.all():
            pos = positions.get(y.year)
            refund, release = (services.refund_split(granted=pos.granted, paid_net=pos.paid_net, revoked=y.revoked)
                               if pos and rv.status in services.OPEN_STATES else (y.refund, y.released))
            years.append({"year": y.year, "revoked": y.revoked, "granted": pos.granted if pos else None,
                          "paid_net": pos.paid_net if pos else None, "refund": refund, "release": release})
        can_prepare = services.may(user, "revocation_prepare")
        can_decide = services.may(user, "revocation_decide")
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": rv, "rv": rv,
            "title": f"Widerrufsverfahren {rv.pk} – {rv.application.file_number}",
            "years": years, "claim": claim, "figures": figures, "documents": list(rv.documents.all()),
            "hearing_form": hearing_form or (HearingForm(initial={
                "deadline": timezone.localdate() + datetime.timedelta(days=services.hearing_days())})
                if can_prepare and rv.status == RevocationStatus.OPENED else None),
            "prepare_form": prepare_form or (PrepareForm(initial={"outcome": RevocationOutcome.REVOKE})
                                             if can_prepare and rv.status == RevocationStatus.HEARING else None),
            "can_decide": can_decide and rv.status == RevocationStatus.PREPARED,
            "four_eyes_blocked": user.pk in (rv.opened_by_id, rv.prepared_by_id),
            "send_back_form": send_back_form or (SendBackForm() if can_decide
                                                 and rv.status == RevocationStatus.PREPARED else None),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return render(request, "admin/applications/revocation/detail.html", context, status=status)

    def _post(self, request, pk):
        if request.method != "POST":
            return None
        return self._revocation(request, pk)

    def _form_step(self, request, pk: int, *, action: str, form_class, form_key: str, call, done: str):
        """One step of the proceeding from a form on the detail page: POST only, the action's permission, the
        service call (its refusal at the field), then back to the detail page — or the page again with the form."""
        rv = self._post(request, pk)
        if rv is None:
            return HttpResponseRedirect(reverse("admin:applications_revocation_change", args=[pk]))
        if not services.may(request.user, action):
            raise PermissionDenied
        form = form_class(request.POST)
        if form.is_valid():
            try:
                call(rv, form.cleaned_data)
            except services.RevocationError as exc:
                _add_field_error(form, exc)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:applications_revocation_change", args=[pk]))
        return self._detail(request, rv, **{form_key: form}, status=400)

    def hearing_view(self, request, pk: int):
        return self._form_step(
            request, pk, action="revocation_hearing", form_class=HearingForm, form_key="hearing_form",
            call=lambda rv, data: services.hearing_send(revocation=rv, user=request.user, deadline=data["deadline"]),
            done="Das Anhörungsschreiben wird erstellt und versandt.")

    def prepare_view(self, request, pk: int):
        return self._form_step(
            request, pk, action="revocation_prepare", form_class=PrepareForm, form_key="prepare_form",
            call=lambda rv, data: services.revocation_prepare(
                revocation=rv, user=request.user, outcome=data["outcome"], considerations=data["considerations"],
                answer_assessment=data["answer_assessment"], interest_waived=data["interest_waived"],
                interest_waiver_reason=data["interest_waiver_reason"]),
            done="Die Entscheidung ist vorbereitet; entscheiden muss eine andere Person der Bewilligung.")

    def decide_view(self, request, pk: int):
        rv = self._post(request, pk)
        if rv is None:
            return HttpResponseRedirect(reverse("admin:applications_revocation_change", args=[pk]))
        if not services.may(request.user, "revocation_decide"):
            raise PermissionDenied
        try:
            rv = services.revocation_decide(revocation=rv, user=request.user)
        except services.RevocationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            done = ("Das Verfahren ist eingestellt; das Schreiben wird versandt."
                    if rv.status == RevocationStatus.DISCONTINUED else
                    "Entschieden: der Bescheid wird erstellt und versandt; die Mittel sind freigegeben.")
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:applications_revocation_change", args=[pk]))

    def send_back_view(self, request, pk: int):
        return self._form_step(
            request, pk, action="revocation_decide", form_class=SendBackForm, form_key="send_back_form",
            call=lambda rv, data: services.revocation_send_back(revocation=rv, user=request.user,
                                                               reason=data["reason"]),
            done="Die Entscheidung ist an die Sachbearbeitung zurückgegeben.")

    def document_view(self, request, pk: int, doc_pk: int):
        rv = self._revocation(request, pk)
        doc = get_object_or_404(RevocationDocument, pk=doc_pk, revocation=rv)
        return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                            content_type=doc.content_type)


@admin.register(RefundClaim)
class RefundClaimAdmin(admin.ModelAdmin):
    list_display = ("id", "file_number", "organisation", "principal", "late_use_interest", "interest_from",
                    "due_date", "status", "settled_on")
    list_display_links = ("id", "file_number")
    list_filter = ("status",)
    list_select_related = ("application__organisation",)
    search_fields = ("=application__file_number", "^application__file_number")
    show_full_result_count = False
    ordering = ("-created_at", "-id")
    # like the other staff lists (issue 18): 50 rows, exact counts, a page's keys first, then its rows by key
    list_per_page = 50
    paginator = HonestPaginator

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    @admin.display(description="Aktenzeichen", ordering="application__file_number")
    def file_number(self, obj):
        return obj.application.file_number

    @admin.display(description="Organisation")
    def organisation(self, obj):
        return obj.application.organisation.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("<int:pk>/zahlung/", self.admin_site.admin_view(self.payment_view),
                     name="applications_refundclaim_payment"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit() or not self.has_view_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(RefundClaim.objects.select_related("application__organisation", "revocation"),
                                  pk=int(object_id))
        return self._detail(request, claim)

    def _detail(self, request, claim, *, form=None, status=200):
        can_pay = services.may(request.user, "claim_payment") and claim.status == "open"
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": claim, "claim": claim,
            "title": f"Erstattungsforderung {claim.application.file_number}",
            "figures": services.claim_figures(claim, until=timezone.localdate()),
            "payments": list(claim.payments.all()), "reminders": list(claim.reminders.all()),
            "form": form or (ClaimPaymentForm(initial={"received_on": timezone.localdate()}) if can_pay else None),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return render(request, "admin/applications/refundclaim/detail.html", context, status=status)

    def payment_view(self, request, pk: int):
        if not services.may(request.user, "claim_payment"):
            raise PermissionDenied
        claim = get_object_or_404(RefundClaim.objects.select_related("application__organisation", "revocation"),
                                  pk=pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:applications_refundclaim_change", args=[pk]))
        form = ClaimPaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.claim_payment_record(claim=claim, user=request.user, amount=data["amount"],
                                              received_on=data["received_on"], reference=data["reference"])
            except services.RevocationError as exc:
                _add_field_error(form, exc)
            else:
                self.message_user(request, "Der Zahlungseingang ist gebucht.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:applications_refundclaim_change", args=[pk]))
        return self._detail(request, claim, form=form, status=400)


__all__ = ["RevocationAdmin", "RefundClaimAdmin"]
