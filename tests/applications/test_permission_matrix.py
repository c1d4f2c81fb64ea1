"""Permission matrix: EVERY URL of the `portal` namespace, as anonymous, outsider, member without the right, owner.

The URL list is read from the resolver, so a new portal URL is included automatically. Its keyword arguments are
filled from the fixtures below by name (`KWARG_SOURCES`); a URL with an unknown keyword fails
`test_every_portal_url_is_classified` until someone says where its value comes from.

Expectations (pretix tests/control/test_permissions.py, healthchecks' alice/bob/charlie):
- anonymous: redirect to the login page (public pages: 200);
- outsider (admin of another organisation): 404 for every URL that names an object (application, attachment,
  notice, organisation, membership, invitation);
- member without the right (Role.MEMBER): 403 on the URLs in `RESTRICTED` (signatory or admin only), otherwise
  the same as the owner;
- owner (admin of the organisation, may sign): 200 for GET pages; POST-only views (those answering 405 to GET)
  are POSTed and must not answer 403/404/405 or fail.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from applications import services
from applications.accounts.services import invitation_create, registration_token_make
from applications.models import Invitation, Membership, Notice, NoticeKind, NoticeStatus, Role
from tests.factories import (
    DECLARATION_POST,
    DECLARATIONS,
    OrganisationFactory,
    UserFactory,
    application,
    attach_required,
    member,
)

pytestmark = pytest.mark.django_db

# Pages anyone may open (registration, confirmation link, invitation link).
PUBLIC = {"register", "register-done", "register-resend", "register-confirm", "invitation-accept"}

# URL name -> method with which a member without the right is refused (403).
RESTRICTED = {
    "application_submit": "post",      # only signatories submit (members may open the checklist)
    "application_withdraw": "get",     # only signatories withdraw
    "members": "get",                  # member management: organisation admins only
    "member-role": "post",
    "member-remove": "get",
    "invitation-revoke": "post",
    "payments": "post",                # members see the payment page; only signatories request money
    "payment_spent": "post",
    "amendment_request": "get",        # Änderungsantrag, early start, remedy waiver: signatories only
    "early_start_request": "get",
    "remedy_waive": "post",
    "proof_submit": "post",            # proof of use: members keep the Belegliste; signatories submit
    "revocation_answer": "post",       # revocation: members see the proceeding; only signatories answer
    "forwarding": "post",              # Weiterleitung: members see the list; signatories record and delete
    "forwarding_delete": "post",
}

# URLs whose object must be a submitted application (the rest use an editable draft).
NEEDS_SUBMITTED = {"application_pdf", "application_withdraw", "message_reply"}

# Form data for POSTs where an empty body would not reach the permission check.
POST_DATA = {
    "organisation-switch": lambda w: {"organisation": w.org.pk},
    "member-role": lambda w: {"role": Role.SIGNATORY},
}

# keyword name -> (how to get the value from the world, does it name an object of the organisation?)
KWARG_SOURCES = {
    "org_id": (lambda w, name: w.org.pk, True),
    "member_id": (lambda w, name: w.target_membership.pk, True),
    "invitation_id": (lambda w, name: w.invitation.pk, True),
    "code": (lambda w, name: "lotsen", False),
    "token": (lambda w, name: w.invitation_token if name == "invitation-accept" else w.registration_token, False),
    "pk": (lambda w, name: w.pk_for(name), True),
    "payment_pk": (lambda w, name: w.payment.pk, True),
    "proof_pk": (lambda w, name: w.proof.pk, True),
    "expense_pk": (lambda w, name: w.expense.pk, True),
    # both rooms name their document "doc_pk": the URL's name says whose
    "doc_pk": (lambda w, name: (w.revocation_document if name.startswith("revocation") else w.proof_document).pk,
               True),
    "rv_pk": (lambda w, name: w.revocation.pk, True),
    "forwarding_pk": (lambda w, name: w.forwarding.pk, True),
}


def _walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns)
        else:
            yield p


def portal_urls() -> list[tuple[str, list[str]]]:
    _prefix, resolver = get_resolver().namespace_dict["portal"]
    return sorted((p.name, sorted(p.pattern.regex.groupindex)) for p in _walk(resolver.url_patterns) if p.name)


PORTAL_URLS = portal_urls()


class World:
    """Owner organisation with an admin (owner) and a plain member, an outsider organisation, and objects."""

    def __init__(self):
        self.org = OrganisationFactory(name="Eigener Verein e. V.")
        self.owner = UserFactory(email="owner@matrix.wir", username="owner@matrix.wir")
        self.member = UserFactory(email="member@matrix.wir", username="member@matrix.wir")
        self.outsider = UserFactory(email="outsider@matrix.wir", username="outsider@matrix.wir")
        member(self.owner, self.org, Role.ADMIN)
        self.target_membership = member(self.member, self.org, Role.MEMBER)
        member(self.outsider, OrganisationFactory(name="Fremder Verein e. V."), Role.ADMIN)

        self.draft = application(organisation=self.org, code="lotsen", user=self.owner, title="Entwurf",
                                 grant="15000.00", costs="16000.00")
        attach_required(self.draft, self.owner)
        self.attachment = self.draft.attachments.first()
        self.submitted = application(organisation=self.org, code="integrationsprojekte", user=self.owner, title="Eingereicht")
        attach_required(self.submitted, self.owner)
        services.application_submit(application=self.submitted, user=self.owner, declarations=DECLARATIONS)
        self.notice = Notice.objects.create(application=self.submitted, kind=NoticeKind.RECEIPT,
                                            status=NoticeStatus.RENDERED, number="E-1")
        self.notice.pdf.save("receipt.pdf", ContentFile(b"%PDF-1.7\n%matrix\n"), save=True)
        self.invitation, self.invitation_token = invitation_create(
            organisation=self.org, email="neu@matrix.wir", role=Role.MEMBER, user=self.owner)
        from decimal import Decimal

        from applications.models import Payment, PaymentStatus
        from tests.payments.conftest import fund

        self.funded = fund(application(organisation=self.org, user=self.owner, title="Bewilligt", grant="1000.00",
                                       costs="2000.00"), {2027: Decimal("1000.00")})
        self.payment = Payment.objects.create(application=self.funded, year=2027, amount=Decimal("100.00"),
                                              status=PaymentStatus.PAID)
        from applications.models import Expense, ProofDocument
        from applications.proof.services import proofs_ensure

        self.proof = proofs_ensure(application=self.funded)[-1]
        self.expense = Expense.objects.create(application=self.funded, cost_item=self.funded.cost_items.first(),
                                              paid_on=self.funded.period_start, payee="A", purpose="B",
                                              amount=Decimal("10.00"))
        self.proof_document = ProofDocument(application=self.funded, proof=self.proof, kind="support",
                                            original_name="bericht.pdf", content_type="application/pdf", size=17,
                                            sha256="0" * 64)
        self.proof_document.file.save("bericht.pdf", ContentFile(b"%PDF-1.7\n%matrix\n"), save=True)
        from tests.revocation.support import matrix_revocation

        self.revocation, self.revocation_document = matrix_revocation(self.funded, self.owner)
        from applications.models import Forwarding

        self.centre = fund(application(organisation=self.org, code="vielfaltszentren", year=2026, user=self.owner,
                                       title="Vielfaltszentrum", grant="5000.00", costs="5000.00",
                                       details={"coordination_posts": "1", "micro_projects": "5000"}),
                           {2026: Decimal("5000.00")})
        self.forwarding = Forwarding.objects.create(
            application=self.centre, year=2026, recipient_name="Nachbarschaftsverein e. V.",
            recipient_address="Hauptstraße 1, 35390 Gießen", amount=Decimal("1000.00"), purpose="Sommerfest",
            forwarded_on=datetime.date(2026, 5, 1))
        pending = UserFactory(email="pending@matrix.wir", username="pending@matrix.wir", is_active=False)
        self.registration_token = registration_token_make(user=pending)

    def pk_for(self, name: str) -> int:
        if name.startswith("attachment"):
            return self.attachment.pk
        if name.startswith("notice") or name == "remedy_waive":  # URLs under bescheide/<pk>/ name a notice
            return self.notice.pk
        if name.startswith(("payment", "proof", "revocation")):
            return self.funded.pk
        if name.startswith("forwarding"):
            return self.centre.pk
        return (self.submitted if name in NEEDS_SUBMITTED else self.draft).pk

    def url(self, name: str, kwarg_names: list[str]) -> str:
        return reverse(f"portal:{name}", kwargs={k: KWARG_SOURCES[k][0](self, name) for k in kwarg_names})


@pytest.fixture
def world(seeded):
    return World()


def _request(client, method, url, name, world):
    if method == "post":
        data = POST_DATA.get(name, lambda w: {})(world)
        return client.post(url, data)
    return client.get(url)


def test_every_portal_url_is_classified():
    assert len(PORTAL_URLS) >= 10
    unknown = {(name, k) for name, kwargs in PORTAL_URLS for k in kwargs if k not in KWARG_SOURCES}
    assert not unknown, f"Add these URL keywords to KWARG_SOURCES in {__file__}: {sorted(unknown)}"
    names = {name for name, _ in PORTAL_URLS}
    assert not (set(RESTRICTED) | PUBLIC | NEEDS_SUBMITTED) - names, "stale names in the matrix tables"


@pytest.mark.parametrize(("name", "kwarg_names"), PORTAL_URLS, ids=[n for n, _ in PORTAL_URLS])
def test_permission_matrix(client, world, name, kwarg_names):
    url = world.url(name, kwarg_names)
    login = reverse("login")

    if name in PUBLIC:
        response = client.get(url)
        assert response.status_code == 200, f"anonymous {url}: {response.status_code}"
        return

    # Safe probe: a view answering 405 to GET is POST-only and is checked with POST throughout.
    client.force_login(world.owner)
    probe = client.get(url)
    method = "post" if probe.status_code == 405 else "get"
    client.logout()

    # anonymous -> login
    response = _request(client, method, url, name, world)
    assert response.status_code == 302 and response.url.startswith(login), \
        f"anonymous {method.upper()} {url}: {response.status_code} {getattr(response, 'url', '')}"

    # outsider -> 404 wherever the URL names an object of the organisation
    if any(KWARG_SOURCES[k][1] for k in kwarg_names):
        client.force_login(world.outsider)
        response = _request(client, method, url, name, world)
        assert response.status_code == 404, f"outsider {method.upper()} {url}: {response.status_code}"

    # member without the right -> 403 where it applies
    client.force_login(world.member)
    if name in RESTRICTED:
        restricted_method = RESTRICTED[name]
        response = _request(client, restricted_method, url, name, world)
        assert response.status_code == 403, f"member {restricted_method.upper()} {url}: {response.status_code}"
    elif method == "get":
        response = client.get(url)
        assert response.status_code == 200, f"member GET {url}: {response.status_code}"

    # owner -> 200 (GET) / accepted (POST-only)
    client.force_login(world.owner)
    response = _request(client, method, url, name, world)
    if method == "get":
        assert response.status_code == 200, f"owner GET {url}: {response.status_code} {getattr(response, 'url', '')}"
    else:
        assert response.status_code in (200, 302, 400), f"owner POST {url}: {response.status_code}"


def test_member_may_submit_nothing_but_owner_may(client, world):
    """The 403 for members on submit is real: the same POST by a signatory submits."""
    target = application(organisation=world.org, code="lotsen", user=world.owner, title="Zweiter Entwurf",
                         grant="15000.00", costs="16000.00")
    attach_required(target, world.owner)
    url = reverse("portal:application_submit", kwargs={"pk": target.pk})
    client.force_login(world.member)
    assert client.post(url, DECLARATION_POST).status_code == 403
    target.refresh_from_db()
    assert target.submitted_at is None
    Membership.objects.filter(user=world.member).update(role=Role.SIGNATORY)
    assert client.post(url, DECLARATION_POST).status_code == 302
    target.refresh_from_db()
    assert target.submitted_at is not None and target.file_number


def test_invitation_of_other_org_cannot_be_revoked_through_own_org(client, world):
    own_org = world.outsider.memberships.get().organisation
    url = reverse("portal:invitation-revoke", kwargs={"org_id": own_org.pk, "invitation_id": world.invitation.pk})
    client.force_login(world.outsider)
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(pk=world.invitation.pk).exists()
