"""Synthetic data at scale for load tests: organisations, applications in every workflow state, cost plans,
audit events, budget ledger, notices, memberships — written with bulk inserts.

The data obeys the same invariants as data made through the services:
- every status is a workflow.Status and its event trail is a path through workflow.TRANSITIONS;
- every funded application's ledger (commitments − releases) equals its approved amount, booked against the
  LineRule of each plan year; no LineRule is committed beyond its allocation (when a line's money is gone,
  the application is rejected or withdrawn instead, as the RP would have to);
- file numbers are unique and the FileNumberCounter rows are moved past every number used, so later real
  submissions continue the sequence without collisions.

Used by `manage.py seed_scale`; the tests in tests/scale/ check the invariants on a small run.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from applications.models import (
    Application,
    CostCategory,
    CostItem,
    Event,
    FileNumberCounter,
    Membership,
    Message,
    Notice,
    NoticeKind,
    NoticeStatus,
    Organisation,
    PlanYear,
    Role,
)
from applications.workflow import HAUSHALT_GROUP, STAFF_GROUPS, TRANSITIONS, Actor, Status
from funding.models import District, LedgerEntry, LedgerKind, LedgerSource, LineRule
from funding.models import OrganisationKind as K
from funding.services import ledger_totals

BENCH_PASSWORD = "wir-demo-2026"
OWNER_EMAIL = "scale-owner@bench.wir"
ADMIN_EMAIL = "scale-admin@bench.wir"
REVIEWER_EMAIL = "scale-sachbearbeitung@bench.wir"
APPROVER_EMAIL = "scale-bewilligung@bench.wir"
BUDGET_EMAIL = "scale-haushalt@bench.wir"
OWNER_ORG_NAME = "Bench: Interkulturelles Netzwerk Rhein-Main e. V."
TITLE_PREFIX = "[Scale]"
BATCH = 2000
CENT = Decimal("0.01")

# --- Vocabulary for plausible German names ----------------------------------------------------------------------
PLACES = [
    "Frankfurt", "Wiesbaden", "Kassel", "Darmstadt", "Offenbach", "Hanau", "Gießen", "Marburg", "Fulda", "Rüsselsheim",
    "Bad Homburg", "Wetzlar", "Oberursel", "Rodgau", "Dreieich", "Bensheim", "Hofheim", "Maintal", "Neu-Isenburg",
    "Langen", "Limburg", "Dietzenbach", "Mörfelden-Walldorf", "Viernheim", "Bad Vilbel", "Lampertheim", "Baunatal",
    "Friedberg", "Bad Nauheim", "Heppenheim", "Taunusstein", "Griesheim", "Butzbach", "Idstein", "Kelkheim", "Weiterstadt",
    "Groß-Umstadt", "Bad Hersfeld", "Eschborn", "Pfungstadt", "Mühlheim", "Seligenstadt", "Karben", "Friedrichsdorf",
    "Stadtallendorf", "Korbach", "Dillenburg", "Herborn", "Alsfeld", "Lauterbach", "Eschwege", "Witzenhausen",
    "Hofgeismar", "Homberg (Efze)", "Melsungen", "Schwalmstadt", "Bebra", "Rotenburg", "Büdingen", "Gelnhausen",
    "Schlüchtern", "Erbach", "Michelstadt", "Dieburg", "Babenhausen", "Groß-Gerau", "Ginsheim-Gustavsburg", "Raunheim",
    "Flörsheim", "Hochheim", "Eltville", "Geisenheim", "Rüdesheim", "Bad Soden", "Schwalbach", "Sulzbach", "Usingen",
    "Neu-Anspach", "Weilburg", "Hadamar", "Biedenkopf", "Kirchhain", "Lollar", "Pohlheim", "Linden", "Grünberg",
    "Hungen", "Nidda", "Schotten", "Bad Wildungen", "Frankenberg", "Fritzlar", "Wolfhagen", "Vellmar", "Lohfelden",
    "Kaufungen", "Hessisch Lichtenau", "Sontra", "Heringen", "Hünfeld",
]
PREFIX = {
    K.GEMEINDE: ["Stadt", "Gemeinde", "Magistrat der Stadt"],
    K.KOMMUNALER_TRAEGER: ["Volkshochschule", "Kommunales Integrationsbüro", "Jugendbildungswerk", "Familienzentrum",
                           "Stadtteilbüro"],
    K.KIRCHLICHER_TRAEGER: ["Caritasverband", "Diakonisches Werk", "Evangelische Familienbildung", "Katholische "
                            "Erwachsenenbildung", "Kirchengemeinde St. Martin"],
    K.FREIER_TRAEGER: ["Arbeiterwohlfahrt Ortsverein", "Internationaler Bund", "Nachbarschaftshilfe", "Bildungswerk",
                       "Paritätisches Bildungswerk", "Verein für Integration und Bildung", "Mehrgenerationenhaus",
                       "Frauenzentrum"],
    K.MIGRANTENORGANISATION: ["Deutsch-Türkischer Kulturverein", "Afghanischer Frauenverein", "Eritreische Gemeinde",
                              "Syrischer Elternverein", "Interkultureller Verein", "Polnische Katholische Mission "
                              "Elternverein", "Russischsprachiger Elternverein", "Kurdischer Kulturverein",
                              "Verein der Ukrainerinnen", "Afrikanisches Netzwerk", "Griechische Gemeinde",
                              "Italienischer Kulturkreis", "Tamilischer Kulturverein", "Somalischer Elternverein"],
}
KIND_WEIGHTS = [(K.GEMEINDE, 10), (K.KOMMUNALER_TRAEGER, 12), (K.KIRCHLICHER_TRAEGER, 18), (K.FREIER_TRAEGER, 30),
                (K.MIGRANTENORGANISATION, 30)]
FIRST_NAMES = ["Anna", "Mehmet", "Fatima", "Lukas", "Sofia", "Jonas", "Ayşe", "Daniel", "Leyla", "Paul", "Maria", "Ali",
               "Katharina", "Yusuf", "Elena", "Tobias", "Amina", "Stefan", "Nadia", "Michael"]
LAST_NAMES = ["Müller", "Yılmaz", "Schmidt", "Kaya", "Schneider", "Haddad", "Fischer", "Nowak", "Weber", "Popescu",
              "Meyer", "Demir", "Wagner", "Rahimi", "Becker", "Kowalski", "Hoffmann", "Tesfaye", "Schulz", "Ivanova"]
TITLES = {
    "koordination": ["WIR-Koordination {place}", "Strukturelles Integrationsmanagement {place}"],
    "fallmanagement": ["Fallmanagement für Geflüchtete {place}", "WIR-Fallmanagement {place}"],
    "lotsen": ["Integrationslotsen {place}", "Ehrenamtliche Lotsinnen und Lotsen in {place}", "Lotsenprojekt {place}"],
    "mitsprache": ["MitSprache – Deutsch4U in {place}", "Deutschkurs für Geflüchtete {place}"],
    "sprachkurse": ["Mama lernt Deutsch – {place}", "Niedrigschwelliger Sprachkurs {place}", "Sprachcafé {place}"],
    "migrantenorganisationen": ["Professionalisierung unseres Vereins", "Mikroprojekt Elternarbeit {place}",
                                "Minijob Vereinskoordination {place}"],
    "projekte": ["Interkulturelle Öffnung der Verwaltung {place}", "Willkommenskultur in {place}",
                 "Modellprojekt Geflüchtete Frauen {place}", "Kommunale Integrationsstrategie {place}"],
    "laiendolmetscher": ["Laiendolmetscher-Pool {place}", "Sprachmittlung im Ehrenamt {place}"],
}
LANGS = ["Arabisch", "Dari", "Farsi", "Tigrinya", "Türkisch", "Kurdisch", "Russisch", "Ukrainisch", "Polnisch", "Somali"]

# Status mix per kind of year (weights). Past years are decided; the current year partly open; the open year
# (applications for next year) mostly in progress.
PAST_MIX = [(Status.APPROVED, 55), (Status.PARTIALLY_APPROVED, 10), (Status.REJECTED, 20), (Status.WITHDRAWN, 15)]
CURRENT_MIX = [(Status.APPROVED, 45), (Status.PARTIALLY_APPROVED, 8), (Status.REJECTED, 14), (Status.WITHDRAWN, 8),
               (Status.RECOMMENDED, 7), (Status.IN_REVIEW, 8), (Status.CHANGES_REQUESTED, 4),
               (Status.RESUBMITTED, 3), (Status.SUBMITTED, 3)]
OPEN_MIX = [(Status.DRAFT, 30), (Status.SUBMITTED, 25), (Status.IN_REVIEW, 18), (Status.CHANGES_REQUESTED, 8),
            (Status.RESUBMITTED, 5), (Status.RECOMMENDED, 8), (Status.WITHDRAWN, 6)]

# The action path that leads to each status (every step is an edge of workflow.TRANSITIONS).
PATHS: dict[str, list[str]] = {
    Status.DRAFT: [],
    Status.SUBMITTED: ["submit"],
    Status.IN_REVIEW: ["submit", "start_review"],
    Status.CHANGES_REQUESTED: ["submit", "start_review", "request_changes"],
    Status.RESUBMITTED: ["submit", "start_review", "request_changes", "resubmit"],
    Status.RECOMMENDED: ["submit", "start_review", "recommend"],
    Status.APPROVED: ["submit", "start_review", "recommend", "approve"],
    Status.PARTIALLY_APPROVED: ["submit", "start_review", "recommend", "partially_approve"],
    Status.REJECTED: ["submit", "start_review", "recommend", "reject"],
    Status.WITHDRAWN: ["submit", "withdraw"],
}
STAFF_ACTIONS = {"start_review", "request_changes", "recommend", "approve", "partially_approve", "reject",
                 "withdraw_for_applicant"}
REASONS = {
    "request_changes": "Bitte reichen Sie die Teilnehmendenliste und einen ausgeglichenen Finanzierungsplan nach.",
    "partially_approve": "Die Personalausgaben sind nur anteilig zuwendungsfähig; im Übrigen wird der Antrag bewilligt.",
    "reject": "Der Antrag erfüllt die Fördervoraussetzungen der Richtlinie nicht.",
    "reject_budget": "Die Mittel des Förderbereichs für dieses Haushaltsjahr sind ausgeschöpft.",
    "withdraw": "Das Vorhaben kann in diesem Jahr nicht durchgeführt werden.",
}


@dataclass
class ScaleResult:
    organisations: int = 0
    users: int = 0
    applications: int = 0
    plan_years: int = 0
    cost_items: int = 0
    events: int = 0
    ledger_entries: int = 0
    notices: int = 0
    messages: int = 0
    memberships: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    budget_rejections: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    owner_email: str = OWNER_EMAIL


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _m(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@contextlib.contextmanager
def _manual_timestamps(*models):
    """Let bulk_create keep our historical timestamps: switch auto_now/auto_now_add off while generating."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _users(now) -> dict[str, object]:
    """The bench accounts (idempotent): an applicant owning many applications, a superuser and three staff."""
    user_model = get_user_model()
    password = make_password(BENCH_PASSWORD)
    spec = [
        (OWNER_EMAIL, "Olga", "Owner", False, False, None),
        (ADMIN_EMAIL, "Adam", "Admin", True, True, None),
        (REVIEWER_EMAIL, "Sina", "Sachbearbeitung", True, False, STAFF_GROUPS[Actor.SACHBEARBEITUNG]),
        (APPROVER_EMAIL, "Bernd", "Bewilligung", True, False, STAFF_GROUPS[Actor.BEWILLIGUNG]),
        (BUDGET_EMAIL, "Hanna", "Haushalt", True, False, HAUSHALT_GROUP),
    ]
    users = {}
    for email, first, last, staff, superuser, group in spec:
        user, created = user_model.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last, "is_staff": staff,
                                      "is_superuser": superuser, "password": password},
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        users[email] = user
    return users


