"""The benchmark's measurement helpers parse wrk's output (captured from wrk 4.1 on this machine)."""

import pytest

from wir_portal.bench.management.commands.benchmark import Page, parse_wrk, table

SAMPLE = """\
Running 10s test @ http://127.0.0.1:41873/admin/applications/application/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   152.41ms   61.02ms 612.33ms   71.20%
    Req/Sec    26.48      9.71    50.00     61.93%
  Latency Distribution
     50%  141.87ms
     75%  183.04ms
     90%  230.55ms
     99%  387.10ms
  527 requests in 10.01s, 25.34MB read
Requests/sec:     52.65
Transfer/sec:      2.53MB
"""

SLOW_WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:41873/admin/?q=x
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21s   402.11ms   2.00s    66.67%
    Req/Sec     2.50      1.22     5.00     83.33%
  Latency Distribution
     50%    1.12s
     75%    1.48s
     90%    1.93s
     99%    2.00s
  12 requests in 2.01s, 1.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:      5.97
Transfer/sec:    560.12KB
"""

FAST = """\
  Latency Distribution
     50%  823.00us
     75%    1.02ms
     90%    1.50ms
     99%    3.20ms
  70000 requests in 10.00s, 20.00MB read
Requests/sec:   6999.91
"""


def test_parse_wrk_milliseconds():
    r = parse_wrk(SAMPLE)
    assert r["rps"] == pytest.approx(52.65)
    assert r["p50_ms"] == pytest.approx(141.87)
    assert r["p90_ms"] == pytest.approx(230.55)
    assert r["p99_ms"] == pytest.approx(387.10)
    assert r["requests"] == 527
    assert r["non_2xx"] == 0 and r["socket_errors"] == 0 and r["timeouts"] == 0


def test_parse_wrk_seconds_errors_and_non_2xx():
    r = parse_wrk(SLOW_WITH_ERRORS)
    assert r["rps"] == pytest.approx(5.97)
    assert r["p50_ms"] == pytest.approx(1120.0)
    assert r["p99_ms"] == pytest.approx(2000.0)
    assert r["requests"] == 12
    assert r["non_2xx"] == 2
    assert r["socket_errors"] == 1 and r["timeouts"] == 3


def test_parse_wrk_microseconds():
    r = parse_wrk(FAST)
    assert r["p50_ms"] == pytest.approx(0.823)
    assert r["p99_ms"] == pytest.approx(3.2)
    assert r["rps"] == pytest.approx(6999.91)


def test_parse_wrk_garbage_gives_empty_result():
    r = parse_wrk("unable to connect to 127.0.0.1:9 Connection refused")
    assert r["rps"] is None and r["p99_ms"] is None and r["requests"] is None


def test_table_marks_targets():
    met = Page("admin_changelist", "x", "/a", rps=60.0, p50_ms=100, p99_ms=300, ratio=0.02, queries=8,
               target={"rps": 50}, met=True)
    missed = Page("admin_search_organisation", "x", "/b", rps=40.0, p50_ms=100, p99_ms=500, ratio=0.01, queries=9,
                  target={"rps": 50, "p99_ms": 400}, met=False)
    skipped = Page("export_csv", "x", None, download=True, note="not found in the URLconf (yet)")
    text = table([met, missed, skipped])
    lines = text.splitlines()
    assert "rps≥50 ✓" in lines[2]
    assert "rps≥50, p99<400 ✗" in lines[3]
    assert "not found" in lines[4]
    assert " met " in lines[2] and " missed " in lines[3]
    assert "2 pages with a target measured: 1 met" in text and "missed admin_search_organisation: 40.0 req/s" in text
