"""Reading a whole text file we were given (a CSV to import) as UTF-8, saying where it is not.

The file is read as bytes and decoded at once, so a byte that is not UTF-8 is reported on the
line and at the column where it is (a decoder reading the file in blocks reports where its block
began, hundreds of lines earlier). Lines end as the CSV reader ends them: LF, CR or CR LF.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from followup.errors import InvalidInput, Problem

BOMS = {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16", codecs.BOM_UTF32_LE: "UTF-32"}


def read_text(path: Path, file: str) -> str:
    """The file's text (Excel's UTF-8 BOM taken off), or InvalidInput naming ``file``, the line
    and the column (in characters, from 1) of the first byte that is not UTF-8. A file that
    cannot be opened is named by its path as given."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Problem(str(path), 0, None, f"cannot open: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput([_where(data, exc.start, file)]) from None


def _where(data: bytes, start: int, file: str) -> Problem:
    before = data[:start]
    line = len((before + b"x").splitlines())
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    if line_start == 0 and data.startswith(codecs.BOM_UTF8):
        line_start = len(codecs.BOM_UTF8)
    column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
    other = next((name for bom, name in BOMS.items() if data.startswith(bom)), None)
    hint = f"it looks like {other}; " if other else ""
    return Problem(
        file,
        line,
        str(column),
        f"byte 0x{data[start]:02X} is not UTF-8 text ({hint}save the file as CSV UTF-8)",
    )
