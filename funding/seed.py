"""Reference data of the programme (idempotent): years and volumes, funding lines, yearly rules, districts, courts.

Sources: the programme's own documents (volumes 2014–2018+, line budgets 2017), public Hessian sources (caps and
unit rates), § 1 Abs. 2 HessAGVwGO (court districts). Allocations that are not published are marked as planning
values in the year's notes and are for the budget office to set in the admin.
"""

import csv
import datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from .models import AdministrativeCourt, District, FundingLine, LineRule, ProgrammeYear
from .models import AttachmentKind as A
from .models import FinancingType as F
from .models import OrganisationKind as K

DATA = Path(__file__).resolve().parent / "data"
FIRST_YEAR, LAST_YEAR = 2014, 2027

VOLUMES = {2014: "3100000", 2015: "3100000", 2016: "4600000", 2017: "8850000"}  # from 2018: 10.05 M €
LATER_VOLUME = "10050000"

TRAEGER = [K.KOMMUNALER_TRAEGER, K.KIRCHLICHER_TRAEGER, K.FREIER_TRAEGER, K.MIGRANTENORGANISATION]
ALL_MUNICIPAL = [*K.the_33(), K.GEMEINDE]

# code, name, file-number short, order, multi-year, first year
LINES = [
    ("koordination", "WIR-Koordination", "KO", 10, False, 2014,
     "Strukturelles Integrationsmanagement: Personalkostenzuschuss für WIR-Koordinationsstellen der 33 Landkreise, "
     "kreisfreien Städte und Sonderstatusstädte."),
    ("fallmanagement", "WIR-Fallmanagement für Geflüchtete", "FM", 20, False, 2017,
     "Fallmanagerinnen und Fallmanager für Geflüchtete; eine (teilbare) Stelle je Gebietskörperschaft und Jahr."),
    ("lotsen", "Ehrenamtliche Integrationslotsen", "IL", 30, False, 2014,
     "Aufwandsentschädigung für ehrenamtliche Integrationslotsinnen und -lotsen und ihre Qualifizierung."),
    ("mitsprache", "MitSprache – Deutsch4U", "MS", 40, False, 2016,
     "Deutschkurse für Geflüchtete ohne Anspruch auf einen Integrationskurs, mit Kinderbetreuung."),
    ("sprachkurse", "Niedrigschwellige Sprachkurse für Erwachsene", "SK", 50, False, 2014,
     "Niedrigschwellige Sprachkurse, insbesondere für Frauen (z. B. „Mama lernt Deutsch“)."),
    ("migrantenorganisationen", "Professionalisierung von Migrantenorganisationen", "MO", 60, True, 2017,
     "Mikroprojekt (3.000 €/Jahr) und Minijob (7.200 €/Jahr) für gemeinnützige Migrantenorganisationen, bis 24 Monate."),
    ("projekte", "WIR-Projekte (Interkulturelle Öffnung, Willkommenskultur, Modellprojekte)", "PR", 70, True, 2014,
     "Projekte der Interkulturellen Öffnung, der Willkommens- und Anerkennungskultur, innovative Modellprojekte "
     "und kommunale Integrationsstrategien; Sätze und Höchstbeträge je Aufruf."),
    ("laiendolmetscher", "Ehrenamtliche Laiendolmetscher", "LD", 80, False, 2018,
     "Festbetrag je Einsatz und Klient/in für Pools ehrenamtlicher Laiendolmetscherinnen und -dolmetscher."),
]

