"""The application workflow as one table: states, actions, who may trigger each, and how each is named.

The applicant portal, the admin and the tests all read TRANSITIONS. Anything not in it raises TransitionError.
Every action's wording lives here too: `label` is the button ("Bewilligen"), `event` how the audit trail names
what happened ("Bewilligt") — in the portal's timeline and in the admin alike. Actions that are not transitions
(messages, bookings, notices) have their event names in EVENTS.
"""

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Entwurf"
    SUBMITTED = "submitted", "Eingereicht"
    IN_REVIEW = "in_review", "In Prüfung"
    CHANGES_REQUESTED = "changes_requested", "Nachforderung"
    RESUBMITTED = "resubmitted", "Erneut eingereicht"
    RECOMMENDED = "recommended", "Votum erteilt"
    APPROVED = "approved", "Bewilligt"
    PARTIALLY_APPROVED = "partially_approved", "Teilweise bewilligt"
    REJECTED = "rejected", "Abgelehnt"
    WITHDRAWN = "withdrawn", "Zurückgezogen"


class Actor(models.TextChoices):
    """Who may trigger an action. Applicant roles come from Membership; staff roles from Django groups."""

    MEMBER = "member", "Mitglied der Organisation"
    SIGNATORY = "signatory", "Zeichnungsberechtigte Person"
    SACHBEARBEITUNG = "sachbearbeitung", "Sachbearbeitung"
    BEWILLIGUNG = "bewilligung", "Bewilligung"


# Django groups of ministry staff (seeded by `seed`), by actor.
STAFF_GROUPS = {
    Actor.SACHBEARBEITUNG: "Sachbearbeitung",
    Actor.BEWILLIGUNG: "Bewilligung",
}
HAUSHALT_GROUP = "Haushalt"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    needs_reason: bool = False
    event: str = ""  # how the audit trail names it ("Bewilligt"); default: the label
    keeps_status: bool = False  # a decision on a funded application that leaves its status (e.g. amend)


_OPEN = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.RESUBMITTED, Status.RECOMMENDED)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", "Einreichen", (Status.DRAFT,), Status.SUBMITTED, (Actor.SIGNATORY,),
                   event="Antrag eingereicht"),
        Transition("resubmit", "Erneut einreichen", (Status.CHANGES_REQUESTED,), Status.RESUBMITTED, (Actor.SIGNATORY,),
                   event="Antrag erneut eingereicht"),
        Transition(
            "start_review", "Prüfung beginnen", (Status.SUBMITTED, Status.RESUBMITTED), Status.IN_REVIEW,
            (Actor.SACHBEARBEITUNG,), event="Prüfung begonnen",
        ),
        Transition(
            "request_changes", "Nachforderung stellen", (Status.IN_REVIEW,), Status.CHANGES_REQUESTED,
            (Actor.SACHBEARBEITUNG,), needs_reason=True, event="Nachforderung des Regierungspräsidiums",
        ),
        Transition("recommend", "Votum abgeben", (Status.IN_REVIEW,), Status.RECOMMENDED, (Actor.SACHBEARBEITUNG,),
                   event="Prüfung abgeschlossen (Votum)"),
        Transition("approve", "Bewilligen", (Status.RECOMMENDED,), Status.APPROVED, (Actor.BEWILLIGUNG,),
                   event="Bewilligt"),
        Transition(
            "partially_approve", "Teilweise bewilligen", (Status.RECOMMENDED,), Status.PARTIALLY_APPROVED,
            (Actor.BEWILLIGUNG,), needs_reason=True, event="Teilweise bewilligt",
        ),
        Transition(
            "reject", "Ablehnen", (Status.IN_REVIEW, Status.RECOMMENDED), Status.REJECTED, (Actor.BEWILLIGUNG,),
            needs_reason=True, event="Abgelehnt",
        ),
        Transition("withdraw", "Zurückziehen", (Status.DRAFT, *_OPEN), Status.WITHDRAWN, (Actor.SIGNATORY,),
                   event="Antrag zurückgezogen"),
        Transition(
            "withdraw_for_applicant", "Für die Antragstellenden zurückziehen", _OPEN, Status.WITHDRAWN,
            (Actor.SACHBEARBEITUNG,), needs_reason=True,
            event="Antrag zurückgezogen (durch das Regierungspräsidium)",
        ),
        # Änderungsbescheid on a funded application: its status stays (sources = targets = funded states).
        Transition(
            "amend", "Änderungsbescheid erlassen", (Status.APPROVED, Status.PARTIALLY_APPROVED), Status.APPROVED,
            (Actor.BEWILLIGUNG,), needs_reason=True, event="Änderungsbescheid", keeps_status=True,
        ),
    ]
}

