"""Consistent online backups of a SQLite database through the SQLite backup API, which copies a
consistent snapshot even while another process writes. The copy is written whole or not at all
(``followup.private_files``): an earlier backup of the same name survives a failure."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from followup.private_files import cannot_write, replacing


def sqlite_backup(engine: Engine, target: Path) -> None:
    """Copy the database behind ``engine`` into ``target`` (0600, replaced if present)."""
    target = Path(target)
    with replacing(target) as tmp:
        raw = engine.raw_connection()
        try:
            source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
            dest = sqlite3.connect(tmp)
            try:
                source.backup(dest)
            except sqlite3.OperationalError as exc:
                if "full" not in str(exc):
                    raise
                raise cannot_write(target, OSError(errno.ENOSPC, "disk full")) from None
            finally:
                dest.close()
        finally:
            raw.close()
