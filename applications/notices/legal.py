"""Editable legal text blocks for notices. Seeded once; staff edit them in the admin (each save = new version).

Texts are plain text; a blank line starts a new paragraph. Placeholders are replaced literally (no str.format, so
braces typed by staff cannot break rendering): {court_name}, {court_address}, {authority}, {authority_name},
{signer}, {submitted_date}, {proof_deadline}, {proof_final_months},
{proof_final_month_ordinal}, {proof_interim_months}, {proof_interim_deadlines}, {ministry}, {bank_account}, {receipt_days}, {early_start_from},
{authority_years}, {authority_budget_year}, {forwarding_cap}.
Notices record the versions they used (Notice.legal_versions), so an old notice can be re-rendered exactly.
"""

from __future__ import annotations

import re

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
        "nicht statt, weil der Bescheid von einem Regierungspräsidium erlassen worden ist (§ 68 Abs. 1 Satz 2 "
        "VwGO in Verbindung mit § 16a Abs. 2 HessAGVwGO).\n\n"
        "Die Klage ist schriftlich oder zur Niederschrift des Urkundsbeamten der Geschäftsstelle zu erheben oder "
        "als elektronisches Dokument nach Maßgabe des § 55a VwGO einzureichen. Sie muss den Kläger, den Beklagten "
        "(das Land Hessen, vertreten durch das {authority_name}) und den Gegenstand des Klagebegehrens bezeichnen "
        "und soll einen bestimmten Antrag enthalten.",
    ),
    "ministry": (
        "Zuwendungsgeber (Ministerium)",
        "Hessisches Ministerium für Arbeit, Integration, Jugend und Soziales",
    ),
    "legal_basis": (
        "Rechtsgrundlagen",
        "Rechtsgrundlagen dieses Bescheids sind das Haushaltsgesetz des Landes Hessen für das jeweilige "
        "Haushaltsjahr, die §§ 23 und 44 der Hessischen Landeshaushaltsordnung (LHO) mit den Verwaltungsvorschriften "
        "zu § 44 LHO und die Richtlinie des Hessischen Ministeriums für Arbeit, Integration, Jugend und Soziales zur Förderung der Integration im Landesprogramm „WIR – "
        "Vielfalt und Teilhabe“ (Förderrichtlinie) in der jeweils geltenden Fassung. Ein Rechtsanspruch auf die "
        "Zuwendung besteht nicht; die Bewilligungsbehörde entscheidet nach pflichtgemäßem Ermessen im Rahmen der "
        "verfügbaren Haushaltsmittel.",
    ),
    "delivery": (
        "Bekanntgabe und Bestandskraft",
        "Dieser Bescheid wird Ihnen elektronisch übermittelt. Er gilt am {receipt_days} Tag nach der Absendung als "
        "bekannt gegeben (§ 41 Abs. 2 Satz 2 HVwVfG). Sie können im WIR-Portal auf Rechtsbehelfe gegen diesen "
        "Bescheid verzichten (Rechtsbehelfsverzicht); er wird dann sofort bestandskräftig.",
    ),
    "early_start_consent": (
        "Zustimmung zum vorzeitigen Maßnahmebeginn",
        "Dem Beginn des Vorhabens vor Bekanntgabe des Zuwendungsbescheids ab dem {early_start_from} wird "
        "zugestimmt (Ausnahme vom Verbot des vorzeitigen Maßnahmebeginns, Nr. 1.3 der Verwaltungsvorschriften zu "
        "§ 44 LHO).\n\n"
        "Diese Zustimmung ist keine Bewilligung. Aus ihr kann weder dem Grunde noch der Höhe nach ein Anspruch auf "
        "eine Zuwendung abgeleitet werden; die Entscheidung über Ihren Antrag bleibt vorbehalten. Ausgaben, die Sie "
        "vor der Bewilligung eingehen, tragen Sie auf eigenes Risiko. Wird keine oder eine geringere Zuwendung "
        "bewilligt, gehen die Ausgaben zu Ihren Lasten.",
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
        "Rahmen des Zuwendungszwecks benötigt wird. Die Auszahlung erfolgt auf das Konto {bank_account}.",
    ),
    "proof_of_use": (
        "Verwendungsnachweis",
        "Die Verwendung der Zuwendung ist innerhalb von {proof_final_months} Monaten nach Erfüllung des "
        "Zuwendungszwecks, spätestens jedoch mit Ablauf des {proof_final_month_ordinal} auf den "
        "Bewilligungszeitraum folgenden Monats nachzuweisen, das ist der {proof_deadline}. Der "
        "Verwendungsnachweis besteht aus einem "
        "Sachbericht, einem zahlenmäßigen Nachweis, der wie der Finanzierungsplan gegliedert ist (Soll und Ist), "
        "und einer Belegliste (Datum, Empfänger/Einzahler, Grund und Betrag jeder Zahlung). Die Belege sind fünf "
        "Jahre nach Vorlage des Verwendungsnachweises aufzubewahren.",
    ),
    "proof_of_use_interim": (
        "Zwischennachweis (mehrjährige Bewilligung)",
        "Ist der Zuwendungszweck nicht bis zum Ablauf eines Haushaltsjahres erfüllt, ist binnen "
        "{proof_interim_months} Monaten nach Ablauf des Haushaltsjahres über die in diesem Jahr erhaltenen Beträge "
        "ein Zwischennachweis (Sachbericht und zahlenmäßiger Nachweis) zu führen (Nr. 6.1 ANBest-P / ANBest-GK), "
        "jeweils bis zum Ende des Monats: {proof_interim_deadlines}. Die Belegliste führen Sie laufend im "
        "WIR-Portal.",
    ),
    "repayment": (
        "Erstattung und Verzinsung",
        "Soweit der Bescheid mit Wirkung für die Vergangenheit zurückgenommen oder widerrufen wird oder sonst "
        "unwirksam wird, ist die Zuwendung zu erstatten (§ 49a Abs. 1 HVwVfG). Der Erstattungsbetrag ist vom "
        "Eintritt der Unwirksamkeit an mit fünf Prozentpunkten über dem Basiszinssatz jährlich zu verzinsen "
        "(§ 49a Abs. 3 HVwVfG). Werden ausgezahlte Beträge nicht innerhalb von zwei Monaten zweckentsprechend "
        "verwendet, können für die Zeit bis zur Verwendung ebenfalls Zinsen verlangt werden (§ 49a Abs. 4 HVwVfG).",
    ),
    "proof_retention": (
        "Eingangsbestätigung Verwendungsnachweis: Aufbewahrung",
        "Diese Eingangsbestätigung ist keine Anerkennung des Nachweises; die Prüfung bleibt vorbehalten (VV Nr. 11 "
        "zu § 44 LHO). Bitte bewahren Sie alle Belege, Verträge und Unterlagen zum Vorhaben fünf Jahre nach "
        "Vorlage des Verwendungsnachweises auf (Nr. 6.9 ANBest-P) und legen Sie sie auf Anforderung vor.",
    ),
    "proof_check": (
        "Prüfvermerk: Rechtsgrundlage",
        "Die Bewilligungsbehörde hat den Verwendungsnachweis nach Nr. 11 der Verwaltungsvorschriften zu § 44 LHO "
        "geprüft. Ergibt die Prüfung, dass die Zuwendung nicht in voller Höhe zustand, wird über die Erstattung "
        "nach Anhörung (§ 28 HVwVfG) in einem gesonderten Bescheid entschieden (§§ 49 Abs. 3, 49a HVwVfG); dieser "
        "Vermerk ist kein Rückforderungsbescheid.",
    ),
    "data_protection": (
        "Hinweis zum Datenschutz",
        "Ihre Angaben werden zur Bearbeitung des Förderverfahrens nach Art. 6 Abs. 1 Buchst. e DSGVO verarbeitet "
        "und mindestens fünf Jahre nach Vorlage des Verwendungsnachweises aufbewahrt. Näheres finden Sie in der "
        "Datenschutzerklärung des WIR-Portals.",
    ),
    "early_start_refusal": (
        "Ablehnung des vorzeitigen Maßnahmebeginns",
        "Ihr Antrag, mit dem Vorhaben vor Bekanntgabe des Zuwendungsbescheids ab dem {early_start_from} beginnen "
        "zu dürfen, wird abgelehnt.\n\n"
        "Es bleibt beim Verbot des vorzeitigen Maßnahmebeginns (Nr. 1.3 der Verwaltungsvorschriften zu § 44 LHO): "
        "Beginnen Sie das Vorhaben vor Bekanntgabe des Zuwendungsbescheids — als Beginn gilt bereits der Abschluss "
        "eines der Ausführung zuzurechnenden Lieferungs- oder Leistungsvertrags —, kann es nicht gefördert werden. "
        "Über Ihren Antrag auf Gewährung der Zuwendung selbst ist damit nicht entschieden.",
    ),
    "commitment_authority": (
        "Bewilligung zu Lasten einer Verpflichtungsermächtigung (Folgejahre)",
        "Soweit die Zuwendung auf {authority_years} entfällt, wird sie zu Lasten der "
        "Verpflichtungsermächtigung bewilligt, die der Haushaltsplan des Landes Hessen für das Haushaltsjahr "
        "{authority_budget_year} ausbringt (§ 38 Abs. 1 LHO); ein Haushalt ist dafür noch nicht festgestellt. "
        "Dieser Teil der "
        "Zuwendung steht unter dem Vorbehalt, dass der Landtag die Mittel im Haushaltsplan des "
        "jeweiligen Haushaltsjahres bereitstellt; sie wird erst ausgezahlt, wenn der Haushalt dieses Jahres "
        "festgestellt ist.",
    ),
    "forwarding": (
        "Weiterleitung der Mittel für Mikroprojekte (Nr. 12 VV zu § 44 LHO)",
        "Die für Mikroprojekte bewilligten Mittel dürfen Sie nach Nr. 12 der Verwaltungsvorschriften zu § 44 LHO "
        "an gemeinnützige Träger vor Ort weiterleiten, je Mikroprojekt und Haushaltsjahr höchstens "
        "{forwarding_cap} und insgesamt höchstens den für Mikroprojekte bewilligten Betrag des Jahres.\n\n"
        "Die Weiterleitung erfolgt durch schriftlichen Vertrag oder Bescheid. Darin sind dem Empfänger der "
        "Zuwendungszweck, der Betrag und die Bestimmungen dieses Bescheids einschließlich der Allgemeinen "
        "Nebenbestimmungen (ANBest-P) aufzuerlegen, soweit sie für ihn zutreffen, insbesondere der Nachweis der "
        "Verwendung, das Prüfungsrecht des Regierungspräsidiums und des Hessischen Rechnungshofs sowie die "
        "Erstattung und Verzinsung nicht zweckentsprechend verwendeter Mittel. Erstattungsansprüche gegen den "
        "Empfänger haben Sie geltend zu machen.\n\n"
        "Jede Weiterleitung (Empfänger mit Anschrift, Betrag, Zweck, Datum) ist im WIR-Portal auf der Seite des "
        "Vorhabens zu erfassen und im Verwendungsnachweis nachzuweisen; die Verträge bzw. Bescheide mit den "
        "Empfängern sind aufzubewahren und auf Verlangen vorzulegen.",
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
    "approval": ["authority", "authority_contact", "return_address", "signature", "ministry", "legal_basis",
                 "purpose_clause", "payment", "proof_of_use", "proof_of_use_interim", "anbest_p", "anbest_gk", "repayment",
                 "remedies", "delivery", "data_protection", "commitment_authority", "forwarding"],
    "rejection": ["authority", "authority_contact", "return_address", "signature", "ministry", "legal_basis",
                  "remedies", "delivery", "data_protection"],
    "amendment": ["authority", "authority_contact", "return_address", "signature", "ministry", "legal_basis",
                  "proof_of_use", "proof_of_use_interim", "anbest_p", "anbest_gk", "remedies", "delivery",
                  "data_protection", "commitment_authority"],
    "receipt": ["authority", "authority_contact", "return_address", "signature", "ministry", "early_start",
                "data_protection"],
    "early_start": ["authority", "authority_contact", "return_address", "signature", "ministry", "legal_basis",
                    "early_start_consent", "remedies", "delivery", "data_protection"],
    "proof_receipt": ["authority", "authority_contact", "return_address", "signature", "ministry",
                      "proof_retention", "data_protection"],
    "proof_check": ["authority", "authority_contact", "return_address", "signature", "ministry", "proof_check",
                    "data_protection"],
    "early_start_refusal": ["authority", "authority_contact", "return_address", "signature", "ministry",
                            "legal_basis", "early_start_refusal", "remedies", "delivery", "data_protection"],
}
_REVOCATION_BASE = ["authority", "authority_contact", "return_address", "signature", "ministry", "data_protection"]
KIND_TEXTS.update({
    "hearing": [*_REVOCATION_BASE, "hearing_28", "widerruf_49_3_1", "widerruf_49_3_2", "ruecknahme_48",
                "refund_49a"],
    "revocation": [*_REVOCATION_BASE, "widerruf_49_3_1", "widerruf_49_3_2", "ruecknahme_48", "refund_49a",
                   "remedies"],
    "withdrawal": [*_REVOCATION_BASE, "widerruf_49_3_1", "widerruf_49_3_2", "ruecknahme_48", "refund_49a",
                   "remedies"],
    "revocation_end": [*_REVOCATION_BASE, "revocation_end"],
})

