"""Production settings refuse to start half-configured, and pass Django's deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_refuses_to_start_without_a_secret_key_in_production() -> None:
    result = run_django({"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "x.org"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts_in_production() -> None:
    key = secrets.token_urlsafe(48)
    result = run_django({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": key}, "check")
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_it_refuses_a_short_secret_key_in_production() -> None:
    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "x.org"}
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_it_rejects_a_debug_value_that_is_not_true_or_false() -> None:
    result = run_django({"DJANGO_DEBUG": "maybe"}, "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize("debug", ["false", "0", "no"])
def test_production_settings_pass_the_deploy_check_with_no_warnings(debug: str) -> None:
    env = {
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "alliance.example.org",
    }
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def _static_settings(env: dict[str, str]) -> str:
    code = (
        "from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'], settings.WHITENOISE_USE_FINDERS)"
    )
    result = run_django(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_serves_collected_files_under_hashed_compressed_names() -> None:
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "alliance.example.org",
    }
    assert _static_settings(env) == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage False"
    )


def test_development_serves_static_files_from_the_source_folders() -> None:
    assert _static_settings({}) == "whitenoise.storage.CompressedStaticFilesStorage True"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "soon", "must be a whole number"),
        ("REDIS_SOCKET_TIMEOUT", "fast", "must be a number"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
    ],
)
def test_bad_operational_values_stop_start_up_with_a_clear_message(
    name: str, value: str, says: str
) -> None:
    result = run_django({name: value, "REDIS_URL": "redis://127.0.0.1:6379/0"}, "check")
    assert result.returncode != 0
    assert says in result.stderr
