"""Issue 16: saving a line's yearly rule while approvals in that line run deadlocked ("deadlock detected", HTTP 500):
the approval locked rule then year, the allocation save year then rule. With one lock order for every money path
(funding.services, LOCK ORDER) both run at once on PostgreSQL without an error.

Multi-year approvals (WIR-Vielfaltszentren 2026–2030: two enacted years, three on the VE), allocation saves through
the admin (HTTP, as staff do it) on the rules those approvals lock, programme-year saves and the enactment of 2028
all start behind one barrier.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from applications import services
from applications.models import Organisation
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerSource, LineRule, ProgrammeYear
from funding.services import budget_figures, programme_year_enact, programme_year_save, rule_save
from tests.factories import multi_year_application, rule, staff

APPROVALS = 10
SAVES = 10
PER_YEAR = Decimal("10000.00")
YEARS = (2026, 2027, 2028, 2029, 2030)


def _form_data(page) -> dict:
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rule_saves_and_enactment_during_multi_year_approvals_never_deadlock(require_postgres, seeded, monkeypatch):
    from applications.tasks import notice_render

    monkeypatch.setattr(notice_render, "delay", lambda *args, **kwargs: None)
    assert connection.vendor == "postgresql"
    recommender, decider, haushalt = staff("Sachbearbeitung"), staff("Bewilligung"), staff("Haushalt")
    entities = list(Organisation.objects.filter(entity__isnull=False).order_by("name")[:APPROVALS])
    apps = [
        multi_year_application(
            organisation=org, code="vielfaltszentren", year=2026, grants={y: str(PER_YEAR) for y in YEARS},
            details={"coordination_posts": "1", "staff_post": "0"}, status=Status.RECOMMENDED,
            file_number=f"WIR-2026-VZ-{8000 + i}", recommended_by=recommender,
        )
        for i, org in enumerate(entities)
    ]
    # 2028 gets its budget (volume, allocation) so that it can be enacted while the approvals run.
    py2028 = ProgrammeYear.objects.get(year=2028)
    py2028.volume = Decimal("1000000")
    programme_year_save(programme_year=py2028)
    r2028 = rule("vielfaltszentren", 2028)
    r2028.allocation = Decimal("600000")
    rule_save(rule=r2028)
    targets = [rule("vielfaltszentren", 2026), rule("vielfaltszentren", 2027), r2028]

    barrier = threading.Barrier(APPROVALS + SAVES + 2)
    results: list[str] = []
    lock = threading.Lock()

    def record(outcome: str) -> None:
        with lock:
            results.append(outcome)

    def approve(app_id: int) -> None:
        try:
            app = services.Application.objects.get(pk=app_id)
            barrier.wait(timeout=60)
            try:
                services.application_decide(application=app, user=decider, action="approve")
                record("approved")
            except services.ApplicationError as exc:
                record(f"refused: {exc}")
            except Exception as exc:  # noqa: BLE001 - a deadlock or anything else fails the test below
                record(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def save_rule(target: LineRule, step: int) -> None:
        try:
            client = Client()
            client.force_login(haushalt)
            url = reverse("admin:funding_linerule_change", args=[target.pk])
            data = _form_data(client.get(url))
            data["allocation"] = str(int(target.allocation) + 1000 * step)
            barrier.wait(timeout=60)
            try:
                response = client.post(url, data)
                record("saved" if response.status_code == 302 else f"error: HTTP {response.status_code}")
            except Exception as exc:  # noqa: BLE001
                record(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def save_year() -> None:
        try:
            year = ProgrammeYear.objects.get(year=2027)
            barrier.wait(timeout=60)
            try:
                programme_year_save(programme_year=year)
                record("year saved")
            except Exception as exc:  # noqa: BLE001
                record(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def enact() -> None:
        try:
            year = ProgrammeYear.objects.get(year=2028)
            barrier.wait(timeout=60)
            try:
                programme_year_enact(programme_year=year, user=haushalt)
                record("enacted")
            except Exception as exc:  # noqa: BLE001
                record(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(app.pk,)) for app in apps]
    threads += [threading.Thread(target=save_rule, args=(targets[i % 3], i + 1)) for i in range(SAVES)]
    threads += [threading.Thread(target=save_year), threading.Thread(target=enact)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(results) == APPROVALS + SAVES + 2, results
    errors = [r for r in results if r.startswith("error")]
    assert not errors, errors
    assert results.count("approved") == APPROVALS, results
    assert results.count("saved") == SAVES and "enacted" in results
    # Every approval booked 10.000 € in each of the five years; 2028 was enacted during the run, so whatever was
    # booked against its VE before the enactment was converted: nothing of 2028 remains on the VE.
    for year in YEARS:
        f = budget_figures(rule=rule("vielfaltszentren", year))
        assert f.committed_total == PER_YEAR * APPROVALS + _seeded_committed(year), year
    f2028 = budget_figures(rule=rule("vielfaltszentren", 2028))
    assert (f2028.enacted, f2028.authority_committed, f2028.committed) == (True, 0, PER_YEAR * APPROVALS)
    assert not LedgerEntry.objects.filter(rule__programme_year__year=2029, source=LedgerSource.ALLOCATION).exists()


def _seeded_committed(year: int) -> Decimal:
    return Decimal("0")  # the test database holds no other Vielfaltszentren approvals