def _organisations(rng: random.Random, count: int, now, districts) -> list[Organisation]:
    existing = set(Organisation.objects.values_list("name", flat=True))
    orgs, seen = [], set(existing)
    n = 0
    while len(orgs) < count:
        n += 1
        kind = _weighted(rng, KIND_WEIGHTS)
        place = rng.choice(PLACES)
        if kind == K.GEMEINDE:
            name = f"{rng.choice(PREFIX[kind])} {place}"
        else:
            name = f"{rng.choice(PREFIX[kind])} {place}"
            if kind in (K.MIGRANTENORGANISATION, K.FREIER_TRAEGER):
                name += " e. V."
        if name in seen:
            name = f"{name} ({n})"
        seen.add(name)
        district = rng.choice(districts)
        slug = f"org{n}-{rng.randrange(10**6)}"
        orgs.append(Organisation(
            name=name, kind=kind, district=district, regierungsbezirk=district.regierungsbezirk,
            street=f"{rng.choice(['Hauptstraße', 'Bahnhofstraße', 'Schulstraße', 'Kirchweg'])} {rng.randint(1, 120)}",
            postcode=f"{rng.randint(34000, 65999)}", city=place, email=f"{slug}@orgs.bench.invalid",
            non_profit=kind != K.GEMEINDE, inhabitants=rng.randint(5000, 60000) if kind == K.GEMEINDE else None,
            verified_at=now - datetime.timedelta(days=rng.randint(30, 3000)),
            created_at=now - datetime.timedelta(days=rng.randint(30, 4000)),
            # approvals need a bank account and, for municipal Träger, the legal form (ANBest-GK or -P)
            iban="DE89370400440532013000", account_holder=name[:200],
            legal_form={K.GEMEINDE: "gebietskoerperschaft", K.KOMMUNALER_TRAEGER: "eigenbetrieb",
                        K.KIRCHLICHER_TRAEGER: "kirche"}.get(kind, "verein"),
        ))
    return orgs