# Revocation and recovery (applications/revocation/): the legal grounds staff choose from, the hearing, the refund.
DEFAULT_TEXTS.update({
    "hearing_28": (
        "Anhörung (§ 28 HVwVfG)",
        "Bevor ein Verwaltungsakt erlassen wird, der in Ihre Rechte eingreift, ist Ihnen Gelegenheit zu geben, sich "
        "zu den für die Entscheidung erheblichen Tatsachen zu äußern (§ 28 Abs. 1 HVwVfG). Wir beabsichtigen, den "
        "Zuwendungsbescheid wie unten beschrieben aufzuheben und die Erstattung der Zuwendung zu verlangen.\n\n"
        "Sie können bis zum genannten Datum im WIR-Portal Stellung nehmen und Unterlagen beifügen. Wir berücksichtigen "
        "Ihre Stellungnahme bei unserer Ermessensentscheidung. Geht bis dahin keine Stellungnahme ein, entscheiden "
        "wir nach Lage der Akten. Dieses Schreiben ist noch keine Entscheidung.",
    ),
    "widerruf_49_3_1": (
        "Rechtsgrundlage: Widerruf nach § 49 Abs. 3 Satz 1 Nr. 1 HVwVfG",
        "Ein rechtmäßiger Verwaltungsakt, der eine Geldleistung zur Erfüllung eines bestimmten Zwecks gewährt, kann "
        "ganz oder teilweise auch mit Wirkung für die Vergangenheit widerrufen werden, wenn die Leistung nicht, "
        "nicht alsbald nach der Erbringung oder nicht mehr für den im Verwaltungsakt bestimmten Zweck verwendet "
        "wird (§ 49 Abs. 3 Satz 1 Nr. 1 HVwVfG). Der Widerruf ist nur innerhalb eines Jahres seit Kenntnis der "
        "Tatsachen zulässig, die ihn rechtfertigen (§ 49 Abs. 3 Satz 2 in Verbindung mit § 48 Abs. 4 HVwVfG).",
    ),
    "widerruf_49_3_2": (
        "Rechtsgrundlage: Widerruf nach § 49 Abs. 3 Satz 1 Nr. 2 HVwVfG",
        "Ein rechtmäßiger Verwaltungsakt, der eine Geldleistung zur Erfüllung eines bestimmten Zwecks gewährt, kann "
        "ganz oder teilweise auch mit Wirkung für die Vergangenheit widerrufen werden, wenn mit ihm eine Auflage "
        "verbunden ist und der Begünstigte diese nicht oder nicht innerhalb einer ihm gesetzten Frist erfüllt hat "
        "(§ 49 Abs. 3 Satz 1 Nr. 2 HVwVfG). Die Allgemeinen Nebenbestimmungen (ANBest-P / ANBest-GK) sind Auflagen "
        "in diesem Sinne. Der Widerruf ist nur innerhalb eines Jahres seit Kenntnis der Tatsachen zulässig, die ihn "
        "rechtfertigen (§ 49 Abs. 3 Satz 2 in Verbindung mit § 48 Abs. 4 HVwVfG).",
    ),
    "ruecknahme_48": (
        "Rechtsgrundlage: Rücknahme nach § 48 HVwVfG",
        "Ein rechtswidriger Verwaltungsakt kann ganz oder teilweise mit Wirkung für die Zukunft oder für die "
        "Vergangenheit zurückgenommen werden (§ 48 Abs. 1 Satz 1 HVwVfG). Auf Vertrauen kann sich der Begünstigte "
        "nicht berufen, soweit er den Verwaltungsakt durch Angaben erwirkt hat, die in wesentlicher Beziehung "
        "unrichtig oder unvollständig waren, oder die Rechtswidrigkeit kannte oder infolge grober Fahrlässigkeit "
        "nicht kannte (§ 48 Abs. 2 Satz 3 HVwVfG); in diesen Fällen wird der Verwaltungsakt in der Regel mit Wirkung "
        "für die Vergangenheit zurückgenommen. Die Rücknahme ist nur innerhalb eines Jahres seit Kenntnis der "
        "Tatsachen zulässig, die sie rechtfertigen (§ 48 Abs. 4 HVwVfG).",
    ),
    "refund_49a": (
        "Erstattung und Verzinsung (§ 49a HVwVfG)",
        "Soweit ein Verwaltungsakt mit Wirkung für die Vergangenheit zurückgenommen oder widerrufen worden ist, sind "
        "bereits erbrachte Leistungen zu erstatten; die zu erstattende Leistung ist durch schriftlichen "
        "Verwaltungsakt festzusetzen (§ 49a Abs. 1 HVwVfG). Der zu erstattende Betrag ist vom Eintritt der "
        "Unwirksamkeit des Verwaltungsakts an mit fünf Prozentpunkten über dem Basiszinssatz (§ 247 BGB) jährlich zu "
        "verzinsen (§ 49a Abs. 3 Satz 1 HVwVfG). Werden Leistungen nicht alsbald nach der Auszahlung für den "
        "bestimmten Zweck verwendet, können für die Zeit bis zur zweckentsprechenden Verwendung ebenfalls Zinsen "
        "verlangt werden (§ 49a Abs. 4 HVwVfG).\n\n"
        "Die Zinsen werden taggenau berechnet: Der erste Tag eines Zeitraums wird nicht mitgezählt, der letzte Tag "
        "(der Tag des Zahlungseingangs) wird mitgezählt; jeder Tag zählt als 1/365 eines Jahres, in Schaltjahren als "
        "1/366. Ändert sich der Basiszinssatz (zum 1. Januar und 1. Juli), gilt ab dem Tag der Änderung der neue Satz. "
        "Zahlungen werden zuerst auf die bis zum Zahlungstag entstandenen Zinsen und dann auf die Hauptforderung "
        "angerechnet (§ 367 Abs. 1 BGB entsprechend); Zinsen werden nicht verzinst (§ 289 BGB).",
    ),
    "revocation_end": (
        "Einstellung des Widerrufsverfahrens",
        "Nach Prüfung des Sachverhalts und Ihrer Stellungnahme sehen wir davon ab, den Zuwendungsbescheid zu "
        "widerrufen oder zurückzunehmen. Das Verfahren ist damit eingestellt. Der Zuwendungsbescheid bleibt in "
        "seiner bisherigen Fassung wirksam; Ihre Pflichten aus ihm, insbesondere aus den Nebenbestimmungen, bestehen "
        "fort.",
    ),
})

