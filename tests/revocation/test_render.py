"""Each new notice kind rendered through the outbox (PDF/A): the hearing letter, the Widerrufs- and the
Rücknahme- und Erstattungsbescheid, and the letter that the proceeding is discontinued. Operative part and reasons
agree (same amounts, same dates), the Rechtsbehelfsbelehrung names the court of the recipient's seat.

Set WIR_REVOKE_PDF_DIR to keep the PDFs (pdftoppm -png them to look at them)."""

import datetime
import os
from decimal import Decimal as D
from pathlib import Path

import pytest

from applications.models import Notice, NoticeStatus, RevocationBasis, RevocationOutcome
from applications.notices.outbox import notice_render
from applications.revocation import services
from tests.notices.conftest import normalised, pdf_text
from tests.revocation.conftest import approve_2025
from tests.revocation.test_flow import open_case

pytestmark = pytest.mark.django_db


def _pdf(notice: Notice, name: str) -> str:
    assert notice_render(notice_id=notice.pk) == NoticeStatus.RENDERED
    notice.refresh_from_db()
    data = notice.pdf.open("rb").read()
    assert data.startswith(b"%PDF-")
    keep = os.environ.get("WIR_REVOKE_PDF_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        Path(keep, f"{name}.pdf").write_bytes(data)
    return normalised(pdf_text(data))


def _decide(app, staffers, people, *, basis=RevocationBasis.WIDERRUF_NR1, outcome=RevocationOutcome.REVOKE,
            waived=False):
    sb = staffers["sachbearbeitung"]
    rv = open_case(app, sb, basis=basis)
    hearing = services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5),
                                    today=datetime.date(2025, 12, 1))
    services.hearing_answer(revocation=rv, user=people["signatory"],
                            text="Wir haben die Stelle zweimal ausgeschrieben; es gab keine geeigneten Bewerbungen.")
    services.revocation_prepare(
        revocation=rv, user=sb, outcome=outcome,
        considerations="Der Zweck wurde für sechs Monate verfehlt. Das Interesse an der sparsamen Verwendung von "
                       "Haushaltsmitteln überwiegt das Interesse am Behalten der Zuwendung.",
        answer_assessment="Die erfolglose Ausschreibung erklärt die Lücke, ändert aber nichts daran, dass die Mittel "
                          "für diese Zeit nicht für den Zweck verwendet wurden.",
        interest_waived=waived, interest_waiver_reason="Nicht zu vertreten." if waived else "",
        today=datetime.date(2026, 2, 2))
    rv = services.revocation_decide(revocation=rv, user=staffers["bewilligung"], today=datetime.date(2026, 2, 2))
    return rv, hearing


def test_hearing_and_revocation_notice(funded, staffers, people):
    rv, hearing = _decide(funded, staffers, people)
    court = funded.organisation.district.court or funded.organisation.district.landkreis.court
    text = _pdf(hearing, "anhoerung")
    assert "Anhörung" in text and "§ 28 Abs. 1 HVwVfG" in text
    assert "12.000,00 €" in text and "01.07.2025" in text and "05.01.2026" in text
    assert "Rechtsbehelfsbelehrung" not in text  # a hearing is no decision
    text = _pdf(rv.decision_notice, "widerruf")
    # operative part: revoked 12,000 from 1 Jul 2025, remaining 18,000, refund 2,000 due 5 Mar 2026, interest from
    # 1 Jul 2025; reasons: the same figures and the interest breakdown 62,87 + 11,34 = 74,21
    for expected in ("in Höhe von 12.000,00 € mit Wirkung vom 01.07.2025 widerrufen", "höchstens 18.000,00 €",
                     "auf 2.000,00 € festgesetzt", "05.03.2026", "vom 01.07.2025 an bis zum Tag der Zahlung",
                     "62,87 €", "11,34 €", "74,21 €", "§ 49 Abs. 3 Satz 1 Nr. 1 HVwVfG", "Zu Ihrer Stellungnahme",
                     "erfolglose Ausschreibung", "10.000,00 €", "Rechtsbehelfsbelehrung", court.name):
        assert expected in text, expected


def test_withdrawal_notice_with_waived_interest(funded, staffers, people):
    rv, _ = _decide(funded, staffers, people, basis=RevocationBasis.RUECKNAHME_48, waived=True)
    text = _pdf(rv.decision_notice, "ruecknahme")
    assert "Rücknahme" in text and "zurückgenommen" in text and "§ 48" in text
    assert "Von der Erhebung von Zinsen nach § 49a Abs. 3 HVwVfG wird abgesehen" in text
    assert "Nicht zu vertreten." in text and "74,21" not in text


def test_discontinued_letter(funded, staffers, people):
    rv, _ = _decide(funded, staffers, people, outcome=RevocationOutcome.DISCONTINUE)
    text = _pdf(rv.decision_notice, "einstellung")
    assert "Einstellung des Widerrufsverfahrens" in text and "eingestellt" in text
    assert "Rechtsbehelfsbelehrung" not in text and "Erstattung" not in text.split("Gründe")[0]


def test_late_use_interest_in_the_notice(org, staffers, people):
    from applications.models import Payment

    app = approve_2025(org, paid=[(datetime.date(2025, 2, 3), "10000.00")])
    Payment.objects.filter(application=app).update(
        spent_reported_at=datetime.datetime(2025, 6, 16, 12, tzinfo=datetime.UTC))
    rv, _ = _decide(app, staffers, people)
    text = _pdf(rv.decision_notice, "widerruf_abs4")
    assert "264,91 €" in text and "§ 49a Abs. 4 HVwVfG" in text
    assert rv.claim.late_use_interest == D("264.91")
