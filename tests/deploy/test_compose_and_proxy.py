"""docker-compose.yml scales out behind one reverse proxy, and the web containers trust exactly that proxy.

The compose file itself is validated in CI (.ci/run: check-jsonschema and `docker-compose config -q`); these tests
fix the shape that makes `--scale` work and the proxy trust that makes X-Forwarded-* safe."""

import re
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_web_ports_and_replicas_scale(compose):
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert {p.split(":")[-1] for p in proxy["ports"]} == {"80", "443"}
    for name in ("web", "worker-pdf", "worker-default", "migrate", "beat"):
        assert "ports" not in services[name], name  # a fixed host port collides with --scale
        assert "container_name" not in services[name], name
    assert services["web"]["expose"] == ["8000"]
    assert "migrate" not in " ".join(services["web"]["command"])  # replicas must not race migrations
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_workers_per_queue(compose):
    services = compose["services"]
    queues = {}
    for name, service in services.items():
        command = service.get("command") or []
        if isinstance(command, list) and "worker" in command and "celery" in command:
            queues[name] = command[command.index("-Q") + 1]
    assert queues == {"worker-pdf": "pdf", "worker-default": "default"}


def test_web_trusts_exactly_the_proxy_address(compose):
    proxy_ip = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    env = compose["x-app-environment"]
    assert env["WIR_TRUSTED_PROXIES"] == f"{proxy_ip},127.0.0.1"  # 127.0.0.1: the container's own health check
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert re.search(r"172\.30\.0\.10", proxy_ip) and "172.30.0.0/24" in subnet
    assert f"--forwarded-allow-ips={proxy_ip}" in compose["services"]["web"]["command"]


def test_caddy_forwards_to_every_web_replica():
    caddyfile = "\n".join(line for line in (ROOT / "deploy" / "Caddyfile").read_text().splitlines()
                          if not line.lstrip().startswith("#"))
    assert re.search(r"dynamic a \{\s*name web\s*port 8000", caddyfile)
    assert "header_up X-Forwarded-Proto {scheme}" in caddyfile
    assert "trusted_proxies" not in caddyfile  # Caddy itself trusts no client's X-Forwarded-For


def _call(meta):
    from django.http import HttpResponse

    from wir_portal.proxy import TrustedProxyMiddleware

    seen = {}

    def view(request):
        seen.update(secure=request.is_secure(), remote=request.META["REMOTE_ADDR"],
                    forwarded=request.META.get("HTTP_X_FORWARDED_FOR"))
        return HttpResponse()

    request = RequestFactory().get("/healthz", **meta)
    TrustedProxyMiddleware(view)(request)
    return seen


@override_settings(WIR_TRUSTED_PROXIES=["172.30.0.10"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_forwarded_headers_count_only_from_the_proxy():
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}
    from_proxy = _call({"REMOTE_ADDR": "172.30.0.10", **headers})
    assert from_proxy == {"secure": True, "remote": "198.51.100.7", "forwarded": "203.0.113.9, 198.51.100.7"}
    from_elsewhere = _call({"REMOTE_ADDR": "172.30.0.11", **headers})  # another container, or a spoofing client
    assert from_elsewhere == {"secure": False, "remote": "172.30.0.11", "forwarded": None}


@override_settings(WIR_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_middleware_is_off():
    from django.core.exceptions import MiddlewareNotUsed

    from wir_portal.proxy import TrustedProxyMiddleware

    with pytest.raises(MiddlewareNotUsed):
        TrustedProxyMiddleware(lambda r: None)
