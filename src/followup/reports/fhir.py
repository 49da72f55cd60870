"""FHIR R4 bundles (type ``collection``) of patients and assessments
(``followup export {patients,assessments} --format fhir``).

An assessments bundle holds one Questionnaire for the instrument version in use (item ``linkId``s
``p1``-``f17`` in three groups, answers as ``valueCoding`` of our own code system with the R4
``ordinalValue`` extension: WOMAC has no LOINC code and its wording is licensed, ours is our own);
per patient the Patient, a BodyStructure per knee (knee region 72696002 qualified left 7771000 or
right 24028007, SNOMED CT), a QuestionnaireResponse per assessment, and an Observation per valid
subscale score and total (category ``survey``, ``{score}`` in UCUM, the knee as ``bodySite`` with
the R4 ``bodySite`` extension pointing at its BodyStructure, ``derivedFrom`` the response).
Invalid scores (too many items missing) have no Observation: a missing value is not a zero.

Entries are identified by ``urn:uuid`` full URLs derived from our IDs (the same IDs give the same
URLs in every export) and refer to each other by them. Our own systems are ``urn:followup:...``
names; a receiving system maps them to its own.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from followup.domain.instrument import SUBSCALES, Instrument
from followup.services.exchange import ExchangeAssessment, ExchangePatient

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


def patient_entry(p: ExchangePatient) -> Entry:
    """The Patient (identifier, name, birth date, gender, phone, e-mail, site)."""
    resource: Resource = {
        "resourceType": "Patient",
        "id": resource_id("Patient", p.patient_id),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": p.patient_id}],
        "name": [{"text": p.name}],
        "birthDate": p.birth_date.isoformat(),
    }
    if p.sex in GENDERS:
        resource["gender"] = GENDERS[p.sex]
    telecom = [{"system": kind, "value": v} for kind, v in (("phone", p.phone), ("email", p.email))]
    telecom = [t for t in telecom if t["value"]]
    if telecom:
        resource["telecom"] = telecom
    if p.site:
        resource["managingOrganization"] = {
            "identifier": {"system": SITE_SYSTEM, "value": p.site},
            "display": p.site,
        }
    return full_url("Patient", p.patient_id), resource


def _answer(code: int, label: str) -> Resource:
    return {
        "system": ANSWER_SYSTEM,
        "code": str(code),
        "display": label.capitalize(),
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": code}],
    }


def _whole_number(link: str, text: str, low: int, high: int) -> Resource:
    return {
        "linkId": link,
        "text": text,
        "type": "integer",
        "extension": [
            {"url": MIN_VALUE, "valueInteger": low},
            {"url": MAX_VALUE, "valueInteger": high},
        ],
    }


def questionnaire_entry(instrument: Instrument) -> Entry:
    """The instrument as a Questionnaire: the knee, the three subscales as groups of items,
    then the optional extras."""
    labels = enumerate(instrument.answer_labels)
    options = [{"valueCoding": _answer(n, label)} for n, label in labels]
    groups = [
        {
            "linkId": s.name,
            "text": instrument.subscale_prompts[s.name],
            "type": "group",
            "item": [
                {
                    "linkId": key,
                    "prefix": str(instrument.item(key).number),
                    "text": instrument.item(key).text,
                    "type": "choice",
                    "answerOption": options,
                }
                for key in s.keys
            ],
        }
        for s in SUBSCALES
    ]
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": resource_id("Questionnaire", instrument.version),
        "url": QUESTIONNAIRE_URL,
        "version": instrument.version,
        "name": "FollowupWomacStyleKnee",
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "followup's own plain wording of a WOMAC-style knee questionnaire (not the licensed "
            f"WOMAC text). Items scored 0-4, higher is worse. {instrument.recall}"
        ).strip(),
        "item": [
            {
                "linkId": "knee",
                "text": "Which knee is this questionnaire about?",
                "type": "choice",
                "required": True,
                "answerOption": [{"valueCoding": side} for side in SIDES.values()],
            },
            *groups,
            _whole_number("pain_nrs", "Pain right now, 0 (none) to 10 (worst imaginable)", 0, 10),
            _whole_number(
                "global", "Overall rating of the knee, 0 (very well) to 100 (very poor)", 0, 100
            ),
            {
                "linkId": "adverse_event",
                "text": "Adverse event since the last contact",
                "type": "text",
            },  # fmt: skip
            {"linkId": "note", "text": "Note", "type": "text"},
        ],
    }
    if instrument.language:
        resource["language"] = instrument.language
    return full_url("Questionnaire", instrument.version), resource


def body_structure_entry(patient_id: str, knee: str) -> Entry:
    """The patient's left or right knee."""
    key = f"{patient_id}/{knee}"
    return full_url("BodyStructure", key), {
        "resourceType": "BodyStructure",
        "id": resource_id("BodyStructure", f"{patient_id}-{knee}-knee"),
        "active": True,
        "location": {"coding": [KNEE_REGION]},
        "locationQualifier": [{"coding": [SIDES[knee]]}],
        "description": f"{knee.capitalize()} knee",
        "patient": {"reference": full_url("Patient", patient_id)},
    }


