"""Accounts and organisations in the applicant portal: registration, e-mail confirmation, invitations,
members and roles, and the organisation switcher. Thin: the rules live in services_accounts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from applications.accounts import services as accounts
from applications.accounts.forms import (
    InvitationAcceptForm,
    InvitationForm,
    OutboxPasswordResetForm,
    RegistrationForm,
    ResendConfirmationForm,
    RoleForm,
)
from applications.models import Invitation, Membership, OrganisationEvent, Role
from applications.selectors import membership_for
from wir_portal.clientip import client_ip


def _admin_membership(request, org_id: int) -> Membership:
    """The user's membership in this organisation: 404 for outsiders, 403 for members who are not admins."""
    membership = membership_for(request.user, org_id)
    if not membership.can_manage:
        raise PermissionDenied("Nur die Administration der Organisation darf Mitglieder verwalten.")
    return membership


# --- Registration ----------------------------------------------------------------------------------------------

def register(request):
    if request.user.is_authenticated:
        messages.info(request, "Sie sind bereits angemeldet.")
        return redirect("portal:dashboard")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # the same answer for a known and an unknown address (the owner of a known one gets a mail instead)
            accounts.registration_request(person=form.person(), organisation=form.organisation_data(),
                                          ip=request_ip(request))
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            request.session["wir_registered_email"] = form.cleaned_data["email"]
            return redirect("portal:register-done")
    return render(request, "portal/accounts/register.html", {"form": form})


def register_done(request):
    return render(request, "portal/accounts/register_done.html", {
        "email": request.session.get("wir_registered_email", ""), "days": accounts.registration_confirm_days(),
    })


def register_confirm(request, token: str):
    try:
        user = accounts.registration_confirm(token=token)
    except accounts.AccountError as exc:
        return render(request, "portal/accounts/register_confirm.html",
                      {"error": str(exc), "form": ResendConfirmationForm()}, status=400)
    return render(request, "portal/accounts/register_confirm.html", {"confirmed_user": user})


def register_resend(request):
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.registration_resend(email=form.cleaned_data["email"], ip=request_ip(request))
        messages.success(request, "Falls zu dieser Adresse ein unbestätigtes Konto besteht, haben wir einen neuen "
                                  "Bestätigungslink gesendet.")
        return redirect("login")
    return render(request, "portal/accounts/register_resend.html", {"form": form})


# --- Invitations -----------------------------------------------------------------------------------------------

def invitation_accept(request, token: str):
    try:
        invitation = accounts.invitation_check(token=token)
    except accounts.AccountError as exc:
        return render(request, "portal/accounts/invitation_invalid.html", {"error": str(exc)}, status=404)

    user = request.user
    existing_account = not user.is_authenticated and accounts.email_in_use(invitation.email)
    wrong_user = user.is_authenticated and user.email.lower() != invitation.email.lower()
    form = None
    if not user.is_authenticated and not existing_account:
        form = InvitationAcceptForm(request.POST or None, email=invitation.email)

    if request.method == "POST" and not existing_account and not wrong_user:
        if form is None or form.is_valid():
            try:
                membership = accounts.invitation_accept(token=token, user=user,
                                                        person=form.person() if form is not None else None)
            except accounts.AccountError as exc:
                if form is None:
                    return render(request, "portal/accounts/invitation_invalid.html", {"error": str(exc)}, status=400)
                form.add_error(None, str(exc))
            else:
                request.session[accounts.SESSION_ORGANISATION_KEY] = membership.organisation_id
                if not user.is_authenticated:
                    messages.success(request, f"Ihr Konto ist angelegt. Sie gehören jetzt zu „{membership.organisation}“. "
                                              "Bitte melden Sie sich an.")
                    return redirect(f"{reverse('login')}?next={reverse('portal:dashboard')}")
                messages.success(request, f"Sie gehören jetzt zu „{membership.organisation}“.")
                return redirect("portal:dashboard")

    return render(request, "portal/accounts/invitation_accept.html", {
        "invitation": invitation, "form": form, "existing_account": existing_account, "wrong_user": wrong_user,
        "login_url": f"{reverse('login')}?next={request.path}",
    })


# --- Members ---------------------------------------------------------------------------------------------------

HISTORY_SHOWN = 50  # newest entries of the organisation's audit trail on the members page (all of it in the admin)


