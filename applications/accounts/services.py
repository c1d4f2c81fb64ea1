"""Accounts and organisations: self-registration with e-mail confirmation, invitations, roles, members,
verification of organisations by staff, and switching the organisation a user works for.

Views, forms and admin actions call these; none of them re-implements a rule. Errors are raised as
AccountError with a German message meant for the user.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications.models import Invitation, Membership, Organisation, OrganisationAction, OrganisationEvent, Role
from applications.selectors import membership_for
from funding.models import District, OrganisationKind
from wir_portal import ratelimit
from wir_portal.mail import MailBuildError, send_templated, subject_text

log = logging.getLogger(__name__)

REGISTRATION_SALT = "wir.registration.confirm"
SESSION_ORGANISATION_KEY = "wir_organisation_id"

# The 33 Landkreise and cities and the other municipalities receive their accounts by invitation;
# Träger and migrant organisations register themselves.
SELF_REGISTRATION_KINDS = (
    OrganisationKind.KOMMUNALER_TRAEGER,
    OrganisationKind.KIRCHLICHER_TRAEGER,
    OrganisationKind.FREIER_TRAEGER,
    OrganisationKind.MIGRANTENORGANISATION,
)


class AccountError(Exception):
    """A rule about accounts or organisations refused the request. The message is German."""


class EmailInUse(AccountError):
    """Registration with an address that has an account (never shown to the registering person)."""


# User-triggered mails are rate-limited (wir_portal.ratelimit): per day for invitations, per hour for registration
# confirmations (per address and per client address).
INVITATION_LIMITS = {"user": 20, "organisation": 50}
INVITATION_WINDOW = 24 * 3600
REGISTRATION_LIMITS = {"email": 3, "ip": 10}
REGISTRATION_WINDOW = 3600


def registration_confirm_days() -> int:
    return int(getattr(settings, "WIR_REGISTRATION_CONFIRM_DAYS", 3))


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def email_in_use(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


# --- Self-registration ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonData:
    first_name: str
    last_name: str
    email: str
    password: str


def registration_token_make(*, user) -> str:
    """A signed, timestamped token naming the user; it is checked for age on confirmation."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=REGISTRATION_SALT, compress=True)


def organisation_event_record(*, organisation: Organisation, action: str, user, subject: str = "",
                              from_role: str = "", to_role: str = "") -> OrganisationEvent:
    """One entry of the organisation's audit trail (call inside the transaction of the change)."""
    from applications.audit import actor_name

    return OrganisationEvent.objects.create(
        organisation=organisation, action=action, actor=user if user and user.pk else None,
        actor_name=actor_name(user), subject=subject, from_role=from_role, to_role=to_role,
    )


def person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def registration_create(*, person: PersonData, organisation: dict) -> Organisation:
    """Create an inactive user, an unverified organisation and the user's admin membership, and send the
    confirmation link once the transaction has committed."""
    kind = organisation.get("kind")
    if kind not in SELF_REGISTRATION_KINDS:
        raise AccountError(
            "Landkreise, Städte und Gemeinden registrieren sich nicht selbst: sie erhalten ihre Zugänge per "
            "Einladung des Ministeriums."
        )
    email = person.email.strip().lower()
    if email_in_use(email):
        raise EmailInUse("Für diese E-Mail-Adresse besteht bereits ein Konto. Bitte melden Sie sich an.")
    district: District | None = organisation.get("district")
    user_model = get_user_model()
    with transaction.atomic():
        try:
            user = user_model(username=email, email=email, first_name=person.first_name.strip(),
                              last_name=person.last_name.strip(), is_active=False)
            user.set_password(person.password)
            user.save()
        except IntegrityError as exc:  # two registrations with the same address at the same moment
            raise EmailInUse("Für diese E-Mail-Adresse besteht bereits ein Konto. Bitte melden Sie sich an.") from exc
        org = Organisation(
            name=organisation["name"].strip(), kind=kind, district=district,
            regierungsbezirk=district.regierungsbezirk if district else organisation.get("regierungsbezirk", ""),
            street=organisation.get("street", ""), postcode=organisation.get("postcode", ""),
            city=organisation.get("city", ""), email=organisation["email"], phone=organisation.get("phone", ""),
            iban=(organisation.get("iban") or "").replace(" ", "").upper(),
            account_holder=organisation.get("account_holder", ""), non_profit=bool(organisation.get("non_profit")),
            register_number=organisation.get("register_number", ""), verified_at=None,
        )
        org.full_clean()
        org.save()
        Membership.objects.create(user=user, organisation=org, role=Role.ADMIN)
        organisation_event_record(organisation=org, action=OrganisationAction.REGISTERED, user=user,
                                  subject=person_label(user), to_role=Role.ADMIN)
        registration_mail_send(user=user, organisation=org)  # into the outbox, in this transaction
    log.info("registration: user %s registered organisation %s", user.pk, org.pk)
    return org


