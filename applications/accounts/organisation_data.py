"""Staff changes of an organisation's master data, with the bank account and the kind guarded (issue 16).

- The bank account (IBAN, account holder) receives the payments; the kind decides eligibility. Only people with
  `applications.change_bank_details` (Haushalt, superusers) may change them; Sachbearbeitung may not.
- Every change of the master data enters the organisation's audit trail (OrganisationEvent) with old → new.
- Once money was paid to the organisation (a PAYMENT row in the ledger), a new bank account is not applied at
  once: it waits as a pending change until a second person with the same right confirms it (four eyes).
"""

from django.db import transaction
from django.utils import timezone

from applications.accounts.services import AccountError, organisation_event_record
from applications.models import LegalForm, Organisation, OrganisationAction
from funding.models import LedgerEntry, LedgerKind

BANK_FIELDS = ("iban", "account_holder")
GUARDED_FIELDS = ("kind", *BANK_FIELDS)
PERMISSION = "applications.change_bank_details"
SUBJECT_MAX = 254


def may_change_bank_details(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def organisation_has_payments(*, organisation: Organisation) -> bool:
    return LedgerEntry.objects.filter(application__organisation=organisation, kind=LedgerKind.PAYMENT).exists()


def _short(text: str, limit: int = SUBJECT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bank_label(iban: str, holder: str) -> str:
    return f"{iban or '–'} ({holder or 'ohne Kontoinhaber'})"


def organisation_staff_save(*, organisation: Organisation, changed: list[str], user) -> str:
    """Save an organisation edited in the admin (`organisation` carries the new values, `changed` the names of the
    changed fields). Returns a German note for the user ('' when nothing special happened). Raises AccountError
    when the user may not change a guarded field."""
    changed = [name for name in changed if name in {f.name for f in Organisation._meta.fields}]
    guarded = [name for name in changed if name in GUARDED_FIELDS]
    if guarded and not may_change_bank_details(user):
        raise AccountError("Bankverbindung und Art der Organisation dürfen nur der Haushalt oder die "
                           "Administration ändern.")
    with transaction.atomic():
        if organisation.pk is None:
            organisation.save()
            return ""
        before = Organisation.objects.select_for_update().get(pk=organisation.pk)
        note = ""
        bank_changed = any(getattr(before, f) != getattr(organisation, f) for f in BANK_FIELDS)
        if bank_changed:
            old = _bank_label(before.iban, before.account_holder)
            new = _bank_label(organisation.iban, organisation.account_holder)
            if organisation_has_payments(organisation=before):
                organisation.pending_iban = organisation.iban
                organisation.pending_account_holder = organisation.account_holder
                organisation.pending_bank_by = user
                organisation.pending_bank_at = timezone.now()
                organisation.iban, organisation.account_holder = before.iban, before.account_holder
                organisation_event_record(organisation=organisation, action=OrganisationAction.BANK_CHANGE_REQUESTED,
                                          user=user, subject=_short(f"{old} → {new}"))
                note = ("An diese Organisation wurde bereits ausgezahlt: die neue Bankverbindung gilt erst, wenn eine "
                        "zweite berechtigte Person sie bestätigt (Aktion „Bankverbindung bestätigen“).")
            else:
                organisation_event_record(organisation=organisation, action=OrganisationAction.BANK_CHANGED,
                                          user=user, subject=_short(f"{old} → {new}"))
        if before.legal_form != organisation.legal_form:
            # four eyes (issue 12): the legal form decides ANBest-GK or -P of every new decision
            organisation.pending_legal_form = organisation.legal_form
            organisation.pending_legal_form_by, organisation.pending_legal_form_at = user, timezone.now()
            organisation.legal_form = before.legal_form
            organisation_event_record(
                organisation=organisation, action=OrganisationAction.LEGAL_FORM_REQUESTED, user=user,
                subject=_short(f"{_legal_form_label(before.legal_form)} → "
                               f"{_legal_form_label(organisation.pending_legal_form)}"))
            note = (note + " " if note else "") + (
                "Die neue Rechtsform gilt erst, wenn eine zweite Person sie bestätigt (Aktion „Rechtsform "
                "bestätigen“); bis dahin gilt für neue Bescheide die bisherige.")
        if before.kind != organisation.kind:
            organisation_event_record(
                organisation=organisation, action=OrganisationAction.KIND_CHANGED, user=user,
                subject=_short(f"{before.get_kind_display()} → {organisation.get_kind_display()}"),
            )
        others = []
        for name in changed:
            if name in GUARDED_FIELDS or name == "legal_form":
                continue
            field = Organisation._meta.get_field(name)
            old, new = field.value_from_object(before), field.value_from_object(organisation)
            if old != new:
                others.append(f"{field.verbose_name}: {old if old not in (None, '') else '–'} → "
                              f"{new if new not in (None, '') else '–'}")
        if others:
            organisation_event_record(organisation=organisation, action=OrganisationAction.DATA_CHANGED, user=user,
                                      subject=_short("; ".join(others)))
        organisation.save()
        return note


def organisation_bank_change_confirm(*, organisation: Organisation, user) -> Organisation:
    """The second person confirms the pending bank account: it is applied and recorded."""
    if not may_change_bank_details(user):
        raise AccountError("Bankverbindungen dürfen nur der Haushalt oder die Administration bestätigen.")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.pending_bank_at is None:
            raise AccountError(f"Für „{org.name}“ wartet keine Änderung der Bankverbindung auf Bestätigung.")
        if org.pending_bank_by_id == user.pk:
            raise AccountError(f"„{org.name}“: Vier-Augen-Prinzip — die Änderung der Bankverbindung muss eine andere "
                               "Person bestätigen als die, die sie eingetragen hat.")
        old = _bank_label(org.iban, org.account_holder)
        new = _bank_label(org.pending_iban, org.pending_account_holder)
        requested_by = org.pending_bank_by.get_full_name() or org.pending_bank_by.email if org.pending_bank_by else "–"
        org.iban, org.account_holder = org.pending_iban, org.pending_account_holder
        _clear_pending(org)
        org.save()
        organisation_event_record(organisation=org, action=OrganisationAction.BANK_CHANGED, user=user,
                                  subject=_short(f"{old} → {new} (bestätigt; eingetragen von {requested_by})"))
        return org


def organisation_bank_change_discard(*, organisation: Organisation, user) -> Organisation:
    if not may_change_bank_details(user):
        raise AccountError("Bankverbindungen dürfen nur der Haushalt oder die Administration bearbeiten.")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.pending_bank_at is None:
            raise AccountError(f"Für „{org.name}“ wartet keine Änderung der Bankverbindung auf Bestätigung.")
        new = _bank_label(org.pending_iban, org.pending_account_holder)
        _clear_pending(org)
        org.save()
        organisation_event_record(organisation=org, action=OrganisationAction.BANK_CHANGE_DISCARDED, user=user,
                                  subject=_short(new))
        return org


def _legal_form_label(value: str) -> str:
    return LegalForm(value).label if value else "nicht angegeben"


def may_confirm_legal_form(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm("applications.change_organisation"))


def organisation_legal_form_confirm(*, organisation: Organisation, user) -> Organisation:
    """A second person confirms the proposed legal form: from now on new decisions use it (ANBest-GK/-P); notices
    already issued keep what they said."""
    if not may_confirm_legal_form(user):
        raise AccountError("Die Rechtsform bestätigen nur Beschäftigte, die Organisationen bearbeiten dürfen.")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.pending_legal_form_at is None:
            raise AccountError(f"Für „{org.name}“ wartet keine Änderung der Rechtsform auf Bestätigung.")
        if org.pending_legal_form_by_id == user.pk:
            raise AccountError(f"„{org.name}“: Vier-Augen-Prinzip — die Änderung der Rechtsform muss eine andere "
                               "Person bestätigen als die, die sie eingetragen hat.")
        by = org.pending_legal_form_by
        requested_by = (by.get_full_name() or by.email) if by else "–"
        subject = (f"{_legal_form_label(org.legal_form)} → {_legal_form_label(org.pending_legal_form)} "
                   f"(bestätigt; eingetragen von {requested_by})")
        org.legal_form = org.pending_legal_form
        _clear_pending_legal_form(org)
        org.save()
        organisation_event_record(organisation=org, action=OrganisationAction.LEGAL_FORM_CHANGED, user=user,
                                  subject=_short(subject))
        return org


def organisation_legal_form_discard(*, organisation: Organisation, user) -> Organisation:
    if not may_confirm_legal_form(user):
        raise AccountError("Die Rechtsform bearbeiten nur Beschäftigte, die Organisationen bearbeiten dürfen.")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if org.pending_legal_form_at is None:
            raise AccountError(f"Für „{org.name}“ wartet keine Änderung der Rechtsform auf Bestätigung.")
        subject = _legal_form_label(org.pending_legal_form)
        _clear_pending_legal_form(org)
        org.save()
        organisation_event_record(organisation=org, action=OrganisationAction.LEGAL_FORM_DISCARDED, user=user,
                                  subject=_short(subject))
        return org


def _clear_pending_legal_form(org: Organisation) -> None:
    org.pending_legal_form, org.pending_legal_form_by, org.pending_legal_form_at = "", None, None


def _clear_pending(org: Organisation) -> None:
    org.pending_iban = ""
    org.pending_account_holder = ""
    org.pending_bank_by = None
    org.pending_bank_at = None
