"""Reading and checking CSV files (DESIGN.md section 7): header row, UTF-8 (Excel's BOM and CRLF
accepted), columns in any order, optional columns may be absent, unknown columns refused so a typo
never silently drops data. Every problem is reported with file, line (header = line 1) and column.
No cell holds a control character; numbers and dates are ASCII digits; a message never repeats
a cell that may identify a patient (a date, a name, a phone number: text is never repeated).
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from followup.errors import InvalidInput, Problem
from followup.store.bulk import TRANSPOSE_ROWS
from followup.store.csv_cells import (
    Parser,
    decimal,
    iso_date,
    iso_datetime_with_offset,
    one_of,
    text,
    timezone_name,
    whole_number,
    yes_no,
)
from followup.store.fields import control_problem, field_rule
from followup.store.text_files import read_text

# Whole numbers with at most this many allowed values are looked up, not parsed, cell by cell.
LOOKUP_MAX = 101


@dataclass(frozen=True)
class Column:
    """One CSV column: how to parse a non-empty cell, and whether it must be present and filled.

    ``lookup`` (cell text -> value) is a fast path for enumerated cells; ``parse`` still runs
    for anything not in it, to accept or explain it. ``may_be_absent``: a required column an
    update file may leave out entirely (the field stays as it is), but not leave empty.
    """

    name: str
    parse: Parser
    required: bool = False
    lookup: dict[str, Any] | None = None
    may_be_absent: bool = False


@dataclass(frozen=True)
class Row:
    """One data row of a CSV file with its line number, for error messages."""

    line: int
    values: dict[str, Any]


def column(
    name: str,
    model: type[BaseModel],
    field: str | None = None,
    *,
    required: bool = False,
    noun: str | None = None,
) -> Column:
    """The CSV column ``name`` whose cells are checked by the rule stated on ``model``'s field
    (``field``, by default the same name): its type, bounds, longest text or allowed values.
    ``noun`` names a whole number in messages ("'7' is not an answer 0-4")."""
    field = field or name
    rule = field_rule(model, field)
    kind = _plain_type(model.model_fields[field].annotation)
    if rule.one_of is not None:
        return choice_column(name, rule.one_of.values, required)
    if rule.time_zone:
        return Column(name, timezone_name, required)
    if kind is bool:
        return Column(name, yes_no, required)
    if kind is date:
        return Column(name, iso_date, required)
    if kind is datetime:
        return Column(name, iso_datetime_with_offset, required)
    if kind is int and rule.low is not None and rule.high is not None:
        low, high = int(rule.low), int(rule.high)
        lookup = {str(v): v for v in range(low, high + 1)} if high - low < LOOKUP_MAX else None
        return Column(name, whole_number(low, high, noun), required, lookup=lookup)
    if kind is float and rule.low is not None and rule.high is not None:
        return Column(name, decimal(rule.low, rule.high), required)
    if kind is str and rule.max_length is not None:
        return Column(name, text(rule.max_length, rule.text_checks), required)
    raise TypeError(f"no CSV rule for {model.__name__}.{field}")


def _plain_type(annotation: Any) -> Any:
    """``int`` for ``int | None``."""
    if get_origin(annotation) in (Union, UnionType):
        kinds = [a for a in get_args(annotation) if a is not NoneType]
        return kinds[0] if len(kinds) == 1 else annotation
    return annotation


class ProblemLog:
    """Collects problems; keeps the first ones and counts the rest."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        """Note a problem at a line and column (only the first few are kept, all are counted)."""
        self.total += 1
        if len(self.problems) < InvalidInput.MAX_SHOWN:
            self.problems.append(Problem(self.file, line, column, message))

    def raise_if_any(self) -> None:
        """Refuse the whole file, listing its problems, if any was found."""
        if self.total:
            raise InvalidInput(self.problems, self.total)


@dataclass(frozen=True)
class Table:
    """The data rows of a CSV file column by column: their line numbers, and each header
    column's values (None for an empty or bad cell). A large file is checked a column at a
    time, without one dict per row."""

    lines: list[int]
    columns: dict[str, list[Any]]

    def column(self, name: str) -> list[Any]:
        """The values of column ``name``; all None when the file leaves it out."""
        found = self.columns.get(name)
        return found if found is not None else [None] * len(self.lines)

    def rows(self) -> list[Row]:
        """The same values row by row, each with every header column."""
        names = list(self.columns)
        by_row = zip(*self.columns.values(), strict=True) if names else ((),) * len(self.lines)
        return [
            Row(line, dict(zip(names, values, strict=True)))
            for line, values in zip(self.lines, by_row, strict=True)
        ]


def read_rows(path: Path, columns: list[Column], log: ProblemLog) -> list[Row]:
    """Parse every row (``read_table``, row by row). Each row's ``values`` has every header
    column (None for an empty or bad cell)."""
    return read_table(path, columns, log).rows()


def read_table(path: Path, columns: list[Column], log: ProblemLog) -> Table:
    """Parse every row, column by column. Cell problems go to ``log`` in line order; rows with
    bad cells are still returned, so later checks (references, duplicates) can report their
    other problems too.

    Each column's distinct cells are parsed once (enumerated columns are looked up, and a
    patient ID or a date repeats on many rows), to accept or explain them; the values are then
    looked up a whole column at a time. At a million rows this is several times faster than
    parsing cell by cell.
    """
    by_name = {c.name: c for c in columns}
    header, lines, cells_by_column = _read_table(path, by_name, log)
    problems: list[tuple[int, int, str, str]] = []
    values = {
        name: _parse_column(position, by_name[name], cells, lines, problems)
        for position, (name, cells) in enumerate(zip(header, cells_by_column, strict=True))
    }
    problems.sort()
    for line, _position, name, message in problems:
        log.add(line, name, message)
    return Table(lines, values)


def _read_table(
    path: Path, by_name: dict[str, Column], log: ProblemLog
) -> tuple[list[str], list[int], list[list[str]]]:
    """Header, line numbers and the cells of the well-formed rows, column by column."""
    # No cap on a cell's length here: a long cell is refused by its column's rule, by name.
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(read_text(path, log.file), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput([Problem(log.file, 1, "1", _read_error(exc))]) from None
    if header is None:
        raise InvalidInput([Problem(log.file, 1, "1", "the file is empty (no header row)")])
    header = [h.strip() for h in header]
    if not _check_header(header, by_name, log):
        log.raise_if_any()
    width = len(header)
    lines: list[int] = []
    cells_by_column: list[list[str]] = [[] for _ in header]
    rows: list[list[str]] = []

    # The rows are turned into columns a few at a time, as bulk.columns_of does, and for the
    # same reason.
    def transpose() -> None:
        for cells, row_cells in zip(cells_by_column, zip(*rows, strict=True), strict=True):
            cells.extend(row_cells)
        rows.clear()

    while True:
        try:
            for cells in reader:
                if len(cells) != width:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue  # blank line
                    # Named: the first column without a cell, or the position of the first extra.
                    where = header[len(cells)] if len(cells) < width else str(width + 1)
                    message = f"has {len(cells)} cells, the header has {width}"
                    log.add(reader.line_num, where, message)
                    continue
                lines.append(reader.line_num)
                rows.append(cells)
                if len(rows) == TRANSPOSE_ROWS:
                    transpose()
        except csv.Error as exc:
            log.add(reader.line_num, "1", _read_error(exc))
            continue  # the reader goes on with the next line
        break
    if rows:
        transpose()
    return header, lines, cells_by_column


def _parse_column(
    position: int,
    column: Column,
    cells: list[str],
    lines: list[int],
    problems: list[tuple[int, int, str, str]],
) -> list[Any]:
    """Values of one column; problems are appended as (line, position, column, message)."""
    lookup = column.lookup or {}
    refused: dict[str, str] = {}
    # Only cells the lookup does not know need a closer look (most columns: none, or blanks).
    unknown = set(cells).difference(lookup)
    unknown.discard("")
    if unknown:
        lookup = dict(lookup)
        for cell in unknown:
            value, problem = _parse_cell(column.parse, cell)
            if problem is not None:
                refused[cell] = problem
            elif value is not None:
                lookup[cell] = value
    values = list(map(lookup.get, cells))
    if refused:
        for j, cell in enumerate(cells):
            problem = refused.get(cell)
            if problem is not None:
                problems.append((lines[j], position, column.name, problem))
    if column.required and None in values:
        for j, value in enumerate(values):
            if value is None and cells[j] not in refused and not cells[j].strip():
                problems.append((lines[j], position, column.name, "is required but empty"))
    return values


def _parse_cell(parse: Parser, cell: str) -> tuple[Any, str | None]:
    """(value, None), or (None, why the cell is refused); None for a cell of spaces."""
    # Before the spaces at the ends come off: strip() would also drop some controls.
    problem = control_problem(cell, lines=True)
    if problem is not None:
        return None, problem
    cell = cell.strip()
    if not cell:
        return None, None
    try:
        return parse(cell), None
    except ValueError as exc:
        return None, str(exc)


def _read_error(exc: Exception) -> str:
    return f"is not valid CSV ({exc})"


def _check_header(header: list[str], by_name: dict[str, Column], log: ProblemLog) -> bool:
    if by_name.keys().isdisjoint(header):
        # Most likely the first row of data (a file saved without its header): its cells are
        # a patient's name, birth date and phone number, and no message repeats them.
        names = ", ".join(by_name)
        separator = next((s for s in (";", "\t") if len(header) == 1 and s in header[0]), None)
        if separator is not None:  # a spreadsheet's "CSV" in a locale that uses semicolons
            shown = "a tab" if separator == "\t" else f"'{separator}'"
            why = f"separates its columns with {shown}, not commas; save it as comma-separated"
            log.add(1, None, f"{why} (UTF-8) with the columns: {names}")
        else:
            why = "names no column; is the header row missing? The first line names the columns"
            log.add(1, None, f"{why}: {names}")
        return False
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            log.add(1, name, "appears twice in the header")
            ok = False
        seen.add(name)
        if name not in by_name:
            expected = ", ".join(by_name)
            log.add(1, name or "(empty)", f"unknown column; expected columns are: {expected}")
            ok = False
    for column in by_name.values():
        if column.required and not column.may_be_absent and column.name not in seen:
            log.add(1, column.name, "required column is missing from the header")
            ok = False
    return ok


def choice_column(name: str, values: tuple[str, ...], required: bool = False) -> Column:
    """A column of coded text: one of ``values``."""
    return Column(name, one_of(values), required, lookup={v: v for v in values})
