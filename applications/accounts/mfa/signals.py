"""At sign-in, remember in the session whether this person must pass a second factor (see middleware)."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_otp_webauthn.models import WebAuthnCredential

from . import services


@receiver(user_logged_in, dispatch_uid="mfa_remember_requirement")
def _remember_requirement(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.session_requirement_store(session=request.session, user=user)


@receiver(post_save, sender=WebAuthnCredential, dispatch_uid="mfa_passkey_enrolled")
def _passkey_enrolled(sender, instance, created, **kwargs):
    """Passkeys are saved by django-otp-webauthn's own registration view: record them in our audit trail."""
    if created and instance.confirmed:
        services.passkey_enrolled(credential=instance)
