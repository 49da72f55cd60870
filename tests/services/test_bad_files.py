"""The generated bad-file corpus (issue 16), kept as a test: every malformed file is refused by
``followup import`` (the command line, in process) with exit 1 and a message naming the file, the
line of the defect and a column, and the database is exactly as before. A few valid files of
unusual shape are accepted, so the generator is seen to make more than rejects.

Default size: ``FOLLOWUP_BAD_FILES`` files per kind (24) on SQLite, a quarter of that on
PostgreSQL; ``FOLLOWUP_BAD_FILES=2000`` runs thousands.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from followup.cli import main
from tests.bad_files import BASE_PATIENTS, KINDS, bad_files, odd_files
from tests.conftest import make_context

COUNT = int(os.environ.get("FOLLOWUP_BAD_FILES", "24"))
BASE_PATIENTS_CSV = "patient_id,name,birth_date\n" + "".join(
    f"{p},Base {p},1950-01-0{n + 1}\n" for n, p in enumerate(BASE_PATIENTS)
)
BASE_TREATMENTS_CSV = "treatment_id,patient_id,knee,treated_on,product\n" + "".join(
    f"T{n + 1},{p},left,2024-06-01,prp\n" for n, p in enumerate(BASE_PATIENTS)
)


def _base(url: str, tmp_path: Path) -> None:
    make_context(url).close()
    for kind, content in (("patients", BASE_PATIENTS_CSV), ("treatments", BASE_TREATMENTS_CSV)):
        path = tmp_path / f"base-{kind}.csv"
        path.write_text(content, encoding="utf-8")
        assert main(["--db", url, "import", kind, str(path)]) == 0


def _sqlite_dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _checksum(url: str) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the rows of every table (PostgreSQL)."""
    engine = create_engine(url)
    found = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            found[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    engine.dispose()
    return found


def _refuse_all(url: str, tmp_path: Path, count: int, capsys, state) -> None:  # type: ignore[no-untyped-def]
    before = state()
    folder = tmp_path / "bad"
    folder.mkdir()
    wrong = []
    for kind in KINDS:
        for bad in bad_files(kind, count):
            path = folder / bad.name
            path.write_bytes(bad.data)
            code = main(["--db", url, "import", kind, str(path)])
            said = capsys.readouterr().err
            named = f"{bad.name}, line {bad.line}, column "
            # A header naming no column at all is wrong as a whole line: no column to name.
            whole_line = bad.line == 1 and f"{bad.name}, line 1: " in said
            if code != 1 or not (named in said or whole_line) or "Traceback" in said:
                wrong.append((bad.name, bad.defect, code, said[:300]))
    assert not wrong, "\n".join(map(str, wrong[:10]))
    assert state() == before


def test_every_bad_file_is_refused_and_changes_nothing_sqlite(tmp_path: Path, capsys) -> None:
    db = tmp_path / "corpus.db"
    url = f"sqlite:///{db}"
    _base(url, tmp_path)
    _refuse_all(url, tmp_path, COUNT, capsys, lambda: _sqlite_dump(db))


@pytest.mark.postgres
def test_every_bad_file_is_refused_and_changes_nothing_postgres(
    pg_url: str, tmp_path: Path, capsys
) -> None:
    _base(pg_url, tmp_path)
    _refuse_all(pg_url, tmp_path, max(4, COUNT // 4), capsys, lambda: _checksum(pg_url))


@pytest.mark.parametrize("kind", KINDS)
def test_valid_files_of_odd_shape_are_accepted(kind: str, tmp_path: Path, capsys) -> None:
    template = tmp_path / "base.db"
    _base(f"sqlite:///{template}", tmp_path)
    for name, data in odd_files(kind):
        db = tmp_path / f"{name}.db"
        with sqlite3.connect(template) as source, sqlite3.connect(db) as copy:
            source.backup(copy)  # the whole database, what is still in its WAL too
        path = tmp_path / f"{kind}-{name}.csv"
        path.write_bytes(data)
        code = main(["--db", f"sqlite:///{db}", "import", kind, str(path)])
        assert code == 0, (name, capsys.readouterr().err)
