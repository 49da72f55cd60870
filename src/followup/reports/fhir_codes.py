"""The identifiers and codes the FHIR export uses: our own systems (``urn:followup:...``
names, for a receiving system to map to its own), SNOMED CT for the knee and its side, UCUM,
HL7's observation categories and core extensions; and how entries are named (``urn:uuid`` full
URLs derived from our IDs, so the same IDs give the same URLs in every export)."""

from __future__ import annotations

import re
import uuid
from typing import Any

Resource = dict[str, Any]
Entry = tuple[str, Resource]  # (fullUrl, resource)

SYSTEM = "urn:followup"
PATIENT_ID_SYSTEM = f"{SYSTEM}:patient-id"
SITE_SYSTEM = f"{SYSTEM}:site"
ASSESSMENT_ID_SYSTEM = f"{SYSTEM}:assessment-id"
ANSWER_SYSTEM = f"{SYSTEM}:womac-style-answer"
SCORE_SYSTEM = f"{SYSTEM}:womac-style-score"
QUESTIONNAIRE_URL = f"{SYSTEM}:questionnaire:womac-style"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
BODY_SITE = "http://hl7.org/fhir/StructureDefinition/bodySite"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
KNEE_REGION = {"system": SNOMED, "code": "72696002", "display": "Knee region structure"}
SIDES = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
}
GENDERS = {"F": "female", "M": "male", "X": "other"}
SCORE_NAMES = {
    "pain": "WOMAC-style pain score",
    "stiffness": "WOMAC-style stiffness score",
    "function": "WOMAC-style physical function score",
    "total": "WOMAC-style total score",
}
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, SYSTEM)
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def full_url(kind: str, key: str) -> str:
    """The entry's full URL: a UUID derived from the resource kind and our key."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def resource_id(kind: str, key: str) -> str:
    """A FHIR id: our key when it fits FHIR's id rules, else the UUID of its full URL."""
    return key if _ID.fullmatch(key) else full_url(kind, key).removeprefix("urn:uuid:")
