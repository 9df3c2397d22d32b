"""Eight simultaneous submits of one questionnaire store exactly one response."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from assessments.models import Channel, Response
from assessments.questionnaires.links import IssuedLink
from assessments.questionnaires.submissions import response_submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_concurrent_submits_store_exactly_one_response(issued: IssuedLink) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (CI runs it there)")
    barrier = threading.Barrier(8)
    created: list[bool] = []
    errors: list[BaseException] = []

    def submit(value: int) -> None:
        try:
            barrier.wait()
            result = response_submit(
                administration_id=issued.administration.pk,
                answers={i: value for i in range(1, 13)},
                channel=Channel.LINK,
            )
            created.append(result.created)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(1 + i % 5,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(created) == [False] * 7 + [True]
    assert Response.objects.filter(administration=issued.administration).count() == 1
