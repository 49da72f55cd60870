"""A seeded generator of malformed CSV files for each import kind (issue 16): a few valid rows
with one defect at a random row and column. Each ``BadFile`` knows the line the refusal must
name. ``odd_files`` makes valid files of unusual shape (BOM, CRLF, quoted commas, columns
reordered, accents, a tab in a note) that must be accepted.

The base database holds patients P1-P3 with treatments T1-T3; generated rows refer to them.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from followup.domain.instrument import ITEM_KEYS

KINDS = ("patients", "treatments", "assessments", "contacts")
BASE_PATIENTS = ("P1", "P2", "P3")
CONTROLS = ("\x00", "\x1b[2J", "\x07", "\x7f", "\x85", "\x9b", "\x01", "\x1f")
ITEMS = ITEM_KEYS
HEADERS = {
    "patients": ["patient_id", "name", "birth_date", "sex", "phone", "email", "bmi"],
    "treatments": [
        "treatment_id",
        "patient_id",
        "knee",
        "treated_on",
        "product",
        "kl_grade",
        "banked_doses",
    ],  # fmt: skip
    "assessments": [
        "patient_id",
        "knee",
        "assessed_on",
        "source",
        *ITEMS,
        "pain_nrs",
        "global",
        "note",
    ],  # fmt: skip
    "contacts": ["patient_id", "contacted_at", "outcome", "note"],
}
TEXT = {"patients": ["name", "phone", "email"], "assessments": ["note"], "contacts": ["note"]}
IDS = {"patients": ["patient_id"], "treatments": ["treatment_id", "patient_id"],
       "assessments": ["patient_id"], "contacts": ["patient_id"]}  # fmt: skip
NUMBERS = {
    "patients": {"bmi": ("9", "91", "nan", "inf", "1_0", "٢٥", "2e1")},
    "treatments": {"kl_grade": ("0", "5", "1_0", "٣", "2.0"), "banked_doses": ("-1", "101", "1_0")},
    "assessments": {
        **{i: ("5", "-1", "1_0", "٢", "1.0", " 0x1") for i in ITEMS},
        "pain_nrs": ("11", "1_0", "٣"),
        "global": ("101", "5_0", "٥٠"),
    },
}
DATES = {"patients": "birth_date", "treatments": "treated_on", "assessments": "assessed_on",
         "contacts": "contacted_at"}  # fmt: skip
BAD_DATES = ("2025-02-30", "20250101", "٢٠٢٥-01-01", "2025-1-1", "yesterday", "2025-13-01")
LONG = {"name": 201, "phone": 61, "email": 201, "note": 2001}


@dataclass(frozen=True)
class BadFile:
    """A malformed file: its kind, name, bytes, the line its refusal names, and the defect."""

    kind: str
    name: str
    data: bytes
    line: int
    defect: str


def _row(kind: str, n: int, rng: random.Random) -> dict[str, str]:
    pid = rng.choice(BASE_PATIENTS)
    if kind == "patients":
        return {"patient_id": f"N{n}", "name": f"Test Person {n}", "birth_date": "1950-03-0"
                f"{1 + n % 9}", "sex": rng.choice("FMX"), "phone": f"+44 20 7946 {n:04d}",
                "email": f"p{n}@example.com", "bmi": str(rng.randint(18, 40))}  # fmt: skip
    if kind == "treatments":
        return {"treatment_id": f"TN{n}", "patient_id": pid, "knee": rng.choice(["left", "right"]),
                "treated_on": f"2025-0{1 + n % 9}-1{n % 10}", "product": "prp",
                "kl_grade": str(rng.randint(1, 4)), "banked_doses": str(rng.randint(0, 5))}  # fmt: skip
    if kind == "assessments":
        m = n % 300
        day = f"2024-{1 + m // 28:02d}-{1 + m % 28:02d}"
        row = {"patient_id": pid, "knee": "left", "assessed_on": day, "source": "phone"}
        row.update({i: str(rng.randint(0, 4)) for i in ITEMS})
        return {**row, "pain_nrs": str(rng.randint(0, 10)), "global": str(rng.randint(0, 100)),
                "note": rng.choice(["", "fine", "walks, with a stick"])}  # fmt: skip
    m = n % 300
    at = f"2025-{1 + m // 28:02d}-{1 + m % 28:02d}T09:{m % 60:02d}:00+01:00"
    return {"patient_id": pid, "contacted_at": at, "outcome": "reached", "note": "called"}


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


Defect = Callable[[str, list[str], list[list[str]], int, random.Random], tuple[bytes, int] | None]


def _set(header: list[str], rows: list[list[str]], at: int, column: str, value: str) -> None:
    rows[at][header.index(column)] = value


def _cell(value_of: Callable[[str, random.Random], str | None], columns: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def defect(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
        choices = columns.get(kind) or []
        if not choices:
            return None
        column = rng.choice(choices)
        value = value_of(column, rng)
        if value is None:
            return None
        _set(header, rows, at, column, value)
        return _csv(header, rows).encode(), at + 2

    return defect


def _control(column: str, rng: random.Random) -> str:
    return f"A{rng.choice(CONTROLS)}B" if rng.random() < 0.7 else rng.choice(CONTROLS)


def _number(kind: str):  # type: ignore[no-untyped-def]
    return lambda column, rng: rng.choice(NUMBERS[kind][column])


def _bad_bytes(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    text = _csv(header, rows)
    lines = text.split("\n")
    line = lines[at + 1]
    cut = rng.randint(0, len(line))
    bad = rng.choice([b"\xff", b"\xe9", b"\xc3(", b"\xed\xa0\x80", b"\x80"])
    lines[at + 1] = ""
    data = "\n".join(lines[: at + 1]).encode() + b"\n" + line[:cut].encode() + bad
    data += line[cut:].encode() + b"\n" + "\n".join(lines[at + 2 :]).encode()
    return data, at + 2


def _latin1(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    column = "name" if kind == "patients" else ("note" if "note" in header else None)
    if column is None:
        return None
    _set(header, rows, at, column, "José Müller")
    return _csv(header, rows).encode("latin-1"), at + 2


def _short_or_long_row(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    rows[at] = rows[at][:-1] if rng.random() < 0.5 else [*rows[at], "extra"]
    return _csv(header, rows).encode(), at + 2


def _duplicate(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    if at == 0:
        return None
    rows[at] = list(rows[rng.randrange(at)])
    return _csv(header, rows).encode(), at + 2


def _unknown_ref(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    if kind == "patients":
        return None
    _set(header, rows, at, "patient_id", "P404")
    return _csv(header, rows).encode(), at + 2


def _header_defect(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    choice = rng.randrange(4)
    if choice == 0:  # wrong delimiter
        return _csv(header, rows).replace(",", ";").encode(), 1
    if choice == 1:  # a typo in a column name
        header = [*header]
        header[rng.randrange(len(header))] += "x"
    elif choice == 2:  # a required column left out
        drop = header.index(IDS[kind][0] if kind in ("patients", "treatments") else "patient_id")
        header = header[:drop] + header[drop + 1 :]
        rows = [r[:drop] + r[drop + 1 :] for r in rows]
    else:  # UTF-16, as some spreadsheets save
        return _csv(header, rows).encode("utf-16"), 1
    return _csv(header, rows).encode(), 1


def _empty_required(kind, header, rows, at, rng):  # type: ignore[no-untyped-def]
    _set(header, rows, at, rng.choice(IDS[kind]), "")
    return _csv(header, rows).encode(), at + 2


DEFECTS: dict[str, Defect] = {
    "control character in text": _cell(_control, TEXT),
    "control character in an ID": _cell(_control, IDS),
    "markup in an ID": _cell(lambda c, r: r.choice(["P[/b]", "[red]x[/red]", "P 1", "Ω1"]), IDS),
    "overlong ID": _cell(lambda c, r: "X" * r.choice([33, 41, 500]), IDS),
    "overlong text": _cell(lambda c, r: "a" * LONG[c], TEXT),
    "bad date": _cell(lambda c, r: r.choice(BAD_DATES), {k: [v] for k, v in DATES.items()}),
    "invalid UTF-8": _bad_bytes,
    "Latin-1 text": _latin1,
    "short or long row": _short_or_long_row,
    "duplicate": _duplicate,
    "unknown patient": _unknown_ref,
    "header": _header_defect,
    "empty required cell": _empty_required,
}


def bad_files(kind: str, count: int, seed: int = 16) -> Iterator[BadFile]:
    """``count`` malformed files of ``kind``, the same ones for the same seed."""
    rng = random.Random(f"{seed}-{kind}")
    header = HEADERS[kind]
    defects = {**DEFECTS, **({"bad number": _cell(_number(kind), {kind: list(NUMBERS[kind])})}
                             if kind in NUMBERS else {})}  # fmt: skip
    names = sorted(defects)
    made = tried = 0
    while made < count:
        tried += 1
        size = rng.randint(1, 30)
        start = rng.randrange(10_000)
        rows = [list(_row(kind, start + n, rng).values()) for n in range(size)]
        at = rng.randrange(size)
        # Each defect once first (in turn; skipped where it does not apply), then at random.
        defect = names[tried % len(names)] if tried <= len(names) else rng.choice(names)
        made_file = defects[defect](kind, [*header], rows, at, rng)
        if made_file is None:
            continue
        data, line = made_file
        yield BadFile(kind, f"{kind}-{made:04d}.csv", data, line, defect)
        made += 1


def odd_files(kind: str) -> Iterator[tuple[str, bytes]]:
    """Valid files of unusual shape, each to be accepted."""
    rng = random.Random(f"odd-{kind}")
    header = HEADERS[kind]
    rows = [list(_row(kind, 500 + n, rng).values()) for n in range(4)]
    text = _csv(header, rows)
    yield "bom-crlf", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    order = list(reversed(range(len(header))))
    yield (
        "reordered",
        _csv([header[i] for i in order], [[r[i] for i in order] for r in rows]).encode(),
    )
    yield "blank-lines", (text + "\n\n").encode()
    if "note" in header:
        at = header.index("note")
        rows[0][at] = 'two lines\nand a tab\there, a comma, "quotes"'
        yield "note-lines", _csv(header, rows).encode()
    if kind == "patients":
        rows[0][header.index("name")] = "José Müller-Łukasz 山田"
        yield "accents", _csv(header, rows).encode()
