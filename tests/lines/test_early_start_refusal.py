"""Refusing an early start (vorzeitiger Maßnahmebeginn, Nr. 1.3 VV zu § 44 LHO) is a notice: operative part (the
request is refused; the ban stays), reasons (the applicant's and staff's), Rechtsbehelfsbelehrung with the court at
the applicant's seat; rendered to PDF through the outbox, e-mailed, listed in the portal."""

import datetime
import os
import pathlib

import pytest
from django.core import mail
from django.utils import timezone

from applications import decisions
from applications.models import Notice, NoticeKind, NoticeStatus
from applications.workflow import TransitionError
from tests.notices.conftest import entity_org, normalised, pdf_bytes, pdf_text, submitted

pytestmark = pytest.mark.django_db


def test_refusal_notice_has_operative_part_reasons_and_remedies(seeded, people,
                                                                django_capture_on_commit_callbacks):
    giessen = entity_org("Landkreis Gießen")
    app = submitted(giessen, title="Willkommenscafé")
    start = timezone.localdate() + datetime.timedelta(days=7)
    decisions.early_start_request(application=app, user=app.submitted_by, start=start,
                                  reason="Die Räume sind nur im Dezember frei.")
    with pytest.raises(TransitionError):  # Sachbearbeitung does not decide
        decisions.early_start_decide(application=app, user=people["review"], consent=False, reason="x")
    with pytest.raises(decisions.ApplicationError, match="begründen"):
        decisions.early_start_decide(application=app, user=people["decide"], consent=False, reason=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.early_start_decide(application=app, user=people["decide"], consent=False,
                                     reason="Ein Beginn im Januar ist ohne Nachteil möglich; die Räume stehen auch "
                                            "dann zur Verfügung.")
    notice = Notice.objects.get(application=app, kind=NoticeKind.EARLY_START_REFUSAL)
    assert notice.status == NoticeStatus.SENT and len(mail.outbox) == 1
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Ablehnung des vorzeitigen Maßnahmebeginns" in text
    assert f"ab dem {start:%d.%m.%Y} beginnen zu dürfen, wird abgelehnt" in text        # operative part
    assert "Nr. 1.3 der Verwaltungsvorschriften zu § 44 LHO" in text
    assert "Die Räume sind nur im Dezember frei." in text                                  # applicant's reason
    assert "ohne Nachteil möglich" in text                                                 # staff's reasons
    assert "Rechtsbehelfsbelehrung" in text and "Verwaltungsgericht Gießen" in text
    assert "Zustimmung" not in text.replace("Zustimmung zum vorzeitigen", "")  # it never reads as a consent
    app.refresh_from_db()
    assert app.early_start_consented is False and app.events.filter(action="early_start_refuse").exists()
    if os.environ.get("WIR_NOTICE_PNG_DIR"):
        pathlib.Path(os.environ["WIR_NOTICE_PNG_DIR"], "early_start_refusal.pdf").write_bytes(pdf_bytes(notice))