def _amounts(rng: random.Random, code: str, rule: LineRule) -> tuple[dict, Decimal]:
    """Line details and the yearly grant applied for, within the rule's caps."""
    if code in ("koordination", "fallmanagement"):
        posts = Decimal(rng.choice(["0.5", "1.0", "1.0", "1.5", "2.0"] if code == "koordination" else ["0.5", "1.0"]))
        cap = (rule.cap_per_post or Decimal("50000")) * posts
        if rule.max_posts:
            posts = min(posts, rule.max_posts)
            cap = (rule.cap_per_post or Decimal("50000")) * posts
        return ({"posts": str(posts), "pay_group": rng.choice(["E 9", "E 10", "E 11", "S 12"])},
                _m(cap * Decimal(rng.randint(70, 100)) / 100))
    if code == "vielfaltszentren":
        posts = Decimal(rng.choice(["1.0", "1.5", "1.75", "2.0"]))
        staff = Decimal(rng.choice([0, 10000, 15000, 20000]))
        grant = (rule.cap_per_post or Decimal("60000")) * posts + staff
        return ({"coordination_posts": str(posts), "pay_group": "E 11", "staff_post": str(staff)},
                _m(grant * Decimal(rng.randint(80, 100)) / 100))
    if code == "lotsen":
        coord, other = rng.randint(1, 3), rng.randint(5, 20)
        hours = rng.randint(200, coord * (rule.max_hours_coordinating or 414) + other * (rule.max_hours_other or 276))
        grant = hours * (rule.hourly_rate or Decimal("5")) + (rule.flat_rate or 0)
        return ({"coordinating_lotsen": coord, "other_lotsen": other, "hours": hours,
                 "qualification_courses": rng.randint(0, 3)}, _m(grant))
    if code in ("mitsprache", "sprachkurse"):
        courses, units = rng.randint(1, 3), rng.randint(80, 300)
        per_course = min(Decimal(units) * (rule.unit_rate or Decimal("30")), rule.cap_per_course or Decimal("12000"))
        details = {"courses": courses, "units_per_course": units, "location": rng.choice(PLACES)}
        if code == "mitsprache":
            details["childcare_units"] = rng.randint(0, units)
            details["cooperating_municipality"] = rng.choice(PLACES)
        return details, _m(per_course * courses * Decimal(rng.randint(60, 100)) / 100)
    if code == "migrantenorganisationen":
        micro, mini = rng.choice([1500, 2000, 3000]), rng.choice([0, 3600, 7200])
        return {"micro_project": str(micro), "minijob": str(mini)}, _m(micro + mini)
    if code == "laiendolmetscher":
        clients = rng.randint(20, 120)
        assignments = rng.randint(clients, clients * 5)
        return ({"languages": ", ".join(rng.sample(LANGS, 5)), "interpreters": rng.randint(5, 25),
                 "clients": clients, "assignments": assignments},
                _m(assignments * (rule.flat_rate or Decimal("20"))))
    return ({"project_kind": rng.choice(["Interkulturelle Öffnung", "Modellprojekt", "Willkommenskultur", "KIV"])},
            _m(rng.randint(8, 60) * 1000 + rng.randint(0, 999)))


def _split(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """Split a positive amount into `parts` positive amounts (cents) that add up exactly."""
    if parts == 1:
        return [total]
    cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(parts - 1))
    values, previous = [], Decimal("0")
    for c in cuts:
        v = _m(total * Decimal(str(c)))
        values.append(v - previous)
        previous = v
    values.append(total - previous)
    if any(v <= 0 for v in values):
        return [total] if parts == 1 else _split(rng, total, parts)
    return values


def _aware(d: datetime.datetime):
    return timezone.make_aware(d) if timezone.is_naive(d) else d