def registration_mail_send(*, user, organisation: Organisation | None = None) -> None:
    token = registration_token_make(user=user)
    send_templated(
        sensitive=True, to=[user.email],
        subject="WIR-Portal: Bitte bestätigen Sie Ihre E-Mail-Adresse",
        template="registration_confirm",
        context={"user": user, "organisation": organisation, "days": registration_confirm_days(),
                 "link": _absolute(reverse("portal:register-confirm", kwargs={"token": token}))},
    )


def registration_mail_allowed(*, email: str, ip: str) -> bool:
    return ratelimit.allow("registration", {"email": (email.strip().lower(), REGISTRATION_LIMITS["email"]),
                                            "ip": (ip, REGISTRATION_LIMITS["ip"])}, window=REGISTRATION_WINDOW)


def registration_request(*, person: PersonData, organisation: dict, ip: str = "") -> Organisation | None:
    """The registration form's one answer, whether or not the address has an account (issue 16): a new address
    registers (confirmation link by mail); a known one gets a mail telling its owner instead (an unconfirmed
    account: a new confirmation link). Beyond the rate limit per address and per client address nothing is
    sent — the page says the same. Raises AccountError only for what does not depend on the address (kind)."""
    if organisation.get("kind") not in SELF_REGISTRATION_KINDS:
        return registration_create(person=person, organisation=organisation)  # raises the kind message
    email = person.email.strip().lower()
    if not registration_mail_allowed(email=email, ip=ip):
        get_user_model()().set_password(person.password)  # same time cost as a registration
        return None
    try:
        return registration_create(person=person, organisation=organisation)
    except EmailInUse:
        get_user_model()().set_password(person.password)
        existing = get_user_model().objects.filter(email__iexact=email).order_by("id").first()
        if existing is not None:
            transaction.on_commit(lambda: registration_exists_mail_send(user=existing))
        return None


def registration_exists_mail_send(*, user) -> None:
    """Tell the owner of an address that someone tried to register it (an unconfirmed account: a new link)."""
    if not user.is_active and user.last_login is None:
        organisation = Organisation.objects.filter(memberships__user=user).first()
        registration_mail_send(user=user, organisation=organisation)
        return
    send_templated(
        to=[user.email], subject="WIR-Portal: Registrierung mit Ihrer E-Mail-Adresse",
        template="registration_exists",
        context={"user": user, "login": _absolute(reverse("login")),
                 "reset": _absolute(reverse("password_reset"))},
    )


def registration_resend(*, email: str, ip: str = "") -> bool:
    """Send a new confirmation link to an account that is not confirmed yet. Says nothing about other
    addresses (the view shows the same message either way)."""
    if not registration_mail_allowed(email=email, ip=ip):
        return False
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=False, last_login__isnull=True).first()
    if user is None:
        return False
    organisation = Organisation.objects.filter(memberships__user=user).first()
    registration_mail_send(user=user, organisation=organisation)
    return True


def registration_confirm(*, token: str):
    """Activate the account named by a confirmation token. Refuses tampered and expired tokens; confirming
    twice is harmless. Returns the user."""
    try:
        data = signing.loads(token, salt=REGISTRATION_SALT, max_age=timedelta(days=registration_confirm_days()))
    except signing.SignatureExpired as exc:
        raise AccountError(
            "Der Bestätigungslink ist abgelaufen. Bitte fordern Sie unten einen neuen Link an."
        ) from exc
    except signing.BadSignature as exc:
        raise AccountError("Der Bestätigungslink ist ungültig. Bitte kopieren Sie ihn vollständig aus der E-Mail.") from exc
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    if user is None or user.email.lower() != data.get("e"):
        raise AccountError("Der Bestätigungslink ist ungültig. Bitte kopieren Sie ihn vollständig aus der E-Mail.")
    if not user.is_active:
        if user.last_login is not None:  # deactivated by staff after having used the portal: never reactivate
            raise AccountError("Dieses Konto ist gesperrt. Bitte wenden Sie sich an das Ministerium.")
        user.is_active = True
        user.save(update_fields=["is_active"])
        log.info("registration: user %s confirmed the e-mail address", user.pk)
    return user


# --- Verification by staff ------------------------------------------------------------------------------------

