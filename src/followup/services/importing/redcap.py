"""Importing assessments from a REDCap records export (``followup import assessments --format
redcap FILE``): the CSV that REDCap's "Export Data" (raw data, CSV) or the API's record export
gives for a project built from ``followup export assessments --format redcap``.

The layout is shared with the writer (``followup.reports.redcap``): one instrument,
``knee_assessment``, repeating in every event; ``record_id`` is the patient ID; the form's
fields are our CSV's columns (``knee``, ``assessed_on``, ``source``, ``p1``-``f17``,
``pain_nrs``, ``global``, ``adverse_event``, ``note``) plus ``treatment_id``, where followup
placed the form. Every cell goes through the same checks as ``assessments.csv``, the rows then
through the same row checks (known patient, dates, duplicates), and nothing is written on any
problem.

Event names are taken from the file as they are, never matched against names we would
generate: REDCap shortens and de-duplicates them its own way, and a REDCap user may have
renamed an event. Where an assessment belongs is worked out again from its knee and date.
REDCap's optional system columns (data access group, survey identifier and timestamp) are
accepted and ignored.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from followup.domain.instrument import ITEM_KEYS
from followup.errors import InvalidInput, Problem
from followup.services.importing.assessments import COLUMNS as CSV_COLUMNS
from followup.services.importing.assessments import check_assessment_table
from followup.services.importing.common import Batch, ImportRun
from followup.store.bulk import chunks
from followup.store.csv_cells import text, whole_number
from followup.store.csv_files import Column, Row, Table, choice_column, column, read_table
from followup.store.models import Treatment

FORM = "knee_assessment"
COMPLETE = f"{FORM}_complete"
# REDCap's form status: 0 incomplete, 1 unverified, 2 complete. Every status is imported: the
# status is REDCap's workflow, the answers are the data.
STATUSES = ("0", "1", "2")
# The fields of the form after record_id, in the data dictionary's order.
FORM_FIELDS = (
    "knee",
    "assessed_on",
    "source",
    "treatment_id",
    *ITEM_KEYS,
    "pain_nrs",
    "global",
    "adverse_event",
    "note",
)
RECORD_HEADER = (
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    *FORM_FIELDS,
    COMPLETE,
)
# REDCap adds these to an export when asked to; they are not ours to import.
IGNORED = ("redcap_data_access_group", "redcap_survey_identifier", f"{FORM}_timestamp")
INSTANCE_MAX = 100_000


def _columns() -> list[Column]:
    """Our CSV's columns, REDCap's and ``treatment_id``, in the order REDCap exports them."""
    ours = {c.name: c for c in CSV_COLUMNS}
    theirs = {
        "record_id": Column("record_id", ours["patient_id"].parse, required=True),
        "redcap_event_name": Column("redcap_event_name", text(100), required=True),
        "redcap_repeat_instrument": choice_column("redcap_repeat_instrument", (FORM,)),
        "redcap_repeat_instance": Column("redcap_repeat_instance", whole_number(1, INSTANCE_MAX)),
        "treatment_id": column("treatment_id", Treatment, "id"),
        COMPLETE: choice_column(COMPLETE, STATUSES),
    }
    return [
        *(theirs.get(name) or ours[name] for name in RECORD_HEADER),
        *(Column(name, text(10_000)) for name in IGNORED),
    ]


COLUMNS = _columns()


def _header(path: Path) -> list[str]:
    """The file's first row (empty when it cannot be read; the full read reports why)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def refuse_misread_export(path: Path, fmt: str) -> None:
    """Name the likely mistake when a REDCap file is imported as our CSV, or REDCap's export
    carries field labels instead of variable names, rather than list every column."""
    header = _header(path)
    if fmt == "csv" and {"record_id", "redcap_event_name"} <= set(header):
        message = "this is a REDCap records export: import it with --format redcap"
    elif fmt == "redcap" and "record_id" not in header and "Record ID" in header:
        message = (
            "the columns are REDCap's field labels: export with variable names "
            '("CSV / Microsoft Excel (raw data)")'
        )
    else:
        return
    raise InvalidInput([Problem(path.name, 1, "1", message)])


def check_redcap_records(run: ImportRun, path: Path) -> Batch:
    """Check a REDCap records export and turn it into the same batch as an assessments CSV."""
    table = read_table(path, COLUMNS, run.log)
    rows = table.rows()
    _check_instances(run, rows)
    _check_treatments(run, rows)
    as_csv = Table(table.lines, {**table.columns, "patient_id": table.column("record_id")})
    return check_assessment_table(run, as_csv, patient_column="record_id")


def _check_instances(run: ImportRun, rows: list[Row]) -> None:
    """Each (record, event, instance) once, as in REDCap, where it is one form."""
    seen: dict[tuple, int] = {}
    for row in rows:
        get = row.values.get
        instance = get("redcap_repeat_instance")
        if get("redcap_repeat_instrument") is not None and instance is None:
            run.log.add(row.line, "redcap_repeat_instance", "is required for a repeating form")
        key = (get("record_id"), get("redcap_event_name"), instance)
        if None in key[:2]:
            continue
        first = seen.setdefault(key, row.line)
        if first != row.line:
            run.log.add(row.line, "redcap_repeat_instance", f"the same form is on line {first}")


def _check_treatments(run: ImportRun, rows: list[Row]) -> None:
    """A ``treatment_id`` followup filled in must still name a treatment of that knee."""
    wanted = {r.values["treatment_id"] for r in rows if r.values.get("treatment_id")}
    if not wanted:
        return
    found: dict[str, tuple[str, str]] = {}
    for chunk in chunks(sorted(wanted)):
        query = select(Treatment.id, Treatment.patient_id, Treatment.knee).where(
            Treatment.id.in_(chunk),  # type: ignore[attr-defined]
            Treatment.entered_in_error == False,  # noqa: E712
        )
        found.update({tid: (pid, knee) for tid, pid, knee in run.conn.execute(query)})
    for row in rows:
        get = row.values.get
        tid = get("treatment_id")
        if not tid:
            continue
        owner = found.get(tid)
        if owner is None:
            run.log.add(row.line, "treatment_id", f"{tid} is not a known treatment")
        elif get("record_id") is not None and get("knee") is not None:
            if owner != (get("record_id"), get("knee")):
                run.log.add(
                    row.line, "treatment_id", f"{tid} is not a treatment of this patient's knee"
                )
