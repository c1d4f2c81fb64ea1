"""Four eyes (confirm ≠ order), the role matrix over every payment action, refusals, payment runs executed once."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from applications.models import Event, Payment, PaymentRun, PaymentStatus
from applications.payments import services
from funding.models import LedgerEntry, LedgerKind
from funding.services import ledger_totals

D = Decimal


def _requested(funded, people, amount="1000.00"):
    return services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D(amount),
                                    need_declared=True)


def _ordered(funded, people, staffers, amount="1000.00"):
    p = _requested(funded, people, amount)
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    return services.payment_order(payment=p, user=staffers["haushalt"])


def test_same_person_never_confirms_and_orders(funded, people, staffers):
    p = _requested(funded, people)
    boss = staffers["superuser"]  # holds every permission: only the four-eyes rule stops them
    services.payment_confirm(payment=p, user=boss)
    with pytest.raises(services.PaymentError) as exc:
        services.payment_order(payment=p, user=boss)
    assert "Vier-Augen-Prinzip" in str(exc.value)
    p.refresh_from_db()
    assert p.status == PaymentStatus.CONFIRMED and p.ordered_by_id is None
    services.payment_order(payment=p, user=staffers["haushalt"])
    p.refresh_from_db()
    assert p.status == PaymentStatus.ORDERED and p.confirmed_by_id != p.ordered_by_id


def test_order_needs_confirmation_first(funded, people, staffers):
    p = _requested(funded, people)
    with pytest.raises(services.PaymentError):
        services.payment_order(payment=p, user=staffers["haushalt"])


ROLES = ("anonymous", "signatory", "colleague", "outsider", "sachbearbeitung", "bewilligung", "haushalt", "nogroup",
         "superuser")
# Who may do what. Everything not listed must be refused.
ALLOWED = {
    "payment_request": {"signatory"},
    "payment_spent": {"signatory"},
    "payment_confirm": {"sachbearbeitung", "superuser"},
    "payment_order": {"haushalt", "superuser"},
    "payment_refuse": {"sachbearbeitung", "haushalt", "superuser"},
    "payment_run": {"haushalt", "superuser"},
    "payment_paid": {"haushalt", "superuser"},
    "payment_plan": {"sachbearbeitung", "superuser"},
    "payment_retention_propose": {"sachbearbeitung", "superuser"},
    "payment_retention_release": {"haushalt", "superuser"},
}


def test_the_matrix_names_every_action():
    assert set(ALLOWED) == set(services.PAYMENT_ACTIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_role_matrix(funded, people, staffers, role, action):
    """Every role × every payment action, through the service itself (not only the `may` table)."""
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else (people.get(role) or staffers.get(role))
    p = _requested(funded, people)
    run_payment = None
    if action.startswith("payment_retention"):
        from funding.models import LineRule

        LineRule.objects.filter(pk=funded.rule_id).update(payment_retention_percent=D("5"))
    if action == "payment_retention_release":  # proposed by another person (four eyes)
        services.retention_release_propose(application=funded, user=staffers["sachbearbeitung2"], year=2027,
                                           reason="VN geprüft")
    if action in ("payment_run", "payment_paid", "payment_spent"):
        services.payment_confirm(payment=p, user=staffers["sachbearbeitung2"])
        services.payment_order(payment=p, user=staffers["haushalt2"])
        run_payment = p
    if action in ("payment_paid", "payment_spent"):
        run = services.run_create(user=staffers["haushalt2"], payment_ids=[p.pk])
        if action == "payment_spent":
            services.run_execute(run=run, user=staffers["haushalt2"])
    calls = {
        "payment_request": lambda: services.payment_request(application=funded, user=user, year=2027,
                                                            amount=D("1.00"), need_declared=True),
        "payment_spent": lambda: services.payment_spent_report(payment=Payment.objects.get(pk=p.pk), user=user),
        "payment_confirm": lambda: services.payment_confirm(payment=p, user=user),
        "payment_order": lambda: (services.payment_confirm(payment=p, user=staffers["sachbearbeitung2"]),
                                  services.payment_order(payment=p, user=user)),
        "payment_refuse": lambda: services.payment_refuse(payment=p, user=user, reason="Nicht belegt"),
        "payment_run": lambda: services.run_create(user=user, payment_ids=[run_payment.pk]),
        "payment_paid": lambda: services.run_execute(run=PaymentRun.objects.get(), user=user),
        "payment_plan": lambda: services.payment_plan_set(application=funded, user=user, year=2027, mode="tranches"),
        "payment_retention_propose": lambda: services.retention_release_propose(
            application=funded, user=user, year=2027, reason="Verwendungsnachweis geprüft"),
        "payment_retention_release": lambda: services.retention_release_confirm(application=funded, user=user,
                                                                                year=2027),
    }
    if role in ALLOWED[action]:
        calls[action]()
    else:
        with pytest.raises(services.PaymentError) as exc:
            calls[action]()
        assert "keine Berechtigung" in str(exc.value)


def test_refuse_with_reason_the_applicant_sees(funded, people, staffers, client_as,
                                                django_capture_on_commit_callbacks):
    p = _requested(funded, people)
    with pytest.raises(services.PaymentError) as exc:
        services.payment_refuse(payment=p, user=staffers["sachbearbeitung"], reason="  ")
    assert exc.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_refuse(payment=p, user=staffers["sachbearbeitung"], reason="Bedarf nicht dargelegt")
    assert services.year_figures(funded)[2027].pending == D("0.00")  # a refused request frees the amount
    page = client_as(people["colleague"]).get(f"/portal/antraege/{funded.pk}/mittelabruf/")
    assert "Bedarf nicht dargelegt" in page.content.decode()
    detail = client_as(people["colleague"]).get(f"/portal/antraege/{funded.pk}/")
    assert "Bedarf nicht dargelegt" in detail.content.decode()
    assert any("abgelehnt" in m.subject and "Bedarf nicht dargelegt" in m.body for m in mail.outbox)


def test_run_executes_once_and_books_the_ledger(funded, people, staffers, django_capture_on_commit_callbacks):
    a = _ordered(funded, people, staffers, "1000.00")
    b = _ordered(funded, people, staffers, "2500.50")
    _requested(funded, people, "99.00")  # only requested: not collected
    run = services.run_create(user=staffers["haushalt"], payment_ids=Payment.objects.values_list("pk", flat=True),
                              execution_date=datetime.date(2027, 3, 1))
    assert run.count == 2 and run.total == D("3500.50") and run.number.startswith("WIR-ZL-")
    with django_capture_on_commit_callbacks(execute=True):
        services.run_execute(run=run, user=staffers["haushalt"])
    for p in (a, b):
        p.refresh_from_db()
        assert p.status == PaymentStatus.PAID and p.paid_on == datetime.date(2027, 3, 1)
        assert p.spend_by == datetime.date(2027, 5, 1)
        assert p.ledger_entry.kind == LedgerKind.PAYMENT and p.ledger_entry.amount == p.amount
    assert LedgerEntry.objects.filter(application=funded, kind=LedgerKind.PAYMENT).count() == 2
    f = services.year_figures(funded)[2027]
    assert (f.paid, f.pending, f.open) == (D("3500.50"), D("99.00"), D("26400.50"))
    with pytest.raises(services.PaymentError) as exc:
        services.run_execute(run=run, user=staffers["haushalt"])
    assert "bereits" in str(exc.value)
    assert LedgerEntry.objects.filter(application=funded, kind=LedgerKind.PAYMENT).count() == 2
    assert Event.objects.filter(application=funded, action="payment_paid").count() == 2
    assert sum("Auszahlung" in m.subject for m in mail.outbox) == 2
    # a paid payment can be neither refused nor collected again
    with pytest.raises(services.PaymentError):
        services.payment_refuse(payment=a, user=staffers["haushalt"], reason="zu spät")
    with pytest.raises(services.PaymentError):
        services.run_create(user=staffers["haushalt"], payment_ids=[a.pk])


def test_invariant_committed_minus_released_at_least_paid(funded, people, staffers):
    _ordered(funded, people, staffers, "30000.00")
    run = services.run_create(user=staffers["haushalt"], payment_ids=Payment.objects.values_list("pk", flat=True))
    services.run_execute(run=run, user=staffers["haushalt"])
    for rule_id, totals in ledger_totals().items():
        assert totals["committed"] >= totals["paid"], rule_id
    totals = ledger_totals(rule_ids=[funded.rule_id])[funded.rule_id]
    assert totals["paid"] >= D("30000.00")


def test_order_refused_without_valid_iban(funded, people, staffers):
    from applications.models import Organisation

    p = _requested(funded, people)
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    Organisation.objects.filter(pk=funded.organisation_id).update(iban="")
    with pytest.raises(services.PaymentError) as exc:
        services.payment_order(payment=p, user=staffers["haushalt"])
    assert "IBAN" in str(exc.value)


def test_staff_search_by_file_number_prefix_or_payment_number(funded, people, staffers, client_as):
    from django.urls import reverse

    from applications.models import Application

    mine = _requested(funded, people, "100.00")
    other = Payment.objects.create(application=funded, year=2027, amount=D("5.00"))
    Application.objects.filter(pk=funded.pk).update(file_number="WIR-2027-IP-0042")
    c = client_as(staffers["sachbearbeitung"])
    url = reverse("admin:applications_payment_changelist")

    def found(q):
        r = c.get(url, {"q": q})
        assert r.status_code == 200
        return {p.pk for p in r.context["cl"].result_list}

    assert found("WIR-2027-IP-0042") == {mine.pk, other.pk}
    assert found("wir-2027-ip") == {mine.pk, other.pk}  # the beginning, any case
    assert found("WIR-2027-IP-0043") == set()
    assert found(str(other.pk)) == {other.pk}
    assert found("Aktenzeichen'; --") == set()  # no number, no match, no error
