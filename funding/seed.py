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

from .models import AdministrativeCourt, CapScope, District, FundingLine, FundingPeriod, LineRule, ProgrammeYear
from .models import AttachmentKind as A
from .models import FinancingType as F
from .models import OrganisationKind as K

DATA = Path(__file__).resolve().parent / "data"
FIRST_YEAR, LAST_YEAR = 2014, 2027  # LAST_YEAR: the year open for applications
# The current funding period (WIR-Vielfaltszentren: one application and one notice per entity for January 2026 to
# the end of 2030, public). Years after LAST_YEAR exist without an enacted budget: approvals are booked against
# the commitment authority (Verpflichtungsermächtigung, § 38 LHO) until Haushalt enacts the year.
PERIOD_NAME, PERIOD_FIRST, PERIOD_LAST = "Förderperiode WIR-Vielfaltszentren", 2026, 2030

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
    # The lines of the guideline as it runs in 2026 (rp-darmstadt.hessen.de „Förderprogramm WIR“,
    # integrationskompass.hessen.de): seeded from 2026 on.
    ("vielfaltszentren", "WIR-Vielfaltszentren", "VZ", 5, True, 2021,
     "Die 33 Landkreise, kreisfreien Städte und Sonderstatusstädte: bis zu zwei WIR-Koordinationskräfte, eine "
     "WIR-Mitarbeitsstelle und Mikroprojekte, die an gemeinnützige Träger vor Ort weitergeleitet werden; "
     "Zielvereinbarung zwischen Land und Kommune; ein Antrag und ein Bescheid für die Förderperiode 2026–2030."),
    ("integrationsprojekte", "Integrations- und Teilhabeprojekte", "IP", 65, True, 2026,
     "Innovative Integrations- und Teilhabeprojekte zur Willkommens- und Anerkennungskultur und zur "
     "vielfaltsorientierten Öffnung; Kommunen, öffentliche, kirchliche und freie Träger, gemeinnützige "
     "Migrantenorganisationen."),
    ("kiv", "Kommunale Vielfalts- und Integrationsstrategien (KIV)", "KV", 75, True, 2026,
     "Partizipative Entwicklung einer kommunalen Vielfalts- und Integrationsstrategie mit externer "
     "Prozessbegleitung: Kommunen mit 10.000 bis 50.000 Einwohnerinnen und Einwohnern, kleinere im Verbund mit "
     "einer oder zwei Partnerkommunen; Laufzeit bis 18 Monate."),
]
NEW_LINES = ("vielfaltszentren", "integrationsprojekte", "kiv")
# The years a line existed (first year above). The guideline renewed at the start of 2021 bundled Koordination and
# Fallmanagement into the WIR-Vielfaltszentren (soziales.hessen.de press archive, rp-darmstadt.hessen.de
# „Förderprogramm WIR“): they end with 2020 and the Vielfaltszentren start in 2021 (Mitarbeitsstelle and
# Mikroprojekte since 2022). MitSprache, the Sprachkurse and the WIR-Projekte are not lines of the programme as it
# runs in 2026 (Integrations- und Teilhabeprojekte and KIV took the projects' place); no public source dates their
# end, so they are kept up to 2025 for reporting. Migration 0008_lines_historic does the same for seeded databases.
LAST_YEARS = {"koordination": 2020, "fallmanagement": 2020, "mitsprache": 2025, "sprachkurse": 2025, "projekte": 2025}
# Lines that approve beyond the open year, with the planning value of their yearly allocation from 2026 (taken
# from the reserve the shares below leave) and of the commitment authority for the years after LAST_YEAR. None of
# these figures is published: Haushalt sets them in the admin.
NEW_LINE_ALLOCATIONS = {"vielfaltszentren": "600000", "kiv": "100000"}
COMMITMENT_AUTHORITY = {
    "vielfaltszentren": {2028: "600000", 2029: "600000", 2030: "600000"},
    "migrantenorganisationen": {2028: "150000", 2029: "50000"},
    "integrationsprojekte": {2028: "100000", 2029: "50000"},
    "kiv": {2028: "50000"},
}

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
    # Successors take the share of the lines they replace: 2021–2025 the Vielfaltszentren carry the shares of the
    # two lines they bundle (from 2026 their allocation is the planning value above); from 2026 the Integrations- und
    # Teilhabeprojekte carry the share of the WIR-Projekte. The shares of MitSprache and the Sprachkurse stay
    # unallocated from 2026 for Haushalt (migration 0008_lines_historic does the same).
    "vielfaltszentren": Decimal("0.50"), "integrationsprojekte": Decimal("0.10"),
}
# The shares are divided by the sum over the original lines *begun* by the year (ended ones included; the
# Vielfaltszentren only take over the shares of Koordination and Fallmanagement), so a line's planning value does
# not grow because another line ended.
SUCCESSOR_SHARES = ("vielfaltszentren", "integrationsprojekte")