# Audit-trail names of the actions that are not transitions.
EVENTS: dict[str, str] = {
    "create": "Antrag angelegt",
    "follow_up": "Folgeantrag angelegt",
    "message": "Nachricht gesendet",
    "note": "Interner Vermerk",
    "budget_commit": "Mittelbindung",
    "budget_release": "Mittelfreigabe",
    "notice_sent": "Bescheid per E-Mail versandt",
    "notice_retry": "Bescheid erneut erstellt",
    "notice_resend": "Bescheid erneut per E-Mail versandt",
    "attachment_delete": "Anlage gelöscht",
    # payments (applications/payments/)
    "payment_request": "Mittelabruf eingegangen",
    "payment_tranche_due": "Rate fällig geworden",
    "payment_confirm": "Auszahlung sachlich richtig gezeichnet",
    "payment_order": "Auszahlung angeordnet",
    "payment_refuse": "Auszahlung abgelehnt",
    "payment_run": "In Zahllauf aufgenommen",
    "payment_paid": "Ausgezahlt",
    "payment_spent": "Verwendung der Mittel gemeldet",
    "payment_reminder": "Erinnerung: Mittel verwenden",
    "payment_plan": "Auszahlungsplan festgelegt",
    "payment_retention_release": "Einbehalt freigegeben",
    "payment_retention_propose": "Freigabe des Einbehalts vorgeschlagen",
    "amendment_request": "Änderungsantrag gestellt",
    "amendment_recommend": "Votum zum Änderungsantrag",
    "amendment_reject": "Änderungsantrag abgelehnt",
    "early_start_request": "Vorzeitiger Maßnahmebeginn beantragt",
    "early_start_consent": "Vorzeitigem Maßnahmebeginn zugestimmt",
    "early_start_refuse": "Vorzeitiger Maßnahmebeginn nicht zugelassen",
    "remedy_waiver": "Rechtsbehelfsverzicht erklärt",
    "amendment_decide": "Über Änderungsantrag entscheiden",
    "early_start": "Vorzeitiger Maßnahmebeginn",
    # revocation and recovery (applications/revocation/)
    "revocation_open": "Widerrufsverfahren eröffnet",
    "revocation_hearing": "Anhörung vor einem Widerruf",
    "revocation_answer": "Stellungnahme zur Anhörung",
    "revocation_prepare": "Entscheidung über den Widerruf vorbereitet",
    "revocation_send_back": "Vorbereitete Entscheidung zurückgegeben",
    "revocation_decide": "Widerrufs- bzw. Rücknahme- und Erstattungsbescheid",
    "revocation_discontinue": "Widerrufsverfahren eingestellt",
    "claim_payment": "Zahlungseingang auf die Erstattungsforderung",
    "claim_settled": "Erstattungsforderung erledigt",
    "claim_reminder": "Mahnung der Erstattungsforderung",
    # Weiterleitung of Mikroprojekte (applications/forwarding/)
    "forwarding_add": "Weiterleitung erfasst",
    "forwarding_remove": "Weiterleitung gelöscht",
}


def event_label(action: str) -> str:
    """How the audit trail names an action, for applicants and staff alike."""
    if action in TRANSITIONS:
        t = TRANSITIONS[action]
        return t.event or t.label
    return EVENTS.get(action, "Eintrag")

DECIDED = (Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REJECTED)
FUNDED = (Status.APPROVED, Status.PARTIALLY_APPROVED)
PENDING = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.RESUBMITTED, Status.RECOMMENDED)
CLOSED = (*DECIDED, Status.WITHDRAWN)


class TransitionError(Exception):
    """An action that the workflow table does not allow (wrong state or wrong role). German message."""


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError as exc:
        raise TransitionError(f"Unbekannte Aktion „{action}“.") from exc


def actions_from(status: str, actors: set[str]) -> list[Transition]:
    """The actions the given actors may take from this status (drives the buttons in portal and admin)."""
    return [t for t in TRANSITIONS.values() if status in t.sources and actors.intersection(t.actors)]


def check_transition(*, action: str, status: str, actors: set[str]) -> Transition:
    t = transition_for(action)
    if status not in t.sources:
        raise TransitionError(
            f"„{t.label}“ ist im Status „{Status(status).label}“ nicht möglich."
        )
    if not actors.intersection(t.actors):
        raise TransitionError(f"Sie haben keine Berechtigung für „{t.label}“.")
    return t