def organisation_verify(*, organisation: Organisation, user) -> Organisation:
    """Ministry staff confirm an organisation's data; from then on it may submit applications."""
    if not (user and user.is_active and user.is_staff):
        raise AccountError("Nur Mitarbeitende des Ministeriums können Organisationen prüfen.")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.verified_at is not None:
            return org
        org.verified_at = timezone.now()
        org.verified_by = user
        org.save(update_fields=["verified_at", "verified_by"])
        organisation_event_record(organisation=org, action=OrganisationAction.VERIFIED, user=user)
        send_templated(
            to=[org.email], subject="WIR-Portal: Ihre Organisation ist freigeschaltet",
            template="organisation_verified",
            context={"organisation": org, "link": _absolute(reverse("portal:dashboard"))},
        )
    organisation.verified_at, organisation.verified_by = org.verified_at, org.verified_by
    log.info("organisation %s verified by user %s", org.pk, user.pk)
    return org


verify_organisation = organisation_verify  # the name the admin action uses


# --- Invitations ----------------------------------------------------------------------------------------------

def _require_admin(*, organisation: Organisation, user) -> Membership:
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None or not membership.can_manage:
        raise AccountError("Nur die Administration der Organisation darf Mitglieder verwalten.")
    return membership


def invitation_create(*, organisation: Organisation, email: str, role: str, user) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and the plain token (only its hash is stored). A new
    invitation to the same address replaces the open one."""
    _require_admin(organisation=organisation, user=user)
    email = email.strip().lower()
    if role not in Role.values:
        raise AccountError("Bitte wählen Sie eine gültige Rolle.")
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise AccountError("Diese Person ist bereits Mitglied Ihrer Organisation.")
    if not organisation.is_verified:
        raise AccountError("Einladungen sind möglich, sobald das Ministerium Ihre Organisation geprüft hat. Bis dahin "
                           "können Sie Anträge vorbereiten.")
    if not ratelimit.allow("invitation", {"user": (user.pk, INVITATION_LIMITS["user"]),
                                          "organisation": (organisation.pk, INVITATION_LIMITS["organisation"])},
                           window=INVITATION_WINDOW):
        raise AccountError("Für heute wurden bereits sehr viele Einladungen versandt. Bitte versuchen Sie es morgen "
                           "erneut oder wenden Sie sich an das Regierungspräsidium.")
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        Invitation.objects.filter(organisation=organisation, email__iexact=email, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(
            organisation=organisation, email=email, role=role, token_hash=token_hash, invited_by=user,
            expires_at=timezone.now() + timedelta(days=settings.WIR_INVITATION_DAYS),
        )
        organisation_event_record(organisation=organisation, action=OrganisationAction.INVITED, user=user,
                                  subject=email, to_role=role)
        link = _absolute(reverse("portal:invitation-accept", kwargs={"token": token}))
        # The mail is checked and queued in this transaction: a mail that cannot be built is an error here
        # (nothing saved), never "versandt"; a mail server that is down only delays it (outbox).
        try:
            send_templated(
                sensitive=True, to=[email],
                subject=f"WIR-Portal: Einladung in die Organisation {subject_text(organisation.name)}",
                template="invitation",
                context={"invitation": invitation, "organisation": organisation, "link": link,
                         "inviter": user.get_full_name() or user.email, "role": invitation.get_role_display()},
            )
        except MailBuildError as exc:
            log.warning("invitation mail for organisation %s cannot be built: %s", organisation.pk, exc)
            raise AccountError("Die Einladungs-E-Mail konnte nicht erstellt werden; die Einladung wurde nicht "
                               "versandt. Bitte prüfen Sie die Adresse.") from exc
    log.info("invitation %s to organisation %s created by user %s", invitation.pk, organisation.pk, user.pk)
    return invitation, token


def invitation_revoke(*, invitation: Invitation, user) -> None:
    _require_admin(organisation=invitation.organisation, user=user)
    if invitation.accepted_at is not None:
        raise AccountError("Diese Einladung wurde bereits angenommen.")
    with transaction.atomic():
        organisation_event_record(organisation=invitation.organisation, action=OrganisationAction.INVITATION_REVOKED,
                                  user=user, subject=invitation.email, from_role=invitation.role)
        invitation.delete()


def invitation_check(*, token: str) -> Invitation:
    """The usable invitation for this token, or AccountError (unknown, used or expired)."""
    invitation = Invitation.find(token)
    if invitation is None:
        raise AccountError("Dieser Einladungslink ist ungültig. Bitte kopieren Sie ihn vollständig aus der E-Mail.")
    if invitation.accepted_at is not None:
        raise AccountError("Diese Einladung wurde bereits angenommen. Bitte melden Sie sich an.")
    if invitation.expires_at <= timezone.now():
        raise AccountError(
            "Diese Einladung ist abgelaufen. Bitte bitten Sie die Administration Ihrer Organisation um eine neue."
        )
    return invitation


def invitation_accept(*, token: str, user=None, person: PersonData | None = None) -> Membership:
    """Accept an invitation: as the logged-in user whose e-mail it was sent to, or by creating a new account
    (active at once: the link proves the address). Single use, even for two clicks at the same moment."""
    with transaction.atomic():
        invitation = invitation_check(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise AccountError("Diese Einladung wurde bereits angenommen. Bitte melden Sie sich an.")
        if user is not None and user.is_authenticated:
            if user.email.lower() != invitation.email.lower():
                raise AccountError(
                    f"Diese Einladung gilt für {invitation.email}. Sie sind als {user.email} angemeldet – bitte "
                    "melden Sie sich ab und öffnen Sie den Link erneut."
                )
        else:
            if person is None:
                raise AccountError("Bitte geben Sie Ihren Namen und ein Passwort an.")
            if email_in_use(invitation.email):
                raise AccountError("Für diese E-Mail-Adresse besteht bereits ein Konto. Bitte melden Sie sich an.")
            user = get_user_model()(username=invitation.email, email=invitation.email, is_active=True,
                                    first_name=person.first_name.strip(), last_name=person.last_name.strip())
            user.set_password(person.password)
            user.save()
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        if created:
            organisation_event_record(organisation=invitation.organisation, action=OrganisationAction.JOINED,
                                      user=user, subject=person_label(user), to_role=membership.role)
    log.info("invitation %s accepted by user %s", invitation.pk, user.pk)
    return membership


# --- Members and roles ----------------------------------------------------------------------------------------

SIGNING_ROLES = (Role.SIGNATORY, Role.ADMIN)  # who may submit (Membership.can_submit)


def membership_loss_problems(*, organisation_ids, removed: set[int] = frozenset(),
                             roles: dict[int, str] | None = None, added=(), lock: bool = False) -> list[str]:
    """Why a change would leave an organisation without an administration or without anyone who may sign.

    `removed` are membership ids that go (removal, deletion of the person's account), `roles` new roles by
    membership id, `added` the roles of memberships created in the same change (one organisation only). An organisation that had an admin keeps one; one that had someone who may sign keeps one.
    With `lock`, the organisations' memberships are locked first (call inside a transaction), so two concurrent
    removals cannot each leave the other as "the last one". Returns German messages, empty when all is well."""
    roles = roles or {}
    memberships = Membership.objects.filter(organisation_id__in=set(organisation_ids)).select_related(
        "organisation", "user").order_by("organisation_id", "pk")
    if lock:
        memberships = memberships.select_for_update(of=("self",))
    by_org: dict[int, list[Membership]] = {}
    for m in memberships:
        by_org.setdefault(m.organisation_id, []).append(m)
    problems = []
    for members in by_org.values():
        org = members[0].organisation
        before = [m.role for m in members]
        after = [roles.get(m.pk, m.role) for m in members if m.pk not in removed] + list(added)
        leaving = ", ".join(person_label(m.user) for m in members
                            if m.pk in removed or roles.get(m.pk, m.role) != m.role)
        if Role.ADMIN in before and Role.ADMIN not in after:
            problems.append(
                f"„{org.name}“ braucht mindestens eine Organisations-Administration – {leaving} ist die letzte. "
                "Ernennen Sie zuerst eine andere Person zur Administration."
            )
        elif any(r in SIGNING_ROLES for r in before) and not any(r in SIGNING_ROLES for r in after):
            problems.append(
                f"„{org.name}“ braucht mindestens eine zeichnungsberechtigte Person – {leaving} ist die letzte. "
                "Ernennen Sie zuerst eine andere Person, die Anträge einreichen darf."
            )
    return problems


def user_delete_problems(*, users) -> list[str]:
    """Why deleting these user accounts would leave an organisation without admin or signatory."""
    ids = [u.pk for u in users]
    memberships = list(Membership.objects.filter(user_id__in=ids).values_list("pk", "organisation_id"))
    return membership_loss_problems(organisation_ids={org for _, org in memberships},
                                    removed={pk for pk, _ in memberships})


def user_delete(*, users, user) -> int:
    """Delete user accounts (staff, in the admin): refused if an organisation would lose its last admin or last
    signatory; every membership that goes is an audit entry of its organisation (names are copied, the entries
    survive). Returns the number of accounts deleted."""
    users = list(users)
    with transaction.atomic():
        memberships = list(Membership.objects.filter(user__in=users).select_related("organisation", "user"))
        problems = membership_loss_problems(organisation_ids={m.organisation_id for m in memberships},
                                            removed={m.pk for m in memberships}, lock=True)
        if problems:
            raise AccountError(" ".join(problems))
        for m in memberships:
            organisation_event_record(organisation=m.organisation, action=OrganisationAction.USER_DELETED,
                                      user=user, subject=person_label(m.user), from_role=m.role)
        for account in users:
            log.info("user %s deleted by user %s", account.pk, getattr(user, "pk", None))
            account.delete()
    return len(users)


def _other_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.ADMIN)
        .exclude(pk=membership.pk).exists()
    )


def membership_role_change(*, membership: Membership, role: str, user) -> Membership:
    """Change a member's role. The organisation always keeps at least one admin."""
    if role not in Role.values:
        raise AccountError("Bitte wählen Sie eine gültige Rolle.")
    with transaction.atomic():
        # Lock the organisation's admin rows so two admins demoting each other cannot leave none.
        list(Membership.objects.select_for_update().filter(organisation_id=membership.organisation_id, role=Role.ADMIN))
        _require_admin(organisation=membership.organisation, user=user)
        membership.refresh_from_db()
        if membership.role == Role.ADMIN and role != Role.ADMIN and not _other_admins(membership):
            raise AccountError(
                "Die Organisation braucht mindestens eine Administration. Ernennen Sie zuerst eine andere Person."
            )
        problems = membership_loss_problems(organisation_ids=[membership.organisation_id],
                                            roles={membership.pk: role}, lock=True)
        if problems:
            raise AccountError(" ".join(problems))
        if membership.role != role:
            organisation_event_record(organisation=membership.organisation, action=OrganisationAction.ROLE_CHANGED,
                                      user=user, subject=person_label(membership.user), from_role=membership.role,
                                      to_role=role)
        membership.role = role
        membership.save(update_fields=["role"])
    log.info("membership %s role set to %s by user %s", membership.pk, role, user.pk)
    return membership


def membership_remove(*, membership: Membership, user) -> None:
    """Remove a member from the organisation (never the last admin). The user account stays."""
    with transaction.atomic():
        list(Membership.objects.select_for_update().filter(organisation_id=membership.organisation_id, role=Role.ADMIN))
        _require_admin(organisation=membership.organisation, user=user)
        membership.refresh_from_db()
        if membership.role == Role.ADMIN and not _other_admins(membership):
            raise AccountError(
                "Die letzte Administration kann nicht entfernt werden. Ernennen Sie zuerst eine andere Person."
            )
        problems = membership_loss_problems(organisation_ids=[membership.organisation_id], removed={membership.pk},
                                            lock=True)
        if problems:
            raise AccountError(" ".join(problems))
        organisation_event_record(organisation=membership.organisation, action=OrganisationAction.REMOVED,
                                  user=user, subject=person_label(membership.user), from_role=membership.role)
        membership.delete()
    log.info("membership of user %s in organisation %s removed by user %s",
             membership.user_id, membership.organisation_id, user.pk)


# --- Switching organisations ----------------------------------------------------------------------------------

def organisation_switch(*, session, user, organisation_id: int) -> Organisation:
    """Remember in the session which organisation the user works for; 404 for organisations not theirs."""
    membership = membership_for(user, organisation_id)
    session[SESSION_ORGANISATION_KEY] = membership.organisation_id
    return membership.organisation


# --- Password reset throttling ----------------------------------------------------------------------------------

PASSWORD_RESET_LIMITS = {"email": 3, "ip": 20}  # requests per hour
PASSWORD_RESET_WINDOW = 3600


def password_reset_allowed(*, email: str, ip: str) -> bool:
    """Count a password-reset request and say whether it may send mail: at most 3 per address and 20 per IP
    address and hour, so the form cannot be used to flood someone's mailbox. Counted in the cache."""
    from django.core.cache import cache

    allowed = True
    for kind, value in (("email", email.strip().lower()), ("ip", ip or "unknown")):
        key = f"wir:pwreset:{kind}:{signing.Signer(salt='wir.pwreset').signature(value)}"
        cache.add(key, 0, PASSWORD_RESET_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, PASSWORD_RESET_WINDOW)
            count = 1
        if count > PASSWORD_RESET_LIMITS[kind]:
            allowed = False
    if not allowed:
        log.warning("password reset throttled for ip %s", ip)
    return allowed
