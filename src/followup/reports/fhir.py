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

Entries refer to each other by their ``urn:uuid`` full URLs (``fhir_codes``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO

from followup.domain.instrument import SUBSCALES, Instrument
from followup.reports.fhir_codes import (
    ASSESSMENT_ID_SYSTEM,
    BODY_SITE,
    CATEGORY_SYSTEM,
    GENDERS,
    KNEE_REGION,
    PATIENT_ID_SYSTEM,
    QUESTIONNAIRE_URL,
    SCORE_NAMES,
    SCORE_SYSTEM,
    SIDES,
    SITE_SYSTEM,
    UCUM,
    Entry,
    Resource,
    full_url,
    resource_id,
)
from followup.reports.fhir_questionnaire import answer_coding, questionnaire_entry
from followup.services.exchange import ExchangeAssessment, ExchangePatient


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
            {"linkId": key, "answer": [{"valueCoding": answer_coding(value, labels[value])}]}
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
    """An assessments bundle's entries: the Questionnaire, then per patient the Patient, each
    knee's BodyStructure (before its first Observation) and each assessment's response and
    Observations; patients without assessments last."""
    waiting = {p.patient_id: p for p in patients}
    yield questionnaire_entry(instrument)
    patient = None
    knees: set[str] = set()
    for a in assessments:
        if a.patient_id != patient:
            patient = a.patient_id
            knees.clear()
            yield patient_entry(waiting.pop(a.patient_id))
        yield response_entry(a, instrument)
        observations = observation_entries(a)
        if observations and a.knee not in knees:
            knees.add(a.knee)
            yield body_structure_entry(a.patient_id, a.knee)
        yield from observations
    for p in waiting.values():
        yield patient_entry(p)


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
