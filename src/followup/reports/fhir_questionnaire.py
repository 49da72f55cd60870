"""The instrument as a FHIR Questionnaire: the knee, the three subscales as groups of items
(``linkId`` ``p1``-``f17``, answers 0-4 as ``valueCoding`` of our own code system with the R4
``ordinalValue`` extension; WOMAC has no LOINC code and its wording is licensed, ours is our
own), then the optional extras."""

from __future__ import annotations

from followup.domain.instrument import SUBSCALES, Instrument
from followup.reports.fhir_codes import (
    ANSWER_SYSTEM,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    QUESTIONNAIRE_URL,
    SIDES,
    Entry,
    Resource,
    full_url,
    resource_id,
)


def answer_coding(code: int, label: str) -> Resource:
    """An answer 0-4 as a Coding of our own system, with its ordinal value."""
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
    options = [{"valueCoding": answer_coding(n, label)} for n, label in labels]
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
