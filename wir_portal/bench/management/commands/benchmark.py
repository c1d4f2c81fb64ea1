"""`manage.py benchmark`: measure the key pages under load against the current database.

Starts gunicorn itself (sync workers, loopback, DEBUG off, same settings and database as this command), logs in the
right bench user per page (sessions created in-process, cookie passed to wrk), runs wrk against each page for a
fixed time and concurrency, counts each page's SQL queries in-process, and reports every page also as a ratio to a
bare Django view measured in the same run (ratios survive a noisy machine; absolute figures do not).
Exports are measured as one full download (time, size, peak RSS of the worker). Also measures 20 concurrent
approvals against one line budget (PostgreSQL) and runs the notices benchmark if it exists.

Pages are discovered from the URLconf at run time; a page that does not exist (yet) is skipped with a note.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

LOOPBACK = "127.0.0.1"

# Targets of issue 7 (PostgreSQL, 100,000 applications, 2 workers, 8 connections).
TARGETS: dict[str, dict] = {
    "admin_changelist": {"rps": 50},
    "admin_changelist_filtered": {"rps": 50},
    "admin_search_file_number": {"rps": 50, "p99_ms": 400},
    "admin_search_organisation": {"rps": 50, "p99_ms": 400},
    "admin_change": {"rps": 40},
    "dashboard": {"rps": 100},
    "application": {"rps": 100},
    "budget_overview": {"rps": 100},
    "programme_report": {"rps": 100},
}
# Issue 18: every admin changelist and change page a staff role can reach (discovered from the admin registry) with
# its default order, every sortable column, a filter, a narrow and a broad search, the first and the last page;
# the application queue and its searches faster; applicant pages and reports.
ADMIN_TARGET = {"rps": 50, "p99_ms": 400}
QUEUE_TARGET = {"rps": 100, "p99_ms": 400}
APPLICANT_TARGET = {"rps": 100}
REPORT_TARGET = {"rps": 150}
TARGETS.update({"admin_changelist": QUEUE_TARGET, "admin_changelist_filtered": QUEUE_TARGET,
                "admin_search_file_number": QUEUE_TARGET, "admin_search_organisation": QUEUE_TARGET,
                "admin_change": ADMIN_TARGET, "programme_report": REPORT_TARGET})
APPROVALS_TARGET_S = 2.0
# The issue's floor on this machine when quiet (bare view, 2 workers, 8 connections). Targets are also judged as a
# ratio to it: target_rps / NOMINAL_FLOOR_RPS <= page_rps / bare_rps measured in the same run. That keeps the
# verdict meaningful when other processes share the CPU and every absolute figure drops.
# Issue 18 measured its pages against the *logged-in* floor this command uses (session, user, memberships), which
# answers ~750 req/s on this machine when quiet (157 req/s were "21 %" there). Judging a share against the anonymous
# 3,500 would pass pages at a fifth of their target; the verdict uses the logged-in floor.
NOMINAL_FLOOR_RPS = 750.0


# --- wrk output ---------------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unknown latency {text!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/s, p50/p90/p99 (ms, from --latency), request count, non-2xx/3xx and socket errors of one wrk run."""
    result: dict = {"rps": None, "p50_ms": None, "p75_ms": None, "p90_ms": None, "p99_ms": None, "requests": None,
                    "non_2xx": 0, "socket_errors": 0, "timeouts": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if m:
        result["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+(?:us|ms|s|m|h))\s*$", output, re.M)
        if m:
            result[f"p{pct}_ms"] = round(_to_ms(m.group(1)), 3)
    m = re.search(r"(\d+) requests in", output)
    if m:
        result["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if m:
        result["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if m:
        result["socket_errors"] = sum(int(g) for g in m.groups()[:3])
        result["timeouts"] = int(m.group(4))
    return result


# --- page discovery -----------------------------------------------------------------------------------------------

@dataclass
class Page:
    key: str
    label: str
    url: str | None = None
    user: str | None = None  # username to log in as
    download: bool = False  # exports: one full download instead of wrk
    note: str = ""
    # results
    status: int | None = None
    queries: int | None = None
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    non_2xx: int = 0
    errors: int = 0
    download_s: float | None = None
    first_byte_s: float | None = None
    bytes: int | None = None
    rows: int | None = None
    peak_rss_mb: float | None = None
    base_rss_mb: float | None = None
    app_ms: float | None = None  # median in-process time of one request (no concurrency)
    target: dict = field(default_factory=dict)
    met: bool | None = None  # absolute target met
    met_by_ratio: bool | None = None  # target met relative to the floor measured in the same run


def url_patterns(resolver=None, ns: str = "", prefix: str = ""):
    """Yield (full name, route text, converter names) for every named URL pattern."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            sub_ns = ns
            if p.namespace:
                sub_ns = f"{ns}:{p.namespace}" if ns else p.namespace
            yield from url_patterns(p, sub_ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            name = f"{ns}:{p.name}" if ns else p.name
            yield name, prefix + str(p.pattern), list(p.pattern.converters)


BARE_URL = "/bench/bare"  # routed in the gunicorn this command starts (WIR_BENCHMARK=true)


def _try_reverse(name, *args, **kwargs) -> str | None:
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


class Discovery:
    """Find each key page's URL in the current URLconf and the data to call it with."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.clients: dict[str, Client] = {}

    def client(self, username: str) -> Client:
        if username not in self.clients:
            from django.contrib.auth import get_user_model

            from applications.accounts.mfa.services import is_staff_account
            from applications.accounts.mfa.testing import verify_session

            c = Client()
            user = get_user_model().objects.get(username=username)
            c.force_login(user)
            if is_staff_account(user):  # staff pages answer only after the second factor
                verify_session(c, user)
            self.clients[username] = c
        return self.clients[username]

    def status(self, page: Page) -> int:
        response = self.client(page.user).get(page.url)
        if getattr(response, "streaming", False):
            for _ in response.streaming_content:
                pass
        return response.status_code

    def pages(self) -> list[Page]:
        from applications.models import Application, Organisation
        from applications.workflow import FUNDED
        from wir_portal.bench.scale import ADMIN_EMAIL, OWNER_EMAIL, OWNER_ORG_NAME

        pages: list[Page] = [Page("bare", "Bare Django view (floor)", (_try_reverse("bench-bare") or BARE_URL), ADMIN_EMAIL)]
        owner_app = (Application.objects.filter(organisation__name=OWNER_ORG_NAME, status__in=FUNDED)
                     .order_by("-id").first())
        pages.append(Page("dashboard", "Applicant dashboard (~200 applications)", _try_reverse("portal:dashboard"),
                          OWNER_EMAIL))
        app_url = self._application_url(owner_app, OWNER_EMAIL) if owner_app else None
        pages.append(Page("application", "Application page (applicant)", app_url, OWNER_EMAIL,
                          note="" if app_url else "no portal application page in the URLconf (yet)"))

        changelist = _try_reverse("admin:applications_application_changelist")
        pages.append(Page("admin_changelist", "Admin changelist, unfiltered", changelist, ADMIN_EMAIL))
        filtered = self._filtered_query(ADMIN_EMAIL) if changelist else None
        pages.append(Page("admin_changelist_filtered", "Admin changelist, year + status",
                          f"{changelist}{filtered}" if changelist and filtered else None, ADMIN_EMAIL,
                          note="" if filtered else "no year/status filters found"))
        funded = Application.objects.filter(file_number__isnull=False, status__in=FUNDED).order_by("id")
        sample = funded.values("file_number", "organisation_id", "pk")[min(500, funded.count() // 2):][:1]
        sample = sample[0] if sample else None
        pages.append(Page("admin_search_file_number", "Admin search: file number",
                          f"{changelist}?q={sample['file_number']}" if changelist and sample else None, ADMIN_EMAIL))
        org_name = None
        if sample:
            org_name = Organisation.objects.filter(pk=sample["organisation_id"]).values_list("name", flat=True).first()
            org_name = (org_name or "").replace(" e. V.", "").split(" (")[0]
        pages.append(Page("admin_search_organisation", "Admin search: organisation name",
                          f"{changelist}?q={urllib.parse.quote(org_name)}" if changelist and org_name else None,
                          ADMIN_EMAIL))
        change = _try_reverse("admin:applications_application_change", sample["pk"]) if sample else None
        pages.append(Page("admin_change", "Admin change page (application)", change, ADMIN_EMAIL))

        pages.append(Page("budget_overview", "Budget overview", self._by_keywords(["budget", "haushalt"], ADMIN_EMAIL),
                          ADMIN_EMAIL))
        report_url = next((u for u in (_try_reverse(n) for n in ("reports:overview", "reports:programme",
                                                                 "reports:index")) if u and self._ok(u, ADMIN_EMAIL)),
                          None)
        pages.append(Page("programme_report", "Programme report", report_url or
                          self._by_keywords(["report", "overview", "bericht", "programme"], ADMIN_EMAIL,
                                            namespace="reports", exclude=["export", "csv", "xlsx", "job", "download",
                                                                          "chart", "status"]), ADMIN_EMAIL))
        for fmt in ("csv", "xlsx"):
            pages.append(Page(f"export_{fmt}", f"{fmt.upper()} export (all applications)",
                              self._export_url(fmt, ADMIN_EMAIL), ADMIN_EMAIL, download=True))
        pages += self.proof_pages()
        pages += self.payment_pages()
        pages += self.applicant_pages()
        pages += self.admin_pages()
        for p in pages:
            p.target = p.target or TARGETS.get(p.key, {})
            if p.url is None and not p.note:
                p.note = "not found in the URLconf (yet)"
        return pages

    def payment_pages(self) -> list[Page]:
        """Issue 13: the applicant's payment page (request form and overview) on the bench owner's funded
        application with payments, the staff list of open requests (the queue: changelist filtered to "beantragt")
        and the change page of the largest payment run."""
        from applications.models import Payment, PaymentRun, PaymentStatus
        from wir_portal.bench.scale import BUDGET_EMAIL, OWNER_EMAIL, OWNER_ORG_NAME

        owner_app = (Payment.objects.filter(application__organisation__name=OWNER_ORG_NAME)
                     .order_by("-application_id").values_list("application_id", flat=True).first())
        form_url = _try_reverse("portal:payments", owner_app) if owner_app else None
        requests_url = _try_reverse("admin:applications_payment_changelist")
        run = PaymentRun.objects.order_by("-count", "-id").values_list("pk", flat=True).first()
        run_url = _try_reverse("admin:applications_paymentrun_change", run) if run else None
        return [
            Page("payments_applicant", "Applicant: payment page (request form + payments)", form_url, OWNER_EMAIL,
                 target=dict(APPLICANT_TARGET), note="" if form_url else "no payment of the bench owner (seed_scale)"),
            Page("payments_open_requests", "Staff: open payment requests (Haushalt queue)",
                 f"{requests_url}?status__exact={PaymentStatus.REQUESTED}" if requests_url else None, BUDGET_EMAIL,
                 target=dict(QUEUE_TARGET)),
            Page("paymentrun_change", "Staff: payment run change page (largest run)", run_url, BUDGET_EMAIL,
                 target=dict(ADMIN_TARGET), note="" if run_url else "no payment run (seed_scale --payments)"),
        ]

    # -- discovered pages (issue 18): every admin list and change page, every applicant page --

    def applicant_pages(self) -> list[Page]:
        """Every GET page of the applicant portal the bench owner can open: URL patterns of the portal and account
        rooms with no parameter or one id, filled with the owner's draft, funded application and organisation;
        downloads and state-changing URLs left out. A page is kept when it answers 200 with HTML."""
        from applications.models import Application, Membership
        from applications.workflow import FUNDED, Status
        from wir_portal.bench.scale import OWNER_EMAIL, OWNER_ORG_NAME

        owned = Application.objects.filter(organisation__name=OWNER_ORG_NAME)
        draft = owned.filter(status=Status.DRAFT).order_by("-id").values_list("pk", flat=True).first()
        funded = owned.filter(status__in=FUNDED).order_by("-id").values_list("pk", flat=True).first()
        org_id = (Membership.objects.filter(user__username=OWNER_EMAIL).order_by("pk")
                  .values_list("organisation_id", flat=True).first())
        skip = re.compile(r"pdf|download|delete|loeschen|submit|einreichen|withdraw|zurueck|follow|folge|switch|"
                          r"wechseln|remove|entfernen|revoke|logout|abmelden|confirm|bestaetigen|token|reply|"
                          r"nachricht|role|rolle|resend|register|registrieren|invitation-accept|password|passwort")
        values = {"pk": [draft, funded], "org_id": [org_id], "code": []}
        pages, seen = [], set()
        for name, route, params in url_patterns():
            if not name.startswith(("portal:", "accounts:")) or skip.search(name + " " + route):
                continue
            if len(params) > 1 or (params and params[0] not in values):
                continue
            candidates = [{}] if not params else [{params[0]: v} for v in values[params[0]] if v is not None]
            for kwargs in candidates:
                url = _try_reverse(name, **kwargs)
                if not url or url in seen or not self._html_ok(url, OWNER_EMAIL):
                    continue
                seen.add(url)
                label = name.split(":", 1)[1].replace("_", " ").replace("-", " ")
                which = "draft" if kwargs.get("pk") == draft and draft != funded else ""
                key = f"portal:{name.split(':', 1)[1]}" + (f":{which}" if which else "")
                pages.append(Page(key, f"Applicant: {label} {which}".strip(), url, OWNER_EMAIL,
                                  target=dict(APPLICANT_TARGET)))
                break
        return pages

    def proof_pages(self) -> list[Page]:
        """Proof of use (issue 14): the staff list of proofs to check, the applicant's Belegliste with 2,000 rows
        (a page in the middle of the paging)."""
        from applications.models import Expense
        from wir_portal.bench.scale import ADMIN_EMAIL, OWNER_EMAIL, OWNER_ORG_NAME

        staff = _try_reverse("admin:applications_proof_changelist")
        owner_app = (Expense.objects.filter(application__organisation__name=OWNER_ORG_NAME)
                     .order_by("-application_id").values_list("application_id", flat=True).first())
        belegliste = _try_reverse("portal:proof_expenses", pk=owner_app) if owner_app else None
        return [
            Page("proof_staff_list", "Admin: proofs of use to check", f"{staff}?stand=pruefen" if staff else None,
                 ADMIN_EMAIL, target=dict(ADMIN_TARGET)),
            Page("proof_belegliste", "Applicant: Belegliste (2,000 rows, page 20)",
                 f"{belegliste}?seite=20" if belegliste else None, OWNER_EMAIL, target=dict(APPLICANT_TARGET),
                 note="" if belegliste else "no Belege: seed_scale --proofs"),
        ]

    def _html_ok(self, url: str, user: str) -> bool:
        try:
            response = self.client(user).get(url)
        except Exception:  # noqa: BLE001 - a page under construction must not stop discovery
            return False
        return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")

    def admin_pages(self) -> list[Page]:
        """Every admin changelist and change page a staff role can reach, found in the admin registry (not a list):
        for each registered model the first bench role with the view permission (ministry groups before the
        superuser); its default order, every sortable column, the first filter choice, a narrow and a broad search,
        the last page, and the change page of a row from the middle of the list."""
        from django.contrib import admin
        from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
        from django.contrib.auth import get_user_model
        from django.test import RequestFactory

        from applications.models import Application
        from wir_portal.bench.scale import ADMIN_EMAIL, APPROVER_EMAIL, BUDGET_EMAIL, REVIEWER_EMAIL

        roles = (REVIEWER_EMAIL, APPROVER_EMAIL, BUDGET_EMAIL, ADMIN_EMAIL)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=roles)}
        pages: list[Page] = []
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label_lower):
            opts = model._meta
            name = f"admin:{opts.app_label}_{opts.model_name}_changelist"
            url = _try_reverse(name)
            if url is None:
                continue
            role, cl = None, None
            for username in roles:
                if username not in users:
                    continue
                request = RequestFactory().get(url)
                request.user = users[username]
                if not model_admin.has_view_permission(request):
                    continue
                try:
                    cl = model_admin.get_changelist_instance(request)
                except Exception as exc:  # noqa: BLE001
                    self.stdout.write(f"  {opts.label}: changelist unavailable: {exc}"[:200])
                    cl = None
                role = username
                break
            if role is None:
                continue
            target = dict(QUEUE_TARGET if model is Application else ADMIN_TARGET)
            key = f"admin:{opts.app_label}.{opts.model_name}"
            title = str(opts.verbose_name_plural)

            def add(suffix: str, label: str, page_url: str | None, *, _key=key, _role=role, _target=target) -> None:
                pages.append(Page(f"{_key}{suffix}", label, page_url, _role, target=dict(_target)))

            add("", f"{title}: Liste", url)
            if cl is None:
                continue
            for index, field_name in enumerate(cl.list_display):
                if field_name == "action_checkbox" or not cl.get_ordering_field(field_name):
                    continue
                if cl.sortable_by is not None and field_name not in cl.sortable_by:
                    continue
                add(f":o-{index}", f"{title}: sortiert nach {field_name} (absteigend)", f"{url}?{ORDER_VAR}=-{index}")
            filter_query = self._first_filter_choice(cl)
            if filter_query:
                add(":filter", f"{title}: Filter {filter_query}", f"{url}{filter_query}")
            sample = self._sample(cl)
            if model_admin.search_fields and sample is not None:
                narrow, broad = self._search_terms(model_admin, cl, sample)
                if narrow:
                    add(":search-narrow", f"{title}: Suche {narrow!r}",
                        f"{url}?{SEARCH_VAR}={urllib.parse.quote(narrow)}")
                if broad:
                    add(":search-broad", f"{title}: Suche {broad!r}", f"{url}?{SEARCH_VAR}={urllib.parse.quote(broad)}")
            num_pages = getattr(getattr(cl, "paginator", None), "num_pages", 1)
            if num_pages > 1:
                add(":last", f"{title}: letzte Seite ({num_pages})", f"{url}?{PAGE_VAR}={num_pages}")
            if sample is not None:
                change = _try_reverse(f"admin:{opts.app_label}_{opts.model_name}_change", sample.pk)
                if change:  # a change page is an admin page (the queue's faster target is for its lists)
                    add(":change", f"{title}: Detailseite", change, _target=ADMIN_TARGET)
        return pages

    @staticmethod
    def _first_filter_choice(cl) -> str | None:
        for spec in cl.filter_specs:
            try:
                choices = list(spec.choices(cl))
            except Exception:  # noqa: BLE001
                continue
            for choice in choices[1:]:  # the first is "Alle"
                query = choice.get("query_string") or ""
                if query and query != "?":
                    return query
        return None

    @staticmethod
    def _sample(cl):
        """A row from the middle of the list in its default order (a typical row, not the newest)."""
        try:
            count = cl.result_count
            return cl.queryset[max(0, count // 2):][:1].get() if count else None
        except Exception:  # noqa: BLE001
            return None

    @staticmethod
    def _search_terms(model_admin, cl, sample) -> tuple[str | None, str | None]:
        """Narrow: the sample row's value of the first search field. Broad: the most frequent four letters in the
        text search fields of 300 rows (matches many rows, like "erei" in organisation names)."""
        from collections import Counter
        from functools import reduce

        def value_of(obj, path: str):
            try:
                return reduce(lambda o, part: getattr(o, part, None) if o is not None else None,
                              path.lstrip("=^@").split("__"), obj)
            except Exception:  # noqa: BLE001
                return None

        fields = [f.lstrip("=^@") for f in model_admin.search_fields]
        narrow = next((str(v) for f in fields if (v := value_of(sample, f)) not in (None, "")), None)
        grams: Counter = Counter()
        try:
            rows = list(cl.root_queryset[:300])
        except Exception:  # noqa: BLE001
            rows = []
        for row in rows:
            for f in fields:
                text = str(value_of(row, f) or "").lower()
                grams.update({text[i:i + 4] for i in range(len(text) - 3) if text[i:i + 4].isalpha()})
        broad = grams.most_common(1)[0][0] if grams else None
        return narrow, broad

    def _ok(self, url: str, user: str) -> bool:
        try:
            return self.status(Page("probe", "", url, user)) == 200
        except Exception as exc:  # noqa: BLE001 - a page under construction may raise anything
            self.stdout.write(f"  probe {url}: {exc.__class__.__name__}: {exc}"[:200])
            return False

    def _application_url(self, application, user: str) -> str | None:
        bad = re.compile(r"edit|delete|submit|withdraw|attach|upload|notice|message|pdf|download|plan|cost|reply|"
                         r"form|step|copy|print|invite|member")
        candidates = []
        for name, route, params in url_patterns():
            if not name.startswith("portal:") or len(params) != 1 or bad.search(name):
                continue
            score = 0 if re.search(r"detail|status|show|view", name) else 1
            if re.search(r"applic|antrag", name + route):
                candidates.append((score, name, params[0]))
        for _, name, param in sorted(candidates):
            url = _try_reverse(name, **{param: application.pk})
            if url and self._ok(url, user):
                return url
        return None

    def _by_keywords(self, words, user, namespace: str | None = None, exclude=()) -> str | None:
        found = []
        for name, route, params in url_patterns():
            text = f"{name} {route}".lower()
            if params or not any(w in text for w in words) or any(w in text for w in exclude):
                continue
            if namespace and not name.startswith(namespace + ":"):
                continue
            found.append(name)
        for name in sorted(found, key=len):
            url = _try_reverse(name)
            if url and self._ok(url, user):
                return url
        return None

    def _export_url(self, fmt: str, user: str) -> str | None:
        """The export of all applications in this format. Not probed here (a full export is measured later)."""
        fmt_params = ("fmt", "format", "kind", "ext", "type")
        for name, route, params in url_patterns():
            text = f"{name} {route}".lower()
            if "export" not in text and fmt not in text:
                continue
            urls = []
            if not params and fmt in text:
                urls = [_try_reverse(name)]
            elif len(params) == 1 and params[0] in fmt_params:
                urls = [_try_reverse(name, **{params[0]: fmt})]
            elif len(params) == 2 and any(p in fmt_params for p in params):
                fmt_param = next(p for p in params if p in fmt_params)
                other = next(p for p in params if p != fmt_param)
                urls = [_try_reverse(name, **{fmt_param: fmt, other: ds})
                        for ds in ("antraege", "applications", "antrag", "application")]
            elif not params and "export" in text:
                url = _try_reverse(name)
                urls = [f"{url}?format={fmt}" if url else None]
            for url in urls:
                if url:
                    return url
        return None

    def _filtered_query(self, user: str) -> str | None:
        """Build '?<year filter>&<status filter>' from the changelist's own filter choices (works for any filter)."""
        from urllib.parse import parse_qsl, urlencode

        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.test import RequestFactory

        from applications.models import Application
        from applications.workflow import Status

        model_admin = admin.site._registry.get(Application)
        if model_admin is None:
            return None
        year = str(timezone.now().year)
        request = RequestFactory().get("/")
        request.user = get_user_model().objects.get(username=user)
        try:
            cl = model_admin.get_changelist_instance(request)
        except Exception as exc:  # noqa: BLE001
            self.stdout.write(f"  changelist filters unavailable: {exc}")
            return None
        params: dict[str, str] = {}
        for spec in cl.filter_specs:
            try:
                choices = list(spec.choices(cl))
            except Exception:  # noqa: BLE001
                continue
            for choice in choices:
                display = str(choice.get("display", ""))
                qs = dict(parse_qsl(choice.get("query_string", "").lstrip("?")))
                if not qs:
                    continue
                if "year" not in params and (display == year or display.endswith(f" {year}")):
                    params["year"] = urlencode(qs)
                if "status" not in params and display == Status.APPROVED.label:
                    params["status"] = urlencode(qs)
        if len(params) < 2:
            return None
        merged = dict(parse_qsl(params["year"]))
        merged.update(parse_qsl(params["status"]))
        return "?" + urlencode(merged)


def inprocess_ms(client: Client, url: str, repeat: int = 5) -> float:
    """Median wall time of one request in this process: a contention-robust figure for A/B comparisons."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            for _ in response.streaming_content:
                pass
        times.append((time.perf_counter() - started) * 1000)
    return round(sorted(times)[len(times) // 2], 1)


# --- gunicorn -----------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_running(*, workers: int, log_path: Path, stdout, threads: int = 1):
    """Start gunicorn (sync workers) on a free loopback port; always stop it, even on errors."""
    port = free_port()
    env = {**os.environ, "WIR_BENCHMARK": "true", "DJANGO_DEBUG": "false", "WIR_PRODUCTION": "false", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "wir_portal.settings")}
    url = database_url()
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    worker_class = ["--worker-class", "sync"] if threads <= 1 else ["--worker-class", "gthread", "--threads",
                                                                     str(threads)]
    cmd = [gunicorn, "wir_portal.wsgi:application", "--workers", str(workers), *worker_class,
           "--bind", f"{LOOPBACK}:{port}", "--timeout", "300", "--log-level", "warning", "--chdir",
           str(settings.BASE_DIR)]
    log = open(log_path, "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            cwd=settings.BASE_DIR)
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise CommandError(f"gunicorn exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise CommandError(f"gunicorn did not answer /healthz within 30 s; see {log_path}")
            time.sleep(0.2)
        stdout.write(f"gunicorn pid {proc.pid}, {workers} {'gthread' if threads > 1 else 'sync'} workers on {base}")
        yield proc, base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def database_url() -> str | None:
    """The database this process really uses (under pytest: the test database), as a URL for gunicorn."""
    from urllib.parse import quote

    sd = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(sd.get("USER") or "", safe="")
        if sd.get("PASSWORD"):
            auth += ":" + quote(sd["PASSWORD"], safe="")
        host = f"{auth}@" if auth else ""
        return f"postgres://{host}{sd.get('HOST') or 'localhost'}:{sd.get('PORT') or 5432}/{sd['NAME']}"
    name = str(sd.get("NAME") or "")
    if connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
        return f"sqlite:///{name}"
    return None


def worker_pids(master_pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        return []


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


# --- load ---------------------------------------------------------------------------------------------------------

def run_wrk(url: str, *, cookie: str, duration: float, connections: int, threads: int) -> tuple[dict, str]:
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise CommandError("wrk runs only against 127.0.0.1")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout",
           "10s", "-H", f"Cookie: {cookie}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=False)
    return parse_wrk(out.stdout), out.stdout + out.stderr


def download(url: str, *, cookie: str, timing: dict | None = None) -> tuple[int, int, float]:
    """One full download; ``timing["first_byte_s"]`` gets the time until the first byte of the body."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.monotonic()
    size = 0
    with urllib.request.urlopen(request, timeout=600) as r:
        status = r.status
        first = r.read(1)
        if timing is not None:
            timing["first_byte_s"] = round(time.monotonic() - started, 3)
        size += len(first)
        while chunk := r.read(1 << 16):
            size += len(chunk)
    return status, size, time.monotonic() - started


# --- a burst of logins ---------------------------------------------------------------------------------------------

LOGIN_BURST_TARGET = {"blocked_ms": 1000}


def login_burst(base: str, *, username: str, password: str, probe_url: str, probe_cookie: str, master_pid: int,
                logins: int = 20) -> dict:
    """``logins`` people log in at the same moment (real Argon2 hashing in the workers) while another user keeps
    requesting a light page: how long the burst takes, how long that other page waited at worst, and the workers'
    peak memory (RSS) during the burst."""
    import http.cookiejar
    import statistics

    login_url = base + reverse("login")
    pids = worker_pids(master_pid)
    base_rss = max(((_status_kb(pid, "VmRSS") or 0) for pid in pids), default=0) / 1024
    reset = all(reset_peak_rss(pid) for pid in pids) if pids else False
    openers = []
    for _ in range(logins):  # each person opens the login page first (CSRF cookie and token)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        html = opener.open(login_url, timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        openers.append((opener, token.group(1) if token else ""))
    barrier = threading.Barrier(logins + 1)
    results: list[int] = []
    lock = threading.Lock()
    done = threading.Event()
    probe_ms: list[float] = []

    def login(opener, token):
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": token}).encode()
        barrier.wait(timeout=60)
        try:
            with opener.open(urllib.request.Request(login_url, data=body), timeout=120) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except Exception:  # noqa: BLE001
            status = 0
        with lock:
            results.append(status)

    def probe():
        request = urllib.request.Request(probe_url, headers={"Cookie": probe_cookie})
        while not done.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=60) as r:
                    r.read()
            except Exception:  # noqa: BLE001
                pass
            probe_ms.append((time.monotonic() - started) * 1000)
            time.sleep(0.02)

    workers = [threading.Thread(target=login, args=pair) for pair in openers]
    prober = threading.Thread(target=probe)
    for w in workers:
        w.start()
    prober.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    for w in workers:
        w.join(timeout=300)
    elapsed = time.monotonic() - started
    done.set()
    prober.join(timeout=70)
    peak = max(((_status_kb(pid, "VmHWM") or 0) for pid in pids), default=0) / 1024
    ok = sum(1 for s in results if s == 302)
    worst = max(probe_ms) if probe_ms else None
    return {
        "logins": logins, "succeeded": ok, "statuses": sorted(set(results)), "seconds": round(elapsed, 2),
        "probe_requests": len(probe_ms), "probe_max_ms": round(worst, 1) if worst is not None else None,
        "probe_median_ms": round(statistics.median(probe_ms), 1) if probe_ms else None,
        "idle_rss_mb": round(base_rss, 1), "peak_rss_mb": round(peak, 1) if reset else None,
        "met": ok == logins and worst is not None and worst < LOGIN_BURST_TARGET["blocked_ms"],
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a successful login answers 302: count it, do not follow


def login_burst_text(result: dict, label: str) -> str:
    if "error" in result:
        return f"Login burst ({label}): error {result['error']}"
    return (f"Login burst ({label}): {result['succeeded']}/{result['logins']} logins in {result['seconds']:.2f} s; "
            f"another page meanwhile: median {result['probe_median_ms']} ms, worst {result['probe_max_ms']} ms "
            f"({result['probe_requests']} requests; target < {LOGIN_BURST_TARGET['blocked_ms']} ms); worker RSS "
            f"idle {result['idle_rss_mb']} MB, peak {result['peak_rss_mb']} MB "
            f"{'met' if result['met'] else 'missed'}")


# --- concurrent approvals -----------------------------------------------------------------------------------------

def approvals_benchmark(*, threads: int = 20, stdout=None) -> dict:
    """20 threads approve 20 recommended applications against one line budget at once (PostgreSQL row locks).

    The amounts are chosen so that only about three quarters fit: the rest must be refused, never overspent.
    Notice rendering is left out (its own benchmark); the benchmark's rows are removed afterwards.
    """
    from django.contrib.auth import get_user_model

    from applications import services
    from applications.models import Application, Event, Notice, Organisation, PlanYear
    from applications.workflow import Status
    from funding.models import LedgerEntry, LineRule
    from funding.services import budget_figures
    from wir_portal.bench.scale import APPROVER_EMAIL, REVIEWER_EMAIL

    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL (row locks); run with DATABASE_URL=postgres://..."}
    user_model = get_user_model()
    approver = user_model.objects.filter(username=APPROVER_EMAIL).first()
    reviewer = user_model.objects.filter(username=REVIEWER_EMAIL).first()
    if approver is None or reviewer is None:
        return {"skipped": "bench staff users missing: run seed_scale first"}
    rules = list(LineRule.objects.select_related("line", "programme_year").filter(line__code="integrationsprojekte")
                 .order_by("-programme_year__year"))
    rule = max(rules, key=lambda r: budget_figures(rule=r).available, default=None)
    available = budget_figures(rule=rule).available if rule else Decimal("0")
    if rule is None or available < Decimal("20"):
        return {"skipped": "no line budget with money left"}
    amount = (available / Decimal(threads * 3 // 4)).quantize(Decimal("0.01"))
    # an organisation an approval can be issued to: bank account on file, legal form known (issue 12)
    org = (Organisation.objects.filter(kind__in=rule.eligible_kinds).exclude(iban="").exclude(account_holder="")
           .exclude(kind="kommunaler_traeger", legal_form="").order_by("pk").first())
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    apps = Application.objects.bulk_create([
        Application(organisation=org, rule=rule, status=Status.RECOMMENDED, title=f"[Benchmark] Bewilligung {i}",
                    file_number=f"BENCH-{stamp}-{i:02d}", requested_amount=amount, total_costs=amount,
                    recommendation="approve", recommended_by=reviewer, submitted_at=timezone.now(),
                    sort_line=rule.line.order, sort_year=rule.programme_year.year)
        for i in range(threads)
    ])
    PlanYear.objects.bulk_create([PlanYear(application=a, year=rule.programme_year.year, requested_grant=amount)
                                  for a in apps])
    ids = [a.pk for a in apps]
    barrier = threading.Barrier(threads)
    outcome = {"ok": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def approve(app_id: int) -> None:
        try:
            app = Application.objects.get(pk=app_id)
            barrier.wait(timeout=30)
            try:
                services.application_decide(application=app, user=approver, action="approve", amount=amount)
                key = "ok"
            except services.ApplicationError:
                key = "refused"
            with lock:
                outcome[key] += 1
        except Exception as exc:  # noqa: BLE001 - report, never hang the benchmark
            with lock:
                outcome["errors"].append(f"{exc.__class__.__name__}: {exc}"[:200])
        finally:
            connections.close_all()

    from applications.notices import tasks

    # Notice rendering/sending is measured by its own benchmark: keep every task queued-but-not-run here.
    patches = [mock.patch.object(obj, "delay") for obj in vars(tasks).values() if hasattr(obj, "delay")]
    try:
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch)
            workers = [threading.Thread(target=approve, args=(pk,)) for pk in ids]
            started = time.monotonic()
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=120)
            elapsed = time.monotonic() - started
        figures = budget_figures(rule=rule)
        committed_here = sum((e.amount for e in LedgerEntry.objects.filter(application_id__in=ids)), Decimal("0"))
        return {
            "rule": str(rule), "threads": threads, "amount_each": str(amount), "available_before": str(available),
            "approved": outcome["ok"], "refused": outcome["refused"], "errors": outcome["errors"],
            "seconds": round(elapsed, 3), "approvals_per_s": round(threads / elapsed, 1) if elapsed else None,
            "committed_by_benchmark": str(committed_here),
            "overspent": figures.committed > rule.allocation or committed_here > available,
            "met": elapsed < APPROVALS_TARGET_S and figures.committed <= rule.allocation and not outcome["errors"],
        }
    finally:
        LedgerEntry.objects.filter(application_id__in=ids).delete()
        Notice.objects.filter(application_id__in=ids).delete()
        Event.objects.filter(application_id__in=ids).delete()
        Application.objects.filter(pk__in=ids).delete()


# --- the command --------------------------------------------------------------------------------------------------

def _fmt(value, spec="") -> str:
    return "–" if value is None else format(value, spec)


def verdict(p: Page) -> str:
    """met / missed for a measured page with a target: absolute, or relative to the floor of the same run."""
    if not p.target or p.rps is None:
        return ""
    if p.met:
        return "met"
    return "met (ratio)" if p.met_by_ratio else "missed"


def table(pages: list[Page]) -> str:
    width = max([28, *(len(p.key) for p in pages)])
    head = (f"{'page':{width}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'×bare':>7} {'SQL':>4} {'1 req ms':>8}  "
            f"{'target':18} {'ratio':5} {'verdict':11} note")
    lines = [head, "-" * len(head)]
    for p in pages:
        target = ", ".join(f"{k.replace('_ms', '')}{'≥' if k == 'rps' else '<'}{v}" for k, v in p.target.items())
        if p.target and p.met is not None:
            target += " ✓" if p.met else " ✗"
        by_ratio = "" if p.met_by_ratio is None else ("✓" if p.met_by_ratio else "✗")
        if p.download:
            note = (f"download {p.download_s:.1f} s, first byte {_fmt(p.first_byte_s, '.2f')} s, "
                    f"{p.bytes / 1e6:.1f} MB, peak RSS {_fmt(p.peak_rss_mb, '.0f')} MB "
                    f"(idle {_fmt(p.base_rss_mb, '.0f')} MB)" if p.download_s is not None else p.note)
            lines.append(f"{p.key:{width}} {'':>8} {'':>8} {'':>8} {'':>7} {_fmt(p.queries):>4} {'':>8}  "
                         f"{'flat memory':18} {'':5} {'':11} {note}")
            continue
        note = p.note
        if p.non_2xx or p.errors:
            note = f"{note} non-2xx {p.non_2xx}, errors {p.errors}".strip()
        lines.append(f"{p.key:{width}} {_fmt(p.rps, '8.1f'):>8} {_fmt(p.p50_ms, '.1f'):>8} {_fmt(p.p99_ms, '.1f'):>8} "
                     f"{_fmt(p.ratio, '.3f'):>7} {_fmt(p.queries):>4} {_fmt(p.app_ms, '.1f'):>8}  {target:18} "
                     f"{by_ratio:5} {verdict(p):11} {note}")
    judged = [p for p in pages if p.target and p.rps is not None]
    missed = [p for p in judged if verdict(p) == "missed"]
    lines.append("")
    lines.append(f"{len(judged)} pages with a target measured: {len(judged) - len(missed)} met "
                 f"(absolutely or as a share of the floor), {len(missed)} missed; "
                 f"{sum(1 for p in pages if p.url and p.rps is None and not p.download)} not measured.")
    for p in missed:
        want = p.target.get("rps")
        lines.append(f"  missed {p.key}: {p.rps:.1f} req/s of {want} ({p.rps / want:.0%})"
                     + (f", p99 {p.p99_ms:.0f} ms" if p.p99_ms is not None else "") + f"  {p.url}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = ("Load-test the key pages with wrk against a gunicorn started for the purpose; print a table and write "
            "JSON (requests/s, p50/p99, SQL queries, ratio to a bare view; export time and peak RSS; concurrent "
            "approvals; notice throughput).")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=10, help="seconds of load per page")
        parser.add_argument("--warmup", type=float, default=None, help="seconds of warm-up per page (default 2)")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
        parser.add_argument("--json", default=None, help="output file (default var/benchmark.json)")
        parser.add_argument("--repeat", type=int, default=5, help="in-process requests per page for '1 req ms'")
        parser.add_argument("--only", default="", help="comma-separated page keys to measure (default: all)")
        parser.add_argument("--sample", type=int, default=0,
                            help="measure only every n-th discovered admin and applicant page (plus the named key "
                                 "pages): a quick pass; 0 = all")
        parser.add_argument("--skip-approvals", action="store_true")
        parser.add_argument("--skip-notices", action="store_true")
        parser.add_argument("--skip-proof-reminders", action="store_true",
                            help="skip timing the proof-of-use reminder job over all applications")
        parser.add_argument("--skip-exports", action="store_true")
        parser.add_argument("--skip-logins", action="store_true", help="skip the burst of 20 concurrent logins")
        # The deployment's own set-up (gunicorn.conf.py: gthread, GUNICORN_THREADS, default 16): the burst is judged
        # against what is shipped. With fewer threads than concurrent logins every thread of a worker can be
        # waiting for the hashing slot (wir_portal/hashers.py) and a page queues behind them.
        parser.add_argument("--login-threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "16")),
                            help="also run the login burst against gthread workers with this many threads (0: no; "
                                 "default: the deployment's GUNICORN_THREADS, 16)")
        parser.add_argument("--notices-args", default="", help="arguments passed to benchmark_notices")
        parser.add_argument("--skip-payments", action="store_true", help="skip the payment run (execute + export)")
        parser.add_argument("--payments-count", type=int, default=10_000,
                            help="payments in the measured payment run (benchmark_payments)")

    def handle(self, *args, **o):
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed (apt-get install wrk).")
        if settings.PRODUCTION:
            raise CommandError("benchmark is refused in production mode.")
        from django.contrib.auth import get_user_model

        from applications.models import Application
        from wir_portal.bench.scale import ADMIN_EMAIL

        if not get_user_model().objects.filter(username=ADMIN_EMAIL).exists():
            raise CommandError("Bench users missing: run `manage.py seed_scale` first.")
        out_path = Path(o["json"] or settings.VAR_DIR / "benchmark.json")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        warmup = o["warmup"] if o["warmup"] is not None else min(2.0, max(0.0, o["duration"] / 5))
        only = {k.strip() for k in o["only"].split(",") if k.strip()}
        report: dict = {
            "started_at": timezone.now().isoformat(), "database": connection.vendor,
            "applications": Application.objects.count(),
            "settings": {k: o[k] for k in ("duration", "connections", "threads", "workers")} | {"warmup": warmup,
                                                                                          "conn_max_age":
                                                                                          settings.CONN_MAX_AGE},
        }
        report["loadavg_start"] = list(os.getloadavg())
        self.stdout.write(f"Datenbank {connection.vendor}, {report['applications']} Anträge, load average "
                          f"{report['loadavg_start'][0]:.2f} ({os.cpu_count()} CPUs)")
        discovery = Discovery(self.stdout)
        pages = [p for p in discovery.pages() if not only or p.key in only or p.key == "bare"]
        if o["sample"] > 1:  # every n-th discovered page, the named key pages always
            discovered = [p for p in pages if p.key.startswith(("admin:", "portal:"))]
            keep = {id(p) for p in discovered[::o["sample"]]}
            pages = [p for p in pages if not p.key.startswith(("admin:", "portal:")) or id(p) in keep]
        if o["skip_exports"]:
            pages = [p for p in pages if not p.download]
        # SQL queries of one request, in-process (same settings and database).
        for p in pages:
            if not p.url:
                continue
            try:
                client = discovery.client(p.user)
                connection.queries_log.clear()  # a full log (9,000 entries) would make every count 0
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(p.url)
                    if getattr(response, "streaming", False):
                        for _ in response.streaming_content:
                            pass
                p.status, p.queries = response.status_code, len(ctx.captured_queries)
                if p.status != 200:
                    p.note = f"HTTP {p.status} in-process – skipped"
                elif not p.download:
                    p.app_ms = inprocess_ms(client, p.url, repeat=max(1, o["repeat"]))
            except Exception as exc:  # noqa: BLE001 - a page under construction must not stop the run
                p.status, p.note = 500, f"error in-process: {exc.__class__.__name__}: {exc}"[:120]
        log_path = out_path.with_suffix(".gunicorn.log")
        try:
            with gunicorn_running(workers=o["workers"], log_path=log_path, stdout=self.stdout) as (proc, base):
                for p in pages:
                    if not p.url or p.status != 200:
                        self.stdout.write(f"  {p.key}: übersprungen ({p.note})")
                        continue
                    cookie = f"{settings.SESSION_COOKIE_NAME}={discovery.client(p.user).cookies[settings.SESSION_COOKIE_NAME].value}"
                    self.stdout.write(f"  {p.key}: {p.url}")
                    if p.download:
                        self._download(p, base, cookie, proc.pid)
                        continue
                    if o["duration"] >= 5:
                        time.sleep(0.5)  # let the workers finish what the previous run left in flight
                    if warmup:
                        run_wrk(base + p.url, cookie=cookie, duration=warmup, connections=o["connections"],
                                threads=o["threads"])
                    result, raw = run_wrk(base + p.url, cookie=cookie, duration=o["duration"],
                                          connections=o["connections"], threads=o["threads"])
                    p.rps, p.p50_ms, p.p99_ms = result["rps"], result["p50_ms"], result["p99_ms"]
                    if not result["requests"]:  # nothing answered inside the window: not a measurement
                        p.rps = p.p50_ms = p.p99_ms = None
                        p.note = (f"no response within {o['duration']:g} s (overloaded machine?) – measure again "
                                  "with a longer --duration")
                    p.non_2xx = result["non_2xx"]
                    p.errors = result["socket_errors"] + result["timeouts"]
                    if p.rps is None and not p.note:
                        p.note = "wrk produced no result: " + raw.strip().splitlines()[-1][:80] if raw.strip() else ""
        finally:
            bare = next((p for p in pages if p.key == "bare" and p.rps), None)
            for p in pages:
                if bare and p.rps is not None:
                    p.ratio = round(p.rps / bare.rps, 4)
                if p.target and p.rps is not None:
                    p.met = p.rps >= p.target.get("rps", 0) and (
                        "p99_ms" not in p.target or (p.p99_ms or 1e9) < p.target["p99_ms"]) and not p.non_2xx
                    if p.ratio is not None:
                        # p99 scaled by the same factor the floor fell short of its nominal value
                        slowdown = NOMINAL_FLOOR_RPS / bare.rps
                        p.met_by_ratio = p.ratio >= p.target.get("rps", 0) / NOMINAL_FLOOR_RPS and (
                            "p99_ms" not in p.target or (p.p99_ms or 1e9) / slowdown < p.target["p99_ms"]
                        ) and not p.non_2xx
            report["pages"] = [asdict(p) for p in pages]
            report["loadavg_end"] = list(os.getloadavg())
            self.stdout.write("")
            self.stdout.write(table(pages))
            self.stdout.write(f"load average after the pages: {report['loadavg_end'][0]:.2f} "
                              f"({os.cpu_count()} CPUs; other processes share them: compare ratios, not req/s)")
            out_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        if not o["skip_logins"]:
            report["login_bursts"] = self._login_bursts(o, discovery, log_path)
        if not o["skip_approvals"]:
            report["approvals"] = approvals_benchmark(stdout=self.stdout)
            a = report["approvals"]
            if "skipped" in a:
                self.stdout.write(f"\nConcurrent approvals: skipped ({a['skipped']})")
            else:
                self.stdout.write(
                    f"\nConcurrent approvals: {a['threads']} threads, {a['approved']} approved, {a['refused']} "
                    f"refused (budget), {len(a['errors'])} errors in {a['seconds']:.2f} s "
                    f"({a['approvals_per_s']}/s); overspent: {'YES' if a['overspent'] else 'no'}; "
                    f"target < {APPROVALS_TARGET_S} s {'✓' if a['met'] else '✗'}")
        if not o["skip_proof_reminders"]:
            from wir_portal.bench.scale import proof_reminders_benchmark

            report["proof_reminders"] = proof_reminders_benchmark(stdout=self.stdout)
        if not o["skip_notices"]:
            report["notices"] = self._notices(o["notices_args"])
        if not o["skip_payments"]:
            from wir_portal.bench.management.commands.benchmark_payments import payments_benchmark

            self.stdout.write("")
            try:
                report["payments"] = payments_benchmark(count=o["payments_count"], stdout=self.stdout)
            except Exception as exc:  # noqa: BLE001 - report, never stop the benchmark
                report["payments"] = {"error": f"{exc.__class__.__name__}: {exc}"[:200]}
                self.stdout.write(f"Payment run: {report['payments']['error']}")
        report["finished_at"] = timezone.now().isoformat()
        out_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        self.stdout.write(f"\nJSON: {out_path}")

    def _login_bursts(self, o: dict, discovery: Discovery, log_path: Path) -> list[dict]:
        """The burst against the page set-up (sync workers), and against threaded workers (gthread) if asked."""
        from wir_portal.bench.scale import ADMIN_EMAIL, OWNER_EMAIL

        password = "wir-demo-2026"
        cookie = f"{settings.SESSION_COOKIE_NAME}={discovery.client(ADMIN_EMAIL).cookies[settings.SESSION_COOKIE_NAME].value}"
        bursts = []
        setups = [("sync", 1)] + ([("gthread", o["login_threads"])] if o["login_threads"] > 1 else [])
        for label, threads in setups:
            name = f"{o['workers']} {label} workers" + (f" × {threads} threads" if threads > 1 else "")
            try:
                with gunicorn_running(workers=o["workers"], log_path=log_path.with_suffix(f".{label}.log"),
                                      stdout=self.stdout, threads=threads) as (proc, base):
                    result = login_burst(base, username=OWNER_EMAIL, password=password, probe_url=base + BARE_URL,
                                         probe_cookie=cookie, master_pid=proc.pid)
            except Exception as exc:  # noqa: BLE001 - report, never stop the benchmark
                result = {"error": f"{exc.__class__.__name__}: {exc}"[:200]}
            result["setup"] = name
            bursts.append(result)
            self.stdout.write("\n" + login_burst_text(result, name))
        return bursts

    def _download(self, p: Page, base: str, cookie: str, master_pid: int) -> None:
        pids = worker_pids(master_pid)
        p.base_rss_mb = round(max((_status_kb(pid, "VmRSS") or 0) for pid in pids) / 1024, 1) if pids else None
        reset = all(reset_peak_rss(pid) for pid in pids) if pids else False
        try:
            timing: dict = {}
            status, size, seconds = download(base + p.url, cookie=cookie, timing=timing)
            p.first_byte_s = timing.get("first_byte_s")
        except Exception as exc:  # noqa: BLE001
            p.note = f"download failed: {exc}"[:120]
            return
        p.status, p.bytes, p.download_s = status, size, round(seconds, 2)
        peaks = [_status_kb(pid, "VmHWM") or 0 for pid in pids]
        p.peak_rss_mb = round(max(peaks) / 1024, 1) if peaks else None
        if not reset:
            p.note = "peak RSS since worker start (clear_refs not permitted)"

    def _notices(self, extra: str) -> dict:
        if "benchmark_notices" not in get_commands():
            self.stdout.write("\nNotice throughput: not available (benchmark_notices does not exist yet)")
            return {"available": False}
        cmd = [sys.executable, str(settings.BASE_DIR / "manage.py"), "benchmark_notices", *extra.split()]
        self.stdout.write(f"\nNotice throughput: {' '.join(cmd[1:])}")
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False,
                                 cwd=settings.BASE_DIR)
        except subprocess.TimeoutExpired:
            self.stdout.write("  timed out after 600 s")
            return {"available": True, "error": "timeout"}
        tail = (run.stdout.strip().splitlines() or [""])[-15:]
        for line in tail:
            self.stdout.write(f"  {line}")
        if run.returncode:
            self.stdout.write(f"  exit {run.returncode}: {run.stderr.strip()[-300:]}")
        return {"available": True, "returncode": run.returncode, "output": tail}