def line_active(code: str, year: int, first: int) -> bool:
    return first <= year <= LAST_YEARS.get(code, 9999)


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def rule_values(code: str, year: int) -> dict:
    """The yearly rule of a line, as far as the public sources give it; unknown caps stay empty (None)."""
    deadline = datetime.date(year - 1, 12, 31)
    v: dict = {"deadline": deadline, "funding_rate": None, "cap_per_application": None, "cap_per_post": None,
               "max_posts": None, "cap_per_course": None, "unit_rate": None, "max_units_per_course": None,
               "childcare_rate": None, "hourly_rate": None, "max_hours_coordinating": None, "max_hours_other": None,
               "flat_rate": None, "max_months": None, "one_per_organisation": False, "conditions": "",
               "cap_scope": CapScope.YEAR, "limits": {}}
    if code == "koordination":
        v.update(eligible_kinds=K.the_33(), financing_type=F.FEHLBEDARF, one_per_organisation=True,
                 required_attachments=[A.CONCEPT, A.JOB_DESCRIPTION])
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
        # 10.200 € a year (3.000 Mikroprojekt + 7.200 Minijob; integrationskompass.hessen.de), up to 24 months: the
        # cap applies per budget year. From 2026 also Netzwerkaufbau and Kommunen in cooperation with an MO (RP
        # Darmstadt); the Netzwerkaufbau amount is not published (no part-cap until Haushalt sets one).
        v.update(eligible_kinds=[K.MIGRANTENORGANISATION], financing_type=F.FESTBETRAG, cap_per_application=_d("10200"),
                 cap_scope=CapScope.YEAR, limits={"micro_project": "3000", "minijob": "7200"},
                 max_months=24, required_attachments=[A.FINANCIAL_PLAN, A.CONCEPT, A.COORDINATION_LETTER])
        if year >= 2026:
            v.update(eligible_kinds=[K.MIGRANTENORGANISATION, *ALL_MUNICIPAL])
    elif code == "projekte":
        v.update(eligible_kinds=[*ALL_MUNICIPAL, *TRAEGER], financing_type=F.FEHLBEDARF,
                 required_attachments=[A.CONCEPT, A.FINANCIAL_PLAN])
    elif code == "laiendolmetscher":
        # Since 2018 "über Vereine und Kommunen" (RP Darmstadt): municipalities are eligible too.
        v.update(eligible_kinds=[*ALL_MUNICIPAL, *TRAEGER], financing_type=F.FESTBETRAG, flat_rate=_d("20"), deadline=None,
                 required_attachments=[A.CONCEPT],
                 conditions="Festbetrag von 20 € je Einsatz und Klient/in, höchstens 5 Einsätze je Klient/in. Der Antrag "
                            "ist spätestens 4 Wochen vor Projektbeginn zu stellen.")
    elif code == "vielfaltszentren" and year < PERIOD_FIRST:
        # 2021–2025 (historic, for reporting): yearly notices; two Koordinationskräfte at up to 60.000 € per full-time
        # post, since 2022 a Mitarbeitsstelle (20.000 €) and Mikroprojekte (5.000 €) a year (soziales.hessen.de).
        v.update(eligible_kinds=K.the_33(), financing_type=F.FEHLBEDARF, cap_per_post=_d("60000"), max_posts=_d("2"),
                 max_months=12, one_per_organisation=True,
                 required_attachments=[A.TARGET_AGREEMENT, A.CONCEPT, A.JOB_DESCRIPTION])
        if year >= 2022:
            v.update(limits={"staff_post": "20000", "micro_projects": "5000"})
    elif code == "vielfaltszentren":
        # Up to two Koordinationskräfte at up to 60.000 € per full-time post and year, one Mitarbeitsstelle up to
        # 20.000 € a year, Mikroprojekte up to 5.000 € a year passed on (integrationskompass.hessen.de,
        # foerdermittel-wissenswert.de); one application for the period 2026–2030 (deadline before it starts).
        v.update(eligible_kinds=K.the_33(), financing_type=F.FEHLBEDARF, cap_per_post=_d("60000"), max_posts=_d("2"),
                 limits={"staff_post": "20000", "micro_projects": "5000"}, max_months=60, one_per_organisation=True,
                 deadline=datetime.date(PERIOD_FIRST - 1, 12, 31),
                 required_attachments=[A.TARGET_AGREEMENT, A.CONCEPT, A.JOB_DESCRIPTION],
                 conditions="Die Mittel für Mikroprojekte werden nach Nr. 12 VV zu § 44 LHO an gemeinnützige Träger "
                            "vor Ort weitergeleitet; die Empfänger und Beträge werden im Verwendungsnachweis "
                            "nachgewiesen. Grundlage ist die Zielvereinbarung zwischen Land und Kommune.")
    elif code == "integrationsprojekte":
        v.update(eligible_kinds=[*ALL_MUNICIPAL, *TRAEGER], financing_type=F.FEHLBEDARF,
                 required_attachments=[A.CONCEPT, A.FINANCIAL_PLAN])
    elif code == "kiv":
        # Kommunen of 10.000–50.000 inhabitants, smaller ones with one or two partners; up to 18 months; at most
        # 30.000 € (soziales.hessen.de; earlier 20.000 €) for the whole process: a cap per application.
        v.update(eligible_kinds=[K.GEMEINDE], financing_type=F.FEHLBEDARF, cap_per_application=_d("30000"),
                 cap_scope=CapScope.APPLICATION, max_months=18,
                 limits={"min_inhabitants": "10000", "max_inhabitants": "50000"},
                 required_attachments=[A.CONCEPT, A.FINANCIAL_PLAN])
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
    period, _ = FundingPeriod.objects.get_or_create(
        first_year=PERIOD_FIRST, last_year=PERIOD_LAST, defaults={"name": PERIOD_NAME})
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        volume = Decimal(VOLUMES.get(year, LATER_VOLUME))
        notes = ("Programmvolumen laut Programmflyer. Mittelansätze ohne veröffentlichte Zahl sind Planungswerte "
                 "und vom Haushalt festzulegen.")
        py, _ = ProgrammeYear.objects.get_or_create(
            year=year, defaults={"volume": volume, "notes": notes, "is_open": year == LAST_YEAR}
        )
        begun = [code for code, (line, first) in lines.items() if year >= first]
        active = [code for code in begun if line_active(code, year, lines[code][1])]
        known = {code: Decimal(KNOWN_ALLOCATIONS[(code, year)]) for code in begun if (code, year) in KNOWN_ALLOCATIONS}
        rest = volume - sum(known.values(), Decimal("0"))
        shares = {code: PLANNING_SHARES[code] for code in active if code not in known and code in PLANNING_SHARES}
        share_sum = sum((PLANNING_SHARES[code] for code in begun if code not in known and code in PLANNING_SHARES
                         and code not in SUCCESSOR_SHARES), Decimal("0"))
        for code in active:
            line = lines[code][0]
            if LineRule.objects.filter(programme_year=py, line=line).exists():
                continue
            allocation = known.get(code)
            if allocation is None and code in NEW_LINE_ALLOCATIONS and year >= PERIOD_FIRST:
                allocation = Decimal(NEW_LINE_ALLOCATIONS[code])  # from the 10 % reserve
            elif allocation is None:
                # 90 % of the remainder is planned; 10 % stays unallocated as a reserve.
                allocation = (rest * Decimal("0.9") * shares[code] / share_sum).quantize(Decimal("1000"))
            values = rule_values(code, year)
            if code == "vielfaltszentren" and year >= PERIOD_FIRST:
                values["funding_period"] = period
            LineRule.objects.create(programme_year=py, line=line, allocation=allocation, **values)
    seed_future_years(lines=lines, period=period)


