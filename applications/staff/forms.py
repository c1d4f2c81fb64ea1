"""Forms for the staff decisions in the admin. Each decision is one form and calls exactly one service.

DECISIONS maps an action name to its form, the service call and who may use it. Workflow actions take their
allowed actors from workflow.TRANSITIONS (the single source of truth); the two extra actions (internal note,
Änderungsbescheid) name theirs here.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms

from applications import services
from applications.models import Application
from applications.workflow import TRANSITIONS, Actor, actions_from, event_label
from wir_portal.forms import MoneyField as BaseMoneyField
from wir_portal.money import format_eur


class MoneyField(BaseMoneyField):
    """The portal's one money field (wir_portal.forms), positive, with the admin's text-input look."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("positive", True)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"class": "vTextField wir-money"})


def _reason_field(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}))


class DecisionForm(forms.Form):
    def __init__(self, *args, application: Application, **kwargs):
        self.application = application
        super().__init__(*args, **kwargs)


class ConfirmForm(DecisionForm):
    pass


class RequestChangesForm(DecisionForm):
    message = _reason_field(
        "Nachricht an die Antragstellenden", required=True,
        help_text="Wird per E-Mail an die Organisation gesandt; der Antrag wird für sie wieder bearbeitbar.",
    )


class NoteForm(DecisionForm):
    body = _reason_field("Interner Vermerk", required=True, help_text="Nur für Mitarbeitende sichtbar.")


class RecommendForm(DecisionForm):
    RECOMMENDATIONS = [
        ("approve", "Bewilligung in voller Höhe empfehlen"),
        ("partial", "Teilbewilligung empfehlen"),
        ("reject", "Ablehnung empfehlen"),
    ]
    recommendation = forms.ChoiceField(label="Votum", choices=RECOMMENDATIONS, widget=forms.RadioSelect)
    reason = _reason_field("Begründung", required=False,
                           help_text="Bei Teilbewilligung oder Ablehnung erforderlich.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("recommendation") in ("partial", "reject") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Bitte begründen Sie das Votum.")
        return cleaned


class AmountForm(DecisionForm):
    """Approve or partially approve. Multi-year lines with a plan for several years get one field per year
    (the total is their sum, booked against each year's budget, all or nothing)."""

    reasons_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = self.application
        plan_years = list(app.plan_years.all())
        self.split_years = [p.year for p in plan_years] if app.rule.line.multi_year and len(plan_years) > 1 else []
        if self.split_years:
            for p in plan_years:
                self.fields[f"year_{p.year}"] = MoneyField(
                    label=f"Bewilligung {p.year}", initial=p.requested_grant,
                    help_text=f"beantragt {format_eur(p.requested_grant)}",
                )
        else:
            self.fields["amount"] = MoneyField(
                label="Bewilligter Betrag", initial=None if self.reasons_required else app.requested_amount,
                help_text=f"beantragt {format_eur(app.requested_amount)}",
            )
        self.fields["reasons"] = _reason_field(
            "Begründung (steht im Bescheid)", required=self.reasons_required,
            help_text="Warum nicht in voller Höhe bewilligt wird." if self.reasons_required else "",
        )

    def clean(self):
        cleaned = super().clean()
        if self.split_years:
            parts = {y: cleaned.get(f"year_{y}") for y in self.split_years}
            if all(v is not None for v in parts.values()):
                cleaned["split"] = parts
                cleaned["amount"] = sum(parts.values(), Decimal("0.00"))
        else:
            cleaned["split"] = None
        amount = cleaned.get("amount")
        if amount is not None and amount > self.application.requested_amount:
            raise forms.ValidationError(
                f"Es kann höchstens der beantragte Betrag ({format_eur(self.application.requested_amount)}) "
                "bewilligt werden."
            )
        return cleaned


class ApproveForm(AmountForm):
    pass


class PartialApproveForm(AmountForm):
    reasons_required = True


class RejectForm(DecisionForm):
    reasons = _reason_field("Gründe der Ablehnung (stehen im Bescheid)", required=True)


class WithdrawForm(DecisionForm):
    reason = _reason_field("Grund", required=True,
                           help_text="z. B. „Schreiben der Organisation vom 12.01.2027: Antrag zurückgezogen“.")