def response_entry(a: ExchangeAssessment, instrument: Instrument) -> Entry:
    """The answers as a QuestionnaireResponse (unanswered items left out)."""
    labels = instrument.answer_labels
    patient = {"reference": full_url("Patient", a.patient_id)}
    items: list[Resource] = [{"linkId": "knee", "answer": [{"valueCoding": SIDES[a.knee]}]}]
    for s in SUBSCALES:
        answered = [
            {"linkId": key, "answer": [{"valueCoding": _answer(value, labels[value])}]}
            for key in s.keys
            if (value := a.answer(key)) is not None
        ]
        if answered:
            items.append({"linkId": s.name, "item": answered})
    for link, value in (("pain_nrs", a.pain_nrs), ("global", a.patient_global)):
        if value is not None:
            items.append({"linkId": link, "answer": [{"valueInteger": value}]})
    for link, text in (("adverse_event", a.adverse_event), ("note", a.note)):
        if text:
            items.append({"linkId": link, "answer": [{"valueString": text}]})
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"assessment-{a.assessment_id}",
        "identifier": {"system": ASSESSMENT_ID_SYSTEM, "value": str(a.assessment_id)},
        "questionnaire": f"{QUESTIONNAIRE_URL}|{a.instrument_version}",
        "status": "completed",
        "subject": patient,
        "authored": a.assessed_on.isoformat(),
        "item": items,
    }
    if a.source == "self_report":
        resource["source"] = patient
    return full_url("QuestionnaireResponse", str(a.assessment_id)), resource


def observation_entries(a: ExchangeAssessment) -> list[Entry]:
    """One Observation per valid subscale score and the total, derived from the response."""
    patient = {"reference": full_url("Patient", a.patient_id)}
    body_site = {
        "extension": [
            {"url": BODY_SITE,
             "valueReference": {"reference": body_structure_entry(a.patient_id, a.knee)[0]}}
        ],
        "coding": [KNEE_REGION],
        "text": f"{a.knee.capitalize()} knee",
    }  # fmt: skip
    response = {"reference": full_url("QuestionnaireResponse", str(a.assessment_id))}
    entries = []
    for name, value in a.scores.items():
        if value is None:
            continue
        key = f"{a.assessment_id}/{name}"
        entries.append(
            (
                full_url("Observation", key),
                {
                    "resourceType": "Observation",
                    "id": f"assessment-{a.assessment_id}-{name}",
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}
                            ]
                        }
                    ],  # fmt: skip
                    "code": {
                        "coding": [
                            {"system": SCORE_SYSTEM, "code": name, "display": SCORE_NAMES[name]}
                        ],
                        "text": f"{SCORE_NAMES[name]} (0-100, higher is worse)",
                    },
                    "subject": patient,
                    "effectiveDateTime": a.assessed_on.isoformat(),
                    "valueQuantity": {
                        "value": value,
                        "unit": "{score}",
                        "system": UCUM,
                        "code": "{score}",
                    },  # fmt: skip
                    "bodySite": body_site,
                    "derivedFrom": [response],
                },
            )
        )
    return entries


def patients_entries(patients: Iterable[ExchangePatient]) -> Iterator[Entry]:
    """A patients bundle's entries."""
    for p in patients:
        yield patient_entry(p)


def assessments_entries(
    patients: Iterable[ExchangePatient],
    assessments: Iterable[ExchangeAssessment],
    instrument: Instrument,
) -> Iterator[Entry]:
    """An assessments bundle's entries: the Questionnaire, then per patient with assessments
    the Patient, each knee's BodyStructure (before its first Observation) and each assessment's
    response and Observations."""
    by_id = {p.patient_id: p for p in patients}
    yield questionnaire_entry(instrument)
    patient = None
    knees: set[str] = set()
    for a in assessments:
        if a.patient_id != patient:
            patient = a.patient_id
            knees.clear()
            yield patient_entry(by_id[a.patient_id])
        yield response_entry(a, instrument)
        observations = observation_entries(a)
        if observations and a.knee not in knees:
            knees.add(a.knee)
            yield body_structure_entry(a.patient_id, a.knee)
        yield from observations


def write_bundle(fh: IO[str], entries: Iterable[Entry], now: datetime) -> int:
    """Write a collection Bundle, one entry per line; returns the number of entries."""
    stamp = now.isoformat(timespec="seconds")
    head = {"resourceType": "Bundle", "type": "collection", "timestamp": stamp}
    fh.write(json.dumps(head)[:-1] + ', "entry": [')
    count = 0
    for url, resource in entries:
        fh.write(",\n" if count else "\n")
        fh.write(json.dumps({"fullUrl": url, "resource": resource}, ensure_ascii=False))
        count += 1
    fh.write("\n]}\n")
    return count
