"""A patient whose every stored text is Textual markup, for the tests that prove the screens show
stored values as plain text (issue 16: one ID in a table cell crashed the staff UI for everyone).

The patient is a copy of the demo's P0110 (overdue on the worklist), with markup in the ID, the
name, the phone, the e-mail, a treatment's ID, a call note, an assessment note and an adverse event
(which raises an urgent safety flag for the review queue). The rows go in with SQL, past the
ID rule and its CHECK constraint, as a database from before that rule may hold them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, text

from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.store.models import Assessment, Contact, Patient, Treatment

TEMPLATE = "P0110"
BOLD_END = "[/b]"
RED = "[red]x[/red]"
CLICK = "[@click=app.quit]x[/]"
HOSTILE_ID = "Q[/b]1"
HOSTILE_TREATMENT = "T[red]x[/red]"
NAME = f"Ann {BOLD_END} {RED} {CLICK}"
PHONE = f"+1 {RED}"
EMAIL = f"{BOLD_END}@example.com"
CONTACT_NOTE = f"called {CLICK} {BOLD_END}"
ASSESSMENT_NOTE = f"note {RED} {BOLD_END}"
ADVERSE_EVENT = f"swelling {CLICK} {RED}"


def _copy(conn: Any, table: Any, where: Any, changes: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [dict(r._mapping) for r in conn.execute(select(table).where(where))]
    for row in rows:
        row.update(changes)
        if "id" in row and isinstance(row["id"], int):
            del row["id"]
    if rows:
        conn.execute(insert(table), rows)
    return rows


def add_hostile_patient(
    ctx: Context,
    patient_id: str = HOSTILE_ID,
    treatment_id: str = HOSTILE_TREATMENT,
    name: str = NAME,
    note: str = CONTACT_NOTE,
    adverse_event: str = ADVERSE_EVENT,
) -> None:
    """Copy P0110 with markup (or what is given) in every text, then evaluate the flags (the
    adverse event raises a safety flag)."""
    p, t = Patient.__table__, Treatment.__table__  # type: ignore[attr-defined]
    a, c = Assessment.__table__, Contact.__table__  # type: ignore[attr-defined]
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA ignore_check_constraints = ON"))
        _copy(
            conn,
            p,
            p.c.id == TEMPLATE,
            {"id": patient_id, "name": name, "search_name": "ann", "phone": PHONE, "email": EMAIL},
        )
        _copy(conn, t, t.c.patient_id == TEMPLATE, {"id": treatment_id, "patient_id": patient_id})
        copied = _copy(conn, a, a.c.patient_id == TEMPLATE, {"patient_id": patient_id})
        assert copied, "the template patient has assessments"
        latest = max(copied, key=lambda r: r["assessed_on"])
        conn.execute(
            a.update()
            .where(a.c.patient_id == patient_id, a.c.assessed_on == latest["assessed_on"])
            .values(note=ASSESSMENT_NOTE, adverse_event=adverse_event)
        )
        _copy(conn, c, c.c.patient_id == TEMPLATE, {"patient_id": patient_id, "note": note})
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA ignore_check_constraints = OFF"))
    evaluate_cohort(ctx)
