"""The audit trail of an application and the domain error every service raises.

The lowest room of applications/: services, notices and every later capability (payments, proof of use,
revocation) record events and raise ApplicationError through this module, so none of them imports services.
"""

from decimal import Decimal

from applications.models import Application, Event


class ApplicationError(Exception):
    """A business rule refused the request. The message is German and meant for the user."""


def actor_name(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def event_record(*, application: Application, user, action: str, from_status: str = "", to_status: str = "",
                 reason: str = "", amount: Decimal | None = None, visible_to_applicant: bool = True) -> Event:
    return Event.objects.create(
        application=application, action=action, from_status=from_status, to_status=to_status,
        actor=user, actor_name=actor_name(user), reason=reason, amount=amount,
        visible_to_applicant=visible_to_applicant,
    )
