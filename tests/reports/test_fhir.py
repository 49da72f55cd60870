"""FHIR R4 export: every resource followup writes validates against the official R4 JSON schema
(``tests/data/fhir.schema.json.gz``, each resource against its own definition so errors are
readable), references resolve inside the bundle, and the content says what the assessment says."""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from followup.reports.fhir import assessments_entries, patients_entries, write_bundle
from followup.reports.fhir_codes import ANSWER_SYSTEM, ORDINAL_VALUE, QUESTIONNAIRE_URL
from followup.services.context import Context
from followup.services.exchange import exchange_assessments, exchange_patients

SCHEMA = Path(__file__).parent.parent / "data" / "fhir.schema.json.gz"


@cache
def definitions() -> dict[str, Any]:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as fh:
        schema = json.load(fh)
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    return schema["definitions"]  # type: ignore[no-any-return]


@cache
def validator(resource_type: str) -> Draft6Validator:
    """A validator for one resource type: its own definition, with the schema's definitions."""
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": definitions()})


def problems(resource: dict[str, Any]) -> list[str]:
    """Readable schema errors: the path inside the resource and what is wrong."""
    found = validator(resource["resourceType"]).iter_errors(resource)
    return [
        f"{resource['resourceType']}/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in found
    ]


def bundle(ctx: Context, kind: str, patient: str | None = None) -> dict[str, Any]:
    patients = exchange_patients(ctx, patient)
    if kind == "patients":
        entries = patients_entries(patients)
    else:
        entries = assessments_entries(patients, exchange_assessments(ctx, patient), ctx.instrument)
    out = io.StringIO()
    write_bundle(out, entries, ctx.now())
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


@pytest.fixture
def demo_bundle(demo_ctx: Context) -> dict[str, Any]:
    return bundle(demo_ctx, "assessments")


def test_every_resource_of_the_demo_validates_against_the_r4_schema(
    demo_bundle: dict[str, Any],
) -> None:
    kinds = Counter(e["resource"]["resourceType"] for e in demo_bundle["entry"])
    assert kinds["Questionnaire"] == 1 and kinds["QuestionnaireResponse"] == 1592
    assert kinds["Patient"] > 100 and kinds["BodyStructure"] > 100 and kinds["Observation"] > 6000
    found = [p for e in demo_bundle["entry"] for p in problems(e["resource"])]
    assert found == []
    # The bundle itself, its resources checked above one by one.
    shell = {**demo_bundle, "entry": [{"fullUrl": e["fullUrl"]} for e in demo_bundle["entry"]]}
    assert problems(shell) == []
    assert demo_bundle["type"] == "collection"


def test_the_patients_bundle_validates(demo_ctx: Context) -> None:
    patients = bundle(demo_ctx, "patients")
    assert len(patients["entry"]) == 180
    assert [p for e in patients["entry"] for p in problems(e["resource"])] == []
    one = bundle(demo_ctx, "patients", "P0001")["entry"]
    assert [e["resource"]["id"] for e in one] == ["P0001"]
    assert one[0]["resource"]["identifier"][0]["value"] == "P0001"


def test_schema_errors_are_caught_and_readable(demo_bundle: dict[str, Any]) -> None:
    patient = next(
        e["resource"] for e in demo_bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    broken = {**patient, "gender": "F", "birthDate": "26/07/1975", "shoeSize": 42}
    found = problems(broken)
    assert any(p.startswith("Patient/birthDate:") for p in found), found
    assert any("shoeSize" in p for p in found), found


def test_references_resolve_inside_the_bundle(demo_bundle: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in demo_bundle["entry"]}
    assert len(urls) == len(demo_bundle["entry"])
    references: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                references.append(node["reference"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(demo_bundle)
    assert references and set(references) <= urls


def _resources(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def test_responses_and_observations_say_what_the_assessment_says(demo_ctx: Context) -> None:
    data = bundle(demo_ctx, "assessments", "P0040")
    by_url = {e["fullUrl"]: e["resource"] for e in data["entry"]}
    assessments = list(exchange_assessments(demo_ctx, "P0040"))
    responses = _resources(data, "QuestionnaireResponse")
    assert len(responses) == len(assessments)
    questionnaire = _resources(data, "Questionnaire")[0]
    for a, qr in zip(assessments, responses, strict=True):
        assert qr["questionnaire"] == f"{QUESTIONNAIRE_URL}|{a.instrument_version}"
        assert qr["status"] == "completed" and qr["authored"] == a.assessed_on.isoformat()
        assert by_url[qr["subject"]["reference"]]["identifier"][0]["value"] == "P0040"
        answers = {
            item["linkId"]: item["answer"][0]
            for group in qr["item"]
            for item in group.get("item", [group])
        }
        for key in ("p1", "s2", "f17"):
            value = a.answer(key)
            if value is None:
                assert key not in answers
            else:
                assert answers[key]["valueCoding"]["code"] == str(value)
                assert answers[key]["valueCoding"]["system"] == ANSWER_SYSTEM
    observations = _resources(data, "Observation")
    expected = sum(v is not None for a in assessments for v in a.scores.values())
    assert len(observations) == expected
    invalid = [a for a in assessments if a.total_score is None]
    assert invalid, "P0040 has a form with too many items missing"
    for obs in observations:
        assert obs["category"][0]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
        quantity = obs["valueQuantity"]
        assert (quantity["system"], quantity["code"]) == ("http://unitsofmeasure.org", "{score}")
        source = by_url[obs["derivedFrom"][0]["reference"]]
        assert source["resourceType"] == "QuestionnaireResponse"
        site = obs["bodySite"]
        assert site["coding"][0]["code"] == "72696002"
        knee = by_url[site["extension"][0]["valueReference"]["reference"]]
        assert knee["resourceType"] == "BodyStructure"
        assert knee["location"]["coding"][0]["code"] == "72696002"
        assert knee["locationQualifier"][0]["coding"][0]["code"] == "7771000"  # P0040: left
    # Answer options carry their ordinal value.
    option = questionnaire["item"][1]["item"][0]["answerOption"][4]["valueCoding"]
    assert option["code"] == "4" and option["display"] == "Extreme"
    assert option["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": 4}]


def test_a_right_knee_is_qualified_right(demo_bundle: dict[str, Any]) -> None:
    sides = {
        (b["description"], b["locationQualifier"][0]["coding"][0]["code"])
        for b in _resources(demo_bundle, "BodyStructure")
    }
    assert sides == {("Left knee", "7771000"), ("Right knee", "24028007")}


def test_an_unknown_patient_is_refused(demo_ctx: Context) -> None:
    from followup.errors import NotFound

    with pytest.raises(NotFound, match="no patient with ID P9999"):
        bundle(demo_ctx, "patients", "P9999")


def test_a_patient_without_assessments_is_still_in_the_bundle(ctx: Context, tmp_path: Path) -> None:
    from followup.services.importing import import_file

    path = tmp_path / "p.csv"
    path.write_text("patient_id,name,birth_date,sex\nP_1,Ada Example,1950-01-01,X\n")
    import_file(ctx, "patients", path, "test")
    data = bundle(ctx, "assessments", "P_1")
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds == ["Questionnaire", "Patient"]
    patient = data["entry"][1]["resource"]
    assert problems(patient) == []
    # "P_1" is not a FHIR id (no underscores): the id is derived, the identifier keeps ours.
    assert patient["id"] != "P_1" and patient["identifier"][0]["value"] == "P_1"
    assert patient["gender"] == "other"
