"""Report pages, exports and PDF jobs. Only staff with applications.view_reports see them; everyone else gets 404
(anonymous visitors are sent to the login page)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from applications.models import Application
from funding.figures_cache import FiguresCache

from . import charts, exports, services
from .forms import ReportFilterForm
from .models import ReportJob
from .selectors import (
    ADMIN_APPLICATIONS_URL,
    ADMIN_LEDGER_URL,
    ADMIN_PARAMS,
    DECIDED,
    FUNDED,
    PENDING,
    ReportFilters,
    cash_flow,
    filter_choices,
    programme_overview,
    programme_trend,
    proof_states,
    regions_report,
)

PERMISSION = "applications.view_reports"


def report_access(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(PERMISSION):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _default_year(years: list[int]) -> int | None:
    this_year = datetime.date.today().year
    if this_year in years:
        return this_year
    return years[0] if years else None


# Files that shape the cached report figures and their HTML (a change to them starts a new cache generation).
REPORT_SOURCES = ("reports/selectors.py", "reports/charts.py", "reports/views.py", "funding/figures_cache.py",
                  "wir_portal/money.py", "wir_portal/templatetags", "templates/reports")


def _figures() -> FiguresCache:
    """The cache of this request's figures, keyed by the figures version (one query; see funding.figures_cache)."""
    return FiguresCache.current("reports", sources=REPORT_SOURCES, extra_models=(Application,))


def _filters(request, *, with_year: bool = True, figures: FiguresCache | None = None):
    """The filter form (always bound, so the chosen default year shows as selected) and its filters."""
    figures = figures or FiguresCache(None)
    choices = figures.get_or_compute(("choices",), filter_choices)
    data = request.GET.copy()
    if with_year and not data.get("jahr"):
        default = _default_year(choices.years)
        if default:
            data["jahr"] = str(default)
    form = ReportFilterForm(data, choices=choices, with_year=with_year)
    form.is_valid()
    return form, form.filters(default_year=_default_year(choices.years) if with_year else None), choices


def admin_applications_url(filters: ReportFilters, year_ids: dict[int, int], *, status: str | list[str] | None = None,
                           received: bool = False) -> str:
    params = filters.admin_params(year_ids)
    if isinstance(status, str):
        params[ADMIN_PARAMS["status"]] = status
    elif status:
        params[ADMIN_PARAMS["status_in"]] = ",".join(status)
    if received:
        params["submitted_at__isnull"] = "False"
    return f"{ADMIN_APPLICATIONS_URL}?{urlencode(params)}"


def admin_ledger_url(*, rule_id: int | None = None, year_id: int | None = None, line_id: int | None = None,
                     kind: str | None = None) -> str:
    """The ledger admin changelist (funding/admin.py list_filter: kind, rule__programme_year, rule__line)."""
    params = {}
    if year_id:
        params["rule__programme_year__id__exact"] = str(year_id)
    if line_id:
        params["rule__line__id__exact"] = str(line_id)
    if rule_id and not (year_id and line_id):
        params["rule__id__exact"] = str(rule_id)
    if kind:
        params["kind__exact"] = kind
    return f"{ADMIN_LEDGER_URL}?{urlencode(params)}"


def _count_links(filters: ReportFilters, year_ids: dict[int, int]) -> dict[str, str]:
    return {
        "received": admin_applications_url(filters, year_ids, received=True),
        "decided": admin_applications_url(filters, year_ids, status=[str(s) for s in DECIDED]),
        "approved": admin_applications_url(filters, year_ids, status=[str(s) for s in FUNDED]),
        "rejected": admin_applications_url(filters, year_ids, status="rejected"),
        "pending": admin_applications_url(filters, year_ids, status=[str(s) for s in PENDING]),
        "all": admin_applications_url(filters, year_ids),
    }


