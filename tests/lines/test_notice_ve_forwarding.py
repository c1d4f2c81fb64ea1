"""The approval notice names the years booked against commitment authority (VE, § 38 LHO) and the budget year whose
plan grants it, and — for a Vielfaltszentrum passing Mikroprojekte on — the Weiterleitung conditions (Nr. 12 VV zu
§ 44 LHO). Figures by hand from the seed: Vielfaltszentren 2026/2027 on the allocation (600.000 € each), 2028–2030 on
the VE (600.000 € each), 2027 the last enacted year before 2028."""

import os
import pathlib
from decimal import Decimal

import pytest

from applications import services
from applications.models import Notice, NoticeKind, Organisation
from applications.workflow import Status
from tests.factories import multi_year_application, staff
from tests.notices.conftest import normalised, pdf_bytes, pdf_text

pytestmark = pytest.mark.django_db
YEARS = (2026, 2027, 2028, 2029, 2030)
# 2 × 60.000 € Koordination + 20.000 € Mitarbeitsstelle + 5.000 € Mikroprojekte = 145.000 € a year at most
DETAILS = {"coordination_posts": "2", "pay_group": "E 11", "staff_post": "20000", "micro_projects": "5000",
           "recipients": "Frauentreff e. V.; 2.500\nSportverein Vielfalt e. V.; 2.500"}


def approve(grants, details, people, django_capture_on_commit_callbacks, name="Landkreis Gießen"):
    app = multi_year_application(organisation=Organisation.objects.get(name=name), code="vielfaltszentren",
                                 year=2026, details=details, grants=grants, status=Status.RECOMMENDED,
                                 file_number="WIR-2026-VZ-0101", recommended_by=people[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(application=app, user=people[1], action="approve")
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    return app, notice, normalised(pdf_text(pdf_bytes(notice)))


@pytest.fixture
def pair(seeded):
    return staff("Sachbearbeitung"), staff("Bewilligung")


def test_period_approval_names_the_ve_years_and_the_forwarding_conditions(pair, django_capture_on_commit_callbacks):
    app, notice, text = approve({y: "145000" for y in YEARS}, DETAILS, pair, django_capture_on_commit_callbacks)
    assert notice.context["authority_years"] == [2028, 2029, 2030]
    assert notice.context["authority_budget_year"] == 2027
    # operative part: 5 × 145.000 € = 725.000 €, per year, and the VE sentence for exactly the VE years
    assert "höchstens 725.000,00 €" in text
    assert "das Haushaltsjahr 2028: 145.000,00 €" in text
    assert ("Soweit die Zuwendung auf die Haushaltsjahre 2028, 2029 und 2030 entfällt" in text
            and "Haushaltsplan des Landes Hessen für das Haushaltsjahr 2027" in text and "§ 38 Abs. 1 LHO" in text)
    # Weiterleitung: Nr. 12 VV, cap per Mikroprojekt and year, binding the recipient, recording in the portal
    assert notice.context["forwarding"] == {"cap": "5000.00", "per_year": "5000.00"}
    assert "Weiterleitung der Mittel für Mikroprojekte" in text
    assert "Nr. 12 der Verwaltungsvorschriften zu § 44 LHO" in text and "höchstens 5.000,00 €" in text
    assert "ANBest-P" in text and "im WIR-Portal" in text
    if os.environ.get("WIR_NOTICE_PNG_DIR"):  # look at it: pdftoppm -png
        pathlib.Path(os.environ["WIR_NOTICE_PNG_DIR"], "approval_ve_forwarding.pdf").write_bytes(pdf_bytes(notice))


def test_enacted_years_only_no_ve_sentence_and_no_forwarding_without_micro_projects(
        pair, django_capture_on_commit_callbacks):
    details = {"coordination_posts": "2", "pay_group": "E 11"}
    _, notice, text = approve({2026: "100000", 2027: "100000"}, details, pair, django_capture_on_commit_callbacks)
    assert "authority_years" not in notice.context and "forwarding" not in notice.context
    assert "Verpflichtungsermächtigung" not in text and "Weiterleitung" not in text
    assert "höchstens 200.000,00 €" in text  # 2 × 100.000 €


def test_a_notice_decided_before_the_blocks_keeps_what_it_said(pair, django_capture_on_commit_callbacks):
    app, notice, _ = approve({y: "145000" for y in YEARS}, DETAILS, pair, django_capture_on_commit_callbacks)
    versions = {k: v for k, v in notice.legal_versions.items() if k not in ("commitment_authority", "forwarding")}
    Notice.objects.filter(pk=notice.pk).update(legal_versions=versions)
    from applications.notices.outbox import notice_html

    notice.refresh_from_db()
    html = notice_html(context=notice.context, legal_versions=notice.legal_versions, number=notice.number).html
    assert "Verpflichtungsermächtigung" not in html and "Weiterleitung der Mittel" not in html
    assert Decimal(notice.context["amount"]) == Decimal("725000.00")