# Published line budgets (seed documents / public sources); everything else is a planning value.
KNOWN_ALLOCATIONS = {
    ("fallmanagement", 2017): "1650000",
    ("mitsprache", 2016): "1500000",
    ("mitsprache", 2017): "2700000",
    ("migrantenorganisationen", 2017): "400000",
    ("laiendolmetscher", 2018): "200000",
}
PLANNING_SHARES = {  # share of the volume left after known allocations, for lines without a published figure
    "koordination": Decimal("0.30"), "fallmanagement": Decimal("0.20"), "lotsen": Decimal("0.12"),
    "mitsprache": Decimal("0.15"), "sprachkurse": Decimal("0.06"), "migrantenorganisationen": Decimal("0.04"),
    "projekte": Decimal("0.10"), "laiendolmetscher": Decimal("0.02"),
}


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def rule_values(code: str, year: int) -> dict:
    """The yearly rule of a line, as far as the public sources give it; unknown caps stay empty (None)."""
    deadline = datetime.date(year - 1, 12, 31)
    v: dict = {"deadline": deadline, "funding_rate": None, "cap_per_application": None, "cap_per_post": None,
               "max_posts": None, "cap_per_course": None, "unit_rate": None, "max_units_per_course": None,
               "childcare_rate": None, "hourly_rate": None, "max_hours_coordinating": None, "max_hours_other": None,
               "flat_rate": None, "max_months": None, "one_per_organisation": False, "conditions": ""}
    if code == "koordination":
        v.update(eligible_kinds=K.the_33(), financing_type=F.FEHLBEDARF, one_per_organisation=True,
                 required_attachments=[A.CONCEPT, A.JOB_DESCRIPTION])
        if year >= 2021:
            v.update(cap_per_post=_d("60000"), max_posts=_d("2"))
    elif code == "fallmanagement":
        v.update(eligible_kinds=K.the_33(), financing_type=F.FEHLBEDARF, cap_per_post=_d("50000"), max_posts=_d("1"),
                 one_per_organisation=True, required_attachments=[A.JOB_DESCRIPTION],
                 conditions="Die Stelle kann bei einem gemeinnützigen Träger angesiedelt werden. Die Besetzung der "
                            "Stelle ist dem Regierungspräsidium unverzüglich anzuzeigen; bleibt sie unbesetzt, wird die "
                            "Zuwendung anteilig zurückgefordert.")
    elif code == "lotsen":
        v.update(eligible_kinds=[*ALL_MUNICIPAL, *TRAEGER], financing_type=F.FESTBETRAG, hourly_rate=_d("5"),
                 max_hours_coordinating=414, max_hours_other=276,
                 required_attachments=[A.PARTICIPANT_LIST, A.CONCEPT],
                 conditions="Die Aufwandsentschädigung beträgt 5 € je nachgewiesener Einsatzstunde; die Stunden werden "
                            "je Projekt gebündelt. Die Teilnehmendenliste (Formblatt 2 C) ist aktuell zu halten.")
        if year >= 2021:
            v.update(flat_rate=_d("2000"))
    elif code == "mitsprache":
        if year <= 2017:
            v.update(eligible_kinds=K.the_33(), financing_type=F.FESTBETRAG, cap_per_course=_d("10500"),
                     required_attachments=[A.COURSE_CONCEPT, A.FINANCIAL_PLAN, A.PARTICIPANT_LIST])
            if year == 2017:
                v.update(unit_rate=_d("35"), max_units_per_course=300, childcare_rate=_d("8"))
        else:
            v.update(eligible_kinds=TRAEGER, financing_type=F.FESTBETRAG, unit_rate=_d("40"), max_units_per_course=300,
                     cap_per_course=_d("12000"), childcare_rate=_d("8"),
                     required_attachments=[A.COURSE_CONCEPT, A.FINANCIAL_PLAN, A.PARTICIPANT_LIST, A.COOPERATION_LETTER])
    elif code == "sprachkurse":
        v.update(eligible_kinds=TRAEGER, financing_type=F.FEHLBEDARF, required_attachments=[A.CONCEPT])
    elif code == "migrantenorganisationen":
        v.update(eligible_kinds=[K.MIGRANTENORGANISATION], financing_type=F.FESTBETRAG, cap_per_application=_d("10200"),
                 max_months=24, required_attachments=[A.FINANCIAL_PLAN, A.CONCEPT, A.COORDINATION_LETTER])
    elif code == "projekte":
        v.update(eligible_kinds=[*ALL_MUNICIPAL, *TRAEGER], financing_type=F.FEHLBEDARF,
                 required_attachments=[A.CONCEPT, A.FINANCIAL_PLAN])
    elif code == "laiendolmetscher":
        v.update(eligible_kinds=TRAEGER, financing_type=F.FESTBETRAG, flat_rate=_d("20"), deadline=None,
                 required_attachments=[A.CONCEPT],
                 conditions="Festbetrag von 20 € je Einsatz und Klient/in, höchstens 5 Einsätze je Klient/in. Der Antrag "
                            "ist spätestens 4 Wochen vor Projektbeginn zu stellen.")
    return v