class _Generator:
    def __init__(self, *, applications: int, organisations: int, seed: int, owner_applications: int,
                 stdout=None):
        self.n = applications
        self.m = organisations
        self.rng = random.Random(seed)
        self.owner_n = min(owner_applications, applications)
        self.stdout = stdout
        self.now = timezone.now()
        self.result = ScaleResult()

    def log(self, msg: str) -> None:
        if self.stdout is not None:
            self.stdout.write(msg)

    # -- reference data ------------------------------------------------------------------------------------------
    def load_reference(self) -> None:
        self.rules = list(LineRule.objects.select_related("line", "programme_year", "funding_period")
                          .order_by("programme_year__year", "line__order"))
        if not self.rules:
            raise RuntimeError("No LineRules: run `manage.py seed` first.")
        self.rule_by_year_line = {(r.programme_year.year, r.line_id): r for r in self.rules}
        # Applications start only in years with an enacted budget; later years of the funding period (no budget
        # yet) are booked against their commitment authority (VE) by multi-year approvals.
        self.years = sorted({r.programme_year.year for r in self.rules if r.programme_year.budget_enacted})
        self.open_year = max(self.years)
        self.current_year = self.open_year - 1
        totals = ledger_totals()
        empty = {"committed": Decimal("0"), "authority_committed": Decimal("0")}
        self.available = {
            r.pk: (r.allocation - totals.get(r.pk, empty)["committed"]) if r.programme_year.budget_enacted
            else ((r.commitment_authority or Decimal("0")) - totals.get(r.pk, empty)["authority_committed"])
            for r in self.rules}
        self.enacted = {r.pk: r.programme_year.budget_enacted for r in self.rules}
        # Year weights follow the programme volume (more money, more applications); the open year is busy.
        self.year_weights = []
        for y in self.years:
            volume = next(r.programme_year.volume for r in self.rules if r.programme_year.year == y)
            self.year_weights.append((y, float(volume) * (1.3 if y == self.open_year else 1.0)))
        self.rules_by_year: dict[int, list[LineRule]] = {}
        for r in self.rules:
            period = r.funding_period if r.funding_period_id else None
            if r.programme_year.year not in self.years or (period and r.programme_year.year != period.first_year):
                continue  # no applications start here (a year without budget, or a later year of a period)
            self.rules_by_year.setdefault(r.programme_year.year, []).append(r)
        # File-number counters: lock them and continue after the highest number already issued.
        self.counters = {(c.year, c.line_short): c.last for c in FileNumberCounter.objects.select_for_update()}
        self.districts = list(District.objects.all())
        self.one_per_org = set(Application.objects.filter(rule__one_per_organisation=True)
                               .values_list("organisation_id", "rule_id"))

    # -- main ----------------------------------------------------------------------------------------------------
    def run(self) -> ScaleResult:
        t0 = time.monotonic()
        with transaction.atomic(), _manual_timestamps(Application, Organisation, Membership, LedgerEntry):
            self.load_reference()
            self.users = _users(self.now)
            self.result.users = len(self.users)
            self.staff_reviewer = self.users[REVIEWER_EMAIL]
            self.staff_approver = self.users[APPROVER_EMAIL]
            t = time.monotonic()
            orgs = Organisation.objects.bulk_create(
                _organisations(self.rng, self.m, self.now, self.districts), batch_size=BATCH)
            owner_org, _ = Organisation.objects.get_or_create(
                name=OWNER_ORG_NAME,
                defaults={"kind": K.FREIER_TRAEGER, "district": self.districts[0],
                          "regierungsbezirk": self.districts[0].regierungsbezirk, "email": "owner@orgs.bench.invalid",
                          "non_profit": True, "verified_at": self.now, "created_at": self.now, "city": "Frankfurt"},
            )
            self.result.organisations = len(orgs) + 1
            self._memberships(orgs, owner_org)
            self.result.timings["organisations"] = time.monotonic() - t
            entities = list(Organisation.objects.filter(entity__isnull=False))
            self.pool = {kind: [o for o in [*orgs, *entities] if o.kind == kind] for kind in K.values}
            self.owner_org = owner_org
            # Years drawn up front and generated in order, so rows lie in the table roughly as a live system
            # writes them (chronologically) — per-year queries then read few pages, as they would in production.
            plan = sorted(_weighted(self.rng, self.year_weights) for _ in range(self.n))
            owners = set(self.rng.sample(range(self.n), self.owner_n))
            done = 0
            while done < self.n:
                size = min(5000, self.n - done)
                self._chunk([(plan[i], i in owners) for i in range(done, done + size)])
                done += size
                self.log(f"  {done:>7} Anträge ({time.monotonic() - t0:5.1f} s)")
            t = time.monotonic()
            for (year, short), last in self.counters.items():
                FileNumberCounter.objects.update_or_create(year=year, line_short=short, defaults={"last": last})
            self.result.timings["counters"] = time.monotonic() - t
        t = time.monotonic()
        from django.db import connection

        if connection.vendor == "postgresql":
            # Fresh statistics for the planner, and (outside a transaction) a visibility map so counts can use
            # index-only scans — what autovacuum would do a little later on a live system.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for model in (Organisation, Application, PlanYear, CostItem, Event, LedgerEntry, Notice, Message,
                              Membership):
                    cursor.execute(f"{command} {model._meta.db_table}")
        self.result.timings["analyze"] = time.monotonic() - t
        self.result.timings["total"] = time.monotonic() - t0
        return self.result

    def _memberships(self, orgs, owner_org) -> None:
        """A few applicant accounts: one per organisation for the first 50, plus the owner of many applications."""
        user_model = get_user_model()
        password = make_password(BENCH_PASSWORD)
        existing = set(user_model.objects.filter(username__endswith="@orgs-users.bench.wir").values_list("username",
                                                                                                        flat=True))
        new_users = []
        self.org_user: dict[int, object] = {owner_org.pk: self.users[OWNER_EMAIL]}
        picked = orgs[:50]
        for i, org in enumerate(picked):
            username = f"user{org.pk}@orgs-users.bench.wir"
            if username in existing:
                continue
            new_users.append(user_model(username=username, email=username, password=password,
                                        first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                                        last_name=LAST_NAMES[(i * 7) % len(LAST_NAMES)]))
        created = user_model.objects.bulk_create(new_users, batch_size=BATCH)
        by_name = {u.username: u for u in created}
        members = []
        for org in picked:
            user = by_name.get(f"user{org.pk}@orgs-users.bench.wir")
            if user is None:
                continue
            self.org_user[org.pk] = user
            members.append(Membership(user=user, organisation=org, role=Role.SIGNATORY, created_at=self.now))
        if not Membership.objects.filter(user=self.users[OWNER_EMAIL], organisation=owner_org).exists():
            members.append(Membership(user=self.users[OWNER_EMAIL], organisation=owner_org, role=Role.ADMIN,
                                      created_at=self.now))
        Membership.objects.bulk_create(members, batch_size=BATCH)
        self.result.users += len(created)
        self.result.memberships += len(members)

    # -- one chunk of applications --------------------------------------------------------------------------------
    def _pick(self, owner: bool, year: int):
        rng = self.rng
        for _ in range(50):
            rules = self.rules_by_year[year]
            if owner:
                rule = rng.choice([r for r in rules if self.owner_org.kind in r.eligible_kinds] or rules)
                return year, rule, self.owner_org
            rule = rng.choices(rules, weights=[self._line_weight(r) for r in rules], k=1)[0]
            kinds = [k for k in rule.eligible_kinds if self.pool.get(k)]
            if not kinds:
                continue
            org = rng.choice(self.pool[rng.choice(kinds)])
            if rule.one_per_organisation:
                if (org.pk, rule.pk) in self.one_per_org:
                    continue  # e.g. one coordination post per entity and year
                self.one_per_org.add((org.pk, rule.pk))
            return year, rule, org
            year = _weighted(rng, self.year_weights)  # this year's lines are full (one per organisation)
        raise RuntimeError("No eligible organisation for any funding line; generate more organisations.")

    @staticmethod
    def _line_weight(rule: LineRule) -> float:
        # The 33-only lines get few applications (one per entity and year); course and project lines many. The
        # Vielfaltszentren weigh more: all 33 apply once, for the whole period, in its first year.
        return {"koordination": 0.4, "fallmanagement": 0.4, "lotsen": 3, "mitsprache": 2, "sprachkurse": 2.5,
                "migrantenorganisationen": 2, "projekte": 3, "laiendolmetscher": 1, "vielfaltszentren": 4,
                "integrationsprojekte": 2, "kiv": 0.5}.get(rule.line.code, 1)

    def _status(self, year: int) -> str:
        if year == self.open_year:
            return _weighted(self.rng, OPEN_MIX)
        if year == self.current_year:
            return _weighted(self.rng, CURRENT_MIX)
        return _weighted(self.rng, PAST_MIX)

    def _chunk(self, items: list[tuple[int, bool]]) -> None:
        rng, now = self.rng, self.now
        t = time.monotonic()
        apps = []
        for planned_year, owner in items:
            year, rule, org = self._pick(owner=owner, year=planned_year)
            code = rule.line.code
            details, grant = self._limited(*_amounts(rng, code, rule), rule)
            status = self._status(year)
            years = [year]
            nxt = self.rule_by_year_line.get((year + 1, rule.line_id))
            if rule.funding_period_id:  # one application for the whole period (Vielfaltszentren 2026–2030)
                years = [y for y in rule.funding_period.years if (y, rule.line_id) in self.rule_by_year_line]
            elif rule.line.multi_year and nxt is not None and rng.random() < 0.3:
                years.append(year + 1)
            if rule.funding_period_id:
                grants = [grant] * len(years)  # the same amount each year, as the notices state it
            elif rule.cap_per_application is not None and rule.cap_scope == "application":
                grants = _split(rng, min(grant * len(years), rule.cap_per_application), len(years))
            else:
                grants = _split(rng, grant * len(years), len(years))
            approved, budget_gone = None, False
            if status in (Status.APPROVED, Status.PARTIALLY_APPROVED):
                share = Decimal("1") if status == Status.APPROVED else Decimal(rng.randint(50, 95)) / 100
                parts = [_m(g * share) for g in grants]
                rules_of_parts = [self.rule_by_year_line[(y, rule.line_id)] for y in years]
                if status == Status.PARTIALLY_APPROVED and sum(parts) >= sum(grants):
                    parts[0] -= CENT
                if all(self.available[r.pk] >= p for r, p in zip(rules_of_parts, parts, strict=True)):
                    for r, p in zip(rules_of_parts, parts, strict=True):
                        self.available[r.pk] -= p
                    approved = parts
                else:  # the line's money is gone: the RP had to reject (or the applicant withdrew)
                    status = Status.REJECTED if rng.random() < 0.75 else Status.WITHDRAWN
                    self.result.budget_rejections += 1
                    budget_gone = True
            user = self.org_user.get(org.pk)
            # Timeline: drafted in the autumn before the programme year, decided in its spring.
            created = _aware(datetime.datetime(year - 1, rng.randint(8, 11), rng.randint(1, 28), rng.randint(7, 18),
                                               rng.randint(0, 59)))
            if created > now:
                created = now - datetime.timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            place = org.city or rng.choice(PLACES)
            title = rng.choice(TITLES.get(code, ["Vorhaben {place}"])).format(place=place)
            contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            app = Application(
                organisation=org, rule=rule, status=status, title=f"{TITLE_PREFIX} {title}",
                purpose=(f"Das Vorhaben „{title}“ richtet sich an Zugewanderte in {place} und stärkt Teilhabe, "
                         f"Sprache und Orientierung im Alltag. Es wird mit lokalen Partnern umgesetzt."),
                target_group=rng.choice(["Geflüchtete Frauen", "Neuzugewanderte Familien", "Jugendliche",
                                         "Erwachsene ohne Anspruch auf einen Integrationskurs", "Ehrenamtliche"]),
                period_start=datetime.date(year, 1, 1), period_end=datetime.date(years[-1], 12, 31),
                contact_name=contact, contact_email=f"kontakt@{org.pk}.orgs.bench.invalid",
                details=details, requested_amount=sum(grants), created_by=user,
                created_at=created, updated_at=created,
            )
            app.sort_keys_from(rule)  # bulk_create skips save(): the queue's sort keys set here
            app._years, app._grants, app._approved, app._rule_line = years, grants, approved, rule.line
            app._budget_gone = budget_gone
            apps.append(app)
        apps.sort(key=lambda a: a.created_at)  # ids ascend with time, as in a live system
        self._timeline(apps)
        children = self._children(apps)  # also sets total_costs; children point at the unsaved applications
        self.result.timings["build"] = self.result.timings.get("build", 0) + time.monotonic() - t
        t = time.monotonic()
        Application.objects.bulk_create(apps, batch_size=BATCH)
        self.result.applications += len(apps)
        for model, rows in children:
            model.objects.bulk_create(rows, batch_size=BATCH)
        self.result.timings["insert"] = self.result.timings.get("insert", 0) + time.monotonic() - t

    def _limited(self, details, grant, rule):
        cap = rule.cap_per_application
        if cap is not None and grant > cap:  # per year; a cap per application is applied to the sum in _chunk
            grant = cap
        return details, max(grant, Decimal("100.00"))

    def _file_number(self, year: int, short: str) -> str:
        key = (year, short)
        self.counters[key] = self.counters.get(key, 0) + 1
        return f"WIR-{year}-{short}-{self.counters[key]:04d}"

    def _timeline(self, apps) -> None:
        """Fill file number, dates, deciders and the event path (kept on the object until ids exist)."""
        rng, now = self.rng, self.now
        for app in apps:
            path = PATHS[app.status]
            if app.status == Status.WITHDRAWN and rng.random() < 0.2:
                path = ["withdraw"]  # withdrawn while still a draft: never had a file number
            if app.status == Status.REJECTED and not app._budget_gone and rng.random() < 0.15:
                path = ["submit", "start_review", "reject"]
            steps = []
            moment = app.created_at
            status = Status.DRAFT
            user = app.created_by
            for action in path:
                t = TRANSITIONS[action]
                assert status in t.sources, (action, status)
                moment = min(moment + datetime.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8)), now)
                staff = action in STAFF_ACTIONS
                actor = (self.staff_approver if action in ("approve", "partially_approve", "reject")
                         else self.staff_reviewer) if staff else user
                steps.append((action, status, t.target, actor, moment))
                status = t.target
            assert status == app.status, (path, status, app.status)
            app._steps = steps
            if "submit" in path:
                app.file_number = self._file_number(app.rule.programme_year.year, app._rule_line.short)
                submit = next(s for s in steps if s[0] == "submit")
                app.submitted_at, app.submitted_by = submit[4], user
            if "recommend" in path:
                app.recommendation = {Status.APPROVED: "approve", Status.PARTIALLY_APPROVED: "partial"}.get(
                    app.status, "approve" if app._budget_gone else rng.choice(["approve", "reject"]))
                app.recommended_by = self.staff_reviewer
            if app.status in (Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REJECTED):
                app.decided_at, app.decided_by = steps[-1][4], self.staff_approver
                if app._approved is not None:
                    app.approved_amount = sum(app._approved)
                    if app.status == Status.PARTIALLY_APPROVED:
                        app.decision_reasons = REASONS["partially_approve"]
                else:
                    app.decision_reasons = REASONS["reject_budget" if app._budget_gone else "reject"]
            app.updated_at = steps[-1][4] if steps else app.created_at

    def _children(self, apps) -> None:
        rng, now = self.rng, self.now
        plan_years, cost_items, events, ledger, notices, messages = [], [], [], [], [], []
        categories = list(CostCategory.values)
        for app in apps:
            total_costs = Decimal("0")
            for idx, (year, grant) in enumerate(zip(app._years, app._grants, strict=True)):
                own_share = Decimal(rng.randint(0, 35)) / 100
                costs = _m(grant / (1 - own_share)) if own_share else grant
                rest = costs - grant
                third = _m(rest * Decimal(rng.randint(0, 50)) / 100)
                own = rest - third
                approved = app._approved[idx] if app._approved else None
                plan_years.append(PlanYear(application=app, year=year, own_funds=own, third_party_funds=third,
                                           requested_grant=grant, approved_grant=approved))
                n_items = rng.randint(2, 5)
                for amount, category in zip(_split(rng, costs, n_items), rng.sample(categories, n_items), strict=True):
                    cost_items.append(CostItem(application=app, year=year, category=category,
                                               description=CostCategory(category).label, amount=amount))
                total_costs += costs
            app.total_costs = total_costs
            notice_no = 0
            for action, from_s, to_s, actor, moment in app._steps:
                reason = REASONS.get(action, "")
                amount = None
                if action in ("approve", "partially_approve"):
                    amount = app.approved_amount
                    reason = app.decision_reasons
                    for idx, year in enumerate(app._years):
                        rule = self.rule_by_year_line[(year, app.rule.line_id)]
                        events.append(Event(application=app, action="budget_commit", actor=actor,
                                            actor_name=actor.get_full_name(), amount=app._approved[idx],
                                            reason=f"Mittelbindung {year}", visible_to_applicant=False,
                                            created_at=moment))
                        enacted = self.enacted[rule.pk]
                        ledger.append(LedgerEntry(
                            rule=rule, application=app, kind=LedgerKind.COMMITMENT, amount=app._approved[idx],
                            source=LedgerSource.ALLOCATION if enacted else LedgerSource.AUTHORITY,
                            reason=f"{TRANSITIONS[action].label} {app.file_number}", created_by=actor,
                            created_by_name=actor.get_full_name(), created_at=moment))
                        if not enacted:
                            continue  # money on a VE is not paid before its year's budget is enacted
                        if year < self.current_year or (year == self.current_year and rng.random() < 0.5):
                            paid = _m(app._approved[idx] * Decimal(rng.choice([50, 95, 100])) / 100)
                            if paid > 0:
                                ledger.append(LedgerEntry(
                                    rule=rule, application=app, kind=LedgerKind.PAYMENT, amount=paid,
                                    reason="Mittelabruf", created_by=self.users[BUDGET_EMAIL],
                                    created_by_name="Hanna Haushalt",
                                    created_at=min(moment + datetime.timedelta(days=30), now)))
                elif action == "reject":
                    reason = app.decision_reasons
                events.append(Event(application=app, action=action, from_status=from_s, to_status=to_s, actor=actor,
                                    actor_name=(actor.get_full_name() or actor.get_username()) if actor
                                    else app.contact_name,
                                    reason=reason, amount=amount, created_at=moment))
                kind = {"submit": NoticeKind.RECEIPT, "resubmit": NoticeKind.RECEIPT, "approve": NoticeKind.APPROVAL,
                        "partially_approve": NoticeKind.APPROVAL, "reject": NoticeKind.REJECTION}.get(action)
                if kind:
                    sent = min(moment + datetime.timedelta(minutes=rng.randint(1, 30)), now)
                    notice_no += 1
                    notices.append(Notice(
                        application=app, kind=kind, status=NoticeStatus.SENT, number=f"{app.file_number}/{notice_no}",
                        amount=amount, reasons=reason if kind != NoticeKind.RECEIPT else "",
                        created_at=moment, created_by=actor, rendered_at=sent, sent_at=sent, send_count=1,
                        attempts=1))
                if action == "request_changes":
                    messages.append(Message(application=app, from_staff=True, author=actor,
                                            author_name="Regierungspräsidium Darmstadt", subject="Nachforderung",
                                            body=reason, created_at=moment))
                if action == "resubmit":
                    messages.append(Message(application=app, from_staff=False, author=actor,
                                            author_name=app.contact_name, body="Die Unterlagen sind nachgereicht.",
                                            created_at=moment))
        r = self.result
        r.plan_years += len(plan_years)
        r.cost_items += len(cost_items)
        r.events += len(events)
        r.ledger_entries += len(ledger)
        r.notices += len(notices)
        r.messages += len(messages)
        for app in apps:
            r.status_counts[app.status] = r.status_counts.get(app.status, 0) + 1
        return [(PlanYear, plan_years), (CostItem, cost_items), (Event, events), (LedgerEntry, ledger),
                (Notice, notices), (Message, messages)]


