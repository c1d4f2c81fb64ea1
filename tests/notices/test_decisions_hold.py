"""Decisions that hold (issue 12) and the amendment four-eyes bypass (issue 16), through the services and the
notices they produce. Figures are computed by hand in the comments."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import decisions
from applications.models import (
    AmendmentStatus,
    CostItem,
    LegalForm,
    LegalText,
    Notice,
    NoticeKind,
    NoticeStatus,
    Organisation,
    PlanYear,
)
from applications.notices.legal import (
    DEFAULT_TEXTS,
    SUPERSEDED_DEFAULTS,
    current_texts,
    legal_text_save,
    seed_legal_texts,
)
from applications.notices.outbox import notice_html
from applications.services import ApplicationError, application_decide, application_recommend, application_start_review
from applications.workflow import Status, TransitionError
from funding.models import FinancingType, LedgerEntry, LedgerKind
from funding.services import budget_pay
from tests.factories import DECLARATIONS, OrganisationFactory, UserFactory, application, attach_required, member, rule

from .conftest import amended, decided, normalised, pdf_bytes, pdf_text, submitted

D = Decimal


def _html(notice: Notice) -> str:
    return notice_html(context=notice.context, legal_versions=notice.legal_versions, number=notice.number).html


def _operative_and_reasons(html: str) -> tuple[str, str]:
    operative, _, reasons = html.partition("<h2>Begründung</h2>")
    assert reasons, "the notice has no reasons section"
    return operative, reasons


def _two_line_application(org, *, financing_type, rate=None, own="1000.00", requested="7000.00"):
    """A projekte application: Honorare 6,000 + Raummiete 2,000 = 8,000; own funds + requested grant = 8,000."""
    r = rule("integrationsprojekte", 2027)
    r.financing_type, r.funding_rate = financing_type, D(rate) if rate else None
    r.save(update_fields=["financing_type", "funding_rate"])
    signer = UserFactory()
    member(signer, org)
    app = application(organisation=org, code="integrationsprojekte", grant=requested, costs="6000.00", own=own, user=signer)
    app.cost_items.update(category="fees", description="Honorare Kursleitung")
    CostItem.objects.create(application=app, year=2027, category="rent", description="Raummiete Gemeindesaal",
                            amount=D("2000.00"))
    from applications.services import application_submit, plan_totals_refresh

    plan_totals_refresh(application=app)
    attach_required(app, signer)
    return application_submit(application=app, user=signer, declarations=DECLARATIONS)


@pytest.mark.parametrize(("financing_type", "rate", "own", "requested", "expected"), [
    # eligible after excluding the rent: 6,000
    (FinancingType.FEHLBEDARF, None, "1000.00", "7000.00", "5000.00"),   # 6,000 − 1,000 own
    (FinancingType.ANTEIL, "80", "1600.00", "6400.00", "4800.00"),       # 80 % × 6,000
    (FinancingType.FESTBETRAG, None, "1000.00", "7000.00", "6000.00"),   # at most the eligible 6,000
    (FinancingType.VOLL, None, "1000.00", "7000.00", "6000.00"),         # 6,000 − 0 third-party/public
])
def test_partial_approval_reasons_and_operative_part_agree(verein, people, django_capture_on_commit_callbacks,
                                                          financing_type, rate, own, requested, expected):
    with django_capture_on_commit_callbacks(execute=True):
        app = _two_line_application(verein, financing_type=financing_type, rate=rate, own=own, requested=requested)
    fees, rent = app.cost_items.order_by("id")
    application_start_review(application=app, user=people["review"])
    application_recommend(application=app, user=people["review"], recommendation="partial", reason="Miete")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.application_partially_approve(application=app, user=people["decide"], lines={
            fees.pk: (D("6000.00"), ""), rent.pk: (D("0"), "Die Raummiete ist nicht zuwendungsfähig."),
        })
    app.refresh_from_db()
    assert app.status == Status.PARTIALLY_APPROVED and app.approved_amount == D(expected)
    assert PlanYear.objects.get(application=app).approved_grant == D(expected)
    assert LedgerEntry.objects.get(application=app, kind=LedgerKind.COMMITMENT).amount == D(expected)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    operative, reasons = _operative_and_reasons(_html(notice))
    # every excluded line is in the reasons with its reason, and nowhere in the operative part
    for item in CostItem.objects.filter(application=app, approved_amount=0):
        assert item.description not in operative
        assert item.description in reasons and item.exclusion_reason in reasons
    assert "Honorare Kursleitung" in operative
    # the operative part's total of eligible expenses is the approved plan (6,000), not the 8,000 applied for
    assert re.search(r"Zuwendungsfähige Ausgaben insgesamt</td><td class=\"num\">6\.000,00", operative)
    assert "8.000,00" not in operative.split("<h2>2.")[1].split("<h2>3.")[0]
    text = normalised(pdf_text(pdf_bytes(notice)))
    amount_text = f"{D(expected):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert f"höchstens {amount_text} €" in text


def test_partial_approval_without_line_decisions_is_refused(verein, people):
    app = _two_line_application(verein, financing_type=FinancingType.FEHLBEDARF)
    application_start_review(application=app, user=people["review"])
    application_recommend(application=app, user=people["review"], recommendation="partial", reason="x")
    with pytest.raises(ApplicationError, match="je Kostenposition"):
        application_decide(application=app, user=people["decide"], action="partially_approve", amount=D("5000"),
                           reasons="Die Raummiete ist nicht zuwendungsfähig.")
    fees, rent = app.cost_items.order_by("id")
    with pytest.raises(ApplicationError, match="jede Kostenposition"):
        decisions.application_partially_approve(application=app, user=people["decide"],
                                                lines={fees.pk: (D("6000"), "")})
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED and not app.cost_items.filter(approved_amount__isnull=False).exists()


# --- Bank account and legal form before an approval -------------------------------------------------------------

def test_no_approval_without_a_valid_bank_account(giessen, people):
    app = submitted(giessen)
    Organisation.objects.filter(pk=giessen.pk).update(iban="", account_holder="")
    with pytest.raises(ApplicationError, match="keine Bankverbindung"):
        decided(app, people)
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED and not LedgerEntry.objects.filter(application=app).exists()
    Organisation.objects.filter(pk=giessen.pk).update(iban="DE89370400440532013001", account_holder="Kreiskasse")
    with pytest.raises(ApplicationError, match="ungültig"):
        application_decide(application=app, user=people["decide"], action="approve")


def test_approval_names_the_account(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    text = normalised(pdf_text(pdf_bytes(Notice.objects.get(application=app, kind=NoticeKind.APPROVAL))))
    assert "DE02 5001 0517 0137 0750 30" in text and "(Landkreis Gießen)" in text


def test_municipal_gmbh_gets_anbest_p_and_unknown_legal_form_blocks(seeded, people):
    from funding.models import District

    gmbh = OrganisationFactory(name="Kommunale Integrations-gGmbH", kind="kommunaler_traeger",
                               legal_form=LegalForm.GMBH, district=District.objects.get(name="Gießen"))
    app = submitted(gmbh, code="integrationsprojekte", grant="8000.00", costs="10000.00")
    decided(app, people)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    html = _html(notice)
    assert "ANBest-P" in html and "ANBest-GK" not in html and notice.context["anbest_key"] == "anbest_p"
    unknown = OrganisationFactory(name="Kommunaler Träger ohne Rechtsform", kind="kommunaler_traeger", legal_form="",
                                  district=District.objects.get(name="Gießen"))
    app2 = submitted(unknown, code="integrationsprojekte", grant="8000.00", costs="10000.00")
    with pytest.raises(ApplicationError, match="Rechtsform"):
        decided(app2, people)
    verband = OrganisationFactory(name="Zweckverband Integration", kind="kommunaler_traeger",
                                  legal_form=LegalForm.GEMEINDEVERBAND, district=District.objects.get(name="Gießen"))
    app3 = submitted(verband, code="integrationsprojekte", grant="8000.00", costs="10000.00")
    decided(app3, people)
    assert "ANBest-GK" in _html(Notice.objects.get(application=app3, kind=NoticeKind.APPROVAL))


# --- Änderungsantrag under four eyes (issue 16) -----------------------------------------------------------------

@pytest.fixture
def funded(giessen, people):
    """Approved at 40,000: personnel 58,000 − own funds 18,000, cap 50,000 (one post)."""
    app = submitted(giessen, grant="40000.00", costs="58000.00")
    decided(app, people)
    app.refresh_from_db()
    return app


def test_recommender_of_the_application_cannot_raise_it_by_amendment(funded, people):
    raiser = people["review"]  # recommended the application; give them the Bewilligung role as well
    from django.contrib.auth.models import Group

    raiser.groups.add(Group.objects.get(name="Bewilligung"))
    other_reviewer = UserFactory(is_staff=True)
    other_reviewer.groups.add(Group.objects.get(name="Sachbearbeitung"))
    amendment = decisions.amendment_request_create(
        application=funded, user=funded.submitted_by, reasons="Höherer Bedarf",
        cost_amounts={funded.cost_items.get().pk: D("68000.00")}, year_amounts={2027: D("50000.00")})
    decisions.amendment_recommend(amendment=amendment, user=other_reviewer, recommendation="approve")
    with pytest.raises(ApplicationError, match="Vier-Augen-Prinzip"):
        decisions.amendment_decide(amendment=amendment, user=raiser, approve=True)
    funded.refresh_from_db()
    assert funded.approved_amount == D("40000.00")
    assert LedgerEntry.objects.filter(application=funded, kind=LedgerKind.COMMITMENT).count() == 1
    # the amendment's own recommender cannot decide either
    other_reviewer.groups.add(Group.objects.get(name="Bewilligung"))
    with pytest.raises(ApplicationError, match="Vier-Augen-Prinzip"):
        decisions.amendment_decide(amendment=amendment, user=other_reviewer, approve=True)
    # a third person decides: 10,000 more booked, new plan and per-year amount in the Änderungsbescheid
    decisions.amendment_decide(amendment=amendment, user=people["decide"], approve=True)
    funded.refresh_from_db()
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.APPROVED and funded.approved_amount == D("50000.00")
    commits = sorted(LedgerEntry.objects.filter(application=funded, kind=LedgerKind.COMMITMENT)
                     .values_list("amount", flat=True))
    assert commits == [D("10000.00"), D("40000.00")]
    html = _html(Notice.objects.get(application=funded, kind=NoticeKind.AMENDMENT))
    assert "50.000,00" in html and "(bisher 40.000,00 €)" in html and "68.000,00" in html


def test_amendment_needs_a_recommendation_and_bewilligung(funded, people):
    amendment = decisions.amendment_request_create(  # 63,000 − 18,000 own funds carries 45,000
        application=funded, user=funded.submitted_by, reasons="x",
        cost_amounts={funded.cost_items.get().pk: D("63000.00")}, year_amounts={2027: D("45000.00")})
    with pytest.raises(TransitionError):
        decisions.amendment_decide(amendment=amendment, user=people["decide"], approve=True)  # no Votum yet
    with pytest.raises(TransitionError):
        decisions.amendment_recommend(amendment=amendment, user=people["decide"], recommendation="approve")
    decisions.amendment_recommend(amendment=amendment, user=people["review"], recommendation="approve")
    with pytest.raises(TransitionError):
        decisions.amendment_decide(amendment=amendment, user=people["review"], approve=True)  # not Bewilligung


def test_zero_is_not_an_amendment_and_nothing_is_not_either(funded):
    with pytest.raises(ApplicationError, match="0 € ist keine Änderung"):
        decisions.amendment_request_create(application=funded, user=funded.submitted_by, reasons="Verzicht",
                                           year_amounts={2027: D("0")})
    with pytest.raises(ApplicationError, match="ändert nichts"):
        decisions.amendment_request_create(application=funded, user=funded.submitted_by, reasons="x")
    member_user = UserFactory()
    from applications.models import Role

    member(member_user, funded.organisation, Role.MEMBER)
    with pytest.raises(TransitionError):
        decisions.amendment_request_create(application=funded, user=member_user, reasons="x",
                                           year_amounts={2027: D("30000")})


def test_amendment_never_orders_repayment(funded, people, django_capture_on_commit_callbacks):
    budget_pay(rule=funded.rule, application=funded, amount=D("30000.00"), user=people["decide"])
    amendment = decisions.amendment_request_create(application=funded, user=funded.submitted_by,
                                                   reasons="weniger Bedarf", year_amounts={2027: D("20000.00")})
    decisions.amendment_recommend(amendment=amendment, user=people["review"], recommendation="approve")
    with pytest.raises(ApplicationError, match="Widerruf"):  # below what was paid: a revocation, not an amendment
        decisions.amendment_decide(amendment=amendment, user=people["decide"], approve=True)
    funded.refresh_from_db()
    assert funded.approved_amount == D("40000.00")
    # the refused request is answered; an amendment above the payments restates the amounts, orders nothing back
    decisions.amendment_decide(amendment=amendment, user=people["decide"], approve=False, reasons="Bereits gezahlt.")
    Notice.objects.filter(application=funded, kind=NoticeKind.AMENDMENT).delete()
    with django_capture_on_commit_callbacks(execute=True):
        amended(funded, people, year_amounts={2027: D("35000.00")}, decision_reasons="")
    text = normalised(pdf_text(pdf_bytes(Notice.objects.get(application=funded, kind=NoticeKind.AMENDMENT))))
    assert "neu höchstens 35.000,00 €" in text and "zu erstatten" not in text


def test_amendment_extends_the_period_and_moves_the_proof_deadline(seeded, people):
    from funding.models import District

    org = OrganisationFactory(kind="landkreis", district=District.objects.get(name="Gießen"))
    app = application(organisation=org, grant="37500.00", costs="51000.00", user=None)
    app.period_end = datetime.date(2027, 9, 30)
    app.save(update_fields=["period_end"])
    signer = UserFactory()
    member(signer, org)
    attach_required(app, signer)
    from applications.services import application_submit

    app = application_submit(application=app, user=signer, declarations=DECLARATIONS)
    decided(app, people)
    app.refresh_from_db()
    amended(app, people, new_period_end=datetime.date(2027, 12, 31),
            cost_amounts={app.cost_items.get().pk: D("68000.00")}, year_amounts={2027: D("50000.00")})
    app.refresh_from_db()
    assert app.period_end == datetime.date(2027, 12, 31) and app.approved_amount == D("50000.00")
    notice = Notice.objects.get(application=app, kind=NoticeKind.AMENDMENT)
    assert notice.context["proof_deadline"] == "2028-06-30"  # was 31.03.2028 for the end of September
    html = _html(notice)
    assert "(bisher bis 30.09.2027)" in html and "31.12.2027" in html


def test_staff_cannot_cut_an_approval():
    import applications.services as services

    assert not hasattr(services, "application_amend")


# --- Early start ----------------------------------------------------------------------------------------------

def test_early_start_consent_is_a_letter_through_the_outbox(giessen, people, django_capture_on_commit_callbacks):
    app = submitted(giessen)
    start = timezone.localdate() + datetime.timedelta(days=10)
    with pytest.raises(ApplicationError, match="begründen"):
        decisions.early_start_request(application=app, user=app.submitted_by, start=start, reason=" ")
    decisions.early_start_request(application=app, user=app.submitted_by, start=start,
                                  reason="Vertrag muss im Dezember geschlossen werden.")
    with pytest.raises(TransitionError):
        decisions.early_start_decide(application=app, user=people["review"], consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        decisions.early_start_decide(application=app, user=people["decide"], consent=True)
    notice = Notice.objects.get(application=app, kind=NoticeKind.EARLY_START)
    assert notice.status == NoticeStatus.SENT
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Zustimmung zum vorzeitigen Maßnahmebeginn" in text and f"ab dem {start:%d.%m.%Y}" in text
    assert "keine Bewilligung" in text and "Vertrag muss im Dezember" in text
    assert "§ 44 LHO" in text and "Rechtsbehelfsbelehrung" in text
    with pytest.raises(ApplicationError):
        decisions.early_start_decide(application=app, user=people["decide"], consent=True)  # once


def test_early_start_refusal_is_a_notice(giessen, people, django_capture_on_commit_callbacks):
    """Issue 12: the refusal is an administrative act — a notice with reasons and Rechtsbehelfsbelehrung through the
    outbox (tests/lines/test_early_start_refusal.py looks at its content)."""
    app = submitted(giessen)
    decisions.early_start_request(application=app, user=app.submitted_by, start=timezone.localdate(), reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.early_start_decide(application=app, user=people["decide"], consent=False, reason="Kein Eilfall.")
    notice = Notice.objects.get(application=app, kind=NoticeKind.EARLY_START_REFUSAL)
    assert notice.status == NoticeStatus.SENT and notice.reasons == "Kein Eilfall."
    assert not Notice.objects.filter(application=app, kind=NoticeKind.EARLY_START).exists()


# --- Delivery, finality, waiver --------------------------------------------------------------------------------

def test_finality_and_remedy_waiver_in_the_portal(giessen, people, client, django_capture_on_commit_callbacks,
                                                  settings):
    from applications.decision_rules import approval_final_on, notice_final_on, notice_received_on

    settings.WIR_NOTICE_RECEIPT_DAYS = 3
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    sent = timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 0))
    Notice.objects.filter(pk=notice.pk).update(first_sent_at=sent, sent_at=sent)
    notice.refresh_from_db()
    assert notice_received_on(notice) == datetime.date(2026, 11, 5)
    assert notice_final_on(notice) == datetime.date(2026, 12, 8)   # deadline Sat 05.12. -> Mon 07.12.
    assert approval_final_on(app) == datetime.date(2026, 12, 8)
    # a resend does not move the Bekanntgabe
    Notice.objects.filter(pk=notice.pk).update(sent_at=sent + datetime.timedelta(days=5))
    notice.refresh_from_db()
    assert notice_final_on(notice) == datetime.date(2026, 12, 8)
    # the applicant waives the remedy in the portal (only a signatory; a plain member gets 403)
    from applications.models import Role

    plain = UserFactory()
    member(plain, giessen, Role.MEMBER)
    client.force_login(plain)
    url = reverse("portal:remedy_waive", args=[notice.pk])
    assert client.post(url, {"confirm": "1"}).status_code == 403
    client.force_login(app.submitted_by)
    page = client.get(reverse("portal:application_detail", args=[app.pk])).content.decode()
    assert "bestandskräftig ab 08.12.2026" in page and "Rechtsbehelfsverzicht erklären" in page
    client.post(url, {"confirm": "1"})
    notice.refresh_from_db()
    assert notice.remedy_waived_at is not None and notice.remedy_waived_by == app.submitted_by
    assert notice_final_on(notice) == timezone.localdate()
    with pytest.raises(ApplicationError, match="bereits"):
        decisions.notice_remedy_waive(notice=notice, user=app.submitted_by)


# --- Legal texts ------------------------------------------------------------------------------------------------

def test_every_decision_notice_states_the_legal_basis_ministry_and_remedy(giessen, people,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    for kind in (NoticeKind.APPROVAL,):
        text = normalised(pdf_text(pdf_bytes(Notice.objects.get(application=app, kind=kind))))
        assert "Haushaltsgesetz" in text and "§§ 23 und 44" in text and "Förderrichtlinie" in text
        assert "Hessisches Ministerium für Arbeit, Integration, Jugend und Soziales" in text
        assert "§ 16a Abs. 2 HessAGVwGO" in text and "§ 16a Abs. 1" not in text
        assert "§ 41 Abs. 2 Satz 2 HVwVfG" in text


def test_issued_notices_keep_what_they_said(giessen, people):
    app = submitted(giessen)
    decided(app, people)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    old_versions = {k: v for k, v in notice.legal_versions.items() if k not in ("ministry", "legal_basis", "delivery")}
    html = notice_html(context=notice.context, legal_versions=old_versions, number=notice.number).html
    assert "Arbeit, Integration, Jugend und Soziales" not in html  # decided before the block existed


def test_seed_upgrades_untouched_superseded_texts_only(seeded):
    remedies = current_texts()["remedies"]
    assert remedies.body == DEFAULT_TEXTS["remedies"][1]
    # a database seeded by the previous release: the old remedies text as the newest version
    legal_text_save(key="remedies", title="Rechtsbehelfsbelehrung", body=SUPERSEDED_DEFAULTS["remedies"][0])
    legal_text_save(key="proof_of_use", title="VN", body="Von der Rechtsabteilung angepasst {proof_deadline}.")
    seed_legal_texts()
    texts = current_texts()
    assert texts["remedies"].body == DEFAULT_TEXTS["remedies"][1]            # upgraded as a new version
    assert LegalText.objects.filter(key="remedies").count() == 3
    assert texts["proof_of_use"].body.startswith("Von der Rechtsabteilung")  # staff edit kept


# --- Festbetrag: unit rates and quantities ---------------------------------------------------------------------

def test_festbetrag_notice_states_rates_and_quantities(seeded, people, django_capture_on_commit_callbacks):
    from funding.models import District

    traeger = OrganisationFactory(name="Lotsenbrücke e. V.", district=District.objects.get(name="Kassel"))
    details = {"coordinating_lotsen": 2, "other_lotsen": 10, "hours": 3000}
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(traeger, code="lotsen", grant="17000.00", costs="17000.00", details=details)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    text = normalised(pdf_text(pdf_bytes(Notice.objects.get(application=app, kind=NoticeKind.APPROVAL))))
    # hours within 2 × 414 + 10 × 276 = 3.588: 3.000 h × 5 € = 15.000 €; Koordinierungspauschale 2.000 € (12 ≥ 5
    # Lotsen, a free Träger): 17.000 €
    assert "Berechnung des Festbetrags" in text
    assert "3000 Stunden 5,00 € 15.000,00 €" in text
    assert "Koordinierungspauschale 1 Pauschale 2.000,00 € 2.000,00 €" in text
    assert "Festbetrag je Haushaltsjahr nach Sätzen und Mengen 17.000,00 €" in text


def test_festbetrag_basis_of_a_historic_course_line(seeded):
    """MitSprache (until 2025): 2 courses × 300 UE × 40 € = 24.000 € (cap 12.000 € per course not reached);
    childcare 400 × 8 € = 3.200 €."""
    from applications.decision_rules import unit_basis
    from tests.factories import rule

    rows = unit_basis(rule=rule("mitsprache", 2025),
                      details={"courses": 2, "units_per_course": 300, "childcare_units": 400})
    assert [(r["quantity"], r["rate"], r["amount"]) for r in rows] == [("600", "40.00", "24000.00"),
                                                                      ("400", "8.00", "3200.00")]


# --- Declarations at submission ---------------------------------------------------------------------------------

def test_submission_needs_the_declarations(giessen):
    from applications.services import application_submit

    signer = UserFactory()
    member(signer, giessen)
    app = application(organisation=giessen, user=signer)
    attach_required(app, signer)
    with pytest.raises(ApplicationError, match="Erklärungen"):
        application_submit(application=app, user=signer, declarations={**DECLARATIONS, "not_started": False})
    with pytest.raises(ApplicationError, match="Geldgeber"):
        application_submit(application=app, user=signer, declarations={**DECLARATIONS, "other_funding": "erhalten"})
    app.refresh_from_db()
    assert app.status == Status.DRAFT and not app.file_number
    application_submit(application=app, user=signer, declarations={**DECLARATIONS, "vat": "ja"})
    app.refresh_from_db()
    assert app.declarations["vat"] == "ja" and app.declarations["not_started"] is True
    assert app.declarations["declared_by_id"] == signer.pk and len(app.declarations["statements"]) == 3


def test_portal_submit_keeps_choices_and_shows_the_missing_declaration(giessen, client):
    signer = UserFactory()
    member(signer, giessen)
    app = application(organisation=giessen, user=signer)
    attach_required(app, signer)
    client.force_login(signer)
    response = client.post(reverse("portal:application_submit", args=[app.pk]),
                           {"vat": "ja", "other_funding": "keine", "correct_complete": "on"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Bitte bestätigen Sie, dass mit dem Vorhaben noch nicht begonnen wurde." in html
    assert 'value="ja" checked' in html or 'value="ja"\n' in html or "checked" in html
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_admin_shows_final_date_amendments_early_start_and_declarations(giessen, people, client, settings):
    settings.WIR_NOTICE_RECEIPT_DAYS = 3
    app = submitted(giessen)
    decisions.early_start_request(application=app, user=app.submitted_by, start=timezone.localdate(),
                                  reason="Eilt wegen Vertrag.")
    decided(app, people)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    sent = timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 0))
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, first_sent_at=sent, sent_at=sent)
    app.refresh_from_db()
    decisions.amendment_request_create(application=app, user=app.submitted_by, reasons="Mehr Stunden",
                                       new_period_end=None, cost_amounts={app.cost_items.get().pk: D("60000")},
                                       year_amounts={2027: D("42000")})
    client.force_login(people["review"])
    html = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "bestandskräftig ab 08.12.2026" in html and "gilt als bekannt gegeben am 05.11.2026" in html
    assert "Änderungsanträge" in html and "Mehr Stunden" in html and "Eingereicht" in html
    assert "Vorzeitiger Maßnahmebeginn" in html and "Eilt wegen Vertrag." in html
    assert "Erklärungen bei Einreichung" in html and "noch nicht begonnen" in html
    assert reverse("admin:applications_application_decide", args=[app.pk, "amendment_recommend"]) in html
    page = client.get(reverse("admin:applications_notice_change", args=[notice.pk])).content.decode()
    assert "08.12.2026" in page and "07.12.2026" in page  # bestandskräftig ab / Klagefrist endet


def test_amendment_through_the_admin_forms(funded, people, client):
    decisions.amendment_request_create(application=funded, user=funded.submitted_by, reasons="Aufstockung",
                                       cost_amounts={funded.cost_items.get().pk: D("63000")},
                                       year_amounts={2027: D("45000")})
    url = lambda action: reverse("admin:applications_application_decide", args=[funded.pk, action])  # noqa: E731
    client.force_login(people["decide"])
    assert client.post(url("amendment_recommend"), {"recommendation": "approve"}).status_code == 403
    client.force_login(people["review"])
    assert client.post(url("amendment_decide"), {"decision": "approve"}).status_code == 403
    r = client.post(url("amendment_recommend"), {"recommendation": "reject", "reason": ""})
    assert r.status_code == 200 and "Bitte begründen Sie das Votum." in r.content.decode()
    assert client.post(url("amendment_recommend"), {"recommendation": "approve", "reason": "ok"}).status_code == 302
    client.force_login(people["decide"])
    page = client.get(url("amendment_decide")).content.decode()
    assert "Aufstockung" in page and "45.000,00 €" in page and "40.000,00 €" in page
    assert client.post(url("amendment_decide"), {"decision": "approve", "reasons": ""}).status_code == 302
    funded.refresh_from_db()
    assert funded.approved_amount == D("45000.00")
    assert Notice.objects.filter(application=funded, kind=NoticeKind.AMENDMENT).count() == 1
