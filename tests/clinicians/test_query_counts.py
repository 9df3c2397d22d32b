"""List pages run a fixed number of queries, whatever the number of clients.

Each page is measured with 5 and with 60 clients (spread over therapists, with
assignment history and audit lines): the counts must be equal and within the pin.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinicians import services
from clinicians.models import Role, User
from tests.conftest import client_for, make_client, make_staff

pytestmark = pytest.mark.django_db

# Page → the most queries it may run: session, user, the second factor's device and the
# navbar's clinic name, then the page's own (for lists: a count, the page of rows, and
# the filter choices; the therapists page also lists open invitations).
PINNED = {
    "/console/": 6,
    "/console/therapists/": 7,
    # Lists of clients write one audit line each view (one INSERT): see SECURITY.md.
    "/console/clients/": 8,
    "/console/clients/?q=C-&status=all": 8,
    "/console/audit/": 9,
    "/console/import/": 5,
}
# /caseload/ is the therapists' dashboard's page (assessments), pinned by its own tests.


def populate(admin: User, therapists: list[User], start: int, stop: int) -> None:
    for i in range(start, stop):
        patient = make_client(admin.clinic, f"C-{i:03d}", therapists[i % len(therapists)])
        if i % 3 == 0:  # some history and audit lines
            services.case_assign(
                actor=admin, patient=patient, therapist=therapists[(i + 1) % len(therapists)]
            )
        if i % 7 == 0:
            services.patient_discharge(actor=admin, patient=patient)


def measure(c: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = c.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("url", list(PINNED))
def test_a_list_page_runs_the_same_few_queries_for_5_or_60_clients(
    url: str, admin_a: User, therapist_a1: User, therapist_a2: User, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    extra = [
        make_staff(admin_a.clinic, f"t{i}@northside.test", Role.THERAPIST, f"T{i}")
        for i in range(3)
    ]
    therapists = [therapist_a1, therapist_a2, *extra]
    viewer = client_for(admin_a)
    populate(admin_a, therapists, 0, 5)
    small = measure(viewer, url)
    populate(admin_a, therapists, 5, 60)
    large = measure(viewer, url)
    assert small == large, (url, small, large)
    with django_assert_max_num_queries(PINNED[url]):
        viewer.get(url)
