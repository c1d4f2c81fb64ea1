"""A short real run of `manage.py benchmark` (gunicorn + wrk) on a tiny data set: checks the JSON's structure,
never speeds. Needs PostgreSQL (gunicorn must see the committed test data; SQLite tests run in memory) and wrk."""

import json
import shutil

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.postgres]

PAGE_KEYS = {"bare", "dashboard", "application", "admin_changelist", "admin_changelist_filtered",
             "admin_search_file_number", "admin_search_organisation", "admin_change", "budget_overview",
             "programme_report", "export_csv", "export_xlsx"}


@pytest.fixture
def tiny(transactional_db, require_postgres, seeded):
    call_command("seed_scale", applications=120, organisations=20, seed=5, owner_applications=30, verbosity=0)


def test_benchmark_smoke(tiny, tmp_path):
    if not shutil.which("wrk"):
        pytest.fail("wrk is required for the benchmark smoke test (apt-get install wrk)")
    out = tmp_path / "bench.json"
    # every 8th discovered page: the JSON's structure on real gunicorn and wrk (that every discovered page answers
    # 200 with a bounded query count is tests/scale/test_query_budget.py's job, in-process and for all of them)
    call_command("benchmark", duration=1, warmup=0, repeat=1, json=str(out), skip_notices=True, skip_exports=True,
                 skip_logins=True, payments_count=50, sample=8)
    report = json.loads(out.read_text())
    assert report["database"] == "postgresql"
    assert report["applications"] == 120
    pages = {p["key"]: p for p in report["pages"]}
    assert PAGE_KEYS - {"export_csv", "export_xlsx"} <= set(pages)  # plus every discovered admin and applicant page
    assert any(k.startswith("admin:") for k in pages) and any(k.startswith("portal:") for k in pages)
    for page in pages.values():
        assert {"url", "rps", "p50_ms", "p99_ms", "queries", "ratio", "target", "met", "note"} <= set(page)
    bare = pages["bare"]
    assert bare["status"] == 200 and bare["rps"] > 0 and bare["ratio"] == 1.0
    assert bare["p50_ms"] is not None and bare["p99_ms"] >= bare["p50_ms"]
    # every key page exists now: each must have been found, answered 200 and been measured (a page answering 500
    # or 403 is a failure here, not a "skipped" note)
    broken = {key: (p["url"], p["status"], p["note"]) for key, p in pages.items()
              if not p["url"] or p["status"] != 200}
    assert not broken, f"pages not measured (url, status, note): {broken}"
    for page in pages.values():
        assert page["rps"] is not None and page["queries"] > 0 and page["ratio"] is not None
        assert page["non_2xx"] == 0
    approvals = report["approvals"]
    assert approvals["threads"] == 20
    assert approvals["approved"] + approvals["refused"] == 20
    assert approvals["approved"] >= 1 and approvals["refused"] >= 1  # the budget was contended
    assert approvals["overspent"] is False and approvals["errors"] == []
    assert "seconds" in approvals
    payments = report["payments"]  # issue 13: a payment run executed and exported (small here)
    assert payments["seeded"] == payments["ledger_rows"] > 0 and payments["invariant_ok"] is True
    assert payments["pain001_errors"] == 0