@login_required
def members(request, org_id: int):
    membership = _admin_membership(request, org_id)
    organisation = membership.organisation
    invite_form = InvitationForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation, _token = accounts.invitation_create(
                organisation=organisation, email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"], user=request.user,
            )
        except accounts.AccountError as exc:
            invite_form.add_error("email", str(exc))
        else:
            messages.success(request, f"Die Einladung an {invitation.email} ist versandt. Der Link ist "
                                      f"{_days(invitation)} gültig und kann einmal verwendet werden.")
            return redirect("portal:members", org_id=organisation.pk)
    member_list = list(
        Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__last_name", "user__email")
    )
    admin_count = sum(1 for m in member_list if m.role == Role.ADMIN)
    from applications.accounts.mfa.services import users_with_factor

    with_factor = users_with_factor(m.user_id for m in member_list)  # two queries, however many members
    open_invitations = Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True).order_by("-created_at")
    history = list(OrganisationEvent.objects.filter(organisation=organisation)[:HISTORY_SHOWN])
    return render(request, "portal/accounts/members.html", {
        "history": history, "history_shown": HISTORY_SHOWN, "with_factor": with_factor,
        "organisation": organisation, "membership": membership, "members": member_list, "admin_count": admin_count,
        "invitations": open_invitations, "invite_form": invite_form, "roles": Role.choices,
        "invitation_days": settings.WIR_INVITATION_DAYS,
    })


def _days(invitation: Invitation) -> str:
    return f"bis {invitation.expires_at.astimezone().strftime('%d.%m.%Y')}"


def _member_in(request, org_id: int, member_id: int) -> tuple[Membership, Membership]:
    own = _admin_membership(request, org_id)
    target = get_object_or_404(Membership.objects.select_related("user", "organisation"), pk=member_id,
                               organisation_id=own.organisation_id)
    return own, target


@login_required
@require_POST
def member_role(request, org_id: int, member_id: int):
    _own, target = _member_in(request, org_id, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte wählen Sie eine gültige Rolle.")
    else:
        try:
            accounts.membership_role_change(membership=target, role=form.cleaned_data["role"], user=request.user)
        except accounts.AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Die Rolle von {target.user.get_full_name() or target.user.email} ist jetzt "
                                      f"„{target.get_role_display()}“.")
    return redirect("portal:members", org_id=org_id)


@login_required
def member_remove(request, org_id: int, member_id: int):
    own, target = _member_in(request, org_id, member_id)
    is_self = target.pk == own.pk
    if request.method == "POST":
        try:
            accounts.membership_remove(membership=target, user=request.user)
        except accounts.AccountError as exc:
            messages.error(request, str(exc))
            return redirect("portal:members", org_id=org_id)
        name = target.user.get_full_name() or target.user.email
        if is_self:
            messages.success(request, f"Sie gehören nicht mehr zu „{target.organisation}“.")
            return redirect("portal:dashboard")
        messages.success(request, f"{name} gehört nicht mehr zur Organisation.")
        return redirect("portal:members", org_id=org_id)
    return render(request, "portal/accounts/member_remove.html", {"organisation": own.organisation, "target": target,
                                                                  "is_self": is_self})


@login_required
@require_POST
def invitation_revoke(request, org_id: int, invitation_id: int):
    own = _admin_membership(request, org_id)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation_id=own.organisation_id,
                                   accepted_at__isnull=True)
    try:
        accounts.invitation_revoke(invitation=invitation, user=request.user)
    except accounts.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Die Einladung an {invitation.email} ist zurückgezogen.")
    return redirect("portal:members", org_id=org_id)


# --- Organisation switcher -------------------------------------------------------------------------------------

@login_required
@require_POST
def organisation_switch(request):
    try:
        org_id = int(request.POST.get("organisation", ""))
    except ValueError as exc:
        raise Http404 from exc
    organisation = accounts.organisation_switch(session=request.session, user=request.user, organisation_id=org_id)
    messages.info(request, f"Sie arbeiten jetzt für „{organisation}“.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("portal:dashboard")
    return redirect(target)


# --- Password reset with a rate limit -----------------------------------------------------------------------------

class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, refusing silently (same answer as success) beyond the rate limit; the mail goes
    through the mail outbox."""

    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        if not accounts.password_reset_allowed(email=form.cleaned_data["email"], ip=request_ip(self.request)):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def request_ip(request) -> str:
    """The real client address (X-Forwarded-For only from a trusted proxy: wir_portal.clientip)."""
    return client_ip(request)
