"""Portal views of the decisions work: Änderungsantrag, early start request, remedy waiver.

Thin: lookups through selectors (another organisation's application answers 404), writes through decisions.py;
a refused request shows the service's German message at the form, with what was typed kept."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from applications import decisions, selectors, services
from applications.portal.forms_decide import AmendmentRequestForm, EarlyStartRequestForm
from applications.workflow import TransitionError

ERRORS = (services.ApplicationError, TransitionError)


def _membership(request, application):
    return selectors.membership_for(request.user, application.organisation_id)


def _forbidden(request, message: str):
    return render(request, "portal/apply/forbidden.html", {"message": message}, status=403)


@login_required
def amendment_request(request, pk: int):
    application = selectors.application_for(request.user, pk)
    if not _membership(request, application).can_submit:
        return _forbidden(request, "Nur zeichnungsberechtigte Personen können einen Änderungsantrag stellen.")
    form = AmendmentRequestForm(request.POST or None, application=application)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                decisions.amendment_request_create(application=application, user=request.user, **form.changes())
            except ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Ihr Änderungsantrag wurde eingereicht. Sie erhalten einen Bescheid, "
                                          "sobald das Regierungspräsidium entschieden hat.")
                return redirect("portal:application_detail", application.pk)
        status = 400
    return render(request, "portal/apply/amendment_request.html",
                  {"application": application, "form": form}, status=status)


@login_required
def early_start_request(request, pk: int):
    application = selectors.application_for(request.user, pk)
    if not _membership(request, application).can_submit:
        return _forbidden(request, "Nur zeichnungsberechtigte Personen können den vorzeitigen Beginn beantragen.")
    form = EarlyStartRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                decisions.early_start_request(application=application, user=request.user,
                                              start=form.cleaned_data["start"], reason=form.cleaned_data["reason"])
            except ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Ihr Antrag auf vorzeitigen Maßnahmebeginn wurde übermittelt. Bitte "
                                          "beginnen Sie erst, wenn Sie die schriftliche Zustimmung erhalten haben.")
                return redirect("portal:application_detail", application.pk)
        status = 400
    return render(request, "portal/apply/early_start_request.html",
                  {"application": application, "form": form}, status=status)


@login_required
@require_POST
def remedy_waive(request, pk: int):
    notice = selectors.notice_for(request.user, pk)
    if not _membership(request, notice.application).can_submit:
        return _forbidden(request, "Nur zeichnungsberechtigte Personen können auf Rechtsbehelfe verzichten.")
    if request.POST.get("confirm") != "1":
        messages.error(request, "Bitte bestätigen Sie den Rechtsbehelfsverzicht ausdrücklich.")
        return redirect("portal:application_detail", notice.application_id)
    try:
        decisions.notice_remedy_waive(notice=notice, user=request.user)
    except ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Sie haben auf Rechtsbehelfe verzichtet. Der Bescheid ist damit bestandskräftig.")
    return redirect("portal:application_detail", notice.application_id)
