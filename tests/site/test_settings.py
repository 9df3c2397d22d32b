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
