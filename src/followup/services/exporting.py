"""CSV and JSON exports. Column names match the import formats (DESIGN.md section 7) plus the
computed scores; CSV cells that a spreadsheet would run as a formula are neutralised (OWASP CSV
injection) with a leading apostrophe, which the import takes off again, while numbers stay
numbers: an export imported into a new database gives back the same data. Rows stream from the
database, so exports of a whole cohort do not load it into memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from followup.domain.instrument import ITEM_KEYS
from followup.private_files import private_text
from followup.services.context import Context
from followup.store.csv_cells import quote
from followup.store.engine import read_session
from followup.store.models import (
    Assessment,
    Contact,
    Flag,
    Patient,
    ReviewDecision,
    Treatment,
)
from followup.store.scores import rounded_scores

KINDS = ("patients", "treatments", "assessments", "contacts", "flags")


def neutralise(value: Any) -> Any:
    """Make a text cell safe to open in a spreadsheet; leave numbers alone."""
    return quote(value) if isinstance(value, str) else value


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


PATIENT_FIELDS = [
    "patient_id", "name", "birth_date", "sex", "phone", "email", "timezone", "language",
    "site", "smoker", "diabetes", "bmi", "activity",
]  # fmt: skip
TREATMENT_FIELDS = [
    "treatment_id", "patient_id", "knee", "treated_on", "product", "cells_millions", "route",
    "kl_grade", "booster_of", "banked_doses",
]  # fmt: skip
ASSESSMENT_FIELDS = [
    "assessment_id", "patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "pain_nrs",
    "global", "adverse_event", "note", "pain_score", "stiffness_score", "function_score",
    "total_score", "answered", "imputed", "instrument_version",
]  # fmt: skip
CONTACT_FIELDS = ["patient_id", "contacted_at", "outcome", "note"]


def _patients(session: Any) -> Iterator[dict[str, Any]]:
    for p in session.scalars(select(Patient).order_by(Patient.id)).yield_per(2000):
        yield {
            "patient_id": p.id, "name": p.name, "birth_date": p.birth_date, "sex": p.sex,
            "phone": p.phone, "email": p.email, "timezone": p.timezone, "language": p.language,
            "site": p.site_id,
            "smoker": _yes_no(p.smoker), "diabetes": _yes_no(p.diabetes), "bmi": p.bmi,
            "activity": p.activity,
        }  # fmt: skip


def _treatments(session: Any) -> Iterator[dict[str, Any]]:
    # A treatment marked entered in error is not clinical data, like such an assessment.
    query = (
        select(Treatment)
        .where(Treatment.entered_in_error == False)  # noqa: E712
        .order_by(Treatment.patient_id, Treatment.treated_on, Treatment.id)
    )
    for t in session.scalars(query).yield_per(2000):
        yield {
            "treatment_id": t.id, "patient_id": t.patient_id, "knee": t.knee,
            "treated_on": t.treated_on, "product": t.product, "cells_millions": t.cells_millions,
            "route": t.route, "kl_grade": t.kl_grade, "booster_of": t.booster_of,
            "banked_doses": t.banked_doses,
        }  # fmt: skip


def _assessments(session: Any) -> Iterator[dict[str, Any]]:
    """Assessments marked entered-in-error are left out: they are not clinical data."""
    query = (
        select(Assessment)
        .where(Assessment.entered_in_error == False)  # noqa: E712
        .order_by(Assessment.patient_id, Assessment.knee, Assessment.assessed_on, Assessment.id)
    )
    for a in session.scalars(query).yield_per(5000):
        row: dict[str, Any] = {
            "assessment_id": a.id, "patient_id": a.patient_id, "knee": a.knee,
            "assessed_on": a.assessed_on, "source": a.source,
        }  # fmt: skip
        for key in ITEM_KEYS:
            row[key] = getattr(a, key)
        row.update(
            pain_nrs=a.pain_nrs,
            **{"global": a.patient_global},
            adverse_event=a.adverse_event,
            note=a.note,
            **rounded_scores(a),
            answered=a.answered,
            imputed=a.imputed,
            instrument_version=a.instrument_version,
        )
        yield row


def contact_local_time(c: Contact) -> datetime:
    """The contact time in the offset it was recorded with."""
    offset = timezone(timedelta(minutes=c.utc_offset_minutes or 0))
    return c.contacted_at.astimezone(offset)


def _contacts(session: Any) -> Iterator[dict[str, Any]]:
    query = select(Contact).order_by(Contact.patient_id, Contact.contacted_at, Contact.id)
    for c in session.scalars(query).yield_per(5000):
        yield {
            "patient_id": c.patient_id,
            "contacted_at": contact_local_time(c),
            "outcome": c.outcome,
            "note": c.note,
        }


FLAG_FIELDS = [
    "flag_id", "patient_id", "knee", "treatment_id", "kind", "level", "status", "raised_on",
    "booster_check_by", "summary", "evidence", "rule_set_version", "decision", "decided_by",
    "decided_at", "decision_note",
]  # fmt: skip


def _flags(session: Any) -> Iterator[dict[str, Any]]:
    """Every stored flag (open, decided and cleared) with its latest decision, if any."""
    decisions: dict[int, ReviewDecision] = {}
    for d in session.scalars(select(ReviewDecision).order_by(ReviewDecision.decided_at)):
        decisions[d.flag_id] = d
    query = select(Flag).order_by(Flag.patient_id, Flag.knee, Flag.raised_on, Flag.id)
    for f in session.scalars(query).yield_per(5000):
        d = decisions.get(f.id)
        yield {
            "flag_id": f.id, "patient_id": f.patient_id, "knee": f.knee,
            "treatment_id": f.treatment_id, "kind": f.kind, "level": f.level, "status": f.status,
            "raised_on": f.raised_on, "booster_check_by": f.booster_check_by,
            "summary": f.summary, "evidence": f.evidence, "rule_set_version": f.rule_set_version,
            "decision": d.decision if d else None, "decided_by": d.reviewer if d else None,
            "decided_at": d.decided_at if d else None, "decision_note": d.note if d else None,
        }  # fmt: skip


SOURCES: dict[str, tuple[list[str], Callable[[Any], Iterator[dict[str, Any]]]]] = {
    "patients": (PATIENT_FIELDS, _patients),
    "treatments": (TREATMENT_FIELDS, _treatments),
    "assessments": (ASSESSMENT_FIELDS, _assessments),
    "contacts": (CONTACT_FIELDS, _contacts),
    "flags": (FLAG_FIELDS, _flags),
}


def _cell(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@contextmanager
def open_output(out: Path | None, stdout: IO[str]) -> Iterator[IO[str]]:
    """The export target: standard output, or a file readable by its owner only (it holds
    patient data) that replaces any earlier one whole once the export is complete: a failure
    half-way (a full disk) leaves the earlier file as it was."""
    if out is None:
        yield stdout
        return
    with private_text(out) as fh:
        yield fh


def write_rows(fields: list[str], rows: Iterator[dict[str, Any]], fmt: str, fh: IO[str]) -> int:
    """Write rows as CSV (neutralised) or as a JSON array; returns the number of rows."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow(
                ["" if row.get(f) is None else neutralise(_cell(row.get(f))) for f in fields]
            )
            count += 1
        return count
    fh.write("[")
    for row in rows:
        fh.write(",\n" if count else "\n")
        fh.write(json.dumps({f: _cell(row.get(f)) for f in fields}, ensure_ascii=False))
        count += 1
    fh.write("\n]\n" if count else "]\n")
    return count


def export(ctx: Context, kind: str, fmt: str, fh: IO[str]) -> int:
    """Export one kind of record; returns the number of rows written."""
    fields, source = SOURCES[kind]
    with read_session(ctx.engine) as session:
        return write_rows(fields, source(session), fmt, fh)
