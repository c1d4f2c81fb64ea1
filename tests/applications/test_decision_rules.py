"""Pure decision rules with hand-computed figures: financing of the approved plan per financing type, ANBest by
organisation kind and legal form, the proof-of-use deadline at month ends, delivery and finality dates."""

import datetime
from decimal import Decimal

import pytest

from applications import decision_rules as dr
from applications.models import LegalForm
from funding.models import FinancingType, OrganisationKind

D = Decimal


# --- Financing of the approved plan (figures computed by hand) --------------------------------------------------

@pytest.mark.parametrize(("kind", "rate", "eligible", "own", "third", "other", "requested", "cap", "expected"), [
    # Fehlbedarf: the gap. 58,000 eligible − 18,000 own = 40,000 (below the 50,000 applied for)
    (FinancingType.FEHLBEDARF, None, "58000", "18000", "0", "0", "50000", None, "40000.00"),
    # ... all other income counts: 20,000 − 2,000 own − 3,000 third − 1,500 other public = 13,500
    (FinancingType.FEHLBEDARF, None, "20000", "2000", "3000", "1500", "15000", None, "13500.00"),
    # ... never more than applied for
    (FinancingType.FEHLBEDARF, None, "68000", "18000", "0", "0", "35000", None, "35000.00"),
    # ... never negative (other income above the eligible expenses)
    (FinancingType.FEHLBEDARF, None, "5000", "6000", "0", "0", "4000", None, "0.00"),
    # Anteil: 80 % of 8,125.00 = 6,500.00
    (FinancingType.ANTEIL, "80", "8125.00", "1875", "0", "0", "8000", None, "6500.00"),
    # ... 33.33 % of 1,000.00 = 333.30; 80 % of 10.01 = 8.008 -> 8.01 (half up)
    (FinancingType.ANTEIL, "33.33", "1000.00", "0", "0", "0", "900", None, "333.30"),
    (FinancingType.ANTEIL, "80", "10.01", "0", "0", "0", "100", None, "8.01"),
    # Festbetrag: the sum applied for, at most the eligible expenses (9,000 of 10,200)
    (FinancingType.FESTBETRAG, None, "9000", "0", "0", "0", "10200", None, "9000.00"),
    (FinancingType.FESTBETRAG, None, "12000", "1800", "0", "0", "10200", None, "10200.00"),
    # Voll: eligible less third-party and other public money (own funds are not expected): 10,000 − 2,000 = 8,000
    (FinancingType.VOLL, None, "10000", "1000", "2000", "0", "9000", None, "8000.00"),
    # the line's cap applies on top: Fehlbedarf 60,000 − 0 limited to 50,000
    (FinancingType.FEHLBEDARF, None, "60000", "0", "0", "0", "60000", "50000", "50000.00"),
])
def test_grant_for_year_per_financing_type(kind, rate, eligible, own, third, other, requested, cap, expected):
    grant = dr.grant_for_year(financing_type=kind, funding_rate=D(rate) if rate else None, eligible=D(eligible),
                              own=D(own), third=D(third), other_public=D(other), requested=D(requested),
                              cap=D(cap) if cap else None)
    assert grant == D(expected)


def test_financing_is_computed_per_year():
    class P:
        def __init__(self, year, own, requested):
            self.year, self.own_funds, self.third_party_funds, self.other_public_funds = year, D(own), D(0), D(0)
            self.requested_grant = D(requested)

    rows = dr.financing_compute(financing_type=FinancingType.FEHLBEDARF, funding_rate=None,
                                plan_years=[P(2027, "1000", "5100"), P(2028, "1000", "5100")],
                                eligible_by_year={2027: D("6100"), 2028: D("4100")})
    # 2027: 6,100 − 1,000 = 5,100 (in full); 2028: 4,100 − 1,000 = 3,100 (a line excluded in the second year)
    assert [(r.year, r.grant) for r in rows] == [(2027, D("5100.00")), (2028, D("3100.00"))]


