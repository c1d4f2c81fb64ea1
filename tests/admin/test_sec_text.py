"""Issue 16: plain-text mails are not HTML-escaped, free text has a length, request bodies have a size, legal
placeholders are filled in one pass, and single-line admin fields refuse control characters."""

import pytest
from django.core import mail
from django.urls import reverse

from applications.models import MESSAGE_MAX, Organisation
from applications.notices.legal import fill
from applications.workflow import Status

from .test_sec_organisation import form_post

pytestmark = pytest.mark.django_db


def decide_url(app, action):
    return reverse("admin:applications_application_decide", args=[app.pk, action])


def test_changes_requested_mail_is_plain_text_not_html_escaped(client_for, make_app,
                                                               django_capture_on_commit_callbacks):
    app = make_app(Status.IN_REVIEW, title='Projekt "Brücke" <Nord> & Süd')
    text = 'Bitte reichen Sie den "Finanzplan" nach: Kosten < 5.000 € & Eigenmittel > 10 %.'
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for("sachbearbeitung").post(decide_url(app, "request_changes"), {"message": text})
    assert r.status_code == 302
    body = mail.outbox[-1].body
    assert text in body and 'Projekt "Brücke" <Nord> & Süd' in body
    assert "&quot;" not in body and "&lt;" not in body and "&amp;" not in body and "&#x27;" not in body


def test_staff_free_text_has_a_length(client_for, make_app):
    app = make_app(Status.IN_REVIEW)
    r = client_for("sachbearbeitung").post(decide_url(app, "request_changes"), {"message": "x" * (MESSAGE_MAX + 1)})
    assert r.status_code == 200 and "höchstens" in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW


def test_request_bodies_beyond_the_upload_size_answer_413(client_for, make_app, settings):
    app = make_app(Status.IN_REVIEW)
    c = client_for("sachbearbeitung")
    r = c.post(decide_url(app, "note"), {"body": "kurz"}, CONTENT_LENGTH=str(settings.WIR_MAX_REQUEST_BYTES + 1))
    assert r.status_code == 413 and "zu groß" in r.content.decode()
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.WIR_MAX_REQUEST_BYTES


def test_placeholders_are_filled_in_one_pass():
    body = "Gericht: {court_name}\n{authority}\nIm Auftrag\n{signer}\n{unbekannt}"
    values = {"court_name": "VG {signer}", "authority": "RP {court_name}", "signer": "Erika Muster"}
    assert fill(body, values) == "Gericht: VG {signer}\nRP {court_name}\nIm Auftrag\nErika Muster\n{unbekannt}"


@pytest.mark.parametrize("bad", ["Verein\r\nBcc: x@example.org", "Verein\nZwei", "Verein\x00", "Verein\x1b[31m"])
def test_admin_single_line_fields_refuse_control_characters(client_for, seeded, bad):
    from tests.factories import OrganisationFactory

    org = OrganisationFactory(name="Verein Gamma e. V.")
    r = form_post(client_for("superuser"), org, name=bad)
    assert r.status_code == 200
    assert "name" in r.context["adminform"].form.errors
    assert Organisation.objects.get(pk=org.pk).name == "Verein Gamma e. V."
