"""Demo data of the payment side that must exist before a notice is rendered (called from applications/demo.py)."""

from django.contrib.auth import get_user_model

from applications.models import Application, PaymentMode
from applications.payments import services

TRANCHES = 4  # quarterly: personnel costs of a Vielfaltszentrum


def plan_tranches_before_approval(application: Application, years) -> None:
    """Quarterly tranches for every year of the approval, set by Sachbearbeitung before the approval so that the
    approval notice states the plan (the years on the commitment authority fall due once their budget is enacted)."""
    sb = get_user_model().objects.get(email="sachbearbeitung@demo.wir")
    for year in years:
        services.payment_plan_set(application=application, user=sb, year=year, mode=PaymentMode.TRANCHES,
                                  tranches=TRANCHES)