def scale_seed(*, applications: int, organisations: int, seed: int = 7, owner_applications: int = 200,
               stdout=None) -> ScaleResult:
    """Generate `applications` applications for `organisations` new organisations (plus the 33 entities and the
    bench owner's organisation) in one transaction. Requires the reference data (`manage.py seed`)."""
    return _Generator(applications=applications, organisations=organisations, seed=seed,
                      owner_applications=owner_applications, stdout=stdout).run()


def _payment_room(app_ids_query=None) -> dict[tuple[int, int], Decimal]:
    """What may still be paid per (application, year): committed against an enacted year's allocation − paid −
    pending, for funded applications (payments only against the allocation)."""
    from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
    from django.db.models.functions import Coalesce

    from applications.models import Payment, PaymentStatus
    from applications.workflow import FUNDED

    money_field = DecimalField(max_digits=14, decimal_places=2)
    zero = Value(Decimal("0"))
    alloc = Q(source=LedgerSource.ALLOCATION)
    qs = LedgerEntry.objects.filter(application__status__in=FUNDED, rule__programme_year__budget_enacted=True)
    if app_ids_query is not None:
        qs = qs.filter(application_id__in=app_ids_query)
    rows = qs.order_by().values("application_id", "rule__programme_year__year").annotate(
        committed=Coalesce(Sum(Case(When(alloc & Q(kind=LedgerKind.COMMITMENT), then=F("amount")),
                                    When(alloc & Q(kind=LedgerKind.RELEASE), then=-F("amount")),
                                    default=zero, output_field=money_field)), zero, output_field=money_field),
        paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), zero, output_field=money_field))
    room = {(r["application_id"], r["rule__programme_year__year"]): r["committed"] - r["paid"] for r in rows}
    pending = (Payment.objects.filter(status__in=[PaymentStatus.REQUESTED, PaymentStatus.CONFIRMED,
                                                  PaymentStatus.ORDERED]).order_by()
               .values_list("application_id", "year").annotate(total=Sum("amount")))
    for app_id, year, total in pending:
        if (app_id, year) in room:
            room[(app_id, year)] -= total
    return {k: v for k, v in room.items() if v > 0}


