"""Reading a CSV file column by column (``read_table``): every cell's problem is reported at its
own line even though a column's distinct cells are parsed once, rows are turned into columns a
few at a time without losing or shifting one, and the row view (``read_rows``) is the same data; a refused cell is repeated only when it is a
code or a number."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from followup.errors import InvalidInput
from followup.store import csv_files
from followup.store.csv_cells import iso_date, repeated, text, whole_number
from followup.store.csv_files import Column, ProblemLog, Row, read_rows, read_table

COLUMNS = [
    Column("patient_id", text(10), required=True),
    Column("seen_on", iso_date),
    Column("score", whole_number(0, 4), lookup={str(v): v for v in range(5)}),
]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "f.csv"
    path.write_text("patient_id,seen_on,score\n" + body, encoding="utf-8")
    return path


def problems(log: ProblemLog) -> list[tuple[int, str | None, str]]:
    return [(p.line, p.column, p.message) for p in log.problems]


def test_a_bad_cell_repeated_is_reported_on_each_of_its_lines_in_line_order(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "P1,2026-02-30,9\nP2,2026-01-05,2\n,2026-02-30,9\nP1,2026-01-05, \n  ,2026-02-30,\n",
    )
    log = ProblemLog("f.csv")
    table = read_table(path, COLUMNS, log)
    bad_date = "is not a real date like 1958-04-01 (YYYY-MM-DD)"
    assert problems(log) == [
        (2, "seen_on", bad_date),
        (2, "score", "9 is outside 0-4"),
        (4, "patient_id", "is required but empty"),
        (4, "seen_on", bad_date),
        (4, "score", "9 is outside 0-4"),
        (6, "patient_id", "is required but empty"),
        (6, "seen_on", bad_date),
    ]
    assert table.lines == [2, 3, 4, 5, 6]
    assert table.columns == {
        "patient_id": ["P1", "P2", None, "P1", None],
        "seen_on": [None, date(2026, 1, 5), None, date(2026, 1, 5), None],
        "score": [None, 2, None, None, None],
    }


def test_rows_are_turned_into_columns_a_few_at_a_time_without_losing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_files, "TRANSPOSE_ROWS", 2)
    body = "".join(f"P{i},2026-01-0{1 + i % 9},{i % 5}\n" for i in range(7))
    body += "\nP7,2026-01-01\nP8,2026-01-02,3\n"  # a blank line, then a short row
    log = ProblemLog("f.csv")
    table = read_table(write(tmp_path, body), COLUMNS, log)
    assert problems(log) == [(10, "score", "has 2 cells, the header has 3")]
    assert table.lines == [2, 3, 4, 5, 6, 7, 8, 11]
    assert table.columns["patient_id"] == [f"P{i}" for i in range(7)] + ["P8"]
    assert table.columns["score"] == [i % 5 for i in range(7)] + [3]
    assert read_rows(write(tmp_path, body), COLUMNS, ProblemLog("f.csv"))[-1] == Row(
        11, {"patient_id": "P8", "seen_on": date(2026, 1, 2), "score": 3}
    )


def test_a_column_left_out_reads_as_empty_and_rows_hold_only_the_header_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("score,patient_id\n1,P1\n,P2\n", encoding="utf-8")
    table = read_table(path, COLUMNS, ProblemLog("f.csv"))
    assert table.column("seen_on") == [None, None]
    assert table.rows() == [Row(2, {"score": 1, "patient_id": "P1"}),
                            Row(3, {"score": None, "patient_id": "P2"})]  # fmt: skip


def test_a_file_of_only_a_header_has_no_rows(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, ""), COLUMNS, ProblemLog("f.csv"))
    assert table.lines == [] and table.rows() == []
    assert table.columns == {"patient_id": [], "seen_on": [], "score": []}


def test_an_unknown_column_still_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("patient_id,scor\nP1,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        read_table(path, COLUMNS, ProblemLog("f.csv"))


@pytest.mark.parametrize(
    "cell", ["7", "200", "-3", "2.5", "middle", "yess", "Q", "Mars/Olympus", "en_GB", "pt-BR"]
)
def test_a_refused_code_or_number_is_repeated_so_the_typo_shows(cell: str) -> None:
    assert repeated(cell) == f"{cell!r} "


@pytest.mark.parametrize(
    "cell",
    ["Nora", "NORA", "José", "Left", "nora@example.com", "1970-05-05", "+1 555 0100",
     "English (UK)", "12345", "a" * 13],
)  # fmt: skip
def test_a_refused_cell_that_could_be_a_name_date_phone_or_address_is_not_repeated(
    cell: str,
) -> None:
    # A column filled from its neighbour (a header that does not match the rows) puts names,
    # birth dates and phone numbers in coded columns: messages never repeat them.
    assert repeated(cell) == ""
