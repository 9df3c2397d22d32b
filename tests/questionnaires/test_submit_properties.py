"""Whatever a browser posts, a response is stored only for a complete, valid set of
answers, and then exactly once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Administration, AdministrationStatus, Answer, Response
from assessments.questionnaires.links import IssuedLink

from .fixtures import open_questionnaire

pytestmark = pytest.mark.django_db

field_names = st.one_of(
    st.integers(min_value=-2, max_value=40).map(lambda i: f"item_{i}"),
    st.sampled_from(["form_code", "item_", "item_x", "csrfmiddlewaretoken", "extra"]),
)
values = st.one_of(
    st.integers(min_value=-3, max_value=9).map(str),
    st.sampled_from(["", " ", "3.0", "1e0", "wai-sr-client", "wai-36-client", "٤", "None"]),
    st.text(max_size=8),
)


def is_valid_submission(body: dict[str, str]) -> bool:
    if body.get("form_code") != "wai-sr-client":
        return False
    for key in body:
        if key.startswith("item_") and key[5:].isdigit() and not 1 <= int(key[5:]) <= 12:
            return False
    for i in range(1, 13):
        value = body.get(f"item_{i}")
        if value not in {"1", "2", "3", "4", "5"}:
            return False
    return True


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(field_names, values, max_size=20),
    fill=st.dictionaries(
        st.integers(1, 12).map(lambda i: f"item_{i}"), st.sampled_from("12345"), max_size=12
    ),
    with_code=st.booleans(),
)
def test_any_post_body_stores_a_response_only_when_it_is_complete_and_valid(
    issued: IssuedLink, body: dict[str, str], fill: dict[str, str], with_code: bool
) -> None:
    data = {**fill, **body}
    if with_code:
        data.setdefault("form_code", "wai-sr-client")
    data = {k: v.replace("\x00", "") for k, v in data.items() if "\x00" not in k}
    Answer.objects.all().delete()
    Response.objects.all().delete()
    Administration.objects.filter(pk=issued.administration.pk).update(
        status=AdministrationStatus.OPEN, completed_at=None
    )
    issued.administration.links.update(revoked_at=None)
    browser = open_questionnaire(issued.token)
    response = browser.post("/q/", data)
    assert response.status_code in (302, 400)
    stored = Response.objects.count()
    if is_valid_submission(data):
        assert response.status_code == 302
        assert stored == 1
        assert Answer.objects.count() == 12
    else:
        assert response.status_code == 400
        assert stored == 0
