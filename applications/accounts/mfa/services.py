"""Second factors: who needs one, enrolment, verification, removal and the superuser's reset after a lost device.

Every check of a code is django-otp's own (TOTPDevice: RFC 6238 with replay protection through `last_t` and
throttling after failures; StaticDevice: single-use codes deleted on use, under a row lock); passkeys are checked
by django-otp-webauthn (py_webauthn). This module decides the rules around them and writes the audit trail.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from applications.models import FactorAction, FactorEvent
from applications.workflow import HAUSHALT_GROUP, STAFF_GROUPS

# Session key: this person must pass a second factor (set at sign-in and when a factor is enrolled).
SESSION_REQUIRED_KEY = "wir_mfa_required"
# Session key: the TOTP device being set up (unconfirmed until the first correct code).
SESSION_TOTP_SETUP_KEY = "wir_mfa_totp_setup"
# Session key: backup codes just generated, shown exactly once.
SESSION_NEW_CODES_KEY = "wir_mfa_new_codes"

MINISTRY_GROUPS = frozenset({*STAFF_GROUPS.values(), HAUSHALT_GROUP})
BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator-App"
BACKUP_NAME = "Backup-Codes"

# Development only: the demo staff accounts share this TOTP secret (README „Demo-Zugänge“). `seed --demo` is refused
# in production and a device with this secret never verifies there (see _usable).
DEMO_TOTP_SECRET = "WIRDEMOSTAFFWIRDEMOSTAFFWIRDEMOS"
DEMO_TOTP_KEY = binascii.hexlify(base64.b32decode(DEMO_TOTP_SECRET)).decode()


class FactorError(Exception):
    """A rule about second factors was broken; the message is German and shown to the user."""


# --- Who needs a factor ---------------------------------------------------------------------------------------

def is_staff_account(user) -> bool:
    """Staff: admin access (is_staff/is_superuser) or a ministry group (applications/roles.py)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name__in=MINISTRY_GROUPS).exists()


def session_requirement_store(*, session, user) -> None:
    """At sign-in: staff always, everyone else once they have enrolled a factor."""
    session[SESSION_REQUIRED_KEY] = is_staff_account(user) or has_factor(user)


def factor_required(request) -> bool:
    """Cheap per request: admin access is read live from the user row; the rest was decided at sign-in."""
    user = request.user
    return bool(user.is_staff or user.is_superuser or request.session.get(SESSION_REQUIRED_KEY))


# --- What a person has ----------------------------------------------------------------------------------------

@dataclass
class Factors:
    passkeys: list = field(default_factory=list)
    totp: list = field(default_factory=list)
    backup: StaticDevice | None = None
    backup_left: int = 0

    @property
    def primary(self) -> list:
        return [*self.passkeys, *self.totp]

    @property
    def any(self) -> bool:
        return bool(self.primary)


def factors_of(user) -> Factors:
    factors = Factors(
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")),
        totp=list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")),
    )
    factors.backup = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if factors.backup is not None:
        factors.backup_left = factors.backup.token_set.count()
    return factors


def has_factor(user) -> bool:
    """A passkey or an authenticator app (backup codes alone are no factor: they only stand in for one)."""
    return (WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
            or TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def users_with_factor(user_ids) -> set[int]:
    """Of these users, those with a factor (two queries, whatever the number of users)."""
    ids = list(user_ids)
    found = set(WebAuthnCredential.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True))
    found |= set(TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True))
    return found


def _name(user) -> str:
    full = user.get_full_name()
    return f"{full} <{user.email}>" if full else user.email or user.get_username()


def _event(*, action, subject, actor=None, factor="", reason="") -> FactorEvent:
    return FactorEvent.objects.create(action=action, subject=subject, subject_name=_name(subject), actor=actor,
                                      actor_name=_name(actor) if actor is not None else "", factor=factor,
                                      reason=reason)


