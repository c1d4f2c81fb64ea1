"""Applicant portal URLs: accounts and organisations (urls_accounts) and applying (urls_apply)."""

from applications.accounts.urls import urlpatterns as accounts_patterns
from applications.forwarding.urls import urlpatterns as forwarding_patterns
from applications.payments.urls import urlpatterns as payments_patterns
from applications.portal.urls import urlpatterns as apply_patterns
from applications.proof.urls import urlpatterns as proof_patterns
from applications.revocation.urls import urlpatterns as revocation_patterns

app_name = "portal"

urlpatterns = [*apply_patterns, *accounts_patterns, *payments_patterns, *proof_patterns, *revocation_patterns,
               *forwarding_patterns]
