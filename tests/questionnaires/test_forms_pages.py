"""Staff can read every loaded form: citation, provenance, key and copyright."""

from __future__ import annotations

import pytest

from clinicians.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_forms_page_lists_every_form_with_the_copyright_notice(therapist_a1: User) -> None:
    page = client_for(therapist_a1).get("/forms/").content.decode()
    for code in ("wai-sr-client", "wai-s-client", "wai-s-therapist", "wai-36-client"):
        assert code in page
    assert "copyrighted by A. O. Horvath" in page


def test_a_derived_key_is_shown_as_derived(admin_a: User) -> None:
    page = client_for(admin_a).get("/forms/wai-s-therapist/").content.decode()
    assert "<strong>derived</strong>" in page
    assert page.count('<abbr title="reverse-keyed">R</abbr>') == 2
    assert "I believe my client likes me." in page


def test_an_unknown_form_is_404(admin_a: User) -> None:
    assert client_for(admin_a).get("/forms/no-such-form/").status_code == 404
