"""The application workflow as one table: states, actions, who may trigger each.

The applicant portal, the admin and the tests all read TRANSITIONS. Anything not in it raises TransitionError.
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


_OPEN = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.RESUBMITTED, Status.RECOMMENDED)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", "Einreichen", (Status.DRAFT,), Status.SUBMITTED, (Actor.SIGNATORY,)),
        Transition("resubmit", "Erneut einreichen", (Status.CHANGES_REQUESTED,), Status.RESUBMITTED, (Actor.SIGNATORY,)),
        Transition(
            "start_review", "Prüfung beginnen", (Status.SUBMITTED, Status.RESUBMITTED), Status.IN_REVIEW,
            (Actor.SACHBEARBEITUNG,),
        ),
        Transition(
            "request_changes", "Nachforderung stellen", (Status.IN_REVIEW,), Status.CHANGES_REQUESTED,
            (Actor.SACHBEARBEITUNG,), needs_reason=True,
        ),
        Transition("recommend", "Votum abgeben", (Status.IN_REVIEW,), Status.RECOMMENDED, (Actor.SACHBEARBEITUNG,)),
        Transition("approve", "Bewilligen", (Status.RECOMMENDED,), Status.APPROVED, (Actor.BEWILLIGUNG,)),
        Transition(
            "partially_approve", "Teilweise bewilligen", (Status.RECOMMENDED,), Status.PARTIALLY_APPROVED,
            (Actor.BEWILLIGUNG,), needs_reason=True,
        ),
        Transition(
            "reject", "Ablehnen", (Status.IN_REVIEW, Status.RECOMMENDED), Status.REJECTED, (Actor.BEWILLIGUNG,),
            needs_reason=True,
        ),
        Transition("withdraw", "Zurückziehen", (Status.DRAFT, *_OPEN), Status.WITHDRAWN, (Actor.SIGNATORY,)),
        Transition(
            "withdraw_for_applicant", "Für die Antragstellenden zurückziehen", _OPEN, Status.WITHDRAWN,
            (Actor.SACHBEARBEITUNG,), needs_reason=True,
        ),
    ]
}

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
