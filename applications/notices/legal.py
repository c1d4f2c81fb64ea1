"""Editable legal text blocks for notices. Seeded once; staff edit them in the admin (each save = new version).

Texts are plain text; a blank line starts a new paragraph. Placeholders are replaced literally (no str.format, so
braces typed by staff cannot break rendering): {court_name}, {court_address}, {authority}, {authority_name},
{signer}, {submitted_date}, {proof_deadline}.
Notices record the versions they used (Notice.legal_versions), so an old notice can be re-rendered exactly.
"""

from __future__ import annotations

from django.db import transaction

from applications.models import LegalText

AUTHORITY_DEFAULT = (
    "Regierungspräsidium Darmstadt\nDezernat II 25 – Integration, Landesprogramm WIR\n"
    "Wilhelminenstraße 1–3\n64283 Darmstadt"
)

DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    "authority": ("Behörde (Briefkopf)", AUTHORITY_DEFAULT),
    "authority_contact": (
        "Behörde (Kontaktdaten im Briefkopf)",
        "Telefon: 06151 12-0\nE-Mail: wir@rpda.hessen.de\nwww.rp-darmstadt.hessen.de",
    ),
    "return_address": (
        "Rücksendeangabe (Zeile über dem Anschriftfeld)",
        "Regierungspräsidium Darmstadt · Wilhelminenstraße 1–3 · 64283 Darmstadt",
    ),
    "signature": (
        "Schlussformel und Unterschrift",
        "Mit freundlichen Grüßen\nIm Auftrag\n\n{signer}\nRegierungspräsidium Darmstadt, Dezernat II 25\n\n"
        "Dieses Schreiben wurde elektronisch erstellt und ist ohne Unterschrift gültig.",
    ),
    "remedies": (
        "Rechtsbehelfsbelehrung",
        "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Klage beim {court_name}, "
        "{court_address}, erhoben werden (§ 74 Abs. 1 Satz 2, § 52 Nr. 3 VwGO). Ein Widerspruchsverfahren findet "
        "nicht statt (§ 16a Abs. 1 HessAGVwGO).\n\n"
        "Die Klage ist schriftlich oder zur Niederschrift des Urkundsbeamten der Geschäftsstelle zu erheben oder "
        "als elektronisches Dokument nach Maßgabe des § 55a VwGO einzureichen. Sie muss den Kläger, den Beklagten "
        "(das Land Hessen, vertreten durch das {authority_name}) und den Gegenstand des Klagebegehrens bezeichnen "
        "und soll einen bestimmten Antrag enthalten.",
    ),
    "purpose_clause": (
        "Zweckbestimmung (Antrag als Bestandteil)",
        "Die Zuwendung ist ausschließlich für den oben genannten Zweck zu verwenden. Der Antrag vom "
        "{submitted_date} einschließlich des Kosten- und Finanzierungsplans und der Anlagen ist Bestandteil "
        "dieses Bescheids, soweit in diesem Bescheid nichts Abweichendes bestimmt ist.",
    ),
    "anbest_p": (
        "Nebenbestimmungen: ANBest-P",
        "Die Allgemeinen Nebenbestimmungen für Zuwendungen zur Projektförderung (ANBest-P, Anlage 2 zu den VV zu "
        "§ 44 LHO) in der jeweils geltenden Fassung sind Bestandteil dieses Bescheids. Sie sind abrufbar unter "
        "www.rv.hessenrecht.hessen.de und werden auf Wunsch übersandt.",
    ),
    "anbest_gk": (
        "Nebenbestimmungen: ANBest-GK (Kommunen)",
        "Die Allgemeinen Nebenbestimmungen für Zuwendungen zur Projektförderung an Gemeinden und Gemeindeverbände "
        "(ANBest-GK, Anlage 3 zu den VV zu § 44 LHO) in der jeweils geltenden Fassung sind Bestandteil dieses "
        "Bescheids. Sie sind abrufbar unter www.rv.hessenrecht.hessen.de und werden auf Wunsch übersandt.",
    ),
    "payment": (
        "Auszahlung (Mittelabruf)",
        "Die Zuwendung wird auf Anforderung (Mittelabruf) ausgezahlt. Sie darf nur insoweit und nicht eher "
        "angefordert werden, als sie innerhalb von zwei Monaten nach der Auszahlung für fällige Zahlungen im "
        "Rahmen des Zuwendungszwecks benötigt wird. Die Auszahlung erfolgt auf das im Antrag angegebene Konto.",
    ),
    "proof_of_use": (
        "Verwendungsnachweis",
        "Die Verwendung der Zuwendung ist innerhalb von sechs Monaten nach Ablauf des Bewilligungszeitraums, "
        "spätestens bis zum {proof_deadline}, nachzuweisen. Der Verwendungsnachweis besteht aus einem "
        "Sachbericht, einem zahlenmäßigen Nachweis, der wie der Finanzierungsplan gegliedert ist (Soll und Ist), "
        "und einer Belegliste (Datum, Empfänger/Einzahler, Grund und Betrag jeder Zahlung). Die Belege sind fünf "
        "Jahre nach Vorlage des Verwendungsnachweises aufzubewahren.",
    ),
    "repayment": (
        "Erstattung und Verzinsung",
        "Soweit der Bescheid mit Wirkung für die Vergangenheit zurückgenommen oder widerrufen wird oder sonst "
        "unwirksam wird, ist die Zuwendung zu erstatten (§ 49a Abs. 1 HVwVfG). Der Erstattungsbetrag ist vom "
        "Eintritt der Unwirksamkeit an mit fünf Prozentpunkten über dem Basiszinssatz jährlich zu verzinsen "
        "(§ 49a Abs. 3 HVwVfG). Werden ausgezahlte Beträge nicht innerhalb von zwei Monaten zweckentsprechend "
        "verwendet, können für die Zeit bis zur Verwendung ebenfalls Zinsen verlangt werden (§ 49a Abs. 4 HVwVfG).",
    ),
    "data_protection": (
        "Hinweis zum Datenschutz",
        "Ihre Angaben werden zur Bearbeitung des Förderverfahrens nach Art. 6 Abs. 1 Buchst. e DSGVO verarbeitet "
        "und mindestens fünf Jahre nach Vorlage des Verwendungsnachweises aufbewahrt. Näheres finden Sie in der "
        "Datenschutzerklärung des WIR-Portals.",
    ),
    "early_start": (
        "Eingangsbestätigung: Verbot des vorzeitigen Maßnahmebeginns",
        "Bitte beachten Sie: Mit dem Vorhaben darf vor Bekanntgabe des Zuwendungsbescheids nicht begonnen werden "
        "(Verbot des vorzeitigen Maßnahmebeginns). Als Beginn gilt bereits der Abschluss eines der Ausführung "
        "zuzurechnenden Lieferungs- oder Leistungsvertrags. Diese Eingangsbestätigung ist keine Bewilligung; ein "
        "Rechtsanspruch auf die Zuwendung besteht nicht.",
    ),
}

