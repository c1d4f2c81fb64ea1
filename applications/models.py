"""Organisations, memberships, applications with their financing plans, attachments, events, messages, notices."""

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from applications.workflow import Status
from funding.models import AttachmentKind, District, FinancingType, LineRule, OrganisationKind, Regierungsbezirk


def validate_iban(value: str) -> None:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError("Diese IBAN ist ungültig. Bitte prüfen Sie Länderkennung, Prüfziffer und Länge.") from exc


class LegalForm(models.TextChoices):
    """The legal form decides the Nebenbestimmungen: ANBest-GK only for Gebietskörperschaften and their
    associations (Gemeinden und Gemeindeverbände), ANBest-P for everyone else — a municipal gGmbH included."""

    GEBIETSKOERPERSCHAFT = "gebietskoerperschaft", "Gebietskörperschaft (Landkreis, Stadt, Gemeinde)"
    GEMEINDEVERBAND = "gemeindeverband", "Gemeindeverband / Zweckverband (Körperschaft des öffentlichen Rechts)"
    EIGENBETRIEB = "eigenbetrieb", "Eigen- oder Regiebetrieb einer Kommune (ohne eigene Rechtspersönlichkeit)"
    ANSTALT = "anstalt", "Anstalt oder Stiftung des öffentlichen Rechts"
    GMBH = "gmbh", "GmbH / gGmbH oder andere Kapitalgesellschaft (privates Recht)"
    VEREIN = "verein", "Eingetragener Verein"
    KIRCHE = "kirche", "Kirchliche Körperschaft oder Einrichtung"
    STIFTUNG = "stiftung", "Stiftung des privaten Rechts"
    SONSTIGE = "sonstige", "Sonstige Rechtsform"

    @classmethod
    def gk(cls) -> list[str]:
        """Legal forms that are Gemeinden or Gemeindeverbände (or part of one): ANBest-GK."""
        return [cls.GEBIETSKOERPERSCHAFT, cls.GEMEINDEVERBAND, cls.EIGENBETRIEB]
# Free text that ends up in PDFs and mails has a length (issue 16: 2 × 1 MB made a PDF take half a minute).
# Enough for a Konzeption in the form; anything longer belongs in an attachment.
PURPOSE_MAX = 8000
TARGET_GROUP_MAX = 2000
REASONS_MAX = 8000
MESSAGE_MAX = 5000


