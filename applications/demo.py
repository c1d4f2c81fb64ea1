"""Organisations for the 33 entities, and (with --demo) demo organisations, accounts and applications.

Demo applications are created through the real services (submit, review, recommend, decide), so their events,
ledger entries and notices are exactly what the portal would produce.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from applications import services
from applications.models import Application, CostItem, Membership, Organisation, PlanYear, Role
from applications.workflow import HAUSHALT_GROUP, STAFF_GROUPS, Actor
from funding.models import District, LineRule
from funding.models import OrganisationKind as K

DEMO_PASSWORD = "wir-demo-2026"
DEMO_DECLARATIONS = {"not_started": True, "correct_complete": True, "electronic_delivery": True, "vat": "nein",
                     "other_funding": "keine", "other_funding_details": ""}
DEMO_YEAR = 2027  # the year now open for applications (deadline 31.12.2026)
PAST_YEAR = 2026


def seed_entity_organisations() -> None:
    """One verified applicant organisation per Landkreis / city, linked to its District."""
    now = timezone.now()
    for district in District.objects.select_related("landkreis").all():
        if Organisation.objects.filter(entity=district).exists():
            continue
        slug = slugify(district.name.replace("ß", "ss"))
        Organisation.objects.create(
            name=district.name, kind=district.kind, district=district, entity=district,
            regierungsbezirk=district.regierungsbezirk, city=district.name.replace("Landkreis ", ""),
            email=f"wir-{slug}@kommunen.invalid", non_profit=False, verified_at=now,
        )


def _user(email: str, *, first: str, last: str, staff: bool = False, superuser: bool = False):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first, "last_name": last,
                                  "is_staff": staff or superuser, "is_superuser": superuser},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _member(user, organisation, role):
    Membership.objects.get_or_create(user=user, organisation=organisation, defaults={"role": role})


def _rule(code: str, year: int) -> LineRule:
    return LineRule.objects.select_related("line", "programme_year").get(line__code=code, programme_year__year=year)


def _application(*, organisation, user, code, year, title, purpose, details, costs, income, months=(1, 12)):
    rule = _rule(code, year)
    app = Application.objects.create(
        organisation=organisation, rule=rule, title=title, purpose=purpose, details=details,
        period_start=datetime.date(year, months[0], 1), period_end=datetime.date(year, months[1], 28 if months[1] == 2 else 30),
        contact_name=user.get_full_name(), contact_email=user.email, created_by=user,
    )
    for category, description, amount in costs:
        CostItem.objects.create(application=app, year=year, category=category, description=description,
                                amount=Decimal(amount))
    PlanYear.objects.create(application=app, year=year, **{k: Decimal(v) for k, v in income.items()})
    services.plan_totals_refresh(application=app)
    return app


def _multi_year_application(*, organisation, user, code, year, title, purpose, details, plan, start, end):
    """A draft over several budget years: plan = {year: (costs, income)} (budget: Vielfaltszentren, MO)."""
    app = Application.objects.create(
        organisation=organisation, rule=_rule(code, year), title=title, purpose=purpose, details=details,
        period_start=start, period_end=end, contact_name=user.get_full_name(), contact_email=user.email,
        created_by=user,
    )
    for plan_year, (costs, income) in plan.items():
        for category, description, amount in costs:
            CostItem.objects.create(application=app, year=plan_year, category=category, description=description,
                                    amount=Decimal(amount))
        PlanYear.objects.create(application=app, year=plan_year, **{k: Decimal(v) for k, v in income.items()})
    services.plan_totals_refresh(application=app)
    return app


DEMO_IBAN = "DE02500105170137075030"  # a valid test IBAN (checksum), not a real account


def demo_bank_accounts() -> None:
    """Demo only: the 33 receive a bank account (Kreis-/Stadtkasse) — no approval is issued without one."""
    for org in Organisation.objects.filter(entity__isnull=False, iban=""):
        org.iban = DEMO_IBAN
        org.account_holder = f"Kreiskasse {org.name}" if org.kind == K.LANDKREIS else f"Stadtkasse {org.name}"
        org.save(update_fields=["iban", "account_holder"])


def seed_period_demo(*, run, giessen, giessen_org) -> None:
    """The funding period 2026–2030: WIR-Vielfaltszentren of several of the 33 approved for the whole period (2026
    and 2027 booked on the allocations, 2028–2030 on the commitment authority), one more submitted, and a
    Migrantenorganisation project over two budget years (2028 on the VE)."""
    period = range(2026, 2031)
    centres = [
        ("Hochtaunuskreis", "hochtaunus@demo.wir", "Hanne", "Hochtaunus-Demo",
         {"coordination_posts": "1.75", "pay_group": "E 11", "staff_post": "15000.00"},
         [("personnel", "WIR-Koordinationskräfte 1,75 VZÄ, E 11 TVöD", "122500.00"),
          ("personnel", "WIR-Mitarbeitsstelle 0,5 VZÄ", "25000.00")],
         {"own_funds": "27500.00", "requested_grant": "120000.00"}),
        ("Bad Homburg v. d. Höhe", "badhomburg@demo.wir", "Bruno", "Bad-Homburg-Demo",
         {"coordination_posts": "1.75", "pay_group": "E 11", "staff_post": "15000.00"},
         [("personnel", "WIR-Koordinationskräfte 1,75 VZÄ, E 11 TVöD", "122500.00"),
          ("personnel", "WIR-Mitarbeitsstelle 0,4 VZÄ", "20000.00")],
         {"own_funds": "22500.00", "requested_grant": "120000.00"}),
        ("Landkreis Gießen", None, None, None,
         {"coordination_posts": "2", "pay_group": "E 11", "staff_post": "20000.00", "micro_projects": "5000.00",
          "recipients": "Interkultureller Frauentreff Gießen e. V.; 2.500\nSportverein Lich-Vielfalt e. V.; 2.500"},
         [("personnel", "WIR-Koordinationskräfte 2,0 VZÄ, E 11 TVöD", "140000.00"),
          ("personnel", "WIR-Mitarbeitsstelle 0,5 VZÄ", "24000.00"),
          ("other", "Mikroprojekte: Weiterleitung an gemeinnützige Träger", "5000.00")],
         {"own_funds": "24000.00", "requested_grant": "145000.00"}),
    ]
    for name, email, first, last, details, costs, income in centres:
        org = giessen_org if email is None else Organisation.objects.get(entity__name=name)
        user = giessen if email is None else _user(email, first=first, last=last)
        _member(user, org, Role.SIGNATORY)
        app = _multi_year_application(
            organisation=org, user=user, code="vielfaltszentren", year=2026,
            title=f"[Demo] WIR-Vielfaltszentrum {name} 2026–2030",
            purpose="WIR-Vielfaltszentrum nach der Zielvereinbarung mit dem Land: Koordination der kommunalen "
                    "Integrationsarbeit, vielfaltsorientierte Öffnung der Verwaltung, Mikroprojekte vor Ort.",
            details=details, plan={y: (costs, income) for y in period},
            start=datetime.date(2026, 1, 1), end=datetime.date(2030, 12, 31))
        run(app, user, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "approve"}))
        if email is None:  # Gießen: quarterly tranches, set before the approval so that the notice states them
            from applications.payments.demo import plan_tranches_before_approval

            plan_tranches_before_approval(app, period)
        run(app, user, ("approve", {}))
    wetterau = Organisation.objects.get(entity__name="Wetteraukreis")
    user = _user("wetterau@demo.wir", first="Wilma", last="Wetterau-Demo")
    _member(user, wetterau, Role.SIGNATORY)
    app = _multi_year_application(
        organisation=wetterau, user=user, code="vielfaltszentren", year=2026,
        title="[Demo] WIR-Vielfaltszentrum Wetteraukreis 2026–2030",
        purpose="WIR-Vielfaltszentrum mit einer Koordinationskraft und einer Mitarbeitsstelle.",
        details={"coordination_posts": "1", "pay_group": "E 11", "staff_post": "20000.00"},
        plan={y: ([("personnel", "WIR-Koordinationskraft 1,0 VZÄ, E 11 TVöD", "70000.00"),
                   ("personnel", "WIR-Mitarbeitsstelle 0,5 VZÄ", "24000.00")],
                  {"own_funds": "14000.00", "requested_grant": "80000.00"}) for y in period},
        start=datetime.date(2026, 1, 1), end=datetime.date(2030, 12, 31))
    run(app, user, ("submit", {}), ("start_review", {}))

    mo_org, _ = Organisation.objects.get_or_create(
        name="Demo: Deutsch-Eritreischer Kulturverein Kassel e. V.",
        defaults={"kind": K.MIGRANTENORGANISATION, "district": District.objects.get(name="Kassel"),
                  "regierungsbezirk": "Kassel", "street": "Holländische Straße 12", "postcode": "34127",
                  "city": "Kassel", "email": "vorstand@eritrea-kassel-demo.invalid", "non_profit": True,
                  "register_number": "VR 4711 (AG Kassel)", "iban": "DE75512108001245126199",
                  "account_holder": "Deutsch-Eritreischer Kulturverein Kassel e. V.", "verified_at": timezone.now()},
    )
    user = _user("kulturverein@demo.wir", first="Kidane", last="Kulturverein-Demo")
    _member(user, mo_org, Role.SIGNATORY)
    costs = [("material", "Mikroprojekt Nachbarschaftsküche: Material und Raummiete", "3000.00"),
             ("personnel", "Minijob-Kraft Vereinsbüro (12 × 600 €)", "7200.00")]
    app = _multi_year_application(
        organisation=mo_org, user=user, code="migrantenorganisationen", year=DEMO_YEAR,
        title="[Demo] Nachbarschaftsküche und Vereinsbüro 2027–2028",
        purpose="Mikroprojekt Nachbarschaftsküche; eine Minijob-Kraft professionalisiert die Vereinsarbeit (24 Monate).",
        details={"micro_project": "3000.00", "minijob": "7200.00"},
        plan={y: (costs, {"requested_grant": "10200.00"}) for y in (DEMO_YEAR, DEMO_YEAR + 1)},
        start=datetime.date(DEMO_YEAR, 1, 1), end=datetime.date(DEMO_YEAR + 1, 12, 31))
    run(app, user, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "approve"}),
        ("approve", {}))


def _attach_required(app, user) -> None:
    """Demo attachments: a small real PDF per required kind."""
    from django.core.files.base import ContentFile

    from applications.portal.uploads import attachment_store

    for kind in app.rule.required_attachments:
        attachment_store(application=app, user=user, kind=kind,
                         upload=ContentFile(_DEMO_PDF, name=f"{kind}.pdf"), check_editable=False)


_DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@transaction.atomic
def seed_demo() -> None:
    if Application.objects.filter(title__startswith="[Demo]").exists():
        return  # idempotent: demo data exists
    demo_bank_accounts()
    giessen_org = Organisation.objects.get(entity__name="Landkreis Gießen")
    frankfurt_org = Organisation.objects.get(entity__name="Frankfurt am Main")
    verein_org, _ = Organisation.objects.get_or_create(
        name="Demo: Interkultureller Verein Brücke e. V.",
        defaults={"kind": K.MIGRANTENORGANISATION, "district": District.objects.get(name="Marburg"),
                  "regierungsbezirk": "Gießen", "street": "Universitätsstraße 7", "postcode": "35037",
                  "city": "Marburg", "email": "vorstand@bruecke-demo.invalid", "non_profit": True,
                  "register_number": "VR 1234 (AG Marburg)", "iban": "DE89370400440532013000",
                  "account_holder": "Interkultureller Verein Brücke e. V.", "verified_at": timezone.now()},
    )
    traeger_org, _ = Organisation.objects.get_or_create(
        name="Demo: Caritasverband Kassel (Träger)",
        defaults={"kind": K.KIRCHLICHER_TRAEGER, "district": District.objects.get(name="Kassel"),
                  "regierungsbezirk": "Kassel", "street": "Die Freiheit 2", "postcode": "34117", "city": "Kassel",
                  "email": "integration@caritas-demo.invalid", "non_profit": True, "legal_form": "kirche",
                  "iban": "DE02120300000000202051", "account_holder": "Caritasverband Kassel e. V.",
                  "verified_at": timezone.now()},
    )
    for org, street, postcode, iban in (
        (giessen_org, "Riversplatz 1–9", "35394", "DE02500105170137075030"),
        (frankfurt_org, "Römerberg 23", "60311", "DE02100500000054540402"),
    ):
        org.street, org.postcode, org.iban = street, postcode, iban
        org.account_holder = f"Kreiskasse {org.name}" if org.kind == K.LANDKREIS else f"Stadtkasse {org.name}"
        org.save()

    giessen = _user("giessen@demo.wir", first="Greta", last="Gießen-Demo")
    frankfurt = _user("frankfurt@demo.wir", first="Felix", last="Frankfurt-Demo")
    verein = _user("verein@demo.wir", first="Vera", last="Verein-Demo")
    vorstand = _user("vorstand@demo.wir", first="Volkan", last="Vorstand-Demo")
    caritas = _user("traeger@demo.wir", first="Theo", last="Träger-Demo")
    sb = _user("sachbearbeitung@demo.wir", first="Sabine", last="Sachbearbeitung", staff=True)
    bw = _user("bewilligung@demo.wir", first="Bernd", last="Bewilligung", staff=True)
    hh = _user("haushalt@demo.wir", first="Hanna", last="Haushalt", staff=True)
    admin_user = _user("admin@demo.wir", first="Ada", last="Admin", superuser=True)
    from applications.accounts.mfa.services import demo_factors_seed

    demo_factors_seed(sb, bw, hh, admin_user)  # the README's demo TOTP secret (development only)
    sb.groups.add(Group.objects.get(name=STAFF_GROUPS[Actor.SACHBEARBEITUNG]))
    bw.groups.add(Group.objects.get(name=STAFF_GROUPS[Actor.BEWILLIGUNG]))
    hh.groups.add(Group.objects.get(name=HAUSHALT_GROUP))
    _member(giessen, giessen_org, Role.SIGNATORY)
    _member(frankfurt, frankfurt_org, Role.SIGNATORY)
    _member(verein, verein_org, Role.MEMBER)
    _member(vorstand, verein_org, Role.ADMIN)
    _member(caritas, traeger_org, Role.ADMIN)

    # Integrations- und Teilhabeprojekte (a line of the programme as it runs from 2026; the historic lines
    # Koordination and Fallmanagement ended in 2020, MitSprache in 2025).
    ip_costs = [("personnel", "Projektkoordination, 0,75 VZÄ, E 10 TVöD", "50000.00"),
                ("fees", "Honorare Sprach- und Kulturmittlerinnen", "18000.00")]
    ip_income = {"own_funds": "18000.00", "requested_grant": "50000.00"}

    def run(app, user, *steps):
        """Walk an application through the workflow with the matching actors."""
        for step, kwargs in steps:
            if step == "submit":
                _attach_required(app, user)
                services.application_submit(application=app, user=user, today=app.rule.deadline,
                                            declarations=DEMO_DECLARATIONS)
            elif step == "start_review":
                services.application_start_review(application=app, user=sb)
            elif step == "request_changes":
                services.application_request_changes(application=app, user=sb, **kwargs)
            elif step == "recommend":
                services.application_recommend(application=app, user=sb, **kwargs)
            else:
                services.application_decide(application=app, user=bw, action=step, **kwargs)
            app.refresh_from_db()

    # --- Last year (2026): decided applications -------------------------------------------------------------
    # Gießen: approved for nine months, then an Änderungsantrag (period to 31.12., more personnel money) decided
    # under four eyes (Sachbearbeitung recommends, Bewilligung decides) -> Änderungsbescheid.
    app = _application(organisation=giessen_org, user=giessen, code="integrationsprojekte", year=PAST_YEAR,
                       title="[Demo] Willkommenslotsen im Landkreis Gießen 2026",
                       purpose="Willkommens- und Anerkennungskultur: Begleitung Neuzugewanderter in den Gemeinden "
                               "des Landkreises.",
                       details={"project_kind": "Willkommens- und Anerkennungskultur",
                                "partners": "Gemeinden des Landkreises, Migrationsberatung"},
                       costs=[("personnel", "Projektkoordination, 1,0 VZÄ, E 10 TVöD", "51000.00")],
                       income={"own_funds": "13500.00", "requested_grant": "37500.00"}, months=(1, 9))
    run(app, giessen, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "approve"}),
        ("approve", {}))
    from . import decisions

    amendment = decisions.amendment_request_create(
        application=app, user=giessen, new_period_end=datetime.date(PAST_YEAR, 12, 31),
        cost_amounts={app.cost_items.get().pk: Decimal("68000.00")}, year_amounts={PAST_YEAR: Decimal("50000.00")},
        reasons="Das Projekt wird bis zum Jahresende fortgeführt; die Personalausgaben steigen auf 68.000 €.")
    decisions.amendment_recommend(amendment=amendment, user=sb, recommendation="approve",
                                  reason="Bedarf belegt, Mittel verfügbar.")
    decisions.amendment_decide(amendment=amendment, user=bw, approve=True)
    # Frankfurt: partial approval with an excluded cost line (rent is not eligible in this line).
    app = _application(organisation=frankfurt_org, user=frankfurt, code="integrationsprojekte", year=PAST_YEAR,
                       title="[Demo] Vielfaltsorientierte Öffnung der Bürgerämter Frankfurt am Main 2026",
                       purpose="Vielfaltsorientierte Öffnung: Beratung in den Bürgerämtern der Frankfurter Stadtteile.",
                       details={"project_kind": "Vielfaltsorientierte Öffnung"},
                       costs=[("personnel", "Projektkoordination, 1,0 VZÄ, E 10 TVöD", "60000.00"),
                              ("rent", "Raummiete Beratungsbüro", "8000.00")],
                       income=ip_income)
    run(app, frankfurt, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "partial"}))
    personnel, rent = app.cost_items.order_by("id")
    decisions.application_partially_approve(application=app, user=bw, lines={
        personnel.pk: (Decimal("60000.00"), ""),
        rent.pk: (Decimal("0.00"), "Raummiete ist nicht zuwendungsfähig: die Stadt stellt Räume im Sozialrathaus "
                                   "unentgeltlich zur Verfügung."),
    })
    app = _application(organisation=verein_org, user=vorstand, code="migrantenorganisationen", year=PAST_YEAR,
                       title="[Demo] Brücke – Elterncafé und Vereinsbüro 2026",
                       purpose="Mikroprojekt Elterncafé und ein Minijob für die Vereinsverwaltung.",
                       details={"micro_project": "3000.00", "minijob": "7200.00"},
                       costs=[("material", "Elterncafé: Material und Raummiete", "3000.00"),
                              ("personnel", "Minijob Vereinsbüro (12 × 600 €)", "7200.00")],
                       income={"requested_grant": "10200.00"})
    run(app, vorstand, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "reject"}),
        ("reject", {"reasons": "Die Abstimmung mit dem örtlichen Integrationsbüro wurde nicht nachgewiesen."}))

    # --- This year's round (2027): open applications in several states -----------------------------------------
    _application(organisation=giessen_org, user=giessen, code="integrationsprojekte", year=DEMO_YEAR,
                 title="[Demo] Sprachcafés in den Gemeinden des Landkreises Gießen 2027",
                 purpose="Niedrigschwellige Begegnung und Sprachpraxis für Neuzugewanderte in fünf Gemeinden.",
                 details={"project_kind": "niedrigschwelliges Angebot"},
                 costs=[("personnel", "Projektkoordination, 0,5 VZÄ, E 9 TVöD", "32000.00")],
                 income={"own_funds": "7000.00", "requested_grant": "25000.00"})
    app = _application(organisation=giessen_org, user=giessen, code="integrationsprojekte", year=DEMO_YEAR,
                       title="[Demo] Willkommenslotsen im Landkreis Gießen 2027",
                       purpose="Fortführung der Begleitung Neuzugewanderter in den Gemeinden des Landkreises.",
                       details={"project_kind": "Willkommens- und Anerkennungskultur"},
                       costs=ip_costs, income=ip_income)
    run(app, giessen, ("submit", {}))
    # The project coordinator's contract must be signed in December: early start requested and consented.
    decisions.early_start_request(application=app, user=giessen, start=datetime.date(DEMO_YEAR, 1, 1),
                                  reason="Die Projektkoordinatorin muss ihren Vertrag bis zum 15.12. unterschreiben, "
                                         "sonst geht die Stelle verloren.", today=datetime.date(DEMO_YEAR - 1, 11, 1))
    decisions.early_start_decide(application=app, user=bw, consent=True)
    app = _application(organisation=frankfurt_org, user=frankfurt, code="integrationsprojekte", year=DEMO_YEAR,
                       title="[Demo] Vielfaltsorientierte Öffnung der Bürgerämter Frankfurt am Main 2027",
                       purpose="Fortführung: Beratung und Sprachmittlung in den Bürgerämtern, angesiedelt beim "
                               "Amt für multikulturelle Angelegenheiten.",
                       details={"project_kind": "Vielfaltsorientierte Öffnung"},
                       costs=ip_costs, income=ip_income)
    run(app, frankfurt, ("submit", {}), ("start_review", {}), ("recommend", {"recommendation": "approve"}))
    app = _application(organisation=frankfurt_org, user=frankfurt, code="lotsen", year=DEMO_YEAR,
                       title="[Demo] Integrationslotsen Frankfurt-Nord 2027",
                       purpose="12 ehrenamtliche Lotsinnen und Lotsen begleiten Neuzugewanderte zu Ämtern.",
                       details={"coordinating_lotsen": 2, "other_lotsen": 10, "hours": 3000, "qualification_courses": 1},
                       costs=[("allowances", "Aufwandsentschädigung 3.000 Std. × 5 €", "15000.00"),
                              ("qualification", "Qualifizierungskurs", "1500.00")],
                       income={"own_funds": "1500.00", "requested_grant": "15000.00"})
    run(app, frankfurt, ("submit", {}), ("start_review", {}))
    app = _application(organisation=verein_org, user=vorstand, code="migrantenorganisationen", year=DEMO_YEAR,
                       title="[Demo] Brücke – Hausaufgabenhilfe und Vereinsbüro 2027",
                       purpose="Mikroprojekt Hausaufgabenhilfe; Minijob für Vereinsverwaltung und Öffentlichkeitsarbeit.",
                       details={"micro_project": "3000.00", "minijob": "7200.00"},
                       costs=[("material", "Hausaufgabenhilfe: Lernmaterial", "3000.00"),
                              ("personnel", "Minijob Vereinsbüro (12 × 600 €)", "7200.00")],
                       income={"requested_grant": "10200.00"})
    run(app, vorstand, ("submit", {}), ("start_review", {}),
        ("request_changes", {"message": "Bitte reichen Sie die Bestätigung der Abstimmung mit dem Integrationsbüro "
                                        "der Stadt Marburg nach."}))
    _application(organisation=traeger_org, user=caritas, code="laiendolmetscher", year=DEMO_YEAR,
                 title="[Demo] Laiendolmetscherpool Kassel-Nord 2027",
                 purpose="Ehrenamtliche Sprachmittlung bei Arzt-, Schul- und Behördenterminen in Kassel-Nord.",
                 details={"languages": "Arabisch, Dari, Tigrinya, Türkisch, Ukrainisch, Farsi", "interpreters": 8,
                          "clients": 60, "assignments": 240},
                 costs=[("allowances", "Festbetrag 240 Einsätze × 20 €", "4800.00")],
                 income={"requested_grant": "4800.00"})

    seed_period_demo(run=run, giessen=giessen, giessen_org=giessen_org)
    from applications.forwarding.demo import seed_forwarding_demo

    seed_forwarding_demo()  # Weiterleitung of the Vielfaltszentrum Gießen's Mikroprojekte (issue 12)
    # After commit: the approval notices are rendered and sent first (their tasks were queued before), then paid.
    transaction.on_commit(seed_payments_demo)
    from applications.proof.demo import seed_proof_demo

    transaction.on_commit(seed_proof_demo)  # proof of use (applications/proof), after the payments
    transaction.on_commit(__import__("applications.revocation.demo", fromlist=["x"]).seed_revocation_demo)


@transaction.atomic
def seed_payments_demo() -> None:
    """Payments of the demo (applications/payments): requested, confirmed, ordered, paid and refused payments, a
    quarterly tranche plan for the Vielfaltszentrum Gießen (2026–2030, set before its approval so the notice states it;
    the 2028–2030 tranches wait for their budgets), an executed and an open payment run.

    Demo shortcut: the approval notices are marked as sent three months ago, so they are final today."""
    from applications.models import Notice, NoticeKind, Payment
    from applications.payments import services as pay

    if Payment.objects.filter(application__title__startswith="[Demo]").exists():
        return
    User = get_user_model()  # noqa: N806
    sb, hh = User.objects.get(email="sachbearbeitung@demo.wir"), User.objects.get(email="haushalt@demo.wir")
    giessen, frankfurt = User.objects.get(email="giessen@demo.wir"), User.objects.get(email="frankfurt@demo.wir")
    admin_user = User.objects.get(email="admin@demo.wir")

    app = Application.objects.get(title="[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2026–2030")  # tranche plan: seed_period_demo
    three_months_ago = timezone.now() - datetime.timedelta(days=92)
    Notice.objects.filter(application__title__startswith="[Demo]", kind=NoticeKind.APPROVAL,
                          sent_at__isnull=False).update(sent_at=three_months_ago, first_sent_at=three_months_ago)
    pay.tranches_fall_due()

    fm = Application.objects.get(title="[Demo] Willkommenslotsen im Landkreis Gießen 2026")
    ffm = Application.objects.get(title="[Demo] Vielfaltsorientierte Öffnung der Bürgerämter Frankfurt am Main 2026")

    def request(application, user, amount):
        return pay.payment_request(application=application, user=user, year=application.year,
                                   amount=Decimal(amount), need_declared=True)

    paid = request(fm, giessen, "12500.00")
    pay.payment_confirm(payment=paid, user=sb)
    pay.payment_order(payment=paid, user=hh)
    executed = pay.run_create(user=hh, payment_ids=[paid.pk], execution_date=timezone.localdate() - datetime.timedelta(days=50))
    pay.run_execute(run=executed, user=hh)
    ordered = request(fm, giessen, "12500.00")
    pay.payment_confirm(payment=ordered, user=sb)
    pay.payment_order(payment=ordered, user=hh)
    tranche = Payment.objects.filter(application=app, tranche_no=1, year=PAST_YEAR).first()
    ordered_ids = [ordered.pk]
    if tranche:
        pay.payment_confirm(payment=tranche, user=sb)
        pay.payment_order(payment=tranche, user=admin_user)
        ordered_ids.append(tranche.pk)
    pay.run_create(user=hh, payment_ids=ordered_ids)  # an open run: export SEPA/CSV, then mark executed
    pay.payment_confirm(payment=request(fm, giessen, "5000.00"), user=sb)
    request(ffm, frankfurt, "10000.00")
    pay.payment_refuse(payment=request(fm, giessen, "2000.00"), user=sb,
                       reason="Der Bedarf binnen zwei Monaten ist nicht dargelegt: die Stelle ist bis März "
                              "bereits aus der ersten Auszahlung finanziert.")
    request(fm, giessen, "3000.00")