# Which blocks each kind of notice uses (the admin lists all; the renderer records the versions of these).
KIND_TEXTS: dict[str, list[str]] = {
    "approval": ["authority", "authority_contact", "return_address", "signature", "purpose_clause", "payment",
                 "proof_of_use", "anbest_p", "anbest_gk", "repayment", "remedies", "data_protection"],
    "rejection": ["authority", "authority_contact", "return_address", "signature", "remedies", "data_protection"],
    "amendment": ["authority", "authority_contact", "return_address", "signature", "remedies", "data_protection"],
    "receipt": ["authority", "authority_contact", "return_address", "signature", "early_start", "data_protection"],
}


def seed_legal_texts() -> None:
    """Create version 1 of every block that does not exist yet (idempotent; never overwrites staff edits)."""
    existing = set(LegalText.objects.values_list("key", flat=True))
    LegalText.objects.bulk_create(
        [LegalText(key=key, version=1, title=title, body=body)
         for key, (title, body) in DEFAULT_TEXTS.items() if key not in existing]
    )


def current_texts() -> dict[str, LegalText]:
    """The newest version of each text block."""
    texts: dict[str, LegalText] = {}
    for text in LegalText.objects.order_by("key", "-version"):
        texts.setdefault(text.key, text)
    return texts


def texts_for_versions(versions: dict[str, int]) -> dict[str, LegalText]:
    """The exact versions a notice used (missing blocks fall back to the newest, then to the built-in default)."""
    texts = current_texts()
    if versions:
        from django.db.models import Q

        query = Q(pk__in=[])
        for key, version in versions.items():
            query |= Q(key=key, version=version)
        for text in LegalText.objects.filter(query):
            texts[text.key] = text
    for key, (title, body) in DEFAULT_TEXTS.items():
        texts.setdefault(key, LegalText(key=key, version=0, title=title, body=body))
    return texts


def legal_text_save(*, key: str, title: str, body: str, user=None) -> LegalText:
    """Save an edit as a new version (versions are never changed in place)."""
    with transaction.atomic():
        latest = LegalText.objects.select_for_update().filter(key=key).order_by("-version").first()
        version = (latest.version + 1) if latest else 1
        return LegalText.objects.create(key=key, version=version, title=title, body=body, created_by=user)


def fill(body: str, values: dict[str, str]) -> str:
    """Replace {placeholders} literally; unknown braces stay as typed."""
    for name, value in values.items():
        body = body.replace("{" + name + "}", value)
    return body


def paragraphs(body: str) -> list[list[str]]:
    """Plain text -> paragraphs of lines (blank line = new paragraph). Templates escape each line."""
    blocks = [block.strip("\n") for block in body.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]