class Organisation(models.Model):
    name = models.CharField("Name", max_length=200)
    kind = models.CharField("Art", max_length=30, choices=OrganisationKind.choices, db_index=True)
    legal_form = models.CharField(
        "Rechtsform", max_length=30, choices=LegalForm.choices, blank=True,
        help_text="Bestimmt die Nebenbestimmungen: ANBest-GK nur für Gebietskörperschaften und Gemeinde-/"
                  "Zweckverbände, sonst ANBest-P (auch für kommunale gGmbH). Bei kommunalen Trägern Pflicht.",
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations",
        verbose_name="Landkreis / Stadt", help_text="Sitz der Organisation (bestimmt u. a. das Verwaltungsgericht)",
    )
    entity = models.OneToOneField(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="entity_organisation",
        verbose_name="Gebietskörperschaft", help_text="nur für die 33 Landkreise und Städte selbst",
    )
    regierungsbezirk = models.CharField("Regierungsbezirk", max_length=20, choices=Regierungsbezirk.choices, db_index=True)
    street = models.CharField("Straße und Hausnummer", max_length=200, blank=True)
    postcode = models.CharField("PLZ", max_length=5, blank=True)
    city = models.CharField("Ort", max_length=100, blank=True)
    email = models.EmailField("E-Mail (Kontakt)")
    phone = models.CharField("Telefon", max_length=40, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True, validators=[validate_iban])
    account_holder = models.CharField("Kontoinhaber", max_length=200, blank=True)
    non_profit = models.BooleanField("Gemeinnützig anerkannt", default=False)
    register_number = models.CharField("Vereinsregister-Nr.", max_length=60, blank=True)
    inhabitants = models.PositiveIntegerField("Einwohnerzahl (Kommunen)", null=True, blank=True)
    verified_at = models.DateTimeField("Geprüft am", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Geprüft von"
    )
    created_at = models.DateTimeField("Angelegt am", auto_now_add=True)
    # A change of the bank account once money was paid waits for a second person (four eyes): the new values
    # are held here until someone else confirms them (applications.accounts.organisation_data).
    pending_iban = models.CharField("Neue IBAN (wartet auf Bestätigung)", max_length=34, blank=True)
    pending_account_holder = models.CharField("Neuer Kontoinhaber (wartet auf Bestätigung)", max_length=200,
                                              blank=True)
    pending_bank_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name="Änderung beantragt von")
    pending_bank_at = models.DateTimeField("Änderung beantragt am", null=True, blank=True)
    # A change of the legal form (it decides ANBest-GK or -P) proposed by one staff member waits here until another
    # confirms it (issue 12); notices already issued keep what they said (their context is frozen).
    pending_legal_form = models.CharField("Beantragte Rechtsform", max_length=30, choices=LegalForm.choices,
                                          blank=True)
    pending_legal_form_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                              blank=True, related_name="+",
                                              verbose_name="Änderung der Rechtsform beantragt von")
    pending_legal_form_at = models.DateTimeField("Änderung der Rechtsform beantragt am", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Organisation"
        verbose_name_plural = "Organisationen"
        indexes = [models.Index(fields=["name"])]
        permissions = [("change_bank_details", "Bankverbindung und Art der Organisation ändern")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_municipal(self) -> bool:
        return self.kind in OrganisationKind.municipal()

    @property
    def address_lines(self) -> list[str]:
        return [line for line in [self.street, f"{self.postcode} {self.city}".strip()] if line]

    def clean(self):
        if self.iban:
            self.iban = self.iban.replace(" ", "").upper()


class Role(models.TextChoices):
    MEMBER = "member", "Mitglied (Entwürfe bearbeiten)"
    SIGNATORY = "signatory", "Zeichnungsberechtigt (einreichen)"
    ADMIN = "admin", "Organisations-Administration"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name="Person")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships",
                                     verbose_name="Organisation")
    role = models.CharField("Rolle", max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField("Mitglied seit", auto_now_add=True)

    class Meta:
        verbose_name = "Mitgliedschaft"
        verbose_name_plural = "Mitgliedschaften"
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    @property
    def can_submit(self) -> bool:
        return self.role in (Role.SIGNATORY, Role.ADMIN)

    @property
    def can_manage(self) -> bool:
        return self.role == Role.ADMIN


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OrganisationAction(models.TextChoices):
    REGISTERED = "registered", "Organisation registriert"
    VERIFIED = "verified", "Vom Ministerium geprüft"
    INVITED = "invited", "Eingeladen"
    INVITATION_REVOKED = "invitation_revoked", "Einladung zurückgenommen"
    JOINED = "joined", "Einladung angenommen"
    ROLE_CHANGED = "role_changed", "Rolle geändert"
    REMOVED = "removed", "Aus der Organisation entfernt"
    DATA_CHANGED = "data_changed", "Stammdaten geändert"
    KIND_CHANGED = "kind_changed", "Art der Organisation geändert"
    BANK_CHANGED = "bank_changed", "Bankverbindung geändert"
    BANK_CHANGE_REQUESTED = "bank_change_requested", "Änderung der Bankverbindung beantragt (Vier-Augen-Prinzip)"
    BANK_CHANGE_DISCARDED = "bank_change_discarded", "Beantragte Änderung der Bankverbindung verworfen"
    USER_DELETED = "user_deleted", "Benutzerkonto gelöscht"
    LEGAL_FORM_REQUESTED = "legal_form_requested", "Änderung der Rechtsform beantragt (Vier-Augen-Prinzip)"
    LEGAL_FORM_CHANGED = "legal_form_changed", "Rechtsform geändert"
    LEGAL_FORM_DISCARDED = "legal_form_discarded", "Beantragte Änderung der Rechtsform verworfen"


class OrganisationEvent(models.Model):
    """Audit trail of an organisation: registration, verification and every change of who belongs to it in which
    role — who may sign (zeichnungsberechtigt) is legally relevant. Names are copied, so entries survive the
    deletion of the users involved."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events",
                                     verbose_name="Organisation")
    action = models.CharField("Vorgang", max_length=30, choices=OrganisationAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name="Durch (Benutzerkonto)")
    actor_name = models.CharField("Durch", max_length=200)
    subject = models.CharField("Betrifft", max_length=254, blank=True)
    from_role = models.CharField("Rolle vorher", max_length=20, choices=Role.choices, blank=True)
    to_role = models.CharField("Rolle nachher", max_length=20, choices=Role.choices, blank=True)
    created_at = models.DateTimeField("Zeitpunkt", auto_now_add=True)

    class Meta:
        verbose_name = "Protokolleintrag der Organisation"
        verbose_name_plural = "Protokoll der Organisation"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="orgevent_org_created")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.subject}" if self.subject else self.get_action_display()


class Invitation(models.Model):
    """An expiring, single-use invitation link; only the token's hash is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("E-Mail")
    role = models.CharField("Rolle", max_length=20, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField("Token-Prüfwert", max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name="Eingeladen von")
    created_at = models.DateTimeField("Eingeladen am", auto_now_add=True)
    expires_at = models.DateTimeField("Gültig bis")
    accepted_at = models.DateTimeField("Angenommen am", null=True, blank=True)

    class Meta:
        verbose_name = "Einladung"
        verbose_name_plural = "Einladungen"

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def find(cls, token: str):
        return cls.objects.select_related("organisation").filter(token_hash=_hash_token(token)).first()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class Application(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications", verbose_name="Organisation")
    rule = models.ForeignKey(LineRule, on_delete=models.PROTECT, related_name="applications", verbose_name="Förderbereich und Jahr")
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups", verbose_name="Vorjahresantrag"
    )
    status = models.CharField("Status", max_length=30, choices=Status.choices, default=Status.DRAFT, db_index=True)
    file_number = models.CharField("Aktenzeichen", max_length=40, unique=True, null=True, blank=True)
    title = models.CharField("Titel des Vorhabens", max_length=200)
    purpose = models.TextField("Zweck und Konzeption", blank=True, max_length=PURPOSE_MAX)
    target_group = models.TextField("Zielgruppe", blank=True, max_length=TARGET_GROUP_MAX)
    period_start = models.DateField("Beginn", null=True, blank=True)
    period_end = models.DateField("Ende", null=True, blank=True)
    contact_name = models.CharField("Ansprechperson", max_length=200, blank=True)
    contact_email = models.EmailField("E-Mail der Ansprechperson", blank=True)
    contact_phone = models.CharField("Telefon der Ansprechperson", max_length=40, blank=True)
    details = models.JSONField("Angaben des Förderbereichs", default=dict, blank=True)
    requested_amount = models.DecimalField("Beantragt", max_digits=12, decimal_places=2, default=Decimal("0"))
    total_costs = models.DecimalField("Gesamtkosten", max_digits=12, decimal_places=2, default=Decimal("0"))
    approved_amount = models.DecimalField("Bewilligt", max_digits=12, decimal_places=2, null=True, blank=True)
    decision_reasons = models.TextField("Begründung der Entscheidung", blank=True, max_length=REASONS_MAX)
    recommendation = models.CharField("Votum", max_length=20, blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Votum von"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Entschieden von"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Angelegt von"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="Eingereicht von"
    )
    created_at = models.DateTimeField("Angelegt am", auto_now_add=True)
    updated_at = models.DateTimeField("Geändert am", auto_now=True)
    # Indexed by application_submitted_desc (submitted_at DESC, id DESC) below; a second single-column index made
    # PostgreSQL pick it plus a sort for the admin queue's ordering (38 ms instead of 1 ms at 100,000 rows, h7).
    submitted_at = models.DateTimeField("Eingereicht am", null=True, blank=True)
    decided_at = models.DateTimeField("Entschieden am", null=True, blank=True)
    # Sort keys of the staff queue's "Bereich" and "Jahr" columns, copied from the rule (which never changes after
    # creation; a line's order is kept in step by applications.signals). Ordering through two joins made PostgreSQL
    # join and sort ~91k rows for every page (issue 18); with the key the page is read off an index.
    sort_line = models.PositiveSmallIntegerField("Sortierschlüssel Bereich", default=0, editable=False)
    sort_year = models.PositiveSmallIntegerField("Sortierschlüssel Jahr", default=0, editable=False)
    declarations = models.JSONField(
        "Erklärungen bei Einreichung", default=dict, blank=True,
        help_text="Nicht begonnen, Vorsteuerabzug, weitere Förderung, Richtigkeit, elektronische Bekanntgabe",
    )
    early_start_requested_at = models.DateTimeField("Vorzeitiger Beginn beantragt am", null=True, blank=True)
    early_start_from = models.DateField("Vorzeitiger Beginn ab", null=True, blank=True)
    early_start_reason = models.TextField("Begründung des vorzeitigen Beginns", blank=True)
    early_start_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="Vorzeitiger Beginn beantragt von",
    )
    early_start_decided_at = models.DateTimeField("Über vorzeitigen Beginn entschieden am", null=True, blank=True)
    early_start_consented = models.BooleanField("Vorzeitiger Beginn zugelassen", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Antrag"
        verbose_name_plural = "Anträge"
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["rule", "status"]),
            models.Index(fields=["status", "submitted_at"]),
            # The admin changelist's ordering (-submitted_at, -id) read straight off an index, no sort (h7).
            models.Index(fields=["-submitted_at", "-id"], name="application_submitted_desc"),
            # The queue sorted by "Beantragt" / "Bewilligt": the column, then the queue's own order (the admin
            # appends -submitted_at, -id), read off one index backwards, no sort of 91k rows.
            models.Index(fields=["requested_amount", "submitted_at", "id"], name="application_requested_order"),
            models.Index(fields=["approved_amount", "submitted_at", "id"], name="application_approved_order"),
            models.Index(fields=["sort_line", "submitted_at", "id"], name="application_line_order"),
            models.Index(fields=["sort_year", "submitted_at", "id"], name="application_year_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gte=0), name="application_requested_nonneg"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0), name="application_approved_nonneg"
            ),
        ]
        permissions = [
            ("review_application", "Anträge prüfen (Sachbearbeitung)"),
            ("decide_application", "Über Anträge entscheiden (Bewilligung)"),
            ("view_budget", "Haushaltsübersicht sehen"),
            ("view_reports", "Programmberichte sehen"),
        ]

    def __str__(self) -> str:
        return self.file_number or f"Entwurf #{self.pk}: {self.title}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.rule_id and not self.sort_year:
            rule = self._state.fields_cache.get("rule")
            if rule is not None and {"line", "programme_year"} <= rule._state.fields_cache.keys():
                self.sort_keys_from(rule)
            else:  # one query rather than three
                self.sort_line, self.sort_year = LineRule.objects.filter(pk=self.rule_id).values_list(
                    "line__order", "programme_year__year").get()
        super().save(*args, **kwargs)

    def sort_keys_from(self, rule) -> None:
        """The queue's sort keys from the rule (bulk_create callers call this themselves)."""
        self.sort_line = rule.line.order
        self.sort_year = rule.programme_year.year

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.CHANGES_REQUESTED)

    @property
    def line(self):
        return self.rule.line

    @property
    def year(self) -> int:
        return self.rule.programme_year.year


class CostCategory(models.TextChoices):
    PERSONNEL = "personnel", "Personalausgaben"
    FEES = "fees", "Honorare"
    ALLOWANCES = "allowances", "Aufwandsentschädigungen"
    MATERIAL = "material", "Sachausgaben"
    CHILDCARE = "childcare", "Kinderbetreuung"
    TRAVEL = "travel", "Reisekosten"
    RENT = "rent", "Miete und Raumkosten"
    QUALIFICATION = "qualification", "Qualifizierung"
    OTHER = "other", "Sonstige Ausgaben"