def seed_courts_and_districts() -> None:
    courts: dict[str, AdministrativeCourt] = {}
    court_of: dict[str, AdministrativeCourt] = {}
    with open(DATA / "courts.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            court, _ = AdministrativeCourt.objects.get_or_create(name=row["court"], defaults={"address": row["address"]})
            courts[row["court"]] = court
            for name in row["districts"].split(";"):
                court_of[name] = court
    kinds = {"kreisfreie Stadt": K.KREISFREIE_STADT, "Landkreis": K.LANDKREIS, "Sonderstatusstadt": K.SONDERSTATUSSTADT}
    with open(DATA / "hessen_33.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_name: dict[str, District] = {}
    for row in sorted(rows, key=lambda r: r["kind"] == "Sonderstatusstadt"):  # Landkreise before their cities
        parent = by_name.get(row["landkreis"]) if row["landkreis"] else None
        court = court_of.get(row["name"]) or (court_of.get(row["landkreis"]) if row["landkreis"] else None)
        district, _ = District.objects.get_or_create(
            name=row["name"],
            defaults={"kind": kinds[row["kind"]], "kreisschluessel": row["kreisschluessel"],
                      "regierungsbezirk": row["regierungsbezirk"], "landkreis": parent, "court": court},
        )
        by_name[row["name"]] = district


def seed_programme() -> None:
    lines = {}
    for code, name, short, order, multi_year, first, description in LINES:
        line, _ = FundingLine.objects.get_or_create(
            code=code, defaults={"name": name, "short": short, "order": order, "multi_year": multi_year,
                                 "description": description},
        )
        lines[code] = (line, first)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        volume = Decimal(VOLUMES.get(year, LATER_VOLUME))
        notes = ("Programmvolumen laut Programmflyer. Mittelansätze ohne veröffentlichte Zahl sind Planungswerte "
                 "und vom Haushalt festzulegen.")
        py, _ = ProgrammeYear.objects.get_or_create(
            year=year, defaults={"volume": volume, "notes": notes, "is_open": year == LAST_YEAR}
        )
        active = [code for code, (line, first) in lines.items() if year >= first]
        known = {code: Decimal(KNOWN_ALLOCATIONS[(code, year)]) for code in active if (code, year) in KNOWN_ALLOCATIONS}
        rest = volume - sum(known.values(), Decimal("0"))
        shares = {code: PLANNING_SHARES[code] for code in active if code not in known}
        share_sum = sum(shares.values(), Decimal("0"))
        for code in active:
            line = lines[code][0]
            if LineRule.objects.filter(programme_year=py, line=line).exists():
                continue
            allocation = known.get(code)
            if allocation is None:
                # 90 % of the remainder is planned; 10 % stays unallocated as a reserve.
                allocation = (rest * Decimal("0.9") * shares[code] / share_sum).quantize(Decimal("1000"))
            LineRule.objects.create(programme_year=py, line=line, allocation=allocation, **rule_values(code, year))


@transaction.atomic
def seed_reference_data() -> None:
    seed_courts_and_districts()
    seed_programme()