# Built-in texts that an earlier release seeded and this one corrects. A block whose newest version is still one of
# these (nobody edited it) gets the new default as its next version; a block staff have edited is left alone.
# Issued notices keep the versions they used (Notice.legal_versions), so they keep saying what they said.
SUPERSEDED_DEFAULTS: dict[str, list[str]] = {
    "remedies": [
        "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Klage beim {court_name}, "
        "{court_address}, erhoben werden (§ 74 Abs. 1 Satz 2, § 52 Nr. 3 VwGO). Ein Widerspruchsverfahren findet "
        "nicht statt (§ 16a Abs. 1 HessAGVwGO).\n\n"
        "Die Klage ist schriftlich oder zur Niederschrift des Urkundsbeamten der Geschäftsstelle zu erheben oder "
        "als elektronisches Dokument nach Maßgabe des § 55a VwGO einzureichen. Sie muss den Kläger, den Beklagten "
        "(das Land Hessen, vertreten durch das {authority_name}) und den Gegenstand des Klagebegehrens bezeichnen "
        "und soll einen bestimmten Antrag enthalten.",
    ],
    "proof_of_use": [
        "Die Verwendung der Zuwendung ist innerhalb von sechs Monaten nach Erfüllung des Zuwendungszwecks, "
        "spätestens jedoch mit Ablauf des sechsten auf den Bewilligungszeitraum folgenden Monats nachzuweisen, das "
        "ist der {proof_deadline}. Der Verwendungsnachweis besteht aus einem "
        "Sachbericht, einem zahlenmäßigen Nachweis, der wie der Finanzierungsplan gegliedert ist (Soll und Ist), "
        "und einer Belegliste (Datum, Empfänger/Einzahler, Grund und Betrag jeder Zahlung). Die Belege sind fünf "
        "Jahre nach Vorlage des Verwendungsnachweises aufzubewahren.",
        "Die Verwendung der Zuwendung ist innerhalb von sechs Monaten nach Ablauf des Bewilligungszeitraums, "
        "spätestens bis zum {proof_deadline}, nachzuweisen. Der Verwendungsnachweis besteht aus einem "
        "Sachbericht, einem zahlenmäßigen Nachweis, der wie der Finanzierungsplan gegliedert ist (Soll und Ist), "
        "und einer Belegliste (Datum, Empfänger/Einzahler, Grund und Betrag jeder Zahlung). Die Belege sind fünf "
        "Jahre nach Vorlage des Verwendungsnachweises aufzubewahren.",
    ],
    "payment": [
        "Die Zuwendung wird auf Anforderung (Mittelabruf) ausgezahlt. Sie darf nur insoweit und nicht eher "
        "angefordert werden, als sie innerhalb von zwei Monaten nach der Auszahlung für fällige Zahlungen im "
        "Rahmen des Zuwendungszwecks benötigt wird. Die Auszahlung erfolgt auf das im Antrag angegebene Konto.",
    ],
}


def seed_legal_texts() -> None:
    """Create version 1 of every block that does not exist yet, and a new version of every block still carrying a
    superseded built-in text (idempotent; never overwrites staff edits, never changes a version in place)."""
    latest = current_texts()
    LegalText.objects.bulk_create(
        [LegalText(key=key, version=1, title=title, body=body)
         for key, (title, body) in DEFAULT_TEXTS.items() if key not in latest]
    )
    for key, old_bodies in SUPERSEDED_DEFAULTS.items():
        text = latest.get(key)
        if text is not None and text.body in old_bodies:
            title, body = DEFAULT_TEXTS[key]
            legal_text_save(key=key, title=title, body=body)


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


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(body: str, values: dict[str, str]) -> str:
    """Replace {placeholders} in one pass: a value that itself contains "{signer}" (an authority or court name
    typed by staff, an applicant's data) stays literal; unknown braces stay as typed."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), body)


def paragraphs(body: str) -> list[list[str]]:
    """Plain text -> paragraphs of lines (blank line = new paragraph). Templates escape each line."""
    blocks = [block.strip("\n") for block in body.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]