class PlanYear(models.Model):
    """The income side of the cost and financing plan for one budget year."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="plan_years",
                                    verbose_name="Antrag")
    year = models.PositiveIntegerField("Haushaltsjahr")
    own_funds = models.DecimalField("Eigenmittel", max_digits=12, decimal_places=2, default=Decimal("0"))
    third_party_funds = models.DecimalField("Drittmittel", max_digits=12, decimal_places=2, default=Decimal("0"))
    other_public_funds = models.DecimalField("Andere öffentliche Zuwendungen", max_digits=12, decimal_places=2, default=Decimal("0"))
    requested_grant = models.DecimalField("Beantragte Zuwendung", max_digits=12, decimal_places=2, default=Decimal("0"))
    approved_grant = models.DecimalField("Bewilligte Zuwendung", max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "Finanzierungsplan (Jahr)"
        verbose_name_plural = "Finanzierungspläne"
        constraints = [
            models.UniqueConstraint(fields=["application", "year"], name="planyear_unique"),
            models.CheckConstraint(
                condition=Q(own_funds__gte=0) & Q(third_party_funds__gte=0) & Q(other_public_funds__gte=0) & Q(requested_grant__gte=0),
                name="planyear_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def total_income(self) -> Decimal:
        return self.own_funds + self.third_party_funds + self.other_public_funds + self.requested_grant


class CostItem(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cost_items",
                                    verbose_name="Antrag")
    year = models.PositiveIntegerField("Haushaltsjahr")
    category = models.CharField("Kostenart", max_length=20, choices=CostCategory.choices)
    description = models.CharField("Bezeichnung", max_length=200)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    approved_amount = models.DecimalField(
        "Zuwendungsfähig", max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="Von der Bewilligung festgelegt (0 = nicht zuwendungsfähig); leer = noch nicht entschieden",
    )
    exclusion_reason = models.TextField("Grund der Kürzung/Nichtanerkennung", blank=True)

    class Meta:
        ordering = ["year", "id"]
        verbose_name = "Kostenposition"
        verbose_name_plural = "Kostenpositionen"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="costitem_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | (Q(approved_amount__gte=0) & Q(approved_amount__lte=F("amount"))),
                name="costitem_approved_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description}"


def attachment_path(instance, filename: str) -> str:
    return f"attachments/{instance.application.organisation_id}/{instance.application_id}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments",
                                    verbose_name="Antrag")
    kind = models.CharField("Art der Anlage", max_length=30, choices=AttachmentKind.choices)
    file = models.FileField("Datei", upload_to=attachment_path, max_length=300)
    original_name = models.CharField("Dateiname", max_length=255)
    content_type = models.CharField("Dateityp", max_length=100)
    size = models.PositiveIntegerField("Größe (Bytes)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name="Hochgeladen von")
    uploaded_at = models.DateTimeField("Hochgeladen am", auto_now_add=True)

    class Meta:
        ordering = ["kind", "uploaded_at"]
        verbose_name = "Anlage"
        verbose_name_plural = "Anlagen"

    def __str__(self) -> str:
        return self.original_name


class Event(models.Model):
    """Audit trail: every transition and booking. Survives deletion of the user (actor_name is a snapshot)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events",
                                    verbose_name="Antrag")
    action = models.CharField("Aktion", max_length=40)
    from_status = models.CharField("Von", max_length=30, blank=True)
    to_status = models.CharField("Nach", max_length=30, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name="Durch (Benutzerkonto)")
    actor_name = models.CharField("Wer", max_length=200)
    reason = models.TextField("Begründung", blank=True)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2, null=True, blank=True)
    visible_to_applicant = models.BooleanField("Für Antragstellende sichtbar", default=True)
    created_at = models.DateTimeField("Wann", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "Verlaufseintrag"
        verbose_name_plural = "Verlauf"
        indexes = [models.Index(fields=["application", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"


class Message(models.Model):
    """Messages between ministry and applicant (requests for changes or documents, replies)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages",
                                    verbose_name="Antrag")
    from_staff = models.BooleanField("Vom Ministerium", default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name="Verfasst von")
    author_name = models.CharField("Verfasst von", max_length=200)
    subject = models.CharField("Betreff", max_length=200, blank=True)
    body = models.TextField("Nachricht", max_length=MESSAGE_MAX)
    created_at = models.DateTimeField("Zeitpunkt", default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "Nachricht"
        verbose_name_plural = "Nachrichten"

    def __str__(self) -> str:
        return self.subject or self.body[:40]


class InternalNote(models.Model):
    """Internal notes of ministry staff. Never shown to applicants (no portal view reads this model)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="internal_notes",
                                    verbose_name="Antrag")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name="Verfasst von")
    author_name = models.CharField("Verfasst von", max_length=200)
    body = models.TextField("Vermerk", max_length=MESSAGE_MAX)
    created_at = models.DateTimeField("Zeitpunkt", default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "Interner Vermerk"
        verbose_name_plural = "Interne Vermerke"

    def __str__(self) -> str:
        return self.body[:40]


class FileNumberCounter(models.Model):
    """Sequence per (year, line) for file numbers like WIR-2026-FM-0007, incremented under a row lock."""

    year = models.PositiveIntegerField("Jahr")
    line_short = models.CharField("Kürzel des Förderbereichs", max_length=4)
    last = models.PositiveIntegerField("Letzte vergebene Nummer", default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "line_short"], name="filenumber_unique")]


class LegalText(models.Model):
    """An editable legal text block (authority, remedies, provisions ...). Every save creates a new version row;
    notices store the versions they used, so an old notice can always be explained."""

    key = models.SlugField("Schlüssel", max_length=60)
    version = models.PositiveIntegerField("Version", default=1)
    title = models.CharField("Titel", max_length=200)
    body = models.TextField("Text", help_text="Platzhalter: {court_name}, {court_address}, {authority}")
    created_at = models.DateTimeField("Gültig ab", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Erstellt von")

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = "Rechtstext"
        verbose_name_plural = "Rechtstexte (Bescheidbausteine)"
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="legaltext_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class NoticeKind(models.TextChoices):
    APPROVAL = "approval", "Zuwendungsbescheid"
    REJECTION = "rejection", "Ablehnungsbescheid"
    AMENDMENT = "amendment", "Änderungsbescheid"
    RECEIPT = "receipt", "Eingangsbestätigung"
    EARLY_START = "early_start", "Zustimmung zum vorzeitigen Maßnahmebeginn"
    PROOF_RECEIPT = "proof_receipt", "Eingangsbestätigung Verwendungsnachweis"
    PROOF_CHECK = "proof_check", "Prüfvermerk zum Verwendungsnachweis"
    # revocation (applications/revocation/)
    HEARING = "hearing", "Anhörung (§ 28 HVwVfG)"
    REVOCATION = "revocation", "Widerrufs- und Erstattungsbescheid"
    WITHDRAWAL = "withdrawal", "Rücknahme- und Erstattungsbescheid"
    REVOCATION_END = "revocation_end", "Einstellung des Widerrufsverfahrens"
    EARLY_START_REFUSAL = "early_start_refusal", "Ablehnung des vorzeitigen Maßnahmebeginns"


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", "In Warteschlange"
    RENDERING = "rendering", "Wird erstellt"
    RENDERED = "rendered", "Erstellt"
    SENDING = "sending", "Wird versandt"
    SENT = "sent", "Versandt"
    FAILED = "failed", "Fehlgeschlagen"


def notice_path(instance, filename: str) -> str:
    return f"notices/{instance.application.organisation_id}/{instance.application_id}/{secrets.token_hex(16)}.pdf"


class Notice(models.Model):
    """Outbox row for a notice: rendered once, sent once; claimed under a row lock by the worker."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notices",
                                    verbose_name="Antrag")
    kind = models.CharField("Art", max_length=20, choices=NoticeKind.choices)
    status = models.CharField("Status", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED, db_index=True)
    number = models.CharField("Bescheid-Nr.", max_length=60, blank=True)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2, null=True, blank=True)
    previous_amount = models.DecimalField("Bisheriger Betrag", max_digits=12, decimal_places=2, null=True, blank=True)
    reasons = models.TextField("Begründung", blank=True)
    context = models.JSONField("Daten zum Zeitpunkt der Entscheidung", default=dict, blank=True)
    legal_versions = models.JSONField("Verwendete Rechtstext-Versionen", default=dict, blank=True)
    pdf = models.FileField("PDF", upload_to=notice_path, blank=True, max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    attempts = models.PositiveIntegerField("Versuche", default=0)
    last_error = models.TextField("Letzter Fehler", blank=True)
    created_at = models.DateTimeField("Erstellt am", default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Erstellt von")
    rendered_at = models.DateTimeField("PDF erstellt am", null=True, blank=True)
    sent_at = models.DateTimeField("Versandt am", null=True, blank=True)
    send_count = models.PositiveIntegerField("Anzahl Versendungen", default=0)
    claimed_at = models.DateTimeField(
        "In Arbeit seit", null=True, blank=True,
        help_text="Zeitpunkt, zu dem ein Worker den Bescheid übernommen hat (Schutz vor Doppelverarbeitung)",
    )
    first_sent_at = models.DateTimeField(
        "Erstmals versandt am", null=True, blank=True,
        help_text="Maßgeblich für die Bekanntgabe (§ 41 Abs. 2 HVwVfG); ein erneuter Versand ändert sie nicht",
    )
    remedy_waived_at = models.DateTimeField("Rechtsbehelfsverzicht erklärt am", null=True, blank=True)
    remedy_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="Rechtsbehelfsverzicht erklärt von",
    )
    remedy_waived_by_name = models.CharField("Verzicht erklärt von (Name)", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Bescheid"
        verbose_name_plural = "Bescheide"
        indexes = [
            # The outbox changelist's order read off one index (154k notices at scale), and its search by number.
            models.Index(fields=["-created_at", "-id"], name="notice_created_desc"),
            models.Index(fields=["number"], name="notice_number"),
            # The outbox sorted by status or by sending date (the columns it may be sorted by), then its own order.
            models.Index(fields=["status", "created_at", "id"], name="notice_status_order"),
            models.Index(fields=["sent_at", "created_at", "id"], name="notice_sent_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application}"



# --- payments (applications/payments/) -------------------------------------------------------------------------

class PaymentMode(models.TextChoices):
    ON_REQUEST = "on_request", "Auf Anforderung (Mittelabruf)"
    TRANCHES = "tranches", "In Raten (automatisch fällig)"


class PaymentPlan(models.Model):
    """How one year of an approval is paid out: on request (Mittelabruf) or in tranches that fall due by themselves
    once the notice is final. Stated in the approval notice. Without a row a year is paid on request."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="payment_plans",
                                    verbose_name="Antrag")
    year = models.PositiveIntegerField("Haushaltsjahr")
    mode = models.CharField("Auszahlungsweise", max_length=20, choices=PaymentMode.choices, default=PaymentMode.ON_REQUEST)
    tranches = models.PositiveSmallIntegerField(
        "Anzahl Raten", default=4, help_text="z. B. 4 = vierteljährlich (1.1., 1.4., 1.7., 1.10.); nur bei Raten",
    )
    retention_released_at = models.DateTimeField(
        "Einbehalt freigegeben am", null=True, blank=True,
        help_text="nach geprüftem Verwendungsnachweis; danach kann der Einbehalt abgerufen werden",
    )
    retention_released_by_name = models.CharField("Einbehalt freigegeben von", max_length=200, blank=True)
    retention_release_reason = models.TextField("Begründung der Freigabe", blank=True)
    # Staff fallback with four eyes: one person proposes the release, another releases it (payments/services.py).
    retention_release_proposed_at = models.DateTimeField("Freigabe des Einbehalts vorgeschlagen am", null=True,
                                                         blank=True)
    retention_release_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="Freigabe vorgeschlagen von")
    retention_release_proposed_by_name = models.CharField("Freigabe vorgeschlagen von (Name)", max_length=200,
                                                          blank=True)
    created_at = models.DateTimeField("Angelegt am", auto_now_add=True)

    class Meta:
        ordering = ["application_id", "year"]
        verbose_name = "Auszahlungsplan"
        verbose_name_plural = "Auszahlungspläne"
        constraints = [
            models.UniqueConstraint(fields=["application", "year"], name="paymentplan_unique_year"),
            models.CheckConstraint(condition=Q(tranches__gte=1) & Q(tranches__lte=12), name="paymentplan_tranches_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.get_mode_display()}"


class PaymentStatus(models.TextChoices):
    REQUESTED = "requested", "Angefordert"
    CONFIRMED = "confirmed", "Sachlich richtig"
    ORDERED = "ordered", "Angeordnet"
    PAID = "paid", "Ausgezahlt"
    REFUSED = "refused", "Abgelehnt"


class PaymentSource(models.TextChoices):
    REQUEST = "request", "Mittelabruf"
    TRANCHE = "tranche", "Rate"


class PaymentRun(models.Model):
    """A payment run (Zahllauf) of Haushalt: ordered payments exported as SEPA pain.001 and CSV, executed once."""

    number = models.CharField("Zahllauf-Nr.", max_length=40, unique=True)
    execution_date = models.DateField("Ausführungsdatum")
    created_at = models.DateTimeField("Angelegt am", default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Angelegt von")
    created_by_name = models.CharField("Angelegt von (Name)", max_length=200, blank=True)
    total = models.DecimalField("Summe", max_digits=14, decimal_places=2, default=Decimal("0"))
    count = models.PositiveIntegerField("Anzahl Zahlungen", default=0)
    executed_at = models.DateTimeField("Ausgeführt am", null=True, blank=True)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="Ausgeführt von")
    executed_by_name = models.CharField("Ausgeführt von (Name)", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Zahllauf"
        verbose_name_plural = "Zahlläufe"

    def __str__(self) -> str:
        return self.number

    @property
    def is_executed(self) -> bool:
        return self.executed_at is not None


class Payment(models.Model):
    """One payment of an approval's year: requested by the applicant (or a tranche fallen due), confirmed as
    factually correct (Sachbearbeitung), ordered by a different person (Haushalt), paid in a run (a PAYMENT ledger
    entry) — or refused with a reason the applicant sees."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments", verbose_name="Antrag")
    year = models.PositiveIntegerField("Haushaltsjahr")
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    status = models.CharField("Status", max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.REQUESTED)
    source = models.CharField("Art", max_length=20, choices=PaymentSource.choices, default=PaymentSource.REQUEST)
    tranche_no = models.PositiveSmallIntegerField("Rate Nr.", null=True, blank=True)
    need_declared = models.BooleanField("Bedarf binnen zwei Monaten erklärt", default=False)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_holder = models.CharField("Kontoinhaber", max_length=200, blank=True)
    requested_at = models.DateTimeField("Angefordert am", default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name="Angefordert von")
    requested_by_name = models.CharField("Angefordert von (Name)", max_length=200, blank=True)
    confirmed_at = models.DateTimeField("Sachlich richtig am", null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name="Sachlich richtig von")
    confirmed_by_name = models.CharField("Sachlich richtig von (Name)", max_length=200, blank=True)
    ordered_at = models.DateTimeField("Angeordnet am", null=True, blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Angeordnet von")
    ordered_by_name = models.CharField("Angeordnet von (Name)", max_length=200, blank=True)
    refused_at = models.DateTimeField("Abgelehnt am", null=True, blank=True)
    refused_by_name = models.CharField("Abgelehnt von (Name)", max_length=200, blank=True)
    refusal_reason = models.TextField("Ablehnungsgrund", blank=True)
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, null=True, blank=True, related_name="payments",
                            verbose_name="Zahllauf")
    ledger_entry = models.OneToOneField("funding.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="payment", verbose_name="Buchung")
    paid_on = models.DateField("Ausgezahlt am", null=True, blank=True)
    spend_by = models.DateField("Zu verwenden bis", null=True, blank=True)
    spent_reported_at = models.DateTimeField("Verwendung gemeldet am", null=True, blank=True)
    reminder_sent_at = models.DateTimeField("Erinnerung versandt am", null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "Auszahlung"
        verbose_name_plural = "Auszahlungen"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["application", "year", "tranche_no"], condition=Q(tranche_no__isnull=False),
                                    name="payment_tranche_once"),
        ]
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="payment_status_requested"),
            models.Index(fields=["application", "year", "status"], name="payment_app_year_status"),
            models.Index(fields=["run", "id"], name="payment_run_id"),
            # the staff queue's order (admin: -requested_at, -id), unfiltered and by status: LIMIT 50 reads 50 rows
            models.Index(fields=["-requested_at", "-id"], name="payment_newest"),
            models.Index(fields=["status", "-requested_at", "-id"], name="payment_status_newest"),
        ]
        permissions = [
            ("confirm_payment", "Auszahlungen sachlich richtig zeichnen (Sachbearbeitung)"),
            ("order_payment", "Auszahlungen anordnen und Zahlläufe ausführen (Haushalt)"),
        ]

    def __str__(self) -> str:
        return f"Auszahlung {self.pk} ({self.get_status_display()})"

    @property
    def end_to_end_id(self) -> str:
        return f"WIR-AZ-{self.pk}"
class AmendmentStatus(models.TextChoices):
    SUBMITTED = "submitted", "Eingereicht"
    RECOMMENDED = "recommended", "Votum erteilt"
    APPROVED = "approved", "Bewilligt (Änderungsbescheid)"
    REJECTED = "rejected", "Abgelehnt"


class AmendmentRequest(models.Model):
    """Änderungsantrag of a funded application, made by the applicant in the portal: extend the period, shift money
    between cost lines, raise the grant. Decided under four eyes (Sachbearbeitung recommends, somebody else of
    Bewilligung decides); an approval produces an Änderungsbescheid restating the per-year amounts and the plan.
    A cut against the applicant's will is not an amendment (partial revocation with a hearing, §§ 28, 49 HVwVfG)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="amendment_requests",
                                     verbose_name="Antrag")
    status = models.CharField("Status", max_length=20, choices=AmendmentStatus.choices,
                              default=AmendmentStatus.SUBMITTED, db_index=True)
    new_period_end = models.DateField("Neues Ende des Bewilligungszeitraums", null=True, blank=True)
    year_amounts = models.JSONField("Beantragte Zuwendung je Jahr", default=dict, blank=True)
    cost_amounts = models.JSONField("Neue Beträge je Kostenposition", default=dict, blank=True)
    reasons = models.TextField("Begründung der Antragstellenden")
    previous_amount = models.DecimalField("Bisher bewilligt", max_digits=12, decimal_places=2)
    new_amount = models.DecimalField("Neu beantragt", max_digits=12, decimal_places=2)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name="Gestellt von")
    requested_by_name = models.CharField("Gestellt von (Name)", max_length=200)
    created_at = models.DateTimeField("Gestellt am", default=timezone.now)
    recommendation = models.CharField("Votum", max_length=20, blank=True)
    recommendation_reason = models.TextField("Begründung des Votums", blank=True)
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name="Votum von")
    recommended_at = models.DateTimeField("Votum am", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Entschieden von")
    decided_at = models.DateTimeField("Entschieden am", null=True, blank=True)
    decision_reasons = models.TextField("Begründung der Entscheidung", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Änderungsantrag"
        verbose_name_plural = "Änderungsanträge"
        constraints = [
            models.CheckConstraint(condition=Q(new_amount__gt=0), name="amendment_new_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Änderungsantrag {self.application} vom {timezone.localtime(self.created_at):%d.%m.%Y}"

    @property
    def is_open(self) -> bool:
        return self.status in (AmendmentStatus.SUBMITTED, AmendmentStatus.RECOMMENDED)


__all__ = [
    "AmendmentRequest", "AmendmentStatus", "LegalForm",
    "Application", "Attachment", "CostCategory", "CostItem", "Event", "FileNumberCounter", "FinancingType",
    "InternalNote", "Invitation", "LegalText", "Membership", "Message", "Notice", "NoticeKind", "NoticeStatus",
    "Organisation", "Payment", "PaymentMode", "PaymentPlan", "PaymentRun", "PaymentSource", "PaymentStatus",
    "PlanYear", "Role",
]


# --- Second factor: audit trail (rules in accounts/mfa/services.py) ---------------------------------------------

class FactorAction(models.TextChoices):
    ENROLLED = "enrolled", "Faktor eingerichtet"
    REMOVED = "removed", "Faktor entfernt"
    BACKUP_CODES = "backup_codes", "Backup-Codes neu erzeugt"
    RESET = "reset", "Alle Faktoren zurückgesetzt (Geräteverlust)"
    DEMO = "demo", "Demo-Faktor angelegt (nur Entwicklung)"


class FactorEvent(models.Model):
    created_at = models.DateTimeField("Zeitpunkt", auto_now_add=True, db_index=True)
    action = models.CharField("Vorgang", max_length=20, choices=FactorAction.choices)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="betroffene Person", null=True,
                                on_delete=models.SET_NULL, related_name="+")
    subject_name = models.CharField("betroffene Person (Name)", max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="durch", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("durch (Name)", max_length=300, blank=True)
    factor = models.CharField("Faktor", max_length=200, blank=True)
    reason = models.TextField("Begründung", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Protokoll zweiter Faktor"
        verbose_name_plural = "Protokoll zweiter Faktor"

    def __str__(self):
        return f"{self.created_at:%d.%m.%Y %H:%M} {self.get_action_display()}: {self.subject_name}"


__all__ += ["FactorAction", "FactorEvent"]


# --- The mail outbox (issue 11): every outgoing e-mail is a row first -------------------------------------------

class MailStatus(models.TextChoices):
    QUEUED = "queued", "In Warteschlange"
    SENDING = "sending", "Wird versandt"
    SENT = "sent", "Versandt"
    FAILED = "failed", "Fehlgeschlagen"


class OutboundMail(models.Model):
    """One outgoing e-mail, written in the transaction of the change that causes it and sent by a worker
    (applications/notices/outbox.py: claim under a row lock, send, retry with backoff). The text is rendered when the
    row is written; a notice's PDF is attached at send time from the notice (checked against its SHA-256).
    Mails with a one-time link (registration, invitation, password reset) are `sensitive`: staff never see their
    text, and it is erased once the mail has been sent."""

    kind = models.CharField("Art", max_length=60)
    status = models.CharField("Status", max_length=20, choices=MailStatus.choices, default=MailStatus.QUEUED)
    to = models.JSONField("An", default=list)
    subject = models.CharField("Betreff", max_length=300)
    body_text = models.TextField("Text", blank=True)
    body_html = models.TextField("HTML", blank=True)
    sensitive = models.BooleanField("Enthält einen einmaligen Link", default=False)
    application = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name="Antrag")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="mails",
                               verbose_name="Bescheid")
    delivery = models.PositiveIntegerField("Zustellung Nr.", default=1,
                                           help_text="Bei Bescheiden: die wievielte Versendung dieses Bescheids")
    attempts = models.PositiveIntegerField("Versuche", default=0)
    last_error = models.TextField("Letzter Fehler", blank=True)
    next_attempt_at = models.DateTimeField("Nächster Versuch", default=timezone.now)
    claimed_at = models.DateTimeField("In Arbeit seit", null=True, blank=True)
    created_at = models.DateTimeField("Erstellt am", default=timezone.now)
    sent_at = models.DateTimeField("Versandt am", null=True, blank=True)
    send_count = models.PositiveIntegerField("Anzahl Versendungen", default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ausgehende E-Mail"
        verbose_name_plural = "Ausgehende E-Mails"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outboundmail_due"),
                   models.Index(fields=["-created_at", "-id"], name="outboundmail_newest")]  # the admin's order
        constraints = [models.UniqueConstraint(fields=["notice", "delivery"], name="outboundmail_one_per_delivery",
                                               condition=models.Q(notice__isnull=False))]

    def __str__(self) -> str:
        return self.subject


__all__ += ["MailStatus", "OutboundMail"]


# --- Proof of use (applications/proof/): Verwendungsnachweis ----------------------------------------------------

class ProofTerms(models.Model):
    """The months and tolerances of the proof of use as the Nebenbestimmungen word them, per funding line and year
    (a row without line or year applies to all). The most specific row wins: line and year, line, year, default.
    Due dates are fixed on the proof rows when the approval notice is issued, so a later edit never moves a date
    that a notice already named."""

    line = models.ForeignKey("funding.FundingLine", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name="Förderbereich", help_text="leer = alle Förderbereiche")
    year = models.PositiveIntegerField("Programmjahr", null=True, blank=True, help_text="leer = alle Jahre")
    interim_months = models.PositiveSmallIntegerField(
        "Zwischennachweis: Monate nach Ende des Haushaltsjahres", default=4,
        help_text="Nr. 6.1 ANBest-P: „binnen vier Monaten nach Ablauf des Haushaltsjahres“ (bis Monatsende)")
    final_months = models.PositiveSmallIntegerField(
        "Verwendungsnachweis: Monate nach Ende des Bewilligungszeitraums", default=6,
        help_text="Nr. 6.1 ANBest-P: „mit Ablauf des sechsten auf den Bewilligungszeitraum folgenden Monats“")
    overspend_percent = models.DecimalField(
        "Überschreitung einer Kostenposition ohne Zustimmung bis (%)", max_digits=5, decimal_places=2,
        default=Decimal("20"), help_text="Nr. 1.2 ANBest-P: Einzelansätze dürfen um bis zu 20 % überschritten "
                                         "werden, soweit die Überschreitung durch Einsparungen ausgeglichen wird")
    spend_months = models.PositiveSmallIntegerField(
        "Ausgezahlte Mittel zu verwenden binnen (Monate)", default=2, help_text="Nr. 1.4 ANBest-P")
    created_at = models.DateTimeField("Angelegt am", auto_now_add=True)

    class Meta:
        verbose_name = "Frist und Toleranz des Verwendungsnachweises"
        verbose_name_plural = "Fristen und Toleranzen des Verwendungsnachweises"
        constraints = [
            models.UniqueConstraint(fields=["line", "year"], name="proofterms_unique"),
            models.UniqueConstraint(fields=["line"], condition=Q(year__isnull=True), name="proofterms_unique_line"),
            models.UniqueConstraint(fields=["year"], condition=Q(line__isnull=True), name="proofterms_unique_year"),
            models.CheckConstraint(condition=Q(interim_months__gte=1) & Q(interim_months__lte=24)
                                   & Q(final_months__gte=1) & Q(final_months__lte=24), name="proofterms_months"),
        ]

    def __str__(self) -> str:
        scope = f"{self.line or 'alle Förderbereiche'}, {self.year or 'alle Jahre'}"
        return f"{scope}: {self.interim_months}/{self.final_months} Monate, {self.overspend_percent} %"


class ProofKind(models.TextChoices):
    INTERIM = "interim", "Zwischennachweis"
    FINAL = "final", "Verwendungsnachweis"


class ProofStatus(models.TextChoices):
    OPEN = "open", "Offen"
    SUBMITTED = "submitted", "Eingereicht"
    IN_CHECK = "in_check", "In Prüfung"
    CHECKED = "checked", "Geprüft"


class Proof(models.Model):
    """One proof of use that is due: an interim proof (Zwischennachweis) for a completed budget year of a
    multi-year grant, or the final proof after the end of the period. Created with the approval notice, with the
    due date the notice names; kept open while the recipient records expenses, submitted by a signatory, checked
    by staff (ProofCheck)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="proofs",
                                    verbose_name="Antrag")
    kind = models.CharField("Art", max_length=20, choices=ProofKind.choices)
    year_from = models.PositiveIntegerField("Haushaltsjahr von")
    year_to = models.PositiveIntegerField("Haushaltsjahr bis")
    due_on = models.DateField("Vorzulegen bis")
    status = models.CharField("Status", max_length=20, choices=ProofStatus.choices, default=ProofStatus.OPEN)
    report = models.JSONField("Sachbericht", default=dict, blank=True)
    submitted_at = models.DateTimeField("Eingereicht am", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name="Eingereicht von")
    submitted_by_name = models.CharField("Eingereicht von (Name)", max_length=200, blank=True)
    snapshot = models.JSONField("Zahlenmäßiger Nachweis bei Einreichung", default=dict, blank=True)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="Eingangsbestätigung (PDF)")
    created_at = models.DateTimeField("Angelegt am", default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "Verwendungsnachweis"
        verbose_name_plural = "Verwendungsnachweise"
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "year_from"], name="proof_once_per_year"),
            models.CheckConstraint(condition=Q(year_to__gte=F("year_from")), name="proof_years_ordered"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="proof_status_due"),
            models.Index(fields=["application", "due_on"], name="proof_app_due"),
        ]
        permissions = [
            ("check_proof", "Verwendungsnachweise prüfen (Prüfvermerk entwerfen)"),
            ("countersign_proof", "Prüfvermerke gegenzeichnen (Vier-Augen-Prinzip)"),
        ]

    def __str__(self) -> str:
        years = str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}–{self.year_to}"
        return f"{self.get_kind_display()} {years} {self.application}"

    @property
    def years(self) -> list[int]:
        return list(range(self.year_from, self.year_to + 1))


class Expense(models.Model):
    """One line of the Belegliste: a payment made for the project, booked to a cost line of the approved plan."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="expenses",
                                    verbose_name="Antrag")
    cost_item = models.ForeignKey(CostItem, on_delete=models.PROTECT, related_name="expenses",
                                  verbose_name="Kostenposition")
    paid_on = models.DateField("Zahlungsdatum")
    payee = models.CharField("Empfänger", max_length=200)
    purpose = models.CharField("Grund der Zahlung", max_length=300)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    receipt_number = models.CharField("Beleg-Nr.", max_length=60, blank=True)
    imported = models.BooleanField("Importiert", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Erfasst von")
    created_at = models.DateTimeField("Erfasst am", default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = "Beleg"
        verbose_name_plural = "Belegliste"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]
        indexes = [models.Index(fields=["application", "-paid_on", "-id"], name="expense_app_paid")]

    def __str__(self) -> str:
        return f"{self.paid_on:%d.%m.%Y} {self.payee}: {self.amount}"


class ProofIncome(models.Model):
    """The income side of the zahlenmäßiger Nachweis for one budget year of a proof (actual figures)."""

    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="incomes", verbose_name="Nachweis")
    year = models.PositiveIntegerField("Haushaltsjahr")
    own_funds = models.DecimalField("Eigenmittel", max_digits=12, decimal_places=2, default=Decimal("0"))
    third_party_funds = models.DecimalField("Drittmittel", max_digits=12, decimal_places=2, default=Decimal("0"))
    other_public_funds = models.DecimalField("Andere öffentliche Zuwendungen", max_digits=12, decimal_places=2,
                                             default=Decimal("0"))
    revenues = models.DecimalField("Einnahmen (z. B. Teilnahmebeiträge)", max_digits=12, decimal_places=2,
                                   default=Decimal("0"))

    class Meta:
        ordering = ["year"]
        verbose_name = "Einnahmen (Ist)"
        verbose_name_plural = "Einnahmen (Ist)"
        constraints = [
            models.UniqueConstraint(fields=["proof", "year"], name="proofincome_unique"),
            models.CheckConstraint(condition=Q(own_funds__gte=0) & Q(third_party_funds__gte=0)
                                   & Q(other_public_funds__gte=0) & Q(revenues__gte=0), name="proofincome_nonneg"),
        ]

    @property
    def total(self) -> Decimal:
        return self.own_funds + self.third_party_funds + self.other_public_funds + self.revenues


def proof_document_path(instance, filename: str) -> str:
    return f"proofs/{instance.application.organisation_id}/{instance.application_id}/{secrets.token_hex(16)}"


class ProofDocumentKind(models.TextChoices):
    SUPPORT = "support", "Nachweis zum Sachbericht"
    RECEIPT = "receipt", "Beleg (Stichprobe)"


class ProofDocument(models.Model):
    """A supporting document of the Sachbericht or a receipt asked for as a sample, checked like every upload."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="proof_documents",
                                    verbose_name="Antrag")
    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="documents", verbose_name="Nachweis")
    kind = models.CharField("Art", max_length=20, choices=ProofDocumentKind.choices)
    cost_item = models.ForeignKey(CostItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name="Kostenposition")
    file = models.FileField("Datei", upload_to=proof_document_path, max_length=300)
    original_name = models.CharField("Dateiname", max_length=255)
    content_type = models.CharField("Dateityp", max_length=100)
    size = models.PositiveIntegerField("Größe (Bytes)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+", verbose_name="Hochgeladen von")
    uploaded_at = models.DateTimeField("Hochgeladen am", default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "Unterlage zum Verwendungsnachweis"
        verbose_name_plural = "Unterlagen zum Verwendungsnachweis"

    def __str__(self) -> str:
        return self.original_name


class ProofReminderKind(models.TextChoices):
    BEFORE = "before", "Vor Fristablauf"
    DUE = "due", "Am Tag des Fristablaufs"
    OVERDUE_1 = "overdue_1", "Überfällig (erste Mahnung)"
    OVERDUE_2 = "overdue_2", "Überfällig (zweite Mahnung)"


class ProofReminder(models.Model):
    """A reminder sent for a proof: one row per proof and kind, so the beat job never sends the same twice."""

    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="reminders", verbose_name="Nachweis")
    kind = models.CharField("Art", max_length=20, choices=ProofReminderKind.choices)
    due_on = models.DateField("Frist zum Zeitpunkt der Erinnerung")
    sent_at = models.DateTimeField("Erstellt am", default=timezone.now)
    mail = models.ForeignKey(OutboundMail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name="E-Mail")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = "Erinnerung zum Verwendungsnachweis"
        verbose_name_plural = "Erinnerungen zum Verwendungsnachweis"
        constraints = [models.UniqueConstraint(fields=["proof", "kind"], name="proofreminder_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.proof}"


class CheckDepth(models.TextChoices):
    CURSORY = "cursory", "Kursorische Prüfung (VV Nr. 11.1 zu § 44 LHO)"
    THOROUGH = "thorough", "Vertiefte Prüfung (VV Nr. 11.2 zu § 44 LHO)"


class CheckStatus(models.TextChoices):
    DRAFT = "draft", "In Bearbeitung"
    SAMPLES_REQUESTED = "samples", "Belege angefordert"
    SIGNED = "signed", "Gezeichnet, wartet auf Gegenzeichnung"
    COUNTERSIGNED = "countersigned", "Gegengezeichnet (abgeschlossen)"


class CheckOutcome(models.TextChoices):
    NONE = "", "–"
    ACCEPTED = "accepted", "Ohne Beanstandung (Zwischennachweis)"
    CLOSED = "closed", "Ohne Beanstandung – Förderfall abgeschlossen"
    REPAYMENT = "repayment", "Rückforderung einzuleiten"


class ProofCheck(models.Model):
    """The check of a proof of use by staff (VV Nr. 11 zu § 44 LHO): checklist, sample receipts, the recomputed
    grant and the Prüfvermerk, signed by the person who checked and countersigned by another (four eyes)."""

    proof = models.ForeignKey(Proof, on_delete=models.PROTECT, related_name="checks", verbose_name="Nachweis")
    depth = models.CharField("Prüfungstiefe", max_length=20, choices=CheckDepth.choices, default=CheckDepth.CURSORY)
    status = models.CharField("Status", max_length=20, choices=CheckStatus.choices, default=CheckStatus.DRAFT)
    checklist = models.JSONField("Prüfliste", default=dict, blank=True)
    notes = models.TextField("Prüfungsfeststellungen", blank=True, max_length=REASONS_MAX)
    sample_items = models.ManyToManyField(CostItem, blank=True, related_name="+",
                                          verbose_name="Belege angefordert für")
    samples_requested_at = models.DateTimeField("Belege angefordert am", null=True, blank=True)
    result = models.JSONField("Neuberechnung", default=dict, blank=True)
    grant_due = models.DecimalField("Zuwendung nach Prüfung", max_digits=12, decimal_places=2, null=True, blank=True)
    paid = models.DecimalField("Ausgezahlt", max_digits=12, decimal_places=2, null=True, blank=True)
    repayment = models.DecimalField("Rückforderung", max_digits=12, decimal_places=2, null=True, blank=True)
    outcome = models.CharField("Ergebnis", max_length=20, choices=CheckOutcome.choices, blank=True, default="")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Begonnen von")
    started_at = models.DateTimeField("Begonnen am", default=timezone.now)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name="Geprüft von")
    signed_by_name = models.CharField("Geprüft von (Name)", max_length=200, blank=True)
    signed_at = models.DateTimeField("Geprüft am", null=True, blank=True)
    countersigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+", verbose_name="Gegengezeichnet von")
    countersigned_by_name = models.CharField("Gegengezeichnet von (Name)", max_length=200, blank=True)
    countersigned_at = models.DateTimeField("Gegengezeichnet am", null=True, blank=True)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="Prüfvermerk (PDF)")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "Prüfung des Verwendungsnachweises"
        verbose_name_plural = "Prüfungen der Verwendungsnachweise"
        constraints = [
            models.CheckConstraint(condition=Q(countersigned_by__isnull=True) | ~Q(countersigned_by=F("signed_by")),
                                   name="proofcheck_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"Prüfung {self.proof}"


__all__ += ["CheckDepth", "CheckOutcome", "CheckStatus", "Expense", "Proof", "ProofCheck", "ProofDocument",
            "ProofDocumentKind", "ProofIncome", "ProofKind", "ProofReminder", "ProofReminderKind", "ProofStatus",
            "ProofTerms"]


# --- revocation and recovery (applications/revocation/) -------------------------------------------------------

class RevocationGround(models.TextChoices):
    PURPOSE = "purpose", "Zweck nicht oder nicht vollständig erreicht"
    CONDITIONS = "conditions", "Auflagen (Nebenbestimmungen) nicht erfüllt"
    NO_PROOF = "no_proof", "Kein Verwendungsnachweis trotz Erinnerung"
    PROOF_RESULT = "proof_result", "Ergebnis der Prüfung des Verwendungsnachweises"
    LATE_USE = "late_use", "Mittel nicht innerhalb von zwei Monaten verwendet"


class RevocationBasis(models.TextChoices):
    """The legal ground; each names the versioned legal text (LegalText key) the notice cites."""

    WIDERRUF_NR1 = "widerruf_49_3_1", "Widerruf nach § 49 Abs. 3 Satz 1 Nr. 1 HVwVfG (Zweckverfehlung)"
    WIDERRUF_NR2 = "widerruf_49_3_2", "Widerruf nach § 49 Abs. 3 Satz 1 Nr. 2 HVwVfG (Auflage nicht erfüllt)"
    RUECKNAHME_48 = "ruecknahme_48", "Rücknahme nach § 48 HVwVfG (rechtswidriger Bescheid)"


class RevocationStatus(models.TextChoices):
    OPENED = "opened", "Eröffnet (Anhörung vorzubereiten)"
    HEARING = "hearing", "Anhörung läuft"
    PREPARED = "prepared", "Entscheidung vorbereitet"
    DECIDED = "decided", "Widerrufen / zurückgenommen"
    DISCONTINUED = "discontinued", "Eingestellt"


class RevocationOutcome(models.TextChoices):
    REVOKE = "revoke", "Widerruf bzw. Rücknahme mit Erstattung"
    DISCONTINUE = "discontinue", "Verfahren einstellen (kein Widerruf)"


class Revocation(models.Model):
    """A Widerrufsverfahren (or Rücknahmeverfahren) of one approval: opened and prepared by Sachbearbeitung, the
    recipient heard (§ 28 HVwVfG), decided by somebody else of Bewilligung (four eyes)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="revocations",
                                    verbose_name="Antrag")
    status = models.CharField("Stand", max_length=20, choices=RevocationStatus.choices,
                              default=RevocationStatus.OPENED, db_index=True)
    ground = models.CharField("Anlass", max_length=20, choices=RevocationGround.choices)
    basis = models.CharField("Rechtsgrundlage", max_length=20, choices=RevocationBasis.choices)
    facts = models.TextField("Sachverhalt", max_length=8000)
    proof_amount = models.DecimalField("Ergebnis der Verwendungsnachweisprüfung (Betrag)", max_digits=12,
                                       decimal_places=2, null=True, blank=True)
    proof_reference = models.CharField("Bezug (Prüfvermerk)", max_length=300, blank=True)
    effective_date = models.DateField("Wirksam ab (Unwirksamwerden des Bescheids)")
    revoked_total = models.DecimalField("Widerrufener Betrag insgesamt", max_digits=12, decimal_places=2)
    refund_total = models.DecimalField("Zu erstatten insgesamt", max_digits=12, decimal_places=2, default=Decimal("0"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name="Eröffnet von")
    opened_by_name = models.CharField("Eröffnet von (Name)", max_length=200)
    opened_at = models.DateTimeField("Eröffnet am", default=timezone.now)
    hearing_deadline = models.DateField("Frist zur Stellungnahme", null=True, blank=True)
    hearing_notice = models.ForeignKey("Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                       verbose_name="Anhörungsschreiben")
    answer_text = models.TextField("Stellungnahme", blank=True, max_length=8000)
    answered_at = models.DateTimeField("Stellungnahme eingegangen am", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="Stellungnahme von")
    answered_by_name = models.CharField("Stellungnahme von (Name)", max_length=200, blank=True)
    outcome = models.CharField("Vorgeschlagene Entscheidung", max_length=20, choices=RevocationOutcome.choices,
                               blank=True)
    considerations = models.TextField("Ermessenserwägungen", blank=True, max_length=8000)
    answer_assessment = models.TextField("Würdigung der Stellungnahme", blank=True, max_length=8000)
    interest_waived = models.BooleanField("Auf Zinsen verzichtet", default=False)
    interest_waiver_reason = models.TextField("Begründung des Zinsverzichts", blank=True, max_length=4000)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="Vorbereitet von")
    prepared_by_name = models.CharField("Vorbereitet von (Name)", max_length=200, blank=True)
    prepared_at = models.DateTimeField("Vorbereitet am", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Entschieden von")
    decided_by_name = models.CharField("Entschieden von (Name)", max_length=200, blank=True)
    decided_at = models.DateTimeField("Entschieden am", null=True, blank=True)
    decision_notice = models.ForeignKey("Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name="Bescheid / Schreiben")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "Widerrufsverfahren"
        verbose_name_plural = "Widerrufsverfahren"
        indexes = [models.Index(fields=["status", "hearing_deadline"], name="revocation_status_deadline"),
                   models.Index(fields=["-opened_at", "-id"], name="revocation_newest")]
        constraints = [models.CheckConstraint(condition=Q(revoked_total__gt=0), name="revocation_amount_positive")]
        permissions = [
            ("prepare_revocation", "Widerrufsverfahren eröffnen und vorbereiten (Sachbearbeitung)"),
            ("decide_revocation", "Über Widerruf/Rücknahme entscheiden (Bewilligung)"),
        ]

    def __str__(self) -> str:
        return f"Widerrufsverfahren {self.pk} ({self.application.file_number})"


class RevocationYear(models.Model):
    """The revoked amount of one budget year and what of it is to be refunded (paid and not refunded beyond the
    grant that remains); the rest only releases the commitment."""

    revocation = models.ForeignKey(Revocation, on_delete=models.CASCADE, related_name="years",
                                   verbose_name="Widerrufsverfahren")
    year = models.PositiveIntegerField("Haushaltsjahr")
    rule = models.ForeignKey(LineRule, on_delete=models.PROTECT, related_name="+", verbose_name="Haushaltsposition")
    revoked = models.DecimalField("Widerrufen", max_digits=12, decimal_places=2)
    refund = models.DecimalField("Davon zu erstatten", max_digits=12, decimal_places=2, default=Decimal("0"))
    released = models.DecimalField("Bei der Entscheidung freigegeben", max_digits=12, decimal_places=2,
                                   default=Decimal("0"))

    class Meta:
        ordering = ["year"]
        verbose_name = "Widerruf je Haushaltsjahr"
        verbose_name_plural = "Widerruf je Haushaltsjahr"
        constraints = [models.UniqueConstraint(fields=["revocation", "year"], name="revocationyear_once"),
                       models.CheckConstraint(condition=Q(revoked__gt=0) & Q(refund__gte=0) & Q(released__gte=0),
                                              name="revocationyear_amounts")]

    def __str__(self) -> str:
        return f"{self.year}: {self.revoked}"


def revocation_document_path(instance, filename: str) -> str:
    """Private, unguessable: the original name is kept in the row, not in the path."""
    return f"revocation/{instance.revocation.application.organisation_id}/{instance.revocation_id}/{secrets.token_hex(16)}"


class RevocationDocument(models.Model):
    """A document the recipient handed in with the hearing answer (checked like every upload)."""

    revocation = models.ForeignKey(Revocation, on_delete=models.CASCADE, related_name="documents",
                                   verbose_name="Widerrufsverfahren")
    file = models.FileField("Datei", upload_to=revocation_document_path, max_length=300)
    original_name = models.CharField("Dateiname", max_length=255)
    content_type = models.CharField("Dateityp", max_length=100)
    size = models.PositiveIntegerField("Größe (Bytes)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name="Hochgeladen von")
    uploaded_at = models.DateTimeField("Hochgeladen am", auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "Unterlage zur Stellungnahme"
        verbose_name_plural = "Unterlagen zur Stellungnahme"

    def __str__(self) -> str:
        return self.original_name


class ClaimStatus(models.TextChoices):
    OPEN = "open", "Offen"
    SETTLED = "settled", "Erledigt (bezahlt)"


class RefundClaim(models.Model):
    """The refund claim fixed by the Erstattungsbescheid (§ 49a Abs. 1 HVwVfG), followed until paid. Interest
    (§ 49a Abs. 3) is never stored as a running figure: funding.interest.claim_state recomputes it from the
    principal, the interest start and the payments to any day."""

    revocation = models.OneToOneField(Revocation, on_delete=models.PROTECT, related_name="claim",
                                      verbose_name="Widerrufsverfahren")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="refund_claims",
                                    verbose_name="Antrag")
    principal = models.DecimalField("Erstattungsbetrag (Hauptforderung)", max_digits=12, decimal_places=2)
    interest_from = models.DateField("Zinsen ab (Tag des Unwirksamwerdens)", null=True, blank=True,
                                     help_text="leer: auf Zinsen nach § 49a Abs. 3 HVwVfG verzichtet")
    late_use_interest = models.DecimalField("Zinsen nach § 49a Abs. 4 HVwVfG", max_digits=12, decimal_places=2,
                                            default=Decimal("0"))
    due_date = models.DateField("Fällig am")
    status = models.CharField("Stand", max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.OPEN,
                              db_index=True)
    settled_on = models.DateField("Erledigt am", null=True, blank=True)
    created_at = models.DateTimeField("Angelegt am", default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Erstattungsforderung"
        verbose_name_plural = "Erstattungsforderungen"
        indexes = [models.Index(fields=["status", "due_date"], name="refundclaim_status_due")]
        constraints = [models.CheckConstraint(condition=Q(principal__gte=0) & Q(late_use_interest__gte=0),
                                              name="refundclaim_amounts")]
        permissions = [("record_refund", "Zahlungseingänge auf Erstattungsforderungen buchen (Haushalt)")]

    def __str__(self) -> str:
        return f"Erstattungsforderung {self.application.file_number}"


class ClaimPayment(models.Model):
    """A payment received on a refund claim (recorded by Haushalt). Its split into interest and principal is
    recomputed (funding.interest.claim_state); the principal part is booked as REFUND in the ledger."""

    claim = models.ForeignKey(RefundClaim, on_delete=models.PROTECT, related_name="payments",
                              verbose_name="Erstattungsforderung")
    received_on = models.DateField("Eingegangen am")
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    to_interest = models.DecimalField("Davon auf Zinsen", max_digits=12, decimal_places=2, default=Decimal("0"))
    to_principal = models.DecimalField("Davon auf die Hauptforderung", max_digits=12, decimal_places=2,
                                       default=Decimal("0"))
    reference = models.CharField("Verwendungszweck / Buchungsreferenz", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="Erfasst von")
    recorded_by_name = models.CharField("Erfasst von (Name)", max_length=200)
    recorded_at = models.DateTimeField("Erfasst am", default=timezone.now)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = "Zahlungseingang"
        verbose_name_plural = "Zahlungseingänge"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claimpayment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} am {self.received_on:%d.%m.%Y}"


class ClaimReminder(models.Model):
    """A Mahnung of a refund claim: one row per level, so a level is never sent twice (unique constraint)."""

    claim = models.ForeignKey(RefundClaim, on_delete=models.CASCADE, related_name="reminders",
                              verbose_name="Erstattungsforderung")
    level = models.PositiveSmallIntegerField("Stufe")
    amount_due = models.DecimalField("Offen zum Zeitpunkt der Mahnung", max_digits=12, decimal_places=2)
    sent_at = models.DateTimeField("Erstellt am", default=timezone.now)
    mail = models.ForeignKey(OutboundMail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name="E-Mail")

    class Meta:
        ordering = ["claim", "level"]
        verbose_name = "Mahnung"
        verbose_name_plural = "Mahnungen"
        constraints = [models.UniqueConstraint(fields=["claim", "level"], name="claimreminder_once_per_level")]

    def __str__(self) -> str:
        return f"Mahnung {self.level}"


__all__ += ["RevocationGround", "RevocationBasis", "RevocationStatus", "RevocationOutcome", "Revocation",
            "RevocationYear", "RevocationDocument", "ClaimStatus", "RefundClaim", "ClaimPayment", "ClaimReminder"]


class Forwarding(models.Model):
    """Weiterleitung (Nr. 12 VV zu § 44 LHO): Mikroprojekt money a WIR-Vielfaltszentrum passed on to a local
    non-profit, entered by the recipient of the grant; checked per Mikroprojekt and year against the line's part-cap
    and in total against what the application may pass on that year (applications/forwarding/services.py)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="forwardings",
                                    verbose_name="Antrag")
    year = models.PositiveIntegerField("Haushaltsjahr")
    recipient_name = models.CharField("Empfänger (gemeinnütziger Träger)", max_length=200)
    recipient_address = models.CharField("Anschrift des Empfängers", max_length=300)
    amount = models.DecimalField("Betrag", max_digits=12, decimal_places=2)
    purpose = models.CharField("Zweck (Mikroprojekt)", max_length=300)
    forwarded_on = models.DateField("Datum der Weiterleitung (Vertrag bzw. Bescheid)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name="Erfasst von")
    created_by_name = models.CharField("Erfasst von (Name)", max_length=200, blank=True)
    created_at = models.DateTimeField("Erfasst am", auto_now_add=True)

    class Meta:
        ordering = ["year", "forwarded_on", "id"]
        verbose_name = "Weiterleitung"
        verbose_name_plural = "Weiterleitungen (Mikroprojekte)"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="forwarding_amount_positive")]

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.year}: {self.amount} €"


__all__ += ["Forwarding"]
