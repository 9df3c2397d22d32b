"""FHIR R4 resources validate, and say what the questionnaire said.

Validated with fhir.resources' R4B module: R4B is the R4-compatible release (the
package's top-level modules are R5, which Alliance does not claim).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import FIGURE_COLUMNS
from clinicians.models import AuditEvent, User
from integrations import fhir
from integrations.exports.rows import ExportData, ExportFilters
from tests.conftest import client_for

from .conftest import Filled
from .helpers import body, ndjson, post_export

pytestmark = pytest.mark.django_db


def items(resource: dict[str, Any]) -> dict[str, Any]:
    return {i["linkId"]: i for i in resource["item"]}


@pytest.mark.parametrize("code", [f.code for f in get_registry().forms()])
def test_each_loaded_form_is_a_valid_questionnaire(code: str) -> None:
    form = get_registry().get(code)
    resource = fhir.questionnaire(form)
    Questionnaire.model_validate(resource)
    by_id = items(resource)
    assert len(by_id) == form.item_count + 1  # the items and the scores group
    first = by_id["1"]
    assert first["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == [
        str(v) for v in form.scale.points
    ]
    assert first["answerOption"][0]["valueCoding"]["display"] == form.scale.labels[0]
    assert "{therapist}" not in json.dumps(resource)
    assert resource["copyright"] == form.copyright
    assert resource["url"].endswith(f"/fhir/Questionnaire/{code}")
    scores = by_id["scores"]
    assert scores["readOnly"] is True
    assert [i["linkId"] for i in scores["item"]] == [*FIGURE_COLUMNS, "answered", "complete"]


def all_rows(user: User, **filters: Any) -> tuple[ExportData, list[Any]]:
    data = ExportData(user=user, filters=ExportFilters(**filters))
    data.prepare()
    return data, [row for chunk in data.chunks() for row in chunk]


def test_each_completed_questionnaire_is_a_valid_questionnaire_response(
    admin_a: User, filled: Filled
) -> None:
    _, rows = all_rows(admin_a)
    assert len(rows) == 4
    for row in rows:
        resource = fhir.questionnaire_response(row)
        QuestionnaireResponse.model_validate(resource)
        assert resource["questionnaire"] == fhir.questionnaire_url(row.form_code)
        assert resource["subject"]["identifier"]["value"] == row.client_code
        # Each answered item refers to an item of the Questionnaire, with its coding.
        definition = items(fhir.questionnaire(get_registry().get(row.form_code)))
        for link_id, item in items(resource).items():
            assert link_id in definition
            if link_id != "scores":
                code = item["answer"][0]["valueCoding"]["code"]
                options = [o["valueCoding"]["code"] for o in definition[link_id]["answerOption"]]
                assert code in options


def test_the_scores_ride_along_as_decimals_in_the_scores_group(
    therapist_a1: User, filled: Filled
) -> None:
    _, rows = all_rows(therapist_a1, form_code="wai-sr-client")
    corrected = next(r for r in rows if r.administration_id == filled.own[0].pk)
    resource = fhir.questionnaire_response(corrected)
    assert resource["status"] == "amended" and resource["meta"]["versionId"] == "2"
    scores = items(items(resource)["scores"])
    assert scores["total_pomp"]["answer"][0]["valueDecimal"] == corrected.total_pomp
    assert scores["answered"]["answer"][0]["valueInteger"] == 12
    prorated = next(r for r in rows if r.administration_id == filled.own[1].pk)
    resource = fhir.questionnaire_response(prorated)
    assert "4" not in items(resource)  # the unanswered item is left out
    assert items(items(resource)["scores"])["complete"]["answer"][0]["valueBoolean"] is False


def test_the_bulk_ndjson_export_is_one_valid_resource_per_line(
    admin_a: User, filled: Filled
) -> None:
    response = post_export(client_for(admin_a), format="ndjson")
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = ndjson(body(response))
    assert len(lines) == 4
    for line in lines:
        QuestionnaireResponse.model_validate(line)


def test_a_questionnaire_downloads_as_fhir_json_from_its_page(
    therapist_a1: User, filled: Filled
) -> None:
    administration = filled.own[0]
    response = client_for(therapist_a1).get(f"/questionnaires/{administration.pk}/fhir.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert "attachment" in response["Content-Disposition"]
    resource = json.loads(response.content)
    QuestionnaireResponse.model_validate(resource)
    assert resource["id"] == str(administration.pk)
    event = AuditEvent.objects.get(action="questionnaire_exported")
    assert event.patient_id == administration.patient_id


def test_the_download_is_404_for_an_open_or_someone_elses_questionnaire(
    therapist_a1: User, admin_b: User, filled: Filled
) -> None:
    browser = client_for(therapist_a1)
    assert browser.get(f"/questionnaires/{filled.open.pk}/fhir.json").status_code == 404
    colleague = filled.colleagues[0]
    assert browser.get(f"/questionnaires/{colleague.pk}/fhir.json").status_code == 404
    other = client_for(admin_b)
    assert other.get(f"/questionnaires/{filled.own[0].pk}/fhir.json").status_code == 404
    assert browser.get("/questionnaires/abc/fhir.json").status_code == 404


def test_the_forms_download_as_a_bundle_of_questionnaires(therapist_a1: User) -> None:
    response = client_for(therapist_a1).get("/exports/fhir/questionnaires.json")
    bundle = json.loads(response.content)
    Bundle.model_validate(bundle)
    assert len(bundle["entry"]) == len(get_registry().forms())


def test_the_questionnaire_page_links_to_its_fhir_download(
    therapist_a1: User, filled: Filled
) -> None:
    administration = filled.own[0]
    page = client_for(therapist_a1).get(f"/questionnaires/{administration.pk}/").content.decode()
    assert f"/questionnaires/{administration.pk}/fhir.json" in page
