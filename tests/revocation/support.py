"""Helpers shared with other test folders (the permission matrix): a proceeding in the hearing phase."""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Revocation, RevocationBasis, RevocationDocument, RevocationGround, RevocationStatus


def matrix_revocation(app, user) -> tuple[Revocation, RevocationDocument]:
    rv = Revocation.objects.create(
        application=app, status=RevocationStatus.HEARING, ground=RevocationGround.CONDITIONS,
        basis=RevocationBasis.WIDERRUF_NR2, facts="Matrix", effective_date=datetime.date(2027, 3, 1),
        revoked_total=Decimal("100.00"), opened_by_name="Matrix",
        hearing_deadline=timezone.localdate() + datetime.timedelta(days=28))
    doc = RevocationDocument(revocation=rv, original_name="beleg.pdf", content_type="application/pdf", size=18,
                             sha256="0" * 64, uploaded_by=user)
    doc.file.save("beleg.pdf", ContentFile(b"%PDF-1.7\n%matrix\n"), save=False)
    doc.save()
    return rv, doc
