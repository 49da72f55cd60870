"""Importing assessments (``assessments.csv``): WOMAC-style forms of one knee, scored as they
are imported (raw sums, normalised scores, answered and imputed counts, instrument version).

A file exported by followup carries the form's ID and its computed scores too: they are accepted
(and checked) so the export can be imported as it is, but the scores are computed again from the
answers and the ID is the new database's own. The wording version the form was answered in is
kept when the file names it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection

from followup.domain.instrument import ITEM_KEYS
from followup.domain.scoring import score_numbers
from followup.services.importing.common import Batch, ImportRun, patients_in_db
from followup.store.bulk import chunks, columns_of, driver_rows, from_stored, marks
from followup.store.csv_cells import whole_number
from followup.store.csv_files import Column, Table, column, read_table
from followup.store.models import Assessment, AssessmentBase, AssessmentScores
from followup.store.scores import ASSESSMENT_INSERT_COLUMNS

COLUMNS = [
    column("patient_id", Assessment, required=True),
    column("knee", AssessmentBase, required=True),
    column("assessed_on", AssessmentBase, required=True),
    column("source", AssessmentBase, required=True),
    *(column(key, AssessmentBase, noun="an answer") for key in ITEM_KEYS),
    column("pain_nrs", AssessmentBase),
    column("global", AssessmentBase, "patient_global"),
    column("adverse_event", AssessmentBase),
    column("note", AssessmentBase),
    # Written by the export; computed again here.
    Column("assessment_id", whole_number(1, 2**63 - 1)),
    *(
        column(name, AssessmentScores)
        for name in ("pain_score", "stiffness_score", "function_score", "total_score")
    ),
    column("answered", AssessmentScores),
    column("imputed", AssessmentScores),
    column("instrument_version", Assessment),
]


def check_assessments(run: ImportRun, path: Path) -> Batch:
    """Check an assessments file: known patients, not in the future nor before birth, at least
    one item answered, no duplicate of a row or of a stored form; each form is scored."""
    return check_assessment_table(run, read_table(path, COLUMNS, run.log))


def check_assessment_table(
    run: ImportRun, table: Table, *, patient_column: str = "patient_id"
) -> Batch:
    """The row checks of ``check_assessments`` on a file already read (its columns named as
    ours). ``patient_column`` names the file's patient column in messages (a REDCap file calls
    it ``record_id``). Problems are noted row by row, so they stay in line order; a file with
    any problem is refused whole, so the batch is written only when every row passed."""
    conn = run.conn
    log = run.log
    today = run.today
    column = table.column
    pids = column("patient_id")
    patients = patients_in_db(conn, (pid for pid in pids if pid is not None))
    existing = _existing_assessment_keys(conn, list(patients))
    seen: dict[tuple, int] = {}
    dates = column("assessed_on")
    if run.shift:
        shift = timedelta(days=run.shift)
        dates = [None if on is None else on + shift for on in dates]
    knees, sources = column("knee"), column("source")
    items = [column(key) for key in ITEM_KEYS]
    forms = list(zip(*items, strict=True))
    no_answers = (None,) * len(ITEM_KEYS)
    for line, pid, knee, on, source, answers in zip(
        table.lines, pids, knees, dates, sources, forms, strict=True
    ):
        if on is not None and on > today:
            log.add(line, "assessed_on", f"{on.isoformat()} is in the future")
        if pid is not None:  # _check_patient_ref, inlined: this loop runs once per row
            born = patients.get(pid)
            if born is None:
                log.add(line, patient_column, f"{pid} is not a known patient")
            elif on is not None and on < born:
                log.add(line, "assessed_on", "is before the patient's birth date")
        if answers == no_answers:
            log.add(line, "p1", "no questionnaire item (p1-p5, s1-s2, f1-f17) is answered")
            continue
        key = (pid, knee, on, source, answers)
        first = seen.setdefault(key, line)
        if first != line:
            log.add(line, "assessed_on", f"duplicate of the assessment on line {first}")
        elif existing and key in existing:
            log.add(line, "assessed_on", "the same assessment is already in the database")
    count = len(table.lines)
    # score_numbers gives the ten stored numbers, then the counts of each subscale.
    scores = columns_of(map(score_numbers, forms), 11)[:10]
    version = run.instrument_version
    if "instrument_version" in table.columns:  # a file exported by followup names its own
        versions = [v or version for v in table.columns["instrument_version"]]
    else:
        versions = [version] * count
    values = [
        *items,
        pids,
        knees,
        dates,
        sources,
        *map(column, ("pain_nrs", "global", "adverse_event", "note")),
        versions,
        *scores,
        *([constant] * count for constant in (False, run.now, run.actor)),
    ]
    return Batch(ASSESSMENT_INSERT_COLUMNS, values, set())


def recheck_assessments(conn: Connection, batch: Batch, patients: set[str]) -> bool:
    """Whether the checked rows of ``patients`` (changed by someone else since the file was
    checked) still pass the checks that read the database: each patient still known and born
    on or before the form's date, and no such form stored meanwhile. False sends the whole
    file through its checks again, which name the line."""
    at = {name: batch.columns.index(name) for name in ("patient_id", "knee", "assessed_on")}
    source, items = batch.columns.index("source"), [batch.columns.index(k) for k in ITEM_KEYS]
    rows = [r for r in batch.rows() if r[at["patient_id"]] in patients]
    born = patients_in_db(conn, (r[at["patient_id"]] for r in rows))
    existing = _existing_assessment_keys(conn, list(born))
    for r in rows:
        pid, on = r[at["patient_id"]], r[at["assessed_on"]]
        if pid not in born or on < born[pid]:
            return False
        if (pid, r[at["knee"]], on, r[source], tuple(r[i] for i in items)) in existing:
            return False
    return True


def _existing_assessment_keys(conn: Connection, patient_ids: list[str]) -> set[tuple]:
    """(patient, knee, date, source, answers) of the stored, valid-entry assessments (read
    through the driver: a file may name a whole cohort)."""
    day = from_stored(conn, Assessment.__table__, "assessed_on")  # type: ignore[attr-defined]
    keys: set[tuple] = set()
    for chunk in chunks(patient_ids):
        sql = (
            f"SELECT patient_id, knee, assessed_on, source, {', '.join(ITEM_KEYS)} "
            f"FROM assessment WHERE patient_id IN ({marks(len(chunk))}) "
            "AND entered_in_error = false"
        )
        for r in driver_rows(conn, sql, chunk):
            keys.add((r[0], r[1], day(r[2]), r[3], tuple(r[4:])))
    return keys