def _money_links(filters: ReportFilters, year_ids: dict[int, int], *, rule_id: int | None = None) -> dict[str, str]:
    """Committed and paid sums link to the ledger rows behind them; with region/kind filters (which the ledger
    admin cannot express) to the funded applications behind them."""
    if filters.scoped_to_organisations:
        funded = admin_applications_url(filters, year_ids, status=[str(s) for s in FUNDED])
        return {"allocation": "", "committed": funded, "paid": funded}
    return {
        "allocation": f"/admin/funding/linerule/{rule_id}/change/" if rule_id else "",
        "committed": admin_ledger_url(rule_id=rule_id, year_id=year_ids.get(filters.year), line_id=filters.line_id),
        "paid": admin_ledger_url(rule_id=rule_id, year_id=year_ids.get(filters.year), line_id=filters.line_id, kind="payment"),
    }


def _chosen(form, name: str) -> str:
    """The value the select `name` shows as selected: one of its options, or "\0" for none (a Select echoes
    nothing else of what was sent, so this is all its HTML depends on)."""
    value = form[name].value()
    value = "" if value is None else str(value)
    return value if value in {str(key) for key, _ in form.fields[name].choices} else "\0"


def _filter_form_html(request, form, figures: FiguresCache) -> str:
    """The filter form as HTML (its widgets are the slowest part of a page): cached per figures version, page and
    chosen options."""
    parts = ("filter_form", request.path, tuple((name, _chosen(form, name)) for name in form.fields))
    return figures.get_or_compute(
        parts, lambda: render_to_string("reports/_filter_form.html", {"form": form, "path": request.path}),
    )


def _context(request, form, filters, choices, *, figures: FiguresCache, **extra):
    query = urlencode(filters.query_params())
    return {
        "form": form, "filters": filters, "choices": choices, "query": query,
        "filter_form": _filter_form_html(request, form, figures),
        "export_links": [
            ("Anträge als CSV", reverse("reports:export", args=["antraege", "csv"])),
            ("Anträge als Excel", reverse("reports:export", args=["antraege", "xlsx"])),
            ("Buchungen als CSV", reverse("reports:export", args=["buchungen", "csv"])),
            ("Buchungen als Excel", reverse("reports:export", args=["buchungen", "xlsx"])),
        ],
        **extra,
    }


@dataclass(frozen=True)
class RenderedOverview:
    year: int
    html: str


def _overview_section(filters: ReportFilters, choices) -> RenderedOverview:
    """The key figures, chart and tables of one year as HTML (programme_overview: six queries)."""
    data = programme_overview(filters)
    for row in data.rows:
        row_filters = ReportFilters(**{**filters.__dict__, "year": data.year, "line_id": row.line_id})
        row.links = _count_links(row_filters, choices.year_ids)
        row.ledger_links = _money_links(row_filters, choices.year_ids, rule_id=row.rule_id)
    total_filters = ReportFilters(**{**filters.__dict__, "year": data.year})
    data.total.links = _count_links(total_filters, choices.year_ids)
    data.total.ledger_links = _money_links(total_filters, choices.year_ids)
    html = render_to_string("reports/_overview_body.html",
                            {"overview": data, "chart": charts.overview_chart(data), "links": True})
    return RenderedOverview(year=data.year, html=html)


@require_GET
@report_access
def overview(request):
    figures = _figures()
    form, filters, choices = _filters(request, figures=figures)
    if filters.year is None:
        return render(request, "reports/overview.html",
                      _context(request, form, filters, choices, figures=figures, overview=None))
    # The same for everyone who may see reports: cached under the figures version and the filters.
    section = figures.get_or_compute(("overview", filters), lambda: _overview_section(filters, choices))
    return render(request, "reports/overview.html",
                  _context(request, form, filters, choices, figures=figures, overview=section))


@require_GET
@report_access
def trend(request):
    figures = _figures()
    form, filters, choices = _filters(request, with_year=False, figures=figures)

    def compute():
        rows = programme_trend(filters)
        for row in rows:
            row.links = _count_links(ReportFilters(**{**filters.__dict__, "year": row.year}), choices.year_ids)
        return rows, *charts.trend_charts(rows)

    rows, money_chart, count_chart = figures.get_or_compute(("trend", filters), compute)
    return render(request, "reports/trend.html", _context(
        request, form, filters, choices, figures=figures, rows=rows, money_chart=money_chart, count_chart=count_chart,
    ))


