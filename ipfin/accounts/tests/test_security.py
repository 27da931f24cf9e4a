"""Sound defaults: deploy checks, throttled logins, no stack traces, schema and docs served."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from ipfin.accounts.models import LoginAttempt, LoginOutcome

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_HTTPS": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "prod-" + "k3y-" * 20,
        "DJANGO_ALLOWED_HOSTS": "ipfin.example.cn",
        "IPFIN_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ipfin", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_https_deployment_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_HTTPS": "1", "IPFIN_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SECRET_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ipfin", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in proc.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(make_user, bank_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    make_user("teller", bank_a)
    client = Client()
    for _ in range(3):
        resp = client.post("/login/", {"username": "teller", "password": "wrong"})
        assert resp.status_code == 401
    # even the right password is refused while locked out
    resp = client.post("/login/", {"username": "teller", "password": "pw-for-tests-1"})
    assert resp.status_code == 429
    assert "_auth_user_id" not in client.session
    assert LoginAttempt.objects.filter(username="teller", outcome=LoginOutcome.FAILED).count() == 3


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served():
    client = Client()
    schema = client.get("/api/schema")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    assert any(p.startswith("/api/v1/") for p in doc["paths"])
    assert doc["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    # served from the installed package's static files, never a CDN
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_unexpected_api_error_is_json_without_traceback(monkeypatch, bank_a_user, api_client):
    import ipfin.accounts.api as accounts_api

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(accounts_api, "permissions_of", boom)
    resp = api_client(bank_a_user).get("/api/v1/me")
    assert resp.status_code == 500
    assert resp.json() == {"detail": "Internal error.", "code": "internal_error"}
    assert b"secret internals" not in resp.content
    assert b"Traceback" not in resp.content