def seed_future_years(*, lines, period) -> None:
    """The years of the period after the open one: no enacted budget (volume 0, allocations 0), the commitment
    authority of the lines that approve into them."""
    for year in range(LAST_YEAR + 1, PERIOD_LAST + 1):
        py, _ = ProgrammeYear.objects.get_or_create(year=year, defaults={
            "volume": Decimal("0"), "is_open": False, "budget_enacted": False,
            "notes": "Haushalt noch nicht beschlossen: Bewilligungen zu Lasten dieses Jahres nur im Rahmen der "
                     "Verpflichtungsermächtigungen (§ 38 LHO). VE-Beträge sind Planungswerte des Haushalts.",
        })
        for code, by_year in COMMITMENT_AUTHORITY.items():
            line = lines[code][0]
            if year not in by_year or LineRule.objects.filter(programme_year=py, line=line).exists():
                continue
            values = rule_values(code, year)
            if code == "vielfaltszentren":
                values["funding_period"] = period
            LineRule.objects.create(programme_year=py, line=line, allocation=Decimal("0"),
                                    commitment_authority=Decimal(by_year[year]), **values)


@transaction.atomic
def seed_reference_data() -> None:
    from funding.base_rates import base_rates_seed

    seed_courts_and_districts()
    seed_programme()
    base_rates_seed()
