"""Pages of the second factor: overview and enrolment ("Anmeldung und Sicherheit"), verification at sign-in,
authenticator-app set-up, backup codes, removal. Thin: the rules live in services."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn.views import CompleteCredentialAuthenticationView

from . import services
from .forms import BackupCodeForm, TotpCodeForm


def _next_url(request, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    if default:
        return default
    return reverse("admin:index") if request.user.is_staff else resolve_url(settings.LOGIN_REDIRECT_URL)


def _verified(request) -> bool:
    return request.user.is_verified()


def _must_verify_first(request):
    """Someone with a factor who has not used it in this session: to the verify page first."""
    if not _verified(request) and services.has_factor(request.user):
        return redirect(f"{reverse('mfa:verify')}?{urlencode({'next': request.get_full_path()})}")
    return None


@never_cache
@login_required
def overview(request):
    """The account's second factors; for staff without any, the enrolment that has to happen now."""
    if (response := _must_verify_first(request)) is not None:
        return response
    factors = services.factors_of(request.user)
    staff = services.is_staff_account(request.user)
    return render(request, "mfa/overview.html", {
        "factors": factors, "staff": staff, "must_enrol": staff and not factors.any,
        "next": _next_url(request, default=""), "verified": _verified(request),
    })


@never_cache
@login_required
def verify(request):
    """Second step of the sign-in: passkey, authenticator app or backup code."""
    user = request.user
    factors = services.factors_of(user)
    if not factors.any:
        return redirect(f"{reverse('mfa:overview')}?{urlencode({'next': _next_url(request)})}")
    if _verified(request):
        return redirect(_next_url(request))
    totp_form = TotpCodeForm(request.POST if request.POST.get("method") == "totp" else None)
    backup_form = BackupCodeForm(request.POST if request.POST.get("method") == "backup" else None)
    if request.method == "POST":
        method = request.POST.get("method")
        form, field = (totp_form, "code") if method == "totp" else (backup_form, "backup_code")
        if method in ("totp", "backup") and form.is_valid():
            try:
                if method == "totp":
                    device = services.verify_totp(user=user, token=form.cleaned_data["code"])
                else:
                    device = services.verify_backup_code(user=user, code=form.cleaned_data["backup_code"])
            except services.FactorError as exc:
                form.add_error(field, str(exc))
            else:
                services.session_verified(request=request, device=device)
                if method == "backup":
                    left = services.factors_of(user).backup_left
                    messages.warning(request, f"Sie haben sich mit einem Backup-Code angemeldet. Es bleiben {left} "
                                              "Codes. Erzeugen Sie unter „Anmeldung und Sicherheit“ neue, wenn sie "
                                              "zur Neige gehen.")
                return redirect(_next_url(request))
    return render(request, "mfa/verify.html", {
        "factors": factors, "totp_form": totp_form, "backup_form": backup_form,
        "show_backup": request.POST.get("method") == "backup", "next": _next_url(request),
    })


@never_cache
@login_required
def totp_setup(request):
    """Set up an authenticator app: QR code and secret, confirmed with the first code the app shows."""
    if (response := _must_verify_first(request)) is not None:
        return response
    user = request.user
    device_id = request.session.get(services.SESSION_TOTP_SETUP_KEY)
    device = None
    if device_id is not None:
        device = services.TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None or (request.method == "GET" and request.GET.get("neu")):
        device = services.totp_setup_start(user=user)
        request.session[services.SESSION_TOTP_SETUP_KEY] = device.pk
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        first = not services.has_factor(user)
        try:
            device = services.totp_setup_confirm(user=user, device_id=device.pk, token=form.cleaned_data["code"])
        except services.FactorError as exc:
            form.add_error("code", str(exc))
        else:
            request.session.pop(services.SESSION_TOTP_SETUP_KEY, None)
            return _enrolled(request, device, first=first)
    return render(request, "mfa/totp_setup.html", {
        "device": device, "form": form, "secret": services.totp_secret(device),
        "qr": services.totp_qr_data_uri(device), "next": _next_url(request, default=""),
    })


def _enrolled(request, device, *, first: bool):
    """After the first factor: the session counts as verified and the backup codes are shown once."""
    if not _verified(request):
        services.session_verified(request=request, device=device)
    messages.success(request, f"{services.describe(device)} ist eingerichtet.")
    if first or services.factors_of(request.user).backup is None:
        request.session[services.SESSION_NEW_CODES_KEY] = services.backup_codes_generate(user=request.user)
        return redirect(f"{reverse('mfa:backup-codes')}?{urlencode({'next': _next_url(request, default='')})}")
    return redirect(_next_url(request, default=reverse("mfa:overview")))


@never_cache
@login_required
def passkey_registered(request):
    """django-otp-webauthn's script lands here after a passkey was saved (see static/js/mfa.js)."""
    factors = services.factors_of(request.user)
    if not factors.passkeys or not _verified(request):
        return redirect("mfa:overview")
    newest = factors.passkeys[-1]
    return _enrolled(request, newest, first=len(factors.primary) == 1 and factors.backup is None)


@never_cache
@login_required
def backup_codes(request):
    """Show new backup codes once (right after they were made); POST makes a new set."""
    if (response := _must_verify_first(request)) is not None:
        return response
    if request.method == "POST":
        try:
            request.session[services.SESSION_NEW_CODES_KEY] = services.backup_codes_generate(user=request.user)
        except services.FactorError as exc:
            messages.error(request, str(exc))
            return redirect("mfa:overview")
        return redirect("mfa:backup-codes")
    codes = request.session.pop(services.SESSION_NEW_CODES_KEY, None)
    return render(request, "mfa/backup_codes.html", {
        "codes": [services.format_code(c) for c in codes] if codes else None,
        "left": services.factors_of(request.user).backup_left,
        "next": _next_url(request, default=""),
    })


@never_cache
@login_required
def remove(request, kind: str, pk: int):
    if (response := _must_verify_first(request)) is not None:
        return response
    device = services.device_of(request.user, kind, pk)
    if device is None:
        raise Http404
    if request.method == "POST":
        in_use = services.session_device_id(request.session) == device.persistent_id
        try:
            services.factor_remove(user=request.user, device=device, verified=_verified(request))
        except services.FactorError as exc:
            messages.error(request, str(exc))
            return redirect("mfa:overview")
        remaining = services.factors_of(request.user).primary
        if in_use and remaining:
            # The person proved a factor in this session; keep it verified under one that still exists.
            otp_login(request, remaining[0])
        messages.success(request, f"{services.describe(device)} wurde entfernt.")
        return redirect("mfa:overview")
    return render(request, "mfa/remove.html", {"device": device, "label": services.describe(device)})



class PasskeyVerifyView(CompleteCredentialAuthenticationView):
    """The passkey as the second step only (never a sign-in by itself); the session gets a new key once verified."""

    def complete_auth(self, device):
        if not self.request.user.is_authenticated:
            raise webauthn_errors.PasswordlessLoginDisabled()
        services.session_verified(request=self.request, device=device)
