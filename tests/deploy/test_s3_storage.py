"""USE_S3=true against a real S3 API on loopback (moto's server): uploads and notice PDFs land in the private
bucket; applicants download them only through the portal's permission-checked views (no bucket URL, no signed URL
reaches them); the notice PDF stored in S3 is the one mailed."""

import hashlib
import urllib.error
import urllib.request

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.demo import _DEMO_PDF
from applications.models import Attachment, Notice, NoticeKind, Role
from applications.services import application_submit
from tests.factories import OrganisationFactory, UserFactory, application, attach_required, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(seeded):
    from applications.models import Organisation

    org = Organisation.objects.select_related("entity").get(entity__name="Landkreis Gießen")
    owner = UserFactory(email="s3@kreis.wir", username="s3@kreis.wir")
    member(owner, org, Role.SIGNATORY)
    outsider = UserFactory(email="fremd@s3.wir", username="fremd@s3.wir")
    member(outsider, OrganisationFactory(name="Fremder Verein e. V."), Role.ADMIN)
    return {"org": org, "owner": owner, "outsider": outsider}


def keys(s3) -> list[str]:
    listing = s3["client"].list_objects_v2(Bucket=s3["bucket"])
    return [item["Key"] for item in listing.get("Contents", [])]


def assert_no_storage_url(html: str, s3) -> None:
    assert s3["endpoint"] not in html and s3["bucket"] not in html
    assert "X-Amz-" not in html and "AWSAccessKeyId" not in html


def test_settings_point_django_storages_at_the_bucket(s3):
    assert s3["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3["storage"]["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["default_acl"]) == (
        s3["bucket"], s3["endpoint"], "private")
    from django.core.files.storage import storages

    assert type(storages["default"]).__name__ == "S3Storage"
    name = default_storage.save("probe/x.txt", SimpleUploadedFile("x.txt", b"hallo"))
    assert name in keys(s3)


def test_upload_lands_private_in_the_bucket_and_downloads_only_through_the_portal(client, s3, people):
    app = application(organisation=people["org"], user=people["owner"])
    client.force_login(people["owner"])
    response = client.post(reverse("portal:application_attachments", args=[app.pk]),
                           {"kind": "job_description", "file": SimpleUploadedFile("stelle.pdf", _DEMO_PDF)})
    assert response.status_code == 302
    attachment = Attachment.objects.get(application=app)
    assert attachment.file.name in keys(s3)
    stored = s3["client"].get_object(Bucket=s3["bucket"], Key=attachment.file.name)["Body"].read()
    assert stored == _DEMO_PDF
    grants = s3["client"].get_object_acl(Bucket=s3["bucket"], Key=attachment.file.name)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants), grants  # no AllUsers/AuthenticatedUsers grant

    # Anonymous requests to the object fail: the bucket is no file server.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3['endpoint']}/{s3['bucket']}/{attachment.file.name}", timeout=10)
    assert refused.value.code == 403

    page = client.get(reverse("portal:application_attachments", args=[app.pk]))
    assert page.status_code == 200 and "stelle.pdf" in page.content.decode()
    assert_no_storage_url(page.content.decode(), s3)

    download = client.get(reverse("portal:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and "Location" not in download  # streamed by the portal, no redirect
    assert b"".join(download.streaming_content) == _DEMO_PDF

    client.force_login(people["outsider"])
    assert client.get(reverse("portal:attachment_download", args=[attachment.pk])).status_code == 404


def test_notice_pdf_is_stored_in_the_bucket_and_mailed(client, s3, people, django_capture_on_commit_callbacks):
    app = application(organisation=people["org"], user=people["owner"])
    attach_required(app, people["owner"])
    assert all(a.file.name in keys(s3) for a in app.attachments.all())
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(application=app, user=people["owner"])
    notice = Notice.objects.get(application=app, kind=NoticeKind.RECEIPT)
    assert notice.pdf and notice.pdf.name in keys(s3), notice.last_error
    stored = s3["client"].get_object(Bucket=s3["bucket"], Key=notice.pdf.name)["Body"].read()
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == notice.sha256

    [message] = [m for m in mail.outbox if "Eingangsbestätigung" in m.subject]
    [(filename, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and content == stored
    bodies = message.body + "".join(str(alt[0]) for alt in message.alternatives)
    assert_no_storage_url(bodies, s3)

    client.force_login(people["owner"])
    detail = client.get(reverse("portal:application_detail", args=[app.pk]))
    assert_no_storage_url(detail.content.decode(), s3)
    download = client.get(reverse("portal:notice_download", args=[notice.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == stored
    client.force_login(people["outsider"])
    assert client.get(reverse("portal:notice_download", args=[notice.pk])).status_code == 404
