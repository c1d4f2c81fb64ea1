"""The applicant's payment page: figures per year, the Mittelabruf form (signatories), payments with their state,
refusal reasons and by when paid money must be spent. Lookups through selectors (another organisation's
application answers 404); writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from applications import selectors
from applications.models import Payment, PaymentPlan, PaymentStatus
from applications.payments import services
from applications.payments.finality import approval_final_on
from applications.payments.forms import PaymentRequestForm
from applications.workflow import FUNDED


def _context(request, application, *, form=None):
    membership = selectors.membership_for(request.user, application.organisation_id)
    figures = services.year_figures(application)
    years = [y for y, f in figures.items() if f.approved > 0]
    today = timezone.localdate()
    for f in figures.values():
        f.earliest = services.earliest_request_on(application, f.year)
        f.too_early = f.enacted and f.earliest > today
    payments = list(Payment.objects.filter(application=application).order_by("-requested_at", "-id"))
    for p in payments:
        p.spend_due = p.status == PaymentStatus.PAID and not p.spent_reported_at
        p.spend_overdue = p.spend_due and p.spend_by and p.spend_by < today
    can_request = membership.can_submit and application.status in FUNDED and bool(years)
    return {
        "application": application, "membership": membership, "figures": list(figures.values()),
        "payments": payments, "plans": list(PaymentPlan.objects.filter(application=application)),
        "final_on": approval_final_on(application), "today": today, "can_request": can_request,
        "form": form if form is not None else (PaymentRequestForm(**_year_choices(figures)) if can_request else None),
        "iban_missing": not (application.organisation.iban or "").strip(),
    }


def _year_choices(figures) -> dict:
    """Every approved year is offered (so a request for a year not yet enacted is answered with the reason at the
    field, not with "invalid choice"); such years are labelled, the first requestable year preselected."""
    years = [y for y, f in figures.items() if f.approved > 0]
    labels = {y: f"{y} (Haushalt {y} noch nicht beschlossen)" for y, f in figures.items() if not f.enacted}
    return {"years": years, "labels": labels,
            "initial": next((y for y, f in figures.items() if f.approved > 0 and f.open > 0), None)}


@login_required
def payments_page(request, pk: int):
    application = selectors.application_for(request.user, pk)
    if application.status not in FUNDED:
        raise Http404
    if request.method != "POST":
        return render(request, "payments/request.html", _context(request, application))
    context = _context(request, application)
    if not context["can_request"]:
        return render(request, "portal/apply/forbidden.html",
                      {"message": "Mittel abrufen dürfen nur zeichnungsberechtigte Personen der Organisation."},
                      status=403)
    form = PaymentRequestForm(request.POST, **_year_choices({f.year: f for f in context["figures"]}))
    if form.is_valid():
        try:
            services.payment_request(application=application, user=request.user, year=form.cleaned_data["year"],
                                     amount=form.cleaned_data["amount"],
                                     need_declared=form.cleaned_data["need_declared"])
        except services.PaymentError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Ihr Mittelabruf ist eingegangen. Sie erhalten eine Bestätigung per E-Mail.")
            return redirect(reverse("portal:payments", args=[application.pk]))
    return render(request, "payments/request.html", _context(request, application, form=form), status=400)


@login_required
@require_POST
def payment_spent(request, pk: int, payment_pk: int):
    application = selectors.application_for(request.user, pk)
    payment = Payment.objects.filter(pk=payment_pk, application=application).first()
    if payment is None:
        raise Http404
    payment.application = application
    if not services.may(request.user, "payment_spent", organisation_id=application.organisation_id):
        return render(request, "portal/apply/forbidden.html",
                      {"message": "Die Verwendung melden zeichnungsberechtigte Personen der Organisation."},
                      status=403)
    try:
        services.payment_spent_report(payment=payment, user=request.user)
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Die Verwendung der Mittel ist gemeldet.")
    return redirect(reverse("portal:payments", args=[application.pk]))
