"""Fixtures for notices: applications of real seeded organisations (their seat decides the court), decided via the
services, and helpers to read the PDF back."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from applications.models import Organisation
from applications.notices.legal import AUTHORITY_DEFAULT
from applications.services import (
    application_decide,
    application_recommend,
    application_start_review,
    application_submit,
)
from tests.factories import (
    DECLARATIONS,
    OrganisationFactory,
    UserFactory,
    application,
    attach_required,
    member,
    partially_approve,
    staff,
)

RUNNING_HEADER = re.compile(r"^Aktenzeichen \S+ · |^Aktenzeichen \S+ .*(bescheid|bestätigung) vom \d")
PAGE_NUMBER = re.compile(r"^Seite \d+ von \d+$")
FOOTER = " · ".join(AUTHORITY_DEFAULT.split("\n"))


def pdf_text(data: bytes) -> str:
    """The body text of every page, without the running header/footer (pypdf puts margin boxes at the end of each
    page, so a sentence broken across pages would otherwise have them in the middle). See pdf_pages for raw text."""
    pages = []
    for text in pdf_pages(data):
        lines = [line for line in text.split("\n") if not RUNNING_HEADER.match(line) and not PAGE_NUMBER.match(line)]
        while lines and lines[-1].strip() and lines[-1].strip() in FOOTER:
            lines.pop()
        pages.append("\n".join(lines))
    return "\n".join(pages)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def normalised(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def people(seeded):
    return {
        "review": staff("Sachbearbeitung", first_name="Sara", last_name="Sachbearbeiterin"),
        "decide": staff("Bewilligung", first_name="Berta", last_name="Bewilligerin"),
    }


def entity_org(name: str) -> Organisation:
    org = Organisation.objects.select_related("entity").get(entity__name=name)
    org.street, org.postcode = "Riversplatz 1–9", "35394"
    org.iban, org.account_holder = "DE02500105170137075030", name  # no approval without a bank account
    org.save(update_fields=["street", "postcode", "iban", "account_holder"])
    return org


def submitted(org, *, code="integrationsprojekte", grant="50000.00", costs="68000.00", **kwargs):
    signer = UserFactory(first_name="Uta", last_name="Unterzeichnerin")
    member(signer, org)
    app = application(organisation=org, code=code, grant=grant, costs=costs, user=signer, **kwargs)
    attach_required(app, signer)
    return application_submit(application=app, user=signer, declarations=DECLARATIONS)


def decided(app, people, *, action="approve", amount=None, reasons=""):
    application_start_review(application=app, user=people["review"])
    application_recommend(application=app, user=people["review"], recommendation="approve")
    if action == "partially_approve":
        return partially_approve(app, people["decide"], amount, reasons or "Nicht zuwendungsfähig.")
    return application_decide(application=app, user=people["decide"], action=action,
                              amount=Decimal(amount) if amount is not None else None, reasons=reasons)


@pytest.fixture
def giessen(seeded):
    return entity_org("Landkreis Gießen")


@pytest.fixture
def verein(seeded):
    from funding.models import District

    return OrganisationFactory(name="Brückenbauer Gießen e. V.", district=District.objects.get(name="Gießen"),
                               regierungsbezirk="Gießen", street="Marktplatz 3", postcode="35390", city="Gießen")


def pdf_bytes(notice) -> bytes:
    with notice.pdf.open("rb") as fh:
        fh.seek(0)
        return fh.read()


def amended(app, people, *, reasons="Die Stelle wurde erst zum 01.03.2027 besetzt.", decision_reasons="",
            **changes):
    """An Änderungsantrag of the applicant's signatory, recommended by Sachbearbeitung and decided by Bewilligung."""
    from applications.decisions import amendment_decide, amendment_recommend, amendment_request_create

    amendment = amendment_request_create(application=app, user=app.submitted_by, reasons=reasons, **changes)
    amendment_recommend(amendment=amendment, user=people["review"], recommendation="approve")
    return amendment_decide(amendment=amendment, user=people["decide"], approve=True, reasons=decision_reasons)
