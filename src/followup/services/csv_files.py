"""Reading and checking CSV files (DESIGN.md section 7): header row, UTF-8 (Excel's BOM and CRLF
accepted), columns in any order, optional columns may be absent, unknown columns refused so a typo
never silently drops data. Every problem is reported with file, line (header = line 1) and column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from followup.services.errors import InvalidInput, Problem

Parser = Callable[[str], Any]
ITEM_VALUES = {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Column:
    """One CSV column: how to parse a non-empty cell, and whether it must be present and filled.

    ``lookup`` (cell text -> value) is a fast path for enumerated cells; ``parse`` still runs
    for anything not in it, to accept or explain it.
    """

    name: str
    parse: Parser
    required: bool = False
    lookup: dict[str, Any] | None = None


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


class ProblemLog:
    """Collects problems; keeps the first ones and counts the rest."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.problems) < InvalidInput.MAX_SHOWN:
            self.problems.append(Problem(self.file, line, column, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise InvalidInput(self.problems, self.total)


def read_rows(path: Path, columns: list[Column], log: ProblemLog) -> Iterator[Row]:
    """Yield parsed rows. Cell problems go to ``log``; such rows are still yielded with the bad
    cells absent, so later checks (references, duplicates) can still report other problems."""
    by_name = {c.name: c for c in columns}
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput([Problem(str(path), 0, None, f"cannot open: {exc.strerror}")]) from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput([Problem(log.file, 1, None, _read_error(exc))]) from None
        if header is None:
            raise InvalidInput([Problem(log.file, 1, None, "the file is empty (no header row)")])
        header = [h.strip() for h in header]
        if not _check_header(header, by_name, log):
            log.raise_if_any()
        index = [
            (i, c.name, c.parse, c.lookup or {}) for i, c in enumerate(by_name[h] for h in header)
        ]
        required = [(header.index(c.name), c.name) for c in columns if c.required]
        width = len(header)
        missing = _MISSING
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                log.add(reader.line_num + 1, None, _read_error(exc))
                log.raise_if_any()
            except csv.Error as exc:
                log.add(reader.line_num, None, _read_error(exc))
                continue
            line = reader.line_num
            if len(cells) != width:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                log.add(line, None, f"has {len(cells)} cells, the header has {width}")
                continue
            values: dict[str, Any] = {}
            for i, name, parse, lookup in index:
                cell = cells[i]
                if not cell:
                    continue
                value = lookup.get(cell, missing)
                if value is not missing:
                    values[name] = value
                    continue
                cell = cell.strip()
                if not cell:
                    continue
                try:
                    values[name] = parse(cell)
                except ValueError as exc:
                    log.add(line, name, str(exc))
            for i, name in required:
                if not cells[i].strip():
                    log.add(line, name, "is required but empty")
            yield Row(line, values)


_MISSING = object()


def _read_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "is not valid UTF-8 text (save the file as CSV UTF-8)"
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
        if column.required and column.name not in seen:
            log.add(1, column.name, "required column is missing from the header")
            ok = False
    return ok


# --- cell parsers: each takes a stripped, non-empty cell and raises ValueError with a message ---


def text(max_length: int) -> Parser:
    def parse(cell: str) -> str:
        if len(cell) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        return cell

    return parse


@lru_cache(maxsize=100_000)
def iso_date(cell: str) -> date:
    try:
        if len(cell) != 10:
            raise ValueError
        return date.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"{cell!r} is not a real date in the form YYYY-MM-DD") from None


def iso_datetime_with_offset(cell: str) -> datetime:
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"{cell!r} is not a date-time like 2026-03-14T09:30:00+09:00") from None
    if value.utcoffset() is None:
        raise ValueError(f"{cell!r} has no UTC offset (add e.g. +09:00 or Z)")
    return value


def whole_number(low: int, high: int) -> Parser:
    def parse(cell: str) -> int:
        try:
            value = int(cell)
        except ValueError:
            raise ValueError(f"{cell!r} is not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}-{high}")
        return value

    return parse


def decimal(low: float, high: float) -> Parser:
    def parse(cell: str) -> float:
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"{cell!r} is not a number") from None
        if not low <= value <= high:  # also refuses nan
            raise ValueError(f"{cell} is outside {low:g}-{high:g}")
        return value

    return parse


def choice_column(name: str, values: tuple[str, ...], required: bool = False) -> Column:
    return Column(name, one_of(values), required, lookup={v: v for v in values})


def item_column(name: str) -> Column:
    return Column(name, item_answer, lookup=ITEM_VALUES)


def one_of(values: tuple[str, ...]) -> Parser:
    allowed = set(values)

    def parse(cell: str) -> str:
        if cell not in allowed:
            raise ValueError(f"{cell!r} is not one of: {', '.join(values)}")
        return cell

    return parse


def yes_no(cell: str) -> bool:
    lowered = cell.lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    raise ValueError(f"{cell!r} must be yes or no")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_name(cell: str) -> str:
    if cell not in _zones():
        raise ValueError(f"{cell!r} is not an IANA time zone name like Asia/Tokyo")
    return cell


def item_answer(cell: str) -> int:
    try:
        return ITEM_VALUES[cell]
    except KeyError:
        raise ValueError(f"{cell!r} is not an answer 0-4") from None
