"""Admin for notices (the outbox) and the versioned legal text blocks. Imported at the end of admin.py.

Thin: the actions call notice_pipeline.notice_retry / notice_resend; a LegalText save always creates a new
version through legal.legal_text_save (existing versions are never changed, notices point at them).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.html import format_html

from applications.audit import ApplicationError
from applications.models import LegalText, MailStatus, Notice, NoticeStatus, OutboundMail
from applications.notices.legal import legal_text_save
from applications.notices.outbox import mail_message_id, mail_resend, mail_retry, notice_resend, notice_retry
from funding.admin_paging import HonestPaginator, LeanChangeList, year_filter
from wir_portal.forms import AdminInputMixin
from wir_portal.urlutils import pk_url_maker


@admin.register(LegalText)
class LegalTextAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ("key", "version", "title", "created_at", "created_by")
    list_filter = ("key",)
    search_fields = ("key", "title")
    ordering = ("key", "-version")
    fields = ("key", "title", "body", "version", "created_at", "created_by")
    list_select_related = ("created_by",)

    def get_readonly_fields(self, request, obj=None):
        return ("key", "version", "created_at", "created_by") if obj else ("version", "created_at", "created_by")

    def save_model(self, request, obj, form, change):
        """Every save is a new version; the row that was opened stays as it was."""
        new = legal_text_save(key=obj.key, title=obj.title, body=obj.body, user=request.user)
        obj.pk, obj.version, obj.created_at, obj.created_by = new.pk, new.version, new.created_at, new.created_by
        if change:
            messages.info(request, f"Als neue Version {new.version} gespeichert; bereits erstellte Bescheide "
                                   "behalten die Fassung, mit der sie erstellt wurden.")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ("number", "kind", "file_number", "organisation", "status", "attempts", "send_count",
                    "created_at", "sent_at", "final_display", "error_short", "pdf_link")
    # No date_hierarchy: it ran SELECT DISTINCT date_trunc(...) over every notice on each view (154k at scale);
    # the year filter reads the first and last date from the index. Exact counts, one count, deep pages by key.
    list_filter = ("status", "kind", year_filter("created_at", "Erstellt im Jahr"))
    list_select_related = ("application__organisation",)
    # What the rows show, nothing more (no PDF context JSON, legal versions, reasons of 100 notices per page).
    list_only = ("id", "number", "kind", "status", "attempts", "send_count", "created_at", "sent_at", "last_error",
                 "first_sent_at", "remedy_waived_at",  # "bestandskräftig ab" column
                 "pdf", "application__file_number", "application__organisation__name")
    search_fields = ("=application__file_number", "number")
    # Sortable where an index serves the order (154k notices at scale): sorting the whole outbox by attempts or
    # send count meant sorting every row per view; the status filter answers "which failed" instead.
    sortable_by = ("number", "status", "created_at", "sent_at")
    show_full_result_count = False
    paginator = HonestPaginator
    list_per_page = 50
    actions = ("retry_failed", "resend_sent")
    readonly_fields = ("application", "kind", "status", "number", "amount", "previous_amount", "reasons",
                       "sha256", "attempts", "last_error", "created_at", "created_by", "rendered_at", "sent_at",
                       "send_count", "claimed_at", "first_sent_at", "received_display", "deadline_display",
                       "final_display", "remedy_waived_at", "remedy_waived_by_name", "legal_versions", "context",
                       "pdf_link")
    exclude = ("pdf", "remedy_waived_by")

    @admin.display(description="Gilt als bekannt gegeben am (§ 41 Abs. 2 HVwVfG)")
    def received_display(self, obj):
        from applications.decision_rules import notice_received_on

        day = notice_received_on(obj)
        return f"{day:%d.%m.%Y}" if day else "– (noch nicht versandt)"

    @admin.display(description="Klagefrist endet am (§ 74 VwGO)")
    def deadline_display(self, obj):
        from applications.decision_rules import notice_action_deadline

        day = notice_action_deadline(obj)
        return f"{day:%d.%m.%Y}" if day else "–"

    @admin.display(description="Bestandskräftig ab")
    def final_display(self, obj):
        from applications.decision_rules import notice_final_on

        day = notice_final_on(obj)
        if day is None:
            return "–"
        return f"{day:%d.%m.%Y}" + (" (Rechtsbehelfsverzicht)" if obj.remedy_waived_at else "")

    @admin.display(description="Aktenzeichen", ordering="application__file_number")
    def file_number(self, obj):
        return obj.application.file_number

    @admin.display(description="Organisation")
    def organisation(self, obj):
        return obj.application.organisation.name

    @admin.display(description="Fehler")
    def error_short(self, obj):
        return obj.last_error[:80]

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        if not obj.pk or not obj.pdf:
            return "–"
        return format_html('<a href="{}">PDF herunterladen</a>', self._pdf_url(obj.pk))

    def _pdf_url(self, pk) -> str:
        maker = getattr(self, "_pdf_url_maker", None)
        if maker is None:  # reversed once per process, formatted per row
            maker = self._pdf_url_maker = pk_url_maker("admin:applications_notice_pdf")
        return maker(pk)

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    def get_search_results(self, request, queryset, search_term):
        """File number or notice number, exactly (case-insensitive for the file number): both indexed."""
        term = search_term.strip()
        if not term:
            return queryset, False
        from django.db.models import Q

        from applications.models import Application

        # The application first (unique index), so the notices query never ORs across a join.
        ids = list(Application.objects.filter(file_number=term.upper()).values_list("pk", flat=True)[:1])
        return queryset.filter(Q(application_id__in=ids) | Q(number=term)), False

    def get_urls(self):
        return [
            path("<int:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="applications_notice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        notice = get_object_or_404(Notice.objects.select_related("application"), pk=object_id)
        if not notice.pdf:
            raise Http404("Für diesen Bescheid gibt es noch kein PDF.")
        name = f"{notice.get_kind_display()}_{notice.application.file_number}.pdf".replace(" ", "_")
        return FileResponse(notice.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing is edited by hand; "change" is the permission for the retry/resend actions.
        return request.user.has_perm("applications.change_notice") and obj is None

    @admin.action(description="Erneut versuchen (fehlgeschlagene)", permissions=["change"])
    def retry_failed(self, request, queryset):
        done = 0
        for notice in queryset.filter(status=NoticeStatus.FAILED):
            notice_retry(notice=notice, user=request.user)
            done += 1
        skipped = queryset.exclude(status=NoticeStatus.FAILED).count()
        self.message_user(request, f"{done} Bescheid(e) werden erneut verarbeitet."
                          + (f" {skipped} nicht fehlgeschlagene übersprungen." if skipped else ""),
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description="Erneut versenden (bereits versandte, wird protokolliert)", permissions=["change"])
    def resend_sent(self, request, queryset):
        done = 0
        for notice in queryset.filter(status=NoticeStatus.SENT):
            notice_resend(notice=notice, user=request.user)
            done += 1
        skipped = queryset.exclude(status=NoticeStatus.SENT).count()
        self.message_user(request, f"{done} Bescheid(e) werden erneut versendet (im Verlauf protokolliert)."
                          + (f" {skipped} noch nicht versandte übersprungen." if skipped else ""),
                          messages.SUCCESS if done else messages.WARNING)


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    """The mail outbox: every e-mail the portal sends, its state and last error; failed ones are retried and sent
    ones sent again from here. The text of a mail with a one-time link (registration, invitation, password reset)
    is never shown: whoever could read it could use the link."""

    list_display = ("created_at", "kind", "recipients", "subject", "status", "attempts", "send_count", "sent_at",
                    "error_short")
    # As the notices' list: no date_hierarchy (a DISTINCT over every row), exact counts once, sorted where an
    # index serves the order, the rows' columns only (not the bodies).
    list_filter = ("status", "kind", year_filter("created_at", "Erstellt im Jahr"))
    list_only = ("id", "created_at", "kind", "to", "subject", "status", "attempts", "send_count", "sent_at",
                 "last_error")
    search_fields = ("=subject", "=application__file_number")
    sortable_by = ("created_at",)
    show_full_result_count = False
    paginator = HonestPaginator
    list_per_page = 50
    actions = ("retry_failed", "resend_sent")
    readonly_fields = ("kind", "status", "recipients", "subject", "text", "sensitive", "application", "notice",
                       "delivery", "message_id", "attempts", "last_error", "next_attempt_at", "claimed_at",
                       "created_at", "sent_at", "send_count")
    fields = readonly_fields
    raw_id_fields = ("application", "notice")

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    @admin.display(description="An")
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description="Fehler")
    def error_short(self, obj):
        return obj.last_error[:80]

    @admin.display(description="Message-ID der nächsten Zustellung")
    def message_id(self, obj):
        return mail_message_id(obj)

    @admin.display(description="Text")
    def text(self, obj):
        if obj.sensitive:
            return "(enthält einen einmaligen Link – nicht angezeigt; nach dem Versand gelöscht)"
        return obj.body_text

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing is edited by hand; "change" is the permission for the retry/resend actions.
        return request.user.has_perm("applications.change_outboundmail") and obj is None

    def _each(self, request, queryset, status, service, done_text, skipped_text):
        done, refused = 0, []
        for mail in queryset.filter(status=status):
            try:
                service(mail=mail, user=request.user)
                done += 1
            except ApplicationError as exc:
                refused.append(f"{mail.subject}: {exc}")
        skipped = queryset.exclude(status=status).count()
        self.message_user(request, f"{done} {done_text}" + (f" {skipped} {skipped_text}" if skipped else ""),
                          messages.SUCCESS if done else messages.WARNING)
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description="Erneut versuchen (fehlgeschlagene)", permissions=["change"])
    def retry_failed(self, request, queryset):
        self._each(request, queryset, MailStatus.FAILED, mail_retry, "E-Mail(s) werden erneut versendet.",
                   "nicht fehlgeschlagene übersprungen.")

    @admin.action(description="Erneut versenden (bereits versandte)", permissions=["change"])
    def resend_sent(self, request, queryset):
        self._each(request, queryset, MailStatus.SENT, mail_resend, "E-Mail(s) werden erneut versendet.",
                   "noch nicht versandte übersprungen.")
