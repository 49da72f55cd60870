"""Reading and checking CSV files (DESIGN.md section 7): header row, UTF-8 (Excel's BOM and CRLF
accepted), columns in any order, optional columns may be absent, unknown columns refused so a typo
never silently drops data. Every problem is reported with file, line (header = line 1) and column.
No cell holds a control character; numbers and dates are ASCII digits; a message never repeats
a cell that may identify a patient (a date, a name, a phone number: text is never repeated).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from followup.domain.written_dates import written_day
from followup.errors import InvalidInput, Problem
from followup.store.fields import (
    TextCheck,
    TimeZoneName,
    control_problem,
    decimal_number,
    field_rule,
)
from followup.store.fields import whole_number as strict_whole_number
from followup.store.text_files import read_text

Parser = Callable[[str], Any]
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


def read_rows(path: Path, columns: list[Column], log: ProblemLog) -> list[Row]:
    """Parse every row. Each row's ``values`` has every header column (None for an empty or bad
    cell). Cell problems go to ``log`` in line order; rows with bad cells are still returned, so
    later checks (references, duplicates) can report their other problems too.

    Columnar: the table is transposed once, enumerated columns are looked up a whole column at
    a time, and only cells a lookup does not know are parsed one by one (to accept or explain
    them). At a million rows this is several times faster than parsing cell by cell.
    """
    by_name = {c.name: c for c in columns}
    header, lines, table = _read_table(path, by_name, log)
    if not table:
        return []
    in_order = [by_name[h] for h in header]
    problems: list[tuple[int, int, str, str]] = []
    value_columns = [
        _parse_column(position, column, cells, lines, problems)
        for position, (column, cells) in enumerate(
            zip(in_order, zip(*table, strict=True), strict=True)
        )
    ]
    problems.sort()
    for line, _position, name, message in problems:
        log.add(line, name, message)
    names = [c.name for c in in_order]
    return [
        Row(line, dict(zip(names, values, strict=True)))
        for line, values in zip(lines, zip(*value_columns, strict=True), strict=True)
    ]


def _read_table(
    path: Path, by_name: dict[str, Column], log: ProblemLog
) -> tuple[list[str], list[int], list[list[str]]]:
    """Header, line numbers and cell lists of the well-formed rows."""
    lines: list[int] = []
    table: list[list[str]] = []
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
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.add(reader.line_num, "1", _read_error(exc))
            continue
        if len(cells) != width:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            # Named: the first column without a cell, or the position of the first extra one.
            where = header[len(cells)] if len(cells) < width else str(width + 1)
            log.add(reader.line_num, where, f"has {len(cells)} cells, the header has {width}")
            continue
        lines.append(reader.line_num)
        table.append(cells)
    return header, lines, table


def _parse_column(
    position: int,
    column: Column,
    cells: tuple[str, ...],
    lines: list[int],
    problems: list[tuple[int, int, str, str]],
) -> list[Any]:
    """Values of one column; problems are appended as (line, position, column, message)."""
    lookup = column.lookup or {}
    values = list(map(lookup.get, cells))
    refused: set[int] = set()
    # Only cells the lookup did not know need a closer look (most columns: none, or blanks).
    if values.count(None) != cells.count(""):
        for j, value in enumerate(values):
            cell = cells[j]
            if value is not None or not cell:
                continue
            # Before the spaces at the ends come off: strip() would also drop some controls.
            problem = control_problem(cell, lines=True)
            cell = cell.strip()
            if problem is None and not cell:
                continue
            try:
                if problem is not None:
                    raise ValueError(problem)
                values[j] = column.parse(cell)
            except ValueError as exc:
                problems.append((lines[j], position, column.name, str(exc)))
                refused.add(j)
    if column.required and None in values:
        for j, value in enumerate(values):
            if value is None and j not in refused and not cells[j].strip():
                problems.append((lines[j], position, column.name, "is required but empty"))
    return values


def _read_error(exc: Exception) -> str:
    return f"is not valid CSV ({exc})"


def _check_header(header: list[str], by_name: dict[str, Column], log: ProblemLog) -> bool:
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


# --- cell parsers: each takes a stripped, non-empty cell and raises ValueError with a message ---


def text(max_length: int, checks: tuple[TextCheck, ...] = ()) -> Parser:
    """Text of at most ``max_length`` characters passing ``checks``. A leading apostrophe that
    an export put before a formula-like cell (``'+44 20...``) is taken off again."""

    def parse(cell: str) -> str:
        cell = unquote(cell)
        if len(cell) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        problem = control_problem(cell, lines=True)
        if problem is not None:
            raise ValueError(problem)
        for check in checks:
            check.check(cell)
        return cell

    return parse


# A spreadsheet runs a cell beginning with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """Whether an export must put an apostrophe before ``value``: it begins like a formula, or
    it is itself an apostrophe before one (so that taking one off on import gives it back)."""
    while value.startswith("'"):
        value = value[1:]
    return value.startswith(FORMULA_STARTS)


def quote(value: str) -> str:
    """``value`` safe to open in a spreadsheet: an apostrophe before anything formula-like."""
    return "'" + value if looks_like_formula(value) else value


def unquote(cell: str) -> str:
    """The value ``quote`` was given: its apostrophe off, exactly when it put one there."""
    if cell.startswith("'") and looks_like_formula(cell[1:]):
        return cell[1:]
    return cell


@lru_cache(maxsize=100_000)
def iso_date(cell: str) -> date:
    """A cell holding a date written YYYY-MM-DD (ASCII digits). The message does not repeat
    the cell: a birth date identifies a patient."""
    try:
        return written_day(cell)
    except ValueError:
        raise ValueError("is not a real date like 1958-04-01 (YYYY-MM-DD)") from None


# A date-time as followup writes it and people type it: a written day, "T" or a space, hours and
# minutes (seconds and their fraction if any), then the UTC offset as Z or +HH:MM (checked apart,
# to say it is missing). Python also reads "T0930", "+0900" and week dates; nobody means those.
WRITTEN_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def iso_datetime_with_offset(cell: str) -> datetime:
    """A cell holding a date-time with its UTC offset (a call's local time stays known)."""
    try:
        if WRITTEN_DATETIME.fullmatch(cell) is None:
            raise ValueError
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError("is not a date-time like 2026-03-14T09:30:00+09:00") from None
    if value.utcoffset() is None:
        raise ValueError("has no UTC offset (add e.g. +09:00 or Z)")
    return value


def whole_number(low: int, high: int, noun: str | None = None) -> Parser:
    """A whole number from ``low`` to ``high``; ``noun`` says what it is in messages."""

    def parse(cell: str) -> int:
        try:
            value = strict_whole_number(cell)
        except ValueError:
            value = None
        if noun is not None and (value is None or not low <= value <= high):
            raise ValueError(f"{cell!r} is not {noun} {low}-{high}")
        if value is None:
            raise ValueError(f"{cell!r} is not a whole number (digits 0-9)")
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}-{high}")
        return value

    return parse


def decimal(low: float, high: float) -> Parser:
    """A parser for a number between ``low`` and ``high``."""

    def parse(cell: str) -> float:
        try:
            value = decimal_number(cell)
        except ValueError:
            raise ValueError(f"{cell!r} is not a number like 27.5") from None
        if not low <= value <= high:  # also refuses nan
            raise ValueError(f"{cell} is outside {low:g}-{high:g}")
        return value

    return parse


def choice_column(name: str, values: tuple[str, ...], required: bool = False) -> Column:
    """A column of coded text: one of ``values``."""
    return Column(name, one_of(values), required, lookup={v: v for v in values})


def one_of(values: tuple[str, ...]) -> Parser:
    """A parser for a cell that must be one of ``values``."""
    allowed = set(values)

    def parse(cell: str) -> str:
        if cell not in allowed:
            raise ValueError(f"{cell!r} is not one of: {', '.join(values)}")
        return cell

    return parse


def yes_no(cell: str) -> bool:
    """A cell holding "yes" or "no" (any case)."""
    lowered = cell.lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise ValueError(f"{cell!r} must be yes or no")


def timezone_name(cell: str) -> str:
    """A cell holding an IANA time zone name, such as Europe/Paris."""
    return TimeZoneName().check(cell)  # type: ignore[no-any-return]
