"""Issue 16: PDFs asked for on a page are rendered by a background job, never in the web request; the page says
"wird erstellt" and reloads until the PDF is there (applications.pdf_jobs)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import pdf_jobs
from applications.models import Application
from applications.workflow import Status
from tests.factories import application


@pytest.fixture
def broker(monkeypatch):
    """A real broker: .delay() queues (recorded here) instead of running in the request."""
    queued = []
    monkeypatch.setattr(pdf_jobs.pdf_render, "delay", lambda *args: queued.append(args))
    return queued


@pytest.fixture
def no_render_in_request(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("rendered a PDF inside the web request")

    monkeypatch.setattr("wir_portal.pdf.render_pdf", forbidden)
    return forbidden


@pytest.mark.django_db
def test_application_pdf_is_rendered_by_a_job(client, owner, entity, broker, no_render_in_request, monkeypatch):
    app = application(organisation=entity)
    Application.objects.filter(pk=app.pk).update(status=Status.SUBMITTED, file_number="WIR-2027-FM-0001",
                                                 submitted_at=timezone.now(), purpose="Text " * 1600)
    client.force_login(owner)
    url = reverse("portal:application_pdf", args=[app.pk])
    first = client.get(url)
    assert first.status_code == 202 and "wird erstellt" in first.content.decode()
    assert 'http-equiv="refresh"' in first.content.decode()
    assert len(broker) == 1
    client.get(url)
    assert len(broker) == 1  # queued once, not once per reload
    # the worker renders it ...
    monkeypatch.undo()
    kind, app_id, path, user_id = broker[0]
    assert pdf_jobs.pdf_render(kind, app_id, path, user_id) == "ok"
    # ... and the next request serves the stored file
    ready = client.get(url)
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF")
    # a changed application gets a new PDF
    Application.objects.filter(pk=app.pk).update(updated_at=timezone.now(), title="Neuer Titel")
    assert pdf_jobs.pdf_path("application", Application.objects.get(pk=app.pk)) != path


@pytest.mark.django_db
def test_staff_preview_is_rendered_by_a_job(seeded, broker, no_render_in_request, monkeypatch):
    from django.test import Client

    from funding.models import District
    from tests.factories import OrganisationFactory, staff

    org = OrganisationFactory(kind="landkreis", district=District.objects.get(name="Kassel"))
    app = application(organisation=org)
    Application.objects.filter(pk=app.pk).update(status=Status.RECOMMENDED, file_number="WIR-2027-FM-0002",
                                                 submitted_at=timezone.now())
    c = Client()
    c.force_login(staff("Bewilligung"))
    url = reverse("admin:applications_application_notice_preview", args=[app.pk])
    first = c.get(url)
    assert first.status_code == 202 and "wird im Hintergrund erstellt" in first.content.decode()
    assert len(broker) == 1
    monkeypatch.undo()
    assert pdf_jobs.pdf_render(*broker[0]) == "ok"
    ready = c.get(url)
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF")