class AmendForm(DecisionForm):
    new_amount = MoneyField(label="Neuer bewilligter Betrag")
    reasons = _reason_field("Begründung (steht im Änderungsbescheid)", required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.application.approved_amount or Decimal("0.00")
        self.fields["new_amount"].help_text = (
            f"bisher bewilligt {format_eur(current)}; eine Senkung gibt Mittel frei, eine Erhöhung bindet Mittel."
        )
        self.fields["new_amount"].initial = current


# --- The registry -------------------------------------------------------------------------------------------------

def _run_start_review(*, application, user, data):
    return services.application_start_review(application=application, user=user)


def _run_request_changes(*, application, user, data):
    return services.application_request_changes(application=application, user=user, message=data["message"])


def _run_note(*, application, user, data):
    return services.internal_note_add(application=application, user=user, body=data["body"])


def _run_recommend(*, application, user, data):
    return services.application_recommend(application=application, user=user,
                                          recommendation=data["recommendation"], reason=data.get("reason", ""))


def _decide(action):
    def run(*, application, user, data):
        return services.application_decide(
            application=application, user=user, action=action, amount=data.get("amount"),
            reasons=data.get("reasons", ""), split=data.get("split"),
        )
    return run


def _run_withdraw(*, application, user, data):
    return services.application_staff_withdraw(application=application, user=user, reason=data["reason"])


def _run_amend(*, application, user, data):
    return services.application_amend(application=application, user=user, new_amount=data["new_amount"],
                                      reasons=data["reasons"])


@dataclass(frozen=True)
class Decision:
    """A staff action's form and service call. Its wording and who may use it come from workflow.py."""

    action: str
    form: type[DecisionForm]
    run: Any
    success: str
    actors: tuple[str, ...] = ()
    button_class: str = ""

    @property
    def transition(self):
        return TRANSITIONS.get(self.action)

    @property
    def label(self) -> str:
        t = self.transition
        return t.label if t is not None else event_label(self.action)

    def allowed_actors(self) -> set[str]:
        t = self.transition
        return set(t.actors) if t is not None else set(self.actors)

    def may_use(self, actors: set[str]) -> bool:
        """Role check (403 otherwise). The status check is the service's (TransitionError)."""
        return bool(self.allowed_actors() & actors)

    def available_outside_workflow(self, application: Application, actors: set[str]) -> bool:
        """For the actions that are not edges of the workflow table (the internal note)."""
        if not self.may_use(actors):
            return False
        return True


_STAFF = (Actor.SACHBEARBEITUNG, Actor.BEWILLIGUNG)

DECISIONS: dict[str, Decision] = {
    d.action: d
    for d in [
        Decision("start_review", ConfirmForm, _run_start_review, "Die Prüfung wurde begonnen."),
        Decision("request_changes", RequestChangesForm, _run_request_changes,
                 "Die Nachforderung wurde gestellt und per E-Mail an die Organisation gesandt."),
        Decision("recommend", RecommendForm, _run_recommend, "Das Votum wurde gespeichert."),
        Decision("approve", ApproveForm, _decide("approve"),
                 "Der Antrag wurde bewilligt; die Mittel sind gebunden und der Bescheid wird erstellt.",
                 button_class="wir-button-approve"),
        Decision("partially_approve", PartialApproveForm, _decide("partially_approve"),
                 "Der Antrag wurde teilweise bewilligt; die Mittel sind gebunden und der Bescheid wird erstellt."),
        Decision("reject", RejectForm, _decide("reject"),
                 "Der Antrag wurde abgelehnt; der Ablehnungsbescheid wird erstellt.", button_class="wir-button-reject"),
        Decision("withdraw_for_applicant", WithdrawForm, _run_withdraw,
                 "Der Antrag wurde zurückgezogen."),
        Decision("amend", AmendForm, _run_amend, "Der Betrag wurde geändert; der Änderungsbescheid wird erstellt."),
        Decision("note", NoteForm, _run_note, "Der Vermerk wurde gespeichert.", actors=_STAFF),
    ]
}


def decisions_for(application: Application, actors: set[str]) -> list[Decision]:
    """The buttons to show on the application page: the workflow table decides (actions_from), in its order."""
    allowed = {t.action for t in actions_from(application.status, actors)}
    return [
        d for d in DECISIONS.values()
        if (d.action in allowed if d.transition is not None else d.available_outside_workflow(application, actors))
    ]


class BulkApproveForm(forms.Form):
    """Intermediate page of the bulk decision: one amount per application (default: requested)."""

    reasons = _reason_field(
        "Begründung für Teilbewilligungen", required=False,
        help_text="Nur nötig, wenn ein Betrag unter dem beantragten liegt (steht dann im Bescheid).",
    )

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.applications = list(applications)
        for app in self.applications:
            self.fields[f"amount_{app.pk}"] = MoneyField(label=app.file_number or str(app.pk),
                                                         initial=app.requested_amount)

    def rows(self):
        return [(app, self[f"amount_{app.pk}"]) for app in self.applications]

    def clean(self):
        cleaned = super().clean()
        for app in self.applications:
            amount = cleaned.get(f"amount_{app.pk}")
            if amount is not None and amount < app.requested_amount and not (cleaned.get("reasons") or "").strip():
                self.add_error("reasons", "Für Beträge unter dem beantragten ist eine Begründung nötig.")
                break
        return cleaned
