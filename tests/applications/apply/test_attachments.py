"""Uploads checked by extension, size and content; private download through an organisation-checked view."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.demo import _DEMO_PDF
from applications.models import Attachment
from applications.workflow import Status
from tests.factories import application


def upload(client, app, name, content, kind="concept"):
    return client.post(reverse("portal:application_attachments", args=[app.pk]),
                       {"kind": kind, "file": SimpleUploadedFile(name, content)})


def docx(with_word=True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml" if with_word else "evil/payload.xml", "<w/>")
    return buffer.getvalue()


def test_upload_list_download_delete(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    response = upload(client, app, "stelle.pdf", _DEMO_PDF)
    assert response.status_code == 302
    attachment = Attachment.objects.get(application=app)
    assert (attachment.kind, attachment.original_name, attachment.content_type) == (
        "concept", "stelle.pdf", "application/pdf")
    assert "stelle.pdf" not in attachment.file.name  # stored under a random name
    page = client.get(reverse("portal:application_attachments", args=[app.pk]))
    assert "stelle.pdf" in page.content.decode() and "vorhanden" in page.content.decode()
    download = client.get(reverse("portal:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;") and "stelle.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == _DEMO_PDF
    response = client.post(reverse("portal:attachment_delete", args=[attachment.pk]))
    assert response.status_code == 302 and not Attachment.objects.exists()


def test_docx_accepted(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    assert upload(client, app, "konzept.docx", docx(), kind="concept").status_code == 302


def test_renamed_executable_refused(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    response = upload(client, app, "x.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    assert response.status_code == 400 and not Attachment.objects.exists()
    assert "passt nicht zur Endung" in response.context["form"].errors["file"][0]
    assert 'aria-describedby="id_file_helptext id_file_error"' in response.content.decode()


def test_exe_extension_refused(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    response = upload(client, app, "setup.exe", b"MZ" + b"\x00" * 100)
    assert "nicht erlaubt" in response.context["form"].errors["file"][0]


def test_eleven_megabytes_refused(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    response = upload(client, app, "gross.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    assert response.status_code == 400 and not Attachment.objects.exists()
    assert "höchstens 10 MB" in response.context["form"].errors["file"][0]


def test_docx_without_word_folder_refused(client, owner, entity):
    app = application(organisation=entity)
    client.force_login(owner)
    response = upload(client, app, "konzept.docx", docx(with_word=False), kind="concept")
    assert response.status_code == 400 and not Attachment.objects.exists()


def test_no_upload_or_delete_after_submission(client, owner, entity):
    app = application(organisation=entity, status=Status.SUBMITTED)
    attachment = Attachment.objects.create(application=app, kind="concept", file="x", original_name="x.pdf",
                                           content_type="application/pdf", size=1, sha256="0" * 64)
    client.force_login(owner)
    assert upload(client, app, "neu.pdf", _DEMO_PDF).status_code == 403
    client.post(reverse("portal:attachment_delete", args=[attachment.pk]))
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_other_organisations_attachment_is_404(client, owner, entity, outsider):
    app = application(organisation=entity)
    client.force_login(owner)
    upload(client, app, "stelle.pdf", _DEMO_PDF)
    attachment = Attachment.objects.get()
    client.force_login(outsider)
    assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("portal:attachment_delete", args=[attachment.pk])).status_code == 404
    assert upload(client, app, "boese.pdf", _DEMO_PDF).status_code == 404
    assert Attachment.objects.count() == 1
