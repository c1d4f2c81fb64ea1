"""Nothing but the second-factor pages for a person who must pass a second factor and has not (yet).

Staff (admin access) are checked live on every request; applicants who enrolled a factor are flagged at sign-in
(services.session_requirement_store), so applicant pages cost no extra query. Runs as process_view, after URL
resolution: the allowed pages are named by their URL names, not by path prefixes.
"""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from . import services

# Pages open during the second-factor step: its own pages, the passkey API of django-otp-webauthn (it checks
# the session itself), signing out, the legal pages and the health check.
OPEN_NAMESPACES = {"mfa", "otp_webauthn", "pages"}
OPEN_VIEWS = {"logout", "admin:logout", "healthz"}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if user.is_verified():
            if not request.session.get(services.SESSION_REQUIRED_KEY):
                request.session[services.SESSION_REQUIRED_KEY] = True
            return None
        if not services.factor_required(request):
            return None
        match = request.resolver_match
        if match is not None and (set(match.namespaces) & OPEN_NAMESPACES or match.view_name in OPEN_VIEWS):
            return None
        enrolled = services.has_factor(user)
        if not enrolled and not services.is_staff_account(user):
            # An applicant whose factors were removed or reset meanwhile: nothing to ask for any more.
            request.session[services.SESSION_REQUIRED_KEY] = False
            return None
        target = reverse("mfa:verify" if enrolled else "mfa:overview")
        next_url = request.get_full_path() if request.method == "GET" else request.path
        return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}")