def describe(device) -> str:
    if isinstance(device, WebAuthnCredential):
        return f"Passkey „{device.name}“"
    if isinstance(device, TOTPDevice):
        return f"Authenticator-App „{device.name}“"
    if isinstance(device, StaticDevice):
        return BACKUP_NAME
    return str(device)


# --- Authenticator app (TOTP) ---------------------------------------------------------------------------------

def totp_setup_start(*, user) -> TOTPDevice:
    """A new, unconfirmed TOTP device with a fresh random key; earlier unfinished set-ups are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    count = TOTPDevice.objects.filter(user=user).count()
    name = TOTP_NAME if count == 0 else f"{TOTP_NAME} {count + 1}"
    return TOTPDevice.objects.create(user=user, name=name, confirmed=False)


def totp_setup_confirm(*, user, device_id: int, token: str) -> TOTPDevice:
    """Confirm the set-up with the first code the app shows. Raises FactorError for a wrong or used code."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        if device is None:
            raise FactorError("Die Einrichtung ist abgelaufen. Bitte beginnen Sie erneut.")
        if not device.verify_token(_digits(token)):
            raise FactorError(_wrong_code_message(device))
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _event(action=FactorAction.ENROLLED, subject=user, actor=user, factor=describe(device))
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as base32 in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as a QR code (SVG data URI: CSP allows img-src data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _digits(token: str) -> str:
    return "".join(ch for ch in (token or "") if not ch.isspace())


def _wrong_code_message(device) -> str:
    allowed, info = device.verify_is_allowed()
    if not allowed and info and info.get("locked_until"):
        seconds = max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)
        return f"Der Code ist falsch oder schon verwendet. Zu viele Versuche: bitte warten Sie {seconds} Sekunden."
    return "Der Code ist falsch oder schon verwendet. Bitte geben Sie den aktuellen Code ein."


# --- Verification at sign-in ----------------------------------------------------------------------------------

def _usable(device) -> bool:
    """The demo secret is public: a device with it never verifies in production."""
    return not (settings.PRODUCTION and isinstance(device, TOTPDevice) and device.key.lower() == DEMO_TOTP_KEY)


