"""A REDCap project for followup's assessments (``followup export assessments --format redcap``):
the files a REDCap user uploads, as they are, to build a longitudinal project and fill it.

- ``data_dictionary.csv``: REDCap's 18 columns; one instrument, ``knee_assessment``, whose first
  field is ``record_id`` (our patient ID), then ``knee``, ``assessed_on``, ``source``,
  ``treatment_id``, the 24 items (radio ``0, None | 1, Mild | ...``, one matrix per subscale,
  wording from the instrument) and the extras.
- ``events.csv`` (REDCap's "Upload events"): ``baseline``, one event per timepoint of the
  schedule, ``unscheduled``; offsets and windows in days.
- ``instrument_designations.csv`` (REDCap's "Upload instrument-event mappings"): the form in
  every event, under the unique event names REDCap will give them.
- ``repeating_instruments.csv``: the form repeating in every event, in the API's format.
- ``records.csv`` (REDCap's Data Import Tool, CSV, dates Y-M-D): one row per assessment.

**Why repeating instruments.** One REDCap record is one patient, because that is how a REDCap user
finds a patient. A patient can have two knees assessed at one event, a knee can have two forms in
one window, and ``unscheduled`` holds any number; so the form repeats in every event and
``redcap_repeat_instance`` numbers a patient's forms within an event (1, 2...). The knee, date and
treatment are fields of the form, so the records line up with our own CSV and nothing depends on
the instance numbers. The alternative, one form per knee, would rename every item (``l_p1``,
``r_p1``...) and still not hold two forms of a knee in one event.

Cells are written as they are: a REDCap import stores the apostrophe a spreadsheet guard would add.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from followup.domain.instrument import ITEM_KEYS, SUBSCALES, Instrument
from followup.reports.redcap_events import (
    event_table,
    write_designations,
    write_events,
    write_repeating,
)
from followup.reports.redcap_readme import README
from followup.services.exchange import MAX_TEXT, ExchangeAssessment, FollowUpEvent
from followup.services.exporting import open_output
from followup.services.importing.redcap import COMPLETE, FORM, RECORD_HEADER

# REDCap's data dictionary header, exactly as REDCap writes it.
DICTIONARY_HEADER_LINE = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"'
)
DICTIONARY_COLUMNS = next(csv.reader([DICTIONARY_HEADER_LINE]))
STATUS_COMPLETE = 2
FILES = {
    "dictionary": "data_dictionary.csv",
    "events": "events.csv",
    "designations": "instrument_designations.csv",
    "repeating": "repeating_instruments.csv",
    "records": "records.csv",
    "readme": "README.txt",
}
KNEE_CHOICES = "left, Left | right, Right"
SOURCE_CHOICES = (
    "phone, Phone call | self_report, Self-report | clinic, Clinic visit | paper, Paper form"
)


def _field(name: str, kind: str, label: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update({"Variable / Field Name": name, "Form Name": FORM, "Field Type": kind})
    row["Field Label"] = label
    names = {
        "header": "Section Header",
        "choices": "Choices, Calculations, OR Slider Labels",
        "note": "Field Note",
        "validation": "Text Validation Type OR Show Slider Number",
        "low": "Text Validation Min",
        "high": "Text Validation Max",
        "identifier": "Identifier?",
        "required": "Required Field?",
        "matrix": "Matrix Group Name",
        "annotation": "Field Annotation",
    }
    for key, value in extra.items():
        row[names[key]] = value
    return row


def dictionary_rows(instrument: Instrument) -> list[dict[str, str]]:
    """The data dictionary: one row per field, ``record_id`` first."""
    answers = " | ".join(
        f"{code}, {label.capitalize()}" for code, label in enumerate(instrument.answer_labels)
    )
    rows = [
        _field("record_id", "text", "Patient ID", note="followup's patient ID"),
        _field("knee", "radio", "Knee", choices=KNEE_CHOICES, required="y"),
        _field(
            "assessed_on",
            "text",
            "Assessed on: the day the patient gave these answers",
            validation="date_ymd",
            required="y",
        ),  # fmt: skip
        _field(
            "source",
            "radio",
            "How the answers were collected",
            choices=SOURCE_CHOICES,
            required="y",
        ),  # fmt: skip
        _field(
            "treatment_id",
            "text",
            "Treatment whose follow-up this form belongs to",
            note="Filled in by followup; leave empty on new forms",
        ),  # fmt: skip
    ]
    for subscale in SUBSCALES:
        header = instrument.subscale_prompts[subscale.name]
        if subscale is SUBSCALES[0] and instrument.recall:
            header = f"{instrument.recall} {header}"
        for key in subscale.keys:
            item = instrument.item(key)
            rows.append(
                _field(
                    key,
                    "radio",
                    item.text,
                    choices=answers,
                    matrix=f"{subscale.name}_items",
                    header=header if key == subscale.keys[0] else "",
                    annotation=f"{instrument.version} item {item.number}",
                )  # fmt: skip
            )
    rows += [
        _field(
            "pain_nrs",
            "text",
            "Pain right now, 0 (none) to 10 (worst imaginable)",
            validation="integer",
            low="0",
            high="10",
            header="Optional",
        ),  # fmt: skip
        _field(
            "global",
            "text",
            "Patient's overall rating of the knee, 0 (very well) to 100 (very poor)",
            validation="integer",
            low="0",
            high="100",
        ),  # fmt: skip
        _field(
            "adverse_event",
            "notes",
            "Adverse event since the last contact",
            identifier="y",
            note=f"At most {MAX_TEXT} characters",
        ),  # fmt: skip
        _field("note", "notes", "Note", identifier="y", note=f"At most {MAX_TEXT} characters"),
    ]
    return rows


def write_dictionary(fh: IO[str], instrument: Instrument) -> None:
    """``data_dictionary.csv``."""
    fh.write(DICTIONARY_HEADER_LINE + "\n")
    writer = csv.DictWriter(fh, DICTIONARY_COLUMNS, lineterminator="\n")
    writer.writerows(dictionary_rows(instrument))


def record_row(a: ExchangeAssessment, unique_event: str, instance: int) -> list[object]:
    """One assessment as a row of ``records.csv`` (``RECORD_HEADER`` order)."""
    cells: dict[str, object] = {
        "record_id": a.patient_id,
        "redcap_event_name": unique_event,
        "redcap_repeat_instrument": FORM,
        "redcap_repeat_instance": instance,
        "knee": a.knee,
        "assessed_on": a.assessed_on.isoformat(),
        "source": a.source,
        "treatment_id": a.treatment_id,
        "pain_nrs": a.pain_nrs,
        "global": a.patient_global,
        "adverse_event": a.adverse_event,
        "note": a.note,
        COMPLETE: STATUS_COMPLETE,
    }
    cells.update(zip(ITEM_KEYS, a.answers, strict=True))
    return ["" if cells[c] is None else cells[c] for c in RECORD_HEADER]


def write_records(
    fh: IO[str], assessments: Iterable[ExchangeAssessment], events: list[FollowUpEvent]
) -> int:
    """``records.csv``: each assessment in its event, numbered within (patient, event); returns
    the number of rows. Assessments come in patient order, so one patient's counts are kept."""
    unique = event_table(events)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(RECORD_HEADER)
    patient = None
    instances: dict[str, int] = defaultdict(int)
    count = 0
    for a in assessments:
        if a.patient_id != patient:
            patient = a.patient_id
            instances.clear()
        instances[a.event] += 1
        writer.writerow(record_row(a, unique[a.event], instances[a.event]))
        count += 1
    return count


def write_project(
    folder: Path,
    instrument: Instrument,
    events: list[FollowUpEvent],
    assessments: Iterable[ExchangeAssessment],
) -> int:
    """Write every file into ``folder`` (created owner-only if missing; files owner-only, as
    they hold patient data); returns the number of records."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    project = {
        "readme": lambda fh: fh.write(README),
        "dictionary": lambda fh: write_dictionary(fh, instrument),
        "events": lambda fh: write_events(fh, events),
        "designations": lambda fh: write_designations(fh, events),
        "repeating": lambda fh: write_repeating(fh, events),
    }
    for kind, write in project.items():
        with open_output(folder / FILES[kind], sys.stdout) as fh:
            write(fh)
    with open_output(folder / FILES["records"], sys.stdout) as fh:
        return write_records(fh, assessments, events)