def _payment(app, year, amount, status, *, now, rng, run=None):
    from applications.models import Payment, PaymentSource, PaymentStatus

    example_ibans = ["DE89370400440532013000", "DE02120300000000202051", "DE02500105170137075030"]
    p = Payment(application=app, year=year, amount=amount, status=status, source=PaymentSource.REQUEST,
                need_declared=True, run=run, iban=app.organisation.iban or rng.choice(example_ibans),
                account_holder=app.organisation.name, requested_at=now, requested_by_name="Bench")
    if status in (PaymentStatus.CONFIRMED, PaymentStatus.ORDERED):
        p.confirmed_at, p.confirmed_by_name = now, "Sabine Sachbearbeitung"
    if status == PaymentStatus.ORDERED:
        p.ordered_at, p.ordered_by_name = now, "Hanna Haushalt"
    if status == PaymentStatus.REFUSED:
        p.refused_at, p.refused_by_name = now, "Sabine Sachbearbeitung"
        p.refusal_reason = "Der Bedarf binnen zwei Monaten ist nicht dargelegt."
    return p


def scale_seed_payments(*, count: int, seed: int = 7, execution_date: datetime.date | None = None):
    """Benchmark hook (applications/payments): `count` ordered payments in one new payment run, spread over funded
    applications with money left in an enacted year (committed against the allocation − paid − pending), so the
    run can also be executed. Bulk-inserted in one transaction. Returns the run."""
    from applications.models import Application, Payment, PaymentRun, PaymentStatus

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        room = _payment_room()
        if not room:
            raise ValueError("no funded applications with money left: run seed_scale first")
        keys = sorted(room)
        apps = Application.objects.select_related("organisation").in_bulk({k[0] for k in keys[: max(count, 1)]})
        run = PaymentRun.objects.create(number=f"WIR-ZL-BENCH-{now:%Y%m%d%H%M%S}-{PaymentRun.objects.count() + 1}",
                                        execution_date=execution_date or timezone.localdate(), created_at=now,
                                        created_by_name="Hanna Haushalt")
        payments, total = [], Decimal("0.00")
        live = [k for k in keys if k[0] in apps]
        i = 0
        while len(payments) < count and live:  # round-robin over (application, year) until `count` or no money
            key = live[i % len(live)]
            amount = min(_m(Decimal(rng.randint(100, 5000)) / 100), room[key])
            if amount <= 0:
                live.remove(key)
                continue
            room[key] -= amount
            total += amount
            i += 1
            payments.append(_payment(apps[key[0]], key[1], amount, PaymentStatus.ORDERED, now=now, rng=rng, run=run))
        Payment.objects.bulk_create(payments, batch_size=2000)
        run.count, run.total = len(payments), total
        run.save(update_fields=["count", "total"])
        return run


