"""The organisation a logged-in user works for, remembered in the session (see the organisation switcher)."""

from applications.accounts.services import SESSION_ORGANISATION_KEY
from applications.selectors import memberships_for


class CurrentOrganisationMiddleware:
    """Sets request.memberships (the user's memberships, by organisation name), request.current_membership and
    request.current_organisation. One query per request for logged-in users, none for anonymous ones.

    The session only stores a choice; it is re-validated against the memberships on every request, so a
    removed member silently falls back to another organisation (or none).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.current_membership = None
        request.current_organisation = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(memberships_for(user))
            request.memberships = memberships
            if memberships:
                wanted = request.session.get(SESSION_ORGANISATION_KEY)
                current = next((m for m in memberships if m.organisation_id == wanted), memberships[0])
                request.current_membership = current
                request.current_organisation = current.organisation
        return self.get_response(request)