# --- ANBest-GK only for Gebietskörperschaften and their associations --------------------------------------------

@pytest.mark.parametrize(("kind", "legal_form", "expected"), [
    (OrganisationKind.LANDKREIS, "", "anbest_gk"),
    (OrganisationKind.KREISFREIE_STADT, "", "anbest_gk"),
    (OrganisationKind.SONDERSTATUSSTADT, "", "anbest_gk"),
    (OrganisationKind.GEMEINDE, "", "anbest_gk"),
    (OrganisationKind.GEMEINDE, LegalForm.GEBIETSKOERPERSCHAFT, "anbest_gk"),
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.GEMEINDEVERBAND, "anbest_gk"),  # Zweckverband
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.EIGENBETRIEB, "anbest_gk"),     # part of the Gemeinde
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.GEBIETSKOERPERSCHAFT, "anbest_gk"),
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.GMBH, "anbest_p"),              # municipal gGmbH
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.ANSTALT, "anbest_p"),
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.VEREIN, "anbest_p"),
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.STIFTUNG, "anbest_p"),
    (OrganisationKind.KOMMUNALER_TRAEGER, LegalForm.SONSTIGE, "anbest_p"),
    (OrganisationKind.KOMMUNALER_TRAEGER, "", None),                                # unknown: no notice
    (OrganisationKind.KIRCHLICHER_TRAEGER, LegalForm.KIRCHE, "anbest_p"),
    (OrganisationKind.FREIER_TRAEGER, LegalForm.VEREIN, "anbest_p"),
    (OrganisationKind.FREIER_TRAEGER, LegalForm.GMBH, "anbest_p"),
    (OrganisationKind.MIGRANTENORGANISATION, LegalForm.VEREIN, "anbest_p"),
    (OrganisationKind.MIGRANTENORGANISATION, "", "anbest_p"),
])
def test_anbest_for_every_kind(kind, legal_form, expected):
    assert dr.anbest_key(kind=kind, legal_form=legal_form) == expected


def test_every_kind_is_covered_by_the_table_above():
    covered = {k for k, *_ in test_anbest_for_every_kind.pytestmark[0].args[1]}
    assert covered == set(OrganisationKind.values)


def test_legal_form_data_migration_classifies_by_name():
    import importlib

    migration = importlib.import_module("applications.migrations.0011_decide_legal_form_data")
    assert migration.legal_form_for("landkreis", "Landkreis Gießen") == "gebietskoerperschaft"
    assert migration.legal_form_for("kommunaler_traeger", "Zweckverband Integration Mittelhessen") == "gemeindeverband"
    assert migration.legal_form_for("kommunaler_traeger", "Kommunale Jugendhilfe gGmbH") == "gmbh"
    assert migration.legal_form_for("kommunaler_traeger", "Volkshochschule") == ""  # staff decide
    assert migration.legal_form_for("migrantenorganisation", "Brücke") == "verein"


# --- Proof of use: end of the sixth month after the period (Nr. 6.1 ANBest-P) --------------------------------------

@pytest.mark.parametrize(("period_end", "deadline"), [
    ("2026-12-31", "2027-06-30"),
    ("2027-03-15", "2027-09-30"),   # not 15.09.: the end of the month
    ("2027-06-30", "2027-12-31"),
    ("2027-08-31", "2028-02-29"),   # leap year
    ("2026-08-31", "2027-02-28"),   # no leap year
    ("2027-07-31", "2028-01-31"),   # across the year
    ("2027-09-30", "2028-03-31"),   # a day-exact rule would say 30.03.
])
def test_proof_of_use_deadline_is_month_end(period_end, deadline):
    assert dr.proof_of_use_deadline(datetime.date.fromisoformat(period_end)) == datetime.date.fromisoformat(deadline)


# --- Delivery and finality ----------------------------------------------------------------------------------------

