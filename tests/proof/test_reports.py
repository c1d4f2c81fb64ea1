"""Reports gain the proof-of-use state per year, line and region (due, overdue, submitted, checked)."""

import datetime

import pytest
from django.urls import reverse

from applications.models import Proof, ProofStatus
from applications.proof import services
from reports.selectors import ReportFilters, proof_states
from tests.proof.conftest import funded_app

pytestmark = pytest.mark.django_db


def test_states(org, staffers, client_as):
    apps = [funded_app(org) for _ in range(4)]
    proofs = [services.proofs_ensure(application=a)[-1] for a in apps]  # all due 30.06.2028
    Proof.objects.filter(pk=proofs[1].pk).update(due_on=datetime.date(2026, 1, 31))  # overdue
    Proof.objects.filter(pk=proofs[2].pk).update(status=ProofStatus.SUBMITTED)
    Proof.objects.filter(pk=proofs[3].pk).update(status=ProofStatus.CHECKED)
    [row] = proof_states(ReportFilters(), today=datetime.date(2027, 6, 1))
    assert (row.year, row.region, row.due, row.overdue, row.submitted, row.checked) == (2027, "Darmstadt", 1, 1, 1, 1)
    assert proof_states(ReportFilters(year=2026)) == []
    assert proof_states(ReportFilters(regierungsbezirk="Kassel")) == []
    response = client_as(staffers["bewilligung"]).get(reverse("reports:proofs") + "?jahr=2027")
    assert response.status_code == 200 and "fällig 1, überfällig 1" in response.content.decode()
    assert client_as(staffers["sachbearbeitung"]).get(reverse("reports:proofs")).status_code == 404
