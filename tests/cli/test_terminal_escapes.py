"""Text output never lets a stored control character reach the terminal raw: an ID or a note
holding an escape sequence (from a database older than the input rules) prints as ``\\x1b``."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.cli import main
from followup.cli.common import terminal_safe
from tests.ui.staff.hostile import add_hostile_patient

ESCAPE_ID = "E\x1b[2J1"
NAME = "Eve\x1b]0;owned\x07 \x9b31m"
AE = "swelling\r[fake] all clear\x1b[K"


@pytest.fixture
def escaped(demo_ctx):
    add_hostile_patient(
        demo_ctx, patient_id=ESCAPE_ID, treatment_id="T\x1b[1m", name=NAME, adverse_event=AE
    )
    return str(demo_ctx.engine.url.database)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "command", [["due", "--as-of", "2026-11-21"], ["flags", "--as-of", "2026-11-21"]]
)
def test_listings_escape_control_characters(escaped, capsys, command) -> None:
    code, out, err = _run(capsys, "--db", escaped, *command)
    assert code == 0, err
    assert "E\\x1b[2J1" in out
    for raw in ("\x1b", "\x07", "\x9b", "\r"):
        assert raw not in out and raw not in err


def test_json_escapes_them_too(escaped, capsys) -> None:
    code, out, _ = _run(capsys, "--db", escaped, "flags", "--as-of", "2026-11-21", "--json")
    assert code == 0
    assert "\x1b" not in out and "\x9b" not in out
    assert ESCAPE_ID in {f["patient_id"] for f in json.loads(out)}


def test_import_errors_escape_what_they_name(tmp_path, capsys) -> None:
    db = tmp_path / "f.db"
    assert main(["--db", str(db), "init"]) == 0
    bad = tmp_path / "p\x1b[31m.csv"
    bad.write_text("patient_id,name,birth_date,col\x1b[2J\nP1,A,1950-01-01,x\n", encoding="utf-8")
    capsys.readouterr()
    code, _, err = _run(capsys, "--db", str(db), "import", "patients", str(bad))
    assert code == 1
    assert "\x1b" not in err and "col\\x1b[2J" in err and "p\\x1b[31m.csv" in err


def test_terminal_safe_keeps_tabs_and_line_ends() -> None:
    assert terminal_safe("a\tb\r\nc\n") == "a\tb\r\nc\n"
    assert terminal_safe("a\rb\x00\x7f\u2028") == "a\\x0db\\x00\\x7f\\u2028"


def test_ascii_text_is_escaped_as_any_other() -> None:
    assert terminal_safe("a\rb\x00\x7f\x1b[2J\r\n") == "a\\x0db\\x00\\x7f\\x1b[2J\r\n"


@given(st.text(alphabet=st.characters(max_codepoint=0x2030)))
def test_the_ascii_shortcut_changes_nothing(text: str) -> None:
    from followup.cli.common import UNSAFE, _escaped

    assert terminal_safe(text) == UNSAFE.sub(_escaped, text)


# What JSON leaves raw and a terminal acts on, its neighbours in UTF-8, and plain text.
NEAR_UNSAFE = st.sampled_from(list("aZ \x7f\x80\x85\x9b\x9f\xa0éü€–\u2027\u2028\u2029\u202a"))


@given(st.text(alphabet=NEAR_UNSAFE) | st.text())
def test_the_json_shortcut_changes_nothing(text: str) -> None:
    import orjson

    from followup.cli.common import JSON_UNSAFE, json_safe

    data = orjson.dumps({"name": text})
    assert json_safe(data) == JSON_UNSAFE.sub(lambda m: b"\\u%04x" % ord(m.group().decode()), data)
    assert json.loads(json_safe(data)) == {"name": text}


def test_due_json_is_json_with_nothing_raw_for_the_terminal(escaped, capsys) -> None:
    code, out, err = _run(capsys, "--db", escaped, "due", "--as-of", "2026-11-21", "--json")
    assert code == 0, err
    for raw in ("\x1b", "\x07", "\x9b", "\r"):
        assert raw not in out
    names = {item["name"] for item in json.loads(out)}  # JSON's own escapes read back
    assert NAME in names


def test_a_flag_whose_evidence_has_several_lines_is_listed_on_one(demo_ctx, capsys) -> None:
    """An adverse event may hold line breaks (paper forms and REDCap carry them); printed raw in
    the evidence, the next line of ``flags`` was the patient's own text, and could pass for a
    flag of its own."""
    forged = "#999   urgent safety               P0002      left  Adverse event reported"
    add_hostile_patient(
        demo_ctx, patient_id="P9000", treatment_id="T9000", name="Eve Example",
        adverse_event=f"swelling\n{forged}",
    )  # fmt: skip
    code, out, err = _run(capsys, "--db", str(demo_ctx.engine.url.database), "flags",
                          "--as-of", "2026-11-21")  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert all(line.startswith("#") for line in lines)
    assert any("P9000 " in line and f"swelling\\n{forged}" in line for line in lines)