@require_GET
@report_access
def regions(request):
    figures = _figures()
    form, filters, choices = _filters(request, figures=figures)

    def compute():
        data = regions_report(filters)
        for row in data.bezirke:
            row.links = _count_links(ReportFilters(**{**filters.__dict__, "regierungsbezirk": row.key,
                                                      "district_id": None}), choices.year_ids)
        for row in data.districts:
            row.links = _count_links(ReportFilters(**{**filters.__dict__, "district_id": row.key,
                                                      "regierungsbezirk": ""}), choices.year_ids)
        data.total.links = _count_links(filters, choices.year_ids)
        return data, charts.regions_chart(data)

    data, chart = figures.get_or_compute(("regions", filters), compute)
    return render(request, "reports/regions.html", _context(request, form, filters, choices, figures=figures,
                                                            regions=data, chart=chart))


@require_GET
@report_access
def cash_flow_page(request):
    """Payments per calendar month and year (the ledger's PAYMENT entries), with the report filters."""
    figures = _figures()
    form, filters, choices = _filters(request, with_year=False, figures=figures)
    flow = figures.get_or_compute(("cash_flow", filters), lambda: cash_flow(filters))
    return render(request, "reports/cash_flow.html", _context(request, form, filters, choices, figures=figures,
                                                              flow=flow))


@require_GET
@report_access
def proofs_page(request):
    """Proof of use per budget year, line and region: due, overdue, submitted, checked (not cached: "overdue"
    changes with the day; two aggregate queries)."""
    figures = _figures()
    form, filters, choices = _filters(request, figures=figures)
    rows = proof_states(filters)
    totals = {k: sum(getattr(r, k) for r in rows) for k in ("due", "overdue", "submitted", "checked")}
    totals["repayment"] = sum((r.repayment for r in rows), Decimal("0.00"))
    return render(request, "reports/proofs.html", _context(request, form, filters, choices, figures=figures,
                                                           rows=rows, totals=totals))


@require_GET
@report_access
def export(request, dataset: str, fmt: str):
    if dataset not in exports.DATASETS or fmt not in ("csv", "xlsx"):
        raise Http404
    form, filters, _ = _filters(request)
    if not request.GET.get("jahr"):
        filters = ReportFilters(**{**filters.__dict__, "year": None})  # no year chosen: all years
    return exports.export_response(dataset=dataset, fmt=fmt, filters=filters)


@report_access
def pdf_create(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        year_from = int(request.POST.get("year_from", ""))
        year_to = int(request.POST.get("year_to", "") or year_from)
    except ValueError:
        raise Http404 from None
    if not all(1900 < year < 2200 for year in (year_from, year_to)):  # the form offers programme years only
        raise Http404
    form, filters, _ = _filters(request)
    job = services.report_job_create(user=request.user, year_from=min(year_from, year_to),
                                     year_to=max(year_from, year_to), filters=filters)
    return redirect("reports:pdf_job", pk=job.pk)


def _job_for(request, pk: int) -> ReportJob:
    job = ReportJob.objects.filter(pk=pk).first()
    if job is None or (job.created_by_id != request.user.pk and not request.user.is_superuser):
        raise Http404
    return job


@require_GET
@report_access
def pdf_job(request, pk: int):
    return render(request, "reports/pdf_job.html", {"job": _job_for(request, pk)})


@require_GET
@report_access
def pdf_jobs(request):
    figures = _figures()
    form, filters, choices = _filters(request, figures=figures)
    jobs = ReportJob.objects.filter(created_by=request.user)[:20]
    return render(request, "reports/pdf_jobs.html", _context(request, form, filters, choices, figures=figures, jobs=jobs))


@never_cache
@require_GET
@report_access
def pdf_status(request, pk: int):
    job = _job_for(request, pk)
    return JsonResponse({
        "status": job.status, "status_label": job.get_status_display(), "progress": job.progress,
        "message": job.message, "finished": job.is_finished,
        "download": reverse("reports:pdf_download", args=[job.pk]) if job.status == ReportJob.State.DONE else "",
    })


@require_GET
@report_access
def pdf_download(request, pk: int):
    job = _job_for(request, pk)
    if job.status != ReportJob.State.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.download_name,
                        content_type="application/pdf")
