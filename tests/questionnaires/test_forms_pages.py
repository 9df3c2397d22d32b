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


def test_a_derived_key_says_it_rests_on_a_single_source_key_and_the_pair_is_named(
    therapist_a1: User,
) -> None:
    page = client_for(therapist_a1).get("/forms/wai-s-client/").content.decode()
    assert "that 36-item key comes from a single public source" in page
    assert "(WAI-36 #32)" in page  # item 11's original number
    assert 'href="/forms/wai-s-therapist/"' in page  # built to pair
    unpaired = client_for(therapist_a1).get("/forms/wai-sr-client/").content.decode()
    assert "No form of the other rater is built to pair with this one" in unpaired
    assert "comes from a single public source" not in unpaired  # WAI-SR: verified key