def verify_totp(*, user, token: str):
    """The TOTP device that accepts this code (each code once: django-otp keeps the last time step), or FactorError."""
    token = _digits(token)
    devices = [d for d in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk") if _usable(d)]
    if not devices:
        raise FactorError("Für Ihr Konto ist keine Authenticator-App eingerichtet.")
    for device in devices:
        verified = otp_verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    devices[0].refresh_from_db()
    raise FactorError(_wrong_code_message(devices[0]))


def verify_backup_code(*, user, code: str):
    """Use one backup code (deleted on use, under a row lock), or FactorError."""
    code = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise FactorError("Für Ihr Konto gibt es keine Backup-Codes.")
    verified = otp_verify_token(user, device.persistent_id, code) if code else None
    if verified is None:
        device.refresh_from_db()
        allowed, info = device.verify_is_allowed()
        if not allowed:
            raise FactorError("Zu viele Versuche. Bitte warten Sie einige Sekunden und versuchen Sie es erneut.")
        raise FactorError("Dieser Backup-Code ist ungültig oder wurde schon verwendet.")
    return verified


def session_verified(*, request, device) -> None:
    """Mark the session as having passed the second factor (new session key: no fixation across the step)."""
    from django_otp import login as otp_login

    request.session.cycle_key()
    otp_login(request, device)
    request.session[SESSION_REQUIRED_KEY] = True


# --- Backup codes ---------------------------------------------------------------------------------------------

def backup_codes_generate(*, user) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    if not has_factor(user):
        raise FactorError("Backup-Codes gibt es erst, wenn ein Passkey oder eine Authenticator-App eingerichtet ist.")
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": BACKUP_NAME, "confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        _event(action=FactorAction.BACKUP_CODES, subject=user, actor=user, factor=BACKUP_NAME)
    return codes


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


# --- Passkeys -------------------------------------------------------------------------------------------------

def passkey_enrolled(*, credential) -> None:
    _event(action=FactorAction.ENROLLED, subject=credential.user, actor=credential.user, factor=describe(credential))


# --- Removal and reset ----------------------------------------------------------------------------------------

def device_of(user, kind: str, pk: int):
    model = {"passkey": WebAuthnCredential, "totp": TOTPDevice}.get(kind)
    if model is None or not 0 < pk < 2**63:
        return None
    return model.objects.filter(user=user, pk=pk, confirmed=True).first()


def factor_remove(*, user, device, verified: bool) -> None:
    """The person removes one of their own factors — only in a session verified with a factor.

    Staff keep at least one passkey or app; when an applicant removes the last one, the backup codes go too."""
    if not verified:
        raise FactorError("Bitte bestätigen Sie sich zuerst mit Ihrem zweiten Faktor.")
    if device.user_id != user.pk:
        raise FactorError("Dieser Faktor gehört nicht zu Ihrem Konto.")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one removal at a time per person
        factors = factors_of(user)
        if is_staff_account(user) and len(factors.primary) <= 1:
            raise FactorError("Konten des Ministeriums brauchen immer einen zweiten Faktor. Richten Sie zuerst einen "
                              "weiteren Passkey oder eine Authenticator-App ein.")
        label = describe(device)
        device.delete()
        if len(factors.primary) <= 1 and factors.backup is not None:
            factors.backup.delete()
        _event(action=FactorAction.REMOVED, subject=user, actor=user, factor=label)


def factors_reset(*, target, actor, actor_verified: bool, reason: str) -> int:
    """Lost device: a superuser (verified with their own factor) removes all factors of ANOTHER person.

    The person then enrols anew at their next sign-in (staff are made to). Returns the number of factors removed."""
    if not (actor.is_active and actor.is_superuser):
        raise FactorError("Nur Superuser dürfen zweite Faktoren anderer Personen zurücksetzen.")
    if not actor_verified:
        raise FactorError("Bitte bestätigen Sie sich zuerst mit Ihrem eigenen zweiten Faktor.")
    if target.pk == actor.pk:
        raise FactorError("Ihre eigenen Faktoren können Sie hier nicht zurücksetzen. Verwalten Sie sie unter "
                          "„Anmeldung und Sicherheit“ oder bitten Sie einen anderen Superuser.")
    reason = (reason or "").strip()
    if not reason:
        raise FactorError("Bitte geben Sie eine Begründung an (z. B. „Smartphone verloren, Identität telefonisch "
                          "geprüft“).")
    with transaction.atomic():
        removed = 0
        for model in (WebAuthnCredential, TOTPDevice, StaticDevice):
            removed += model.objects.filter(user=target).count()
            model.objects.filter(user=target).delete()
        _event(action=FactorAction.RESET, subject=target, actor=actor, factor=f"{removed} Faktor(en)",
               reason=reason[:2000])
    return removed


# --- Demo (development only) ----------------------------------------------------------------------------------

def demo_factors_seed(*users) -> None:
    """Give the demo staff accounts the documented demo TOTP secret. Refused in production."""
    if settings.PRODUCTION:
        raise FactorError("Demo-Faktoren sind im Produktivbetrieb nicht erlaubt.")
    for user in users:
        if TOTPDevice.objects.filter(user=user, key=DEMO_TOTP_KEY).exists():
            continue
        TOTPDevice.objects.create(user=user, name="Demo-Authenticator", key=DEMO_TOTP_KEY, confirmed=True)
        _event(action=FactorAction.DEMO, subject=user, factor="Authenticator-App „Demo-Authenticator“",
               reason="seed --demo (nur Entwicklung)")


def demo_totp_code() -> str:
    """The demo secret's current code (what an authenticator app would show)."""
    from django_otp.oath import totp

    return f"{totp(binascii.unhexlify(DEMO_TOTP_KEY)):06d}"


def session_device_id(session) -> str | None:
    return session.get(DEVICE_ID_SESSION_KEY)
