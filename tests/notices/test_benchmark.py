"""The benchmark command runs end to end (process mode, real SMTP sink) and cleans up after itself."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from applications.models import Application, Notice, Organisation


@pytest.mark.django_db(transaction=True)
def test_benchmark_notices_prints_table_writes_json_and_cleans_up(require_postgres, seeded, settings, tmp_path):
    settings.CELERY_BROKER_URL = ""  # worker processes forked from here see the test database
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("benchmark_notices", "--count", "2", "--workers", "1,2", stdout=out)
    text = out.getvalue()
    assert "Bescheide/min" in text and "Verhältnis Pipeline" in text
    [path] = (tmp_path / "benchmarks").glob("notices-*.json")
    result = json.loads(Path(path).read_text())
    assert [r["workers"] for r in result["rounds"]] == [1, 2]
    assert all(r["mails"] == 2 and r["per_minute"] > 0 for r in result["rounds"])
    assert result["ratio_pipeline_to_bare"] > 0
    assert not Organisation.objects.filter(name__startswith="Benchmark-Organisation").exists()
    assert not Application.objects.filter(file_number__startswith="BENCH-").exists()
    assert not Notice.objects.filter(number__startswith="BENCH-").exists()
