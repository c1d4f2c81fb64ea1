"""The one place that scopes lookups to the user's organisations. Someone else's object answers 404."""

from django.db.models import QuerySet
from django.http import Http404

from applications.models import Application, Attachment, Membership, Notice, Organisation, Role
from applications.workflow import STAFF_GROUPS, Actor


def memberships_for(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_for(user, organisation_id: int) -> Membership:
    """The user's membership in this organisation, or 404."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organisation").filter(user=user, organisation_id=organisation_id).first()
    )
    if membership is None:
        raise Http404
    return membership


def organisations_for(user) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def applications_for(user) -> QuerySet[Application]:
    return Application.objects.filter(organisation__memberships__user=user)


def application_for(user, pk: int, *, for_update: bool = False) -> Application:
    """Load an application of one of the user's organisations, or 404."""
    qs = applications_for(user).select_related("organisation", "rule__line", "rule__programme_year")
    if for_update:
        qs = Application.objects.select_for_update().filter(pk__in=applications_for(user).filter(pk=pk).values("pk"))
    application = qs.filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def attachment_for(user, pk: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("application").filter(pk=pk, application__organisation__memberships__user=user).first()
    )
    if attachment is None:
        raise Http404
    return attachment


def notice_for(user, pk: int) -> Notice:
    notice = Notice.objects.select_related("application").filter(
        pk=pk, application__organisation__memberships__user=user
    ).first()
    if notice is None:
        raise Http404
    return notice


def actors_for(user, application: Application | None = None, *, membership: Membership | None = None) -> set[str]:
    """The workflow actors this user counts as, for this application (membership role + staff groups)."""
    actors: set[str] = set()
    if not user.is_authenticated:
        return actors
    if application is not None:
        if membership is None:
            membership = Membership.objects.filter(user=user, organisation_id=application.organisation_id).first()
        if membership is not None:
            actors.add(Actor.MEMBER)
            if membership.role in (Role.SIGNATORY, Role.ADMIN):
                actors.add(Actor.SIGNATORY)
    if user.is_staff:
        if user.is_superuser:
            actors.update(STAFF_GROUPS)
        else:
            names = set(user.groups.values_list("name", flat=True))
            actors.update(actor for actor, group in STAFF_GROUPS.items() if group in names)
    return actors