def scale_seed_proofs(*, share: float = 0.2, per_proof: int = 50, owner_rows: int = 2000, seed: int = 7) -> dict:
    """Benchmark hook (applications/proof): for `share` of the funded applications the proofs they owe (due dates
    from the default terms) with about `per_proof` Belege each, a third of them submitted; the bench owner's newest
    funded application gets `owner_rows` Belege (the paged Belegliste). Bulk-inserted in one transaction."""
    from applications import decision_rules
    from applications.models import Application, Expense, Proof, ProofStatus
    from applications.workflow import FUNDED

    rng = random.Random(seed)
    terms = decision_rules.ProofTermsValues()
    with transaction.atomic():
        funded = list(Application.objects.filter(status__in=FUNDED, period_end__isnull=False)
                      .exclude(proofs__isnull=False).order_by("id").values_list("id", "period_start", "period_end"))
        chosen = [row for row in funded if rng.random() < share]
        owner = (Application.objects.filter(organisation__name=OWNER_ORG_NAME, status__in=FUNDED,
                                            period_end__isnull=False).order_by("-id").values_list("id", flat=True).first())
        if owner and owner not in {row[0] for row in chosen}:
            chosen += [row for row in funded if row[0] == owner]
        items: dict[int, list[tuple[int, int, Decimal]]] = {}
        for cid, app_id, year, amount, approved in (CostItem.objects.filter(application_id__in=[r[0] for r in chosen])
                                                    .values_list("id", "application_id", "year", "amount",
                                                                 "approved_amount").order_by("id")):
            items.setdefault(app_id, []).append((cid, year, approved if approved is not None else amount))
        proofs, expenses = [], []
        for app_id, start, end in chosen:
            dues = decision_rules.proof_due_dates(period_start=start or end, period_end=end, terms=terms)
            for due in dues:
                submitted = rng.random() < 0.33
                proofs.append(Proof(application_id=app_id, kind=due.kind, year_from=due.year_from,
                                    year_to=due.year_to, due_on=due.due_on,
                                    status=ProofStatus.SUBMITTED if submitted else ProofStatus.OPEN,
                                    submitted_at=timezone.now() if submitted else None,
                                    submitted_by_name="Bench" if submitted else ""))
            lines = [i for i in items.get(app_id, []) if i[2] > 0]
            if not lines:
                continue
            count = owner_rows if app_id == owner else per_proof
            for n in range(count):
                cid, year, approved = lines[n % len(lines)]
                day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, 330))
                day = min(max(day, start or day), end)
                expenses.append(Expense(application_id=app_id, cost_item_id=cid, paid_on=day,
                                        payee=f"Zahlungsempfänger {rng.randint(1, 500)}",
                                        purpose=rng.choice(["Honorar", "Miete", "Material", "Entgelt", "Fahrtkosten"]),
                                        amount=_m(max(Decimal("1.00"), approved / (count * 2)))))
            if len(expenses) >= 20000:
                Expense.objects.bulk_create(expenses, batch_size=5000)
                expenses = []
        Proof.objects.bulk_create(proofs, batch_size=5000, ignore_conflicts=True)
        Expense.objects.bulk_create(expenses, batch_size=5000)
    return {"applications": len(chosen), "proofs": len(proofs),
            "expenses": Expense.objects.count(), "owner_application": owner}


