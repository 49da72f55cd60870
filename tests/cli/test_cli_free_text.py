"""End-to-end: a note or a reason a staff member types on the command line (a review decision's
note, why it is amended or reopened, why a treatment was entered in error, why a clinical field
changed) is held to the rule of every stored text: no control character (an escape sequence
would reach every screen and listing that shows it) and at most 2000 characters, never cut.
Nothing is written when it is refused."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli.test_cli import run

ESCAPE = "seen by ortho\x1b[2J"
TOO_LONG = "n" * 2001


def _counts(db: str) -> tuple[int, ...]:
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("audit_event", "review_decision")
        )


def _open_flag(db: str) -> str:
    return str(json.loads(run("flags", "--json", db=db).stdout)[0]["id"])


def _decided_flag(db: str) -> str:
    with sqlite3.connect(db) as conn:
        (flag,) = conn.execute(
            "SELECT flag_id FROM review_decision WHERE status = 'in_force'"
        ).fetchone()
    return str(flag)


COMMANDS = {
    "decide": lambda db, text: [
        "--user", "doctor", "decide", _open_flag(db), "--decision", "refer", "--note", text
    ],
    "amend": lambda db, text: [
        "--user", "doctor", "decide", _decided_flag(db), "--amend", "--decision", "refer",
        "--note", text,
    ],
    "reopen": lambda db, text: [
        "--user", "doctor", "decide", _decided_flag(db), "--reopen", "--note", text
    ],
    "treatment error": lambda db, text: [
        "--user", "doctor", "treatment", "error", "T00002", "--reason", text
    ],
    "patient edit": lambda db, text: [
        "--user", "doctor", "patient", "edit", "P0001", "--bmi", "31", "--reason", text
    ],
}  # fmt: skip
REFUSALS = [
    pytest.param(ESCAPE, "has a control character (U+001B) at character 14", id="escape"),
    pytest.param(TOO_LONG, "is longer than 2000 characters", id="too-long"),
]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("text", "message"), REFUSALS)
def test_a_note_or_reason_with_a_control_character_or_too_long_is_refused(
    demo_db: str, command: str, text: str, message: str
) -> None:
    before = _counts(demo_db)
    done = run(*COMMANDS[command](demo_db, text), db=demo_db, stdin="doctor\n")
    assert done.returncode == 1, done.stderr
    assert message in done.stderr
    assert "\x1b" not in done.stderr and "nnnnnnnnnn" not in done.stderr
    assert _counts(demo_db) == before


def test_a_note_of_several_lines_is_kept_and_listed_on_one_line(demo_db: str) -> None:
    """Free text may hold line breaks (paper forms and REDCap carry them), but the audit
    listing is one line per event: a line break printed raw could forge the next one."""
    flag = _open_flag(demo_db)
    note = "ortho next week\n2026-12-01T09:00:00+00:00  boss  decide  flag 1  decision: dismissed"
    done = run(
        "--user", "doctor", "decide", flag, "--decision", "refer", "--note", note,
        db=demo_db, stdin="doctor\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = run("audit", db=demo_db).stdout.splitlines()
    [line] = [x for x in listed if f"flag {flag}  decision: refer" in x]
    assert line.endswith("note: ortho next week\\n2026-12-01T09:00:00+00:00  boss  decide  "
                         "flag 1  decision: dismissed")  # fmt: skip
    [event] = [e for e in json.loads(run("audit", "--json", db=demo_db).stdout)
               if e["action"] == "decide" and e["entity_id"] == flag]  # fmt: skip
    assert event["new"]["note"] == note
