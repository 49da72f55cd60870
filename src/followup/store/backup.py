"""Consistent online backups of a SQLite database through the SQLite backup API, which copies a
consistent snapshot even while another process writes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine


def sqlite_backup(engine: Engine, target: Path) -> None:
    """Copy the database behind ``engine`` into ``target`` (created 0600, replaced if present)."""
    target = Path(target)
    tmp = target.with_name(target.name + ".partial")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)
    raw = engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        raw.close()
    os.replace(tmp, target)
