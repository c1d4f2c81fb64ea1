"""The applicant's Weiterleitung page: what may be passed on per year, the recipients recorded, the form to add one
(signatories). Lookups through selectors (another organisation's application answers 404); writes through
services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from applications import selectors
from applications.forwarding import services
from applications.forwarding.forms import ForwardingForm
from applications.models import Forwarding
from applications.workflow import FUNDED


def _application(request, pk):
    application = selectors.application_for(request.user, pk)
    if application.status not in FUNDED or "micro_projects" not in (application.rule.limits or {}):
        raise Http404
    return application


def _context(request, application, form=None):
    can_record = services.may_record(request.user, application)
    years = services.forwarding_years(application)
    return {"application": application, "figures": services.forwarding_figures(application),
            "forwardings": list(Forwarding.objects.filter(application=application)),
            "can_record": can_record,
            "form": form if form is not None else (ForwardingForm(years=years) if can_record else None)}


@login_required
def forwarding_page(request, pk: int):
    application = _application(request, pk)
    if request.method != "POST":
        return render(request, "forwarding/page.html", _context(request, application))
    if not services.may_record(request.user, application):
        return render(request, "portal/apply/forbidden.html",
                      {"message": "Weiterleitungen erfassen zeichnungsberechtigte Personen der Organisation."},
                      status=403)
    form = ForwardingForm(request.POST, years=services.forwarding_years(application))
    if form.is_valid():
        try:
            services.forwarding_add(application=application, user=request.user, **form.cleaned_data)
        except services.ForwardingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Die Weiterleitung ist erfasst.")
            return redirect(reverse("portal:forwarding", args=[application.pk]))
    return render(request, "forwarding/page.html", _context(request, application, form=form), status=400)


@login_required
@require_POST
def forwarding_delete(request, pk: int, forwarding_pk: int):
    application = _application(request, pk)
    forwarding = Forwarding.objects.filter(pk=forwarding_pk, application=application).first()
    if forwarding is None:
        raise Http404
    try:
        services.forwarding_remove(forwarding=forwarding, user=request.user)
    except services.ForwardingError as exc:
        return render(request, "portal/apply/forbidden.html", {"message": str(exc)}, status=403)
    messages.success(request, "Die Weiterleitung ist gelöscht.")
    return redirect(reverse("portal:forwarding", args=[application.pk]))
