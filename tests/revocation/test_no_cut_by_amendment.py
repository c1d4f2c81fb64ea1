"""A cut against the recipient's will is a (partial) revocation after a hearing, never an Änderungsbescheid
(WIR-DOMAIN.md § 4.3; §§ 28, 49 HVwVfG). The amendment path only carries out what the recipient asked for."""

import inspect
from decimal import Decimal as D

import pytest

from applications import decisions
from applications.workflow import TransitionError

pytestmark = pytest.mark.django_db


def test_staff_cannot_create_an_amendment(funded, staffers):
    for name in ("sachbearbeitung", "bewilligung", "both"):
        with pytest.raises(TransitionError, match="Nur zeichnungsberechtigte Personen"):
            decisions.amendment_request_create(application=funded, user=staffers[name], reasons="Kürzung",
                                               year_amounts={2025: D("10000.00")})
    assert not funded.amendment_requests.exists()


def test_the_amendment_decision_takes_no_amounts_of_its_own():
    """Staff decide yes or no on the recipient's request; there is no parameter through which staff could set a
    lower amount than the one requested."""
    params = set(inspect.signature(decisions.amendment_decide).parameters)
    assert params == {"amendment", "user", "approve", "reasons"}


def test_a_recipients_own_request_may_lower_the_grant_but_not_below_what_was_paid(funded, people):
    from applications.audit import ApplicationError
    from applications.models import AmendmentStatus
    from tests.factories import staff

    amendment = decisions.amendment_request_create(application=funded, user=people["signatory"],
                                                   reasons="Weniger Bedarf", year_amounts={2025: D("15000.00")})
    amendment.status, amendment.recommendation = AmendmentStatus.RECOMMENDED, "approve"
    amendment.save()
    # paid 20,000 € on 3 Mar 2025: the Änderungsbescheid refuses to go below it (a refund needs a revocation)
    with pytest.raises(ApplicationError, match="eine Rückforderung erfordert einen Widerruf nach Anhörung"):
        decisions.amendment_decide(amendment=amendment, user=staff("Bewilligung"), approve=True)
