"""An S3 API on loopback: moto's server (`moto_server`, pip moto[server]) on a free port, for the USE_S3 path."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import _missing

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    executable = Path(sys.executable).parent / "moto_server"
    if not executable.exists():
        _missing("moto_server (pip moto[server])")
    port = _free_port()
    process = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _missing(f"moto_server did not start on 127.0.0.1:{port}")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


S3_ENV = {"AWS_ACCESS_KEY_ID": "wir-test", "AWS_SECRET_ACCESS_KEY": "wir-test-secret",
          "AWS_S3_REGION_NAME": "eu-central-1"}


def storage_settings_for(env: dict, tmp_path) -> dict:
    """STORAGES['default'] exactly as wir_portal/settings.py builds it from this environment (fresh interpreter)."""
    probe = ("import django, json; from django.conf import settings; django.setup(); "
             "print(json.dumps(settings.STORAGES['default'], default=str))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "USE_S3", "WIR_PRODUCTION"))}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path),
                                 **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def s3(settings, moto_endpoint, monkeypatch, tmp_path):
    """USE_S3=true against moto: a fresh private bucket; django-storages configured by the settings module."""
    import boto3

    bucket = f"wir-{uuid.uuid4().hex[:12]}"
    env = {"USE_S3": "true", "AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": moto_endpoint, **S3_ENV}
    storage = storage_settings_for(env, tmp_path)
    for name, value in S3_ENV.items():  # boto3 reads the credentials from the environment, as in production
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=S3_ENV["AWS_S3_REGION_NAME"],
                          aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"])
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return {"client": client, "bucket": bucket, "endpoint": moto_endpoint, "storage": storage}
