"""Applicant portal URLs: accounts and organisations (urls_accounts) and applying (urls_apply)."""

from .urls_accounts import urlpatterns as accounts_patterns
from .urls_apply import urlpatterns as apply_patterns

app_name = "portal"

urlpatterns = [*apply_patterns, *accounts_patterns]
