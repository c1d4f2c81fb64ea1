"""Second factors in the admin: who has one (user list), the superuser's reset after a lost device (with reason,
audited), and the read-only audit trail. django-otp's own device admins are removed: they would show the TOTP
secrets and delete factors without an audit entry."""

from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from applications.accounts.admin import WirUserAdmin
from applications.models import FactorEvent

from . import services
from .forms import ResetForm

User = get_user_model()

# Import django-otp's admin modules first (autodiscovery reaches them after ours), then take their models out.
import django_otp.plugins.otp_static.admin  # noqa: E402, F401
import django_otp.plugins.otp_totp.admin  # noqa: E402, F401

for _model in (TOTPDevice, StaticDevice):
    try:
        admin.site.unregister(_model)
    except NotRegistered:
        pass


class SecondFactorUserAdmin(WirUserAdmin):
    """The user admin: deletion rules of accounts/admin.py plus the second factor."""

    list_display = (*UserAdmin.list_display, "second_factor")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _has_passkey=Exists(WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)),
            _has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        )

    @admin.display(description="Zweiter Faktor", boolean=True)
    def second_factor(self, obj):
        return bool(getattr(obj, "_has_passkey", False) or getattr(obj, "_has_totp", False))

    def get_urls(self):
        own = [path("<path:object_id>/zweiter-faktor-zuruecksetzen/", self.admin_site.admin_view(self.reset_view),
                    name="auth_user_mfa_reset")]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "mfa_can_reset": request.user.is_superuser}
        return super().change_view(request, object_id, form_url, extra_context)

    def reset_view(self, request, object_id):
        if not request.user.is_superuser:
            raise PermissionDenied
        if not str(object_id).isdigit() or int(object_id) >= 2**63:
            raise Http404
        target = User.objects.filter(pk=int(object_id)).first()
        if target is None:
            raise Http404
        form = ResetForm(request.POST or None)
        change_url = reverse("admin:auth_user_change", args=[target.pk])
        if request.method == "POST" and form.is_valid():
            try:
                removed = services.factors_reset(target=target, actor=request.user,
                                                 actor_verified=request.user.is_verified(),
                                                 reason=form.cleaned_data["reason"])
            except services.FactorError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Die zweiten Faktoren von {target.email} sind zurückgesetzt ({removed} "
                                          "entfernt). Bei der nächsten Anmeldung richtet die Person neue ein.")
                return redirect(change_url)
        factors = services.factors_of(target)
        return TemplateResponse(request, "admin/mfa/reset.html", {
            **self.admin_site.each_context(request), "title": "Zweite Faktoren zurücksetzen", "target": target,
            "factors": factors, "form": form, "is_self": target.pk == request.user.pk, "opts": self.model._meta,
            "change_url": change_url,
        })


try:
    admin.site.unregister(User)
except NotRegistered:
    pass
admin.site.register(User, SecondFactorUserAdmin)


@admin.register(FactorEvent)
class FactorEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "subject_name", "factor", "actor_name")
    list_filter = ("action",)
    search_fields = ("subject_name", "actor_name")
    readonly_fields = [f.name for f in FactorEvent._meta.fields]
    list_select_related = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
