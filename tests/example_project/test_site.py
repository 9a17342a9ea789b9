"""The example site run with its own settings (``config.settings``) in a separate process."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.example_project.conftest import EXAMPLE_DIR, SETTINGS_ENV

REPO = EXAMPLE_DIR.parent

PROBE = r"""
import json, django
django.setup()
from django.test import Client

client = Client()
answers = {}
for path in ("/", "/api/v1/health/", "/api/docs/", "/api/docs/?script=",
             "/api/schema/?format=json", "/admin/login/"):
    response = client.get(path, secure=True)
    answers[path] = {"status": response.status_code, "headers": dict(response.headers),
                     "body": response.content.decode()}
print(json.dumps(answers))
"""


def run_site(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python *args`` in ``example_project`` with a production-like environment."""
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver,localhost",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(EXAMPLE_DIR)]),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=EXAMPLE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    result = run_site(tmp_path_factory.mktemp("site"), "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_site_health_answers_ok(answers):
    assert answers["/api/v1/health/"]["status"] == 200
    assert json.loads(answers["/api/v1/health/"]["body"]) == {"status": "ok", "database": "ok"}


def test_site_root_is_a_landing_page_linking_the_demo(answers):
    assert answers["/"]["status"] == 200
    html = answers["/"]["body"]
    for href in ("/shop/", "/desk/", "/admin/", "/api/docs/"):
        assert f'href="{href}"' in html
    assert "demo-buyer-pass" in html
    assert "/static/storefront/site.css" in html
    assert "script-src 'self'" in answers["/"]["headers"]["Content-Security-Policy"]


def test_site_serves_the_openapi_schema(answers):
    schema = json.loads(answers["/api/schema/?format=json"]["body"])

    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/health/",
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
    ):
        assert path in schema["paths"]


def test_site_schema_documents_the_auth_errors(answers):
    # A bad password or a refused refresh token is a 401; the document only listed 200.
    paths = json.loads(answers["/api/schema/?format=json"]["body"])["paths"]

    assert {"200", "400", "401"} <= set(paths["/api/v1/auth/token/"]["post"]["responses"])
    assert {"200", "400", "401"} <= set(paths["/api/v1/auth/token/refresh/"]["post"]["responses"])


def test_site_serves_swagger_ui_from_local_static_files_without_inline_code(answers):
    page = answers["/api/docs/"]
    html = page["body"]

    assert page["status"] == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/example/swagger-ui-page.css" in html
    assert "<style" not in html
    assert html.count("<script") == html.count("<script src=")
    assert answers["/api/docs/?script="]["status"] == 200
    assert "SwaggerUIBundle" in answers["/api/docs/?script="]["body"]


@pytest.mark.parametrize("path", ["/api/v1/health/", "/api/docs/", "/admin/login/"])
def test_site_sends_security_headers(answers, path):
    headers = answers[path]["headers"]

    assert answers[path]["status"] == 200
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_site_passes_the_deployment_checks(tmp_path):
    result = run_site(
        tmp_path,
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_HSTS_PRELOAD="1",
        REDIS_URL="redis://redis.internal:6379/0",  # not contacted by the checks
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_site_without_redis_is_warned_about_its_per_process_cache(tmp_path):
    result = run_site(tmp_path, "manage.py", "check", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "ecommerce_kit.W002" in result.stderr and "LocMemCache" in result.stderr


def test_site_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_site(tmp_path, "manage.py", "check", SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
