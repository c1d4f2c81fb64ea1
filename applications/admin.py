"""Django's admin autodiscovery imports `applications.admin`: the staff admin lives in its rooms."""

from applications.accounts.mfa import admin as mfa_admin  # noqa: F401 - the user admin (incl. accounts/admin.py)
from applications.notices import admin as notices_admin  # noqa: F401
from applications.payments import admin as payments_admin  # noqa: F401
from applications.proof import admin as proof_admin  # noqa: F401
from applications.revocation import admin as revocation_admin  # noqa: F401
from applications.staff import admin as staff_admin  # noqa: F401