def proof_reminders_benchmark(*, stdout=None) -> dict:
    """Time the daily beat job of the proof of use over all applications (create missing proofs, send the due
    reminders) on one chosen day; everything it wrote is rolled back, so it can be measured again."""
    import time

    from django.db.models import Min

    from applications.models import Proof
    from applications.proof import services

    first_due = Proof.objects.aggregate(d=Min("due_on"))["d"]
    if first_due is None:
        return {"skipped": "no proofs: run seed_scale with --proofs"}
    day = first_due + datetime.timedelta(days=14)
    result: dict = {"day": day.isoformat(), "proofs": Proof.objects.count()}

    class _Rollback(Exception):
        pass

    started = time.monotonic()
    try:
        with transaction.atomic():
            result["created_for"] = services.proofs_ensure_all()
            result["reminders"] = services.proof_reminders_send(today=day)
            result["seconds"] = round(time.monotonic() - started, 3)
            started_again = time.monotonic()
            result["second_run_reminders"] = services.proof_reminders_send(today=day)  # nothing twice
            result["second_run_seconds"] = round(time.monotonic() - started_again, 3)
            raise _Rollback
    except _Rollback:
        pass
    if stdout:
        stdout.write(f"\nProof reminders on {day}: {result['reminders']} sent in {result['seconds']} s "
                     f"({result['proofs']} proofs); second run {result['second_run_reminders']} in "
                     f"{result['second_run_seconds']} s")
    return result
def scale_seed_revocations(*, count: int, seed: int = 7):
    """Benchmark hook (applications/revocation): `count` proceedings over funded applications (the bench owner's
    newest funded application first, so its proceedings page has one), in every state; decided ones with a claim
    and, for every other claim, one payment received. Bulk-inserted without notices or ledger rows (the pages
    measured read proceedings and claims, not the ledger). Returns the number created."""
    from applications.models import (
        ClaimPayment,
        ClaimStatus,
        RefundClaim,
        Revocation,
        RevocationBasis,
        RevocationGround,
        RevocationStatus,
        RevocationYear,
    )
    from applications.workflow import FUNDED

    rng = random.Random(seed)
    now = timezone.now()
    states = [RevocationStatus.HEARING, RevocationStatus.PREPARED, RevocationStatus.DECIDED,
              RevocationStatus.DISCONTINUED, RevocationStatus.DECIDED]
    with transaction.atomic():
        owner_first = (Application.objects.filter(status__in=FUNDED, organisation__name=OWNER_ORG_NAME)
                       .order_by("-id").values_list("pk", flat=True)[:1])
        apps = list(Application.objects.filter(pk__in=list(owner_first)).select_related("rule__programme_year"))
        apps += list(Application.objects.filter(status__in=FUNDED, approved_amount__gt=0)
                     .exclude(pk__in=list(owner_first)).exclude(revocations__isnull=False)
                     .select_related("rule__programme_year").order_by("id")[: max(count - len(apps), 0)])
        revocations = []
        for i, app in enumerate(apps[:count]):
            amount = _m(min(app.approved_amount, Decimal(rng.randint(500, 20000))))
            status = states[i % len(states)]
            revocations.append(Revocation(
                application=app, status=status, ground=rng.choice(RevocationGround.values),
                basis=rng.choice(RevocationBasis.values), facts="Bench: Sachverhalt.",
                effective_date=datetime.date(app.rule.programme_year.year, 7, 1), revoked_total=amount,
                refund_total=amount if status == RevocationStatus.DECIDED else Decimal("0.00"),
                opened_by_name="Sabine Sachbearbeitung", opened_at=now,
                hearing_deadline=timezone.localdate() + datetime.timedelta(days=rng.randint(-20, 28)),
                decided_by_name="Bernd Bewilligung" if status == RevocationStatus.DECIDED else "",
                decided_at=now if status in (RevocationStatus.DECIDED, RevocationStatus.DISCONTINUED) else None))
        Revocation.objects.bulk_create(revocations, batch_size=2000)
        RevocationYear.objects.bulk_create(
            [RevocationYear(revocation=rv, year=rv.application.rule.programme_year.year,
                            rule_id=rv.application.rule_id, revoked=rv.revoked_total, refund=rv.refund_total)
             for rv in revocations], batch_size=2000)
        claims = [RefundClaim(revocation=rv, application=rv.application, principal=rv.refund_total,
                              interest_from=datetime.date(2025, 7, 1), due_date=datetime.date(2026, 3, 1),
                              status=ClaimStatus.OPEN)
                  for rv in revocations if rv.status == RevocationStatus.DECIDED]
        RefundClaim.objects.bulk_create(claims, batch_size=2000)
        ClaimPayment.objects.bulk_create(
            [ClaimPayment(claim=c, received_on=datetime.date(2026, 4, 1), amount=_m(c.principal / 2),
                          to_principal=_m(c.principal / 2), recorded_by_name="Hanna Haushalt")
             for c in claims[::2] if c.principal > 0], batch_size=2000)
        return len(revocations)
def scale_seed_payment_requests(*, count: int, seed: int = 7) -> dict[str, int]:
    """Benchmark data for the payment pages: `count` payments over funded applications in every open state
    (requested, confirmed, ordered, refused; a fifth of the ordered ones in one open payment run), and a few on the
    bench owner's funded applications (the applicant's payment page). Returns the count per status."""
    from applications.models import Application, Payment, PaymentRun, PaymentStatus

    rng = random.Random(seed + 1)
    now = timezone.now()
    states = [(PaymentStatus.REQUESTED, 5), (PaymentStatus.CONFIRMED, 2), (PaymentStatus.ORDERED, 2),
              (PaymentStatus.REFUSED, 1)]
    with transaction.atomic():
        room = _payment_room()
        owner = sorted(k for k in room if k[0] in set(
            Application.objects.filter(organisation__name=OWNER_ORG_NAME).values_list("pk", flat=True)))
        others = [k for k in sorted(room) if k not in set(owner)]
        rng.shuffle(others)
        keys = owner[:20] + others[: max(count - len(owner[:20]), 0)]
        apps = Application.objects.select_related("organisation").in_bulk({k[0] for k in keys})
        run = PaymentRun.objects.create(number=f"WIR-ZL-BENCH-{now:%Y%m%d%H%M%S}-{PaymentRun.objects.count() + 1}",
                                        execution_date=timezone.localdate(), created_at=now,
                                        created_by_name="Hanna Haushalt")
        payments, counts, in_run = [], {}, Decimal("0.00")
        for key in keys:
            status = _weighted(rng, states)
            amount = min(_m(Decimal(rng.randint(500, 500000)) / 100), room[key])
            if amount <= 0:
                continue
            if status != PaymentStatus.REFUSED:
                room[key] -= amount
            into_run = status == PaymentStatus.ORDERED and rng.random() < 0.2
            payments.append(_payment(apps[key[0]], key[1], amount, status, now=now, rng=rng,
                                     run=run if into_run else None))
            in_run += amount if into_run else Decimal("0")
            counts[status] = counts.get(status, 0) + 1
        Payment.objects.bulk_create(payments, batch_size=2000)
        run.count, run.total = sum(1 for p in payments if p.run is not None), in_run
        run.save(update_fields=["count", "total"])
        return counts