def test_receipt_is_the_third_day_after_sending_even_on_a_weekend(settings):
    settings.WIR_NOTICE_RECEIPT_DAYS = 3
    assert dr.received_on(datetime.date(2026, 11, 2)) == datetime.date(2026, 11, 5)
    assert dr.received_on(datetime.date(2026, 11, 5)) == datetime.date(2026, 11, 8)  # a Sunday: not moved
    settings.WIR_NOTICE_RECEIPT_DAYS = 4  # should Hessen follow the federal four days, it is a setting
    assert dr.received_on(datetime.date(2026, 11, 2)) == datetime.date(2026, 11, 6)


@pytest.mark.parametrize(("received", "deadline"), [
    ("2026-11-05", "2026-12-07"),   # 05.12.2026 is a Saturday -> Monday
    ("2027-01-31", "2027-03-01"),   # 28.02.2027 (no 31st; a Sunday) -> Monday 01.03.
    ("2027-02-26", "2027-03-30"),   # 26.03.2027 is Good Friday; Easter Monday 29.03. -> Tuesday
    ("2027-11-25", "2027-12-27"),   # 25.12.2027 Saturday, 26.12. Sunday (and holidays) -> Monday 27.12.
    ("2028-01-29", "2028-02-29"),   # leap year: 29.02.2028 exists, a Tuesday
    ("2026-09-15", "2026-10-15"),   # an ordinary Thursday
    ("2027-09-03", "2027-10-04"),   # 03.10.2027 Tag der Deutschen Einheit (a Sunday) -> Monday 04.10.
])
def test_action_deadline(received, deadline):
    assert dr.action_deadline(datetime.date.fromisoformat(received)) == datetime.date.fromisoformat(deadline)


def test_final_the_day_after_the_deadline_or_on_waiver(settings):
    from django.utils import timezone

    settings.WIR_NOTICE_RECEIPT_DAYS = 3
    sent = timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 0))
    # sent Mon 02.11. -> received 05.11. -> deadline Sat 05.12. -> Mon 07.12. -> final from 08.12.
    assert dr.final_on(sent_at=sent) == datetime.date(2026, 12, 8)
    waived = timezone.make_aware(datetime.datetime(2026, 11, 10, 15, 0))
    assert dr.final_on(sent_at=sent, waived_at=waived) == datetime.date(2026, 11, 10)
    assert dr.final_on(sent_at=None) is None


def test_hessen_holidays_2027():
    holidays = dr.hessen_holidays(2027)
    assert datetime.date(2027, 3, 26) in holidays    # Karfreitag
    assert datetime.date(2027, 3, 29) in holidays    # Ostermontag
    assert datetime.date(2027, 5, 6) in holidays     # Christi Himmelfahrt
    assert datetime.date(2027, 5, 17) in holidays    # Pfingstmontag
    assert datetime.date(2027, 5, 27) in holidays    # Fronleichnam (Hessen)
    assert datetime.date(2027, 10, 31) not in holidays  # Reformationstag is not a holiday in Hessen
    assert len(holidays) == 10


def test_nothing_issued_from_now_on_names_the_former_ministry():
    """Since 2024 the ministry is the Hessisches Ministerium für Arbeit, Integration, Jugend und Soziales. Stored
    notices keep what they said (PDF + legal text versions); templates and texts used from now on carry the new
    name."""
    import pathlib

    from applications.notices.legal import DEFAULT_TEXTS

    root = pathlib.Path(__file__).resolve().parents[2]
    stale = [str(p.relative_to(root)) for p in (root / "templates").rglob("*")
             if p.is_file() and "Soziales und Integration" in p.read_text(encoding="utf-8", errors="ignore")]
    assert not stale
    assert DEFAULT_TEXTS["ministry"][1] == "Hessisches Ministerium für Arbeit, Integration, Jugend und Soziales"
    assert all("Soziales und Integration" not in body for _, body in DEFAULT_TEXTS.values())
