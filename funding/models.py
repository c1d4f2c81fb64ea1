"""The ground floor: programme years, funding lines, their yearly rules, districts/courts and the budget ledger.

This app imports nothing from the other apps; ledger entries point at applications by a lazy foreign key.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q


class OrganisationKind(models.TextChoices):
    LANDKREIS = "landkreis", "Landkreis"
    KREISFREIE_STADT = "kreisfreie_stadt", "Kreisfreie Stadt"
    SONDERSTATUSSTADT = "sonderstatusstadt", "Sonderstatusstadt"
    GEMEINDE = "gemeinde", "Kreisangehörige Stadt / Gemeinde"
    KOMMUNALER_TRAEGER = "kommunaler_traeger", "Kommunaler Träger"
    KIRCHLICHER_TRAEGER = "kirchlicher_traeger", "Kirchlicher Träger"
    FREIER_TRAEGER = "freier_traeger", "Freigemeinnütziger Träger"
    MIGRANTENORGANISATION = "migrantenorganisation", "Migrantenorganisation"

    @classmethod
    def the_33(cls) -> list[str]:
        return [cls.LANDKREIS, cls.KREISFREIE_STADT, cls.SONDERSTATUSSTADT]

    @classmethod
    def municipal(cls) -> list[str]:
        return [cls.LANDKREIS, cls.KREISFREIE_STADT, cls.SONDERSTATUSSTADT, cls.GEMEINDE, cls.KOMMUNALER_TRAEGER]


class FinancingType(models.TextChoices):
    FESTBETRAG = "festbetrag", "Festbetragsfinanzierung"
    ANTEIL = "anteil", "Anteilfinanzierung"
    FEHLBEDARF = "fehlbedarf", "Fehlbedarfsfinanzierung"
    VOLL = "voll", "Vollfinanzierung"


class AttachmentKind(models.TextChoices):
    CONCEPT = "concept", "Konzeption"
    PARTICIPANT_LIST = "participant_list", "Teilnehmendenliste (Formblatt 2 C)"
    COOPERATION_LETTER = "cooperation_letter", "Kooperationsschreiben der Kommune"
    FINANCIAL_PLAN = "financial_plan", "Kosten- und Finanzierungsplan (Anlage)"
    COORDINATION_LETTER = "coordination_letter", "Bestätigung der Abstimmung mit dem Integrationsbüro"
    COURSE_CONCEPT = "course_concept", "Kurskonzept"
    JOB_DESCRIPTION = "job_description", "Stellenbeschreibung"
    STATUTES = "statutes", "Satzung / Nachweis der Gemeinnützigkeit"
    TARGET_AGREEMENT = "target_agreement", "Zielvereinbarung zwischen Land und Kommune"
    OTHER = "other", "Sonstige Unterlage"


class Regierungsbezirk(models.TextChoices):
    DARMSTADT = "Darmstadt", "Darmstadt"
    GIESSEN = "Gießen", "Gießen"
    KASSEL = "Kassel", "Kassel"


class ProgrammeYear(models.Model):
    year = models.PositiveIntegerField("Programmjahr", unique=True)
    volume = models.DecimalField(
        "Programmvolumen", max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_open = models.BooleanField("Antragstellung offen", default=False)
    budget_enacted = models.BooleanField(
        "Haushalt beschlossen", default=True,
        help_text="Solange der Haushalt dieses Jahres nicht beschlossen ist, werden Bewilligungen zu Lasten des Jahres "
                  "gegen die Verpflichtungsermächtigung (VE) gebucht. Der Beschluss wird über die Aktion "
                  "„Haushalt beschließen“ eingetragen; dabei werden die VE-Bindungen in Bindungen des Mittelansatzes "
                  "umgebucht.",
    )
    notes = models.TextField("Anmerkungen", blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = "Programmjahr"
        verbose_name_plural = "Programmjahre"
        constraints = [models.CheckConstraint(condition=Q(volume__gte=0), name="programmeyear_volume_nonneg")]

    def __str__(self) -> str:
        return str(self.year)


class FundingLine(models.Model):
    code = models.SlugField("Kürzel", max_length=40, unique=True)
    name = models.CharField("Förderbereich", max_length=200)
    short = models.CharField("Aktenzeichen-Kürzel", max_length=4, unique=True, help_text="z. B. FM für Fallmanagement")
    description = models.TextField("Beschreibung", blank=True)
    order = models.PositiveSmallIntegerField("Reihenfolge", default=0)
    multi_year = models.BooleanField("Mehrjährige Bewilligung möglich", default=False)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "Förderbereich"
        verbose_name_plural = "Förderbereiche"

    def __str__(self) -> str:
        return self.name


class FundingPeriod(models.Model):
    """A funding period decided as a whole (e.g. WIR-Vielfaltszentren 2026–2030: one application and one notice per
    entity for the whole period, with per-year amounts). The budget overview sums its years."""

    name = models.CharField("Bezeichnung", max_length=120)
    first_year = models.PositiveIntegerField("Erstes Jahr")
    last_year = models.PositiveIntegerField("Letztes Jahr")

    class Meta:
        ordering = ["first_year", "name"]
        verbose_name = "Förderperiode"
        verbose_name_plural = "Förderperioden"
        constraints = [models.CheckConstraint(condition=Q(last_year__gte=F("first_year")), name="fundingperiod_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_year}–{self.last_year})"

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class CapScope(models.TextChoices):
    YEAR = "year", "je Haushaltsjahr"
    APPLICATION = "application", "je Antrag (Summe aller Jahre)"


class LineRule(models.Model):
    """One funding line's rules and budget allocation in one programme year (the row the ledger locks)."""

    programme_year = models.ForeignKey(ProgrammeYear, on_delete=models.PROTECT, related_name="rules", verbose_name="Programmjahr")
    line = models.ForeignKey(FundingLine, on_delete=models.PROTECT, related_name="rules", verbose_name="Förderbereich")
    allocation = models.DecimalField(
        "Mittelansatz", max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    eligible_kinds = models.JSONField("Antragsberechtigte", default=list, help_text="Organisationsarten")
    financing_type = models.CharField("Finanzierungsart", max_length=20, choices=FinancingType.choices)
    funding_rate = models.DecimalField(
        "Fördersatz in %", max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="nur bei Anteilfinanzierung",
    )
    cap_per_application = models.DecimalField(
        "Höchstbetrag der Zuwendung", max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="Ob er je Haushaltsjahr oder für den ganzen Antrag gilt, legt „Höchstbetrag gilt“ fest.",
    )
    cap_scope = models.CharField(
        "Höchstbetrag gilt", max_length=20, choices=CapScope.choices, default=CapScope.YEAR,
        help_text="je Haushaltsjahr: jedes Jahr eines mehrjährigen Antrags bis zum Höchstbetrag; je Antrag: die "
                  "Summe aller Jahre.",
    )
    limits = models.JSONField(
        "Teilhöchstbeträge je Jahr", default=dict, blank=True,
        help_text="Höchstbeträge einzelner Bausteine des Förderbereichs (z. B. Mikroprojekt, Minijob), je Jahr.",
    )
    commitment_authority = models.DecimalField(
        "Verpflichtungsermächtigung (VE)", max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="In früheren Haushalten erteilte Ermächtigung, Bewilligungen zu Lasten dieses Jahres einzugehen, "
                  "solange sein Haushalt nicht beschlossen ist.",
    )
    funding_period = models.ForeignKey(
        FundingPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="rules",
        verbose_name="Förderperiode", help_text="Ein Antrag für die ganze Periode: Beginn und Ende müssen in ihr liegen.",
    )
    cap_per_post = models.DecimalField("Höchstbetrag je Vollzeitstelle", max_digits=12, decimal_places=2, null=True, blank=True)
    max_posts = models.DecimalField("Höchstzahl Stellen", max_digits=5, decimal_places=2, null=True, blank=True)
    cap_per_course = models.DecimalField("Höchstbetrag je Kurs", max_digits=12, decimal_places=2, null=True, blank=True)
    unit_rate = models.DecimalField("Satz je Unterrichtseinheit", max_digits=8, decimal_places=2, null=True, blank=True)
    max_units_per_course = models.PositiveIntegerField("Höchstzahl UE je Kurs", null=True, blank=True)
    childcare_rate = models.DecimalField("Kinderbetreuung je UE", max_digits=8, decimal_places=2, null=True, blank=True)
    hourly_rate = models.DecimalField("Aufwandsentschädigung je Stunde", max_digits=8, decimal_places=2, null=True, blank=True)
    max_hours_coordinating = models.PositiveIntegerField("Stunden je koordinierende/r Lots/in", null=True, blank=True)
    max_hours_other = models.PositiveIntegerField("Stunden je weitere/r Lots/in", null=True, blank=True)
    flat_rate = models.DecimalField(
        "Pauschale", max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="z. B. Koordinierungspauschale oder Festbetrag je Einsatz",
    )
    max_months = models.PositiveSmallIntegerField("Höchstlaufzeit in Monaten", null=True, blank=True)
    deadline = models.DateField("Antragsfrist", null=True, blank=True)
    required_attachments = models.JSONField("Pflichtanlagen", default=list, blank=True)
    one_per_organisation = models.BooleanField("Nur ein Antrag je Organisation und Jahr", default=False)
    conditions = models.TextField("Besondere Nebenbestimmungen dieses Förderbereichs", blank=True)
    payment_retention_percent = models.DecimalField(
        "Einbehalt bis zum Verwendungsnachweis in %", max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Anteil der Zuwendung je Jahr, der erst nach geprüftem Verwendungsnachweis ausgezahlt wird (z. B. 5)",
    )
    accepts_applications = models.BooleanField(
        "Neue Anträge möglich", default=True,
        help_text="Aus: keine neuen Anträge und keine Einreichung von Entwürfen mehr (z. B. ein Förderbereich, den es "
                  "in diesem Jahr nicht mehr gibt); eingereichte und bewilligte Anträge werden weiter bearbeitet.",
    )

    class Meta:
        ordering = ["-programme_year__year", "line__order"]
        verbose_name = "Förderregel"
        verbose_name_plural = "Förderregeln je Jahr"
        constraints = [
            models.UniqueConstraint(fields=["programme_year", "line"], name="linerule_unique_year_line"),
            models.CheckConstraint(condition=Q(allocation__gte=0), name="linerule_allocation_nonneg"),
            models.CheckConstraint(
                condition=Q(commitment_authority__isnull=True) | Q(commitment_authority__gte=0),
                name="linerule_authority_nonneg",
            ),
            models.CheckConstraint(
                condition=(Q(cap_per_application__isnull=True) | Q(cap_per_application__gte=0))
                & (Q(cap_per_post__isnull=True) | Q(cap_per_post__gte=0))
                & (Q(cap_per_course__isnull=True) | Q(cap_per_course__gte=0))
                & (Q(unit_rate__isnull=True) | Q(unit_rate__gte=0))
                & (Q(childcare_rate__isnull=True) | Q(childcare_rate__gte=0))
                & (Q(hourly_rate__isnull=True) | Q(hourly_rate__gte=0))
                & (Q(flat_rate__isnull=True) | Q(flat_rate__gte=0))
                & (Q(funding_rate__isnull=True) | (Q(funding_rate__gte=0) & Q(funding_rate__lte=100))),
                name="linerule_caps_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line.name} {self.programme_year.year}"

    @property
    def year(self) -> int:
        return self.programme_year.year


class AdministrativeCourt(models.Model):
    name = models.CharField("Verwaltungsgericht", max_length=120, unique=True)
    address = models.TextField("Anschrift")

    class Meta:
        ordering = ["name"]
        verbose_name = "Verwaltungsgericht"
        verbose_name_plural = "Verwaltungsgerichte"

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """One of the 33 Gebietskörperschaften (21 Landkreise, 5 kreisfreie Städte, 7 Sonderstatusstädte)."""

    name = models.CharField("Name", max_length=120, unique=True)
    kind = models.CharField("Art", max_length=30, choices=OrganisationKind.choices)
    kreisschluessel = models.CharField("Kreisschlüssel", max_length=5, blank=True)
    regierungsbezirk = models.CharField("Regierungsbezirk", max_length=20, choices=Regierungsbezirk.choices)
    landkreis = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="sonderstatusstaedte",
        verbose_name="Landkreis (bei Sonderstatusstädten)",
    )
    court = models.ForeignKey(
        AdministrativeCourt, on_delete=models.PROTECT, null=True, blank=True, verbose_name="Zuständiges Verwaltungsgericht",
        help_text="§ 1 Abs. 2 HessAGVwGO – von der Rechtsabteilung zu bestätigen",
    )
    population = models.PositiveIntegerField("Einwohnerzahl", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Gebietskörperschaft"
        verbose_name_plural = "Gebietskörperschaften (Kreise und Städte)"

    def __str__(self) -> str:
        return self.name

    @property
    def court_district(self) -> "District":
        """Sonderstatusstädte belong to their Landkreis' court district."""
        return self.landkreis if self.landkreis_id and not self.court_id else self


class LedgerKind(models.TextChoices):
    COMMITMENT = "commitment", "Bindung (Bewilligung)"
    RELEASE = "release", "Freigabe"
    PAYMENT = "payment", "Auszahlung"
    REFUND = "refund", "Rückzahlung (Erstattung)"  # applications/revocation: refunded principal, per year


class LedgerSource(models.TextChoices):
    """What a commitment is booked against: the year's allocation, or (before the year's budget is enacted) the
    commitment authority. Enactment moves VE bookings to the allocation (a release and a commitment row)."""

    ALLOCATION = "allocation", "Mittelansatz"
    AUTHORITY = "authority", "Verpflichtungsermächtigung"


class LedgerEntry(models.Model):
    """An immutable row of the budget ledger. Committed = commitments − releases; available is derived."""

    rule = models.ForeignKey(LineRule, on_delete=models.PROTECT, related_name="ledger", verbose_name="Haushaltsposition")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="ledger", verbose_name="Antrag"
    )
    kind = models.CharField("Art", max_length=20, choices=LedgerKind.choices)
    source = models.CharField("Gebucht gegen", max_length=20, choices=LedgerSource.choices,
                              default=LedgerSource.ALLOCATION)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    reason = models.TextField("Begründung", blank=True)
    created_at = models.DateTimeField("Zeitpunkt", auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Gebucht von"
    )
    created_by_name = models.CharField("Gebucht von (Name)", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Buchung"
        verbose_name_plural = "Haushaltsbuchungen"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive")]
        indexes = [models.Index(fields=["rule", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.rule})"

    @property
    def signed_committed(self) -> Decimal:
        if self.kind == LedgerKind.COMMITMENT:
            return self.amount
        if self.kind == LedgerKind.RELEASE:
            return -self.amount
        return Decimal("0")


def _new_epoch() -> str:
    import secrets

    return secrets.token_hex(8)


class FiguresVersion(models.Model):
    """One row: a counter raised after every commit that changes a figure of the budget overview or the reports.

    Cached figures are keyed by it (funding.figures_cache), so a booking, a decision or an edited allocation shows
    at once. It lives in the database, not in the cache, so every process sees the same value whatever the cache
    backend (a per-process LocMemCache included). `epoch` is new whenever the row is (re)created, so a counter
    that starts again from 0 (an emptied table) never meets figures cached under its earlier values.
    """

    value = models.BigIntegerField("Stand", default=0)
    epoch = models.CharField("Epoche", max_length=16, default=_new_epoch)

    class Meta:
        verbose_name = "Stand der Kennzahlen"
        verbose_name_plural = "Stand der Kennzahlen"

    def __str__(self) -> str:
        return f"{self.epoch}.{self.value}"


class BaseRate(models.Model):
    """The base rate of § 247 BGB (Basiszinssatz), as the Deutsche Bundesbank publishes it each 1 January and
    1 July in the Bundesanzeiger. A value holds from `valid_from` until the next row. Interest of § 49a Abs. 3
    and 4 HVwVfG is five percentage points above it (funding/interest.py). Haushalt adds the next half-year."""

    valid_from = models.DateField("Gültig ab", unique=True)
    rate = models.DecimalField("Basiszinssatz (% p. a.)", max_digits=5, decimal_places=2)
    source = models.CharField("Quelle (Bekanntmachung)", max_length=200, blank=True)
    created_at = models.DateTimeField("Erfasst am", auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = "Basiszinssatz (§ 247 BGB)"
        verbose_name_plural = "Basiszinssätze (§ 247 BGB)"

    def __str__(self):
        return f"{self.rate} % ab {self.valid_from:%d.%m.%Y}"
