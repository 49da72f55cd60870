"""Every file followup writes (exports, review packets, call sheets, reports, backups) holds
patient data, and the one it replaces may be the only copy of last week's packet. So a file is
written whole or not at all: into a temporary file beside it, readable by its owner only from
the moment it exists, flushed and synced to the disk, then renamed over the target in one step.
On any failure the temporary file is removed and the old target is left exactly as it was; a
full disk says so, with the path.

It sits beside ``errors`` rather than in a layer: the store (backups), the services (exports)
and the reports (packets) all write files this one way.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from followup.errors import FollowupError

_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFull(FollowupError):
    """The disk (or the user's quota) is full: nothing was written, the old file is intact."""


def cannot_write(path: Path, error: OSError) -> FollowupError:
    """The message for a file that could not be written: ``disk full`` when it is."""
    if error.errno in _FULL:
        return DiskFull(f"disk full: cannot write {path}")
    return FollowupError(f"cannot write {path}: {error.strerror or error}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A new, empty temporary file beside ``path`` (mode 0600 from its creation) for the caller
    to fill and close; on success it is synced and renamed over ``path``, on any error removed.
    An OSError of the disk filling up, wherever raised, becomes DiskFull naming ``path``."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o600)  # mkstemp's mode already; said here as the rule
        os.close(fd)
        yield tmp
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError) and exc.errno in _FULL:
            raise cannot_write(path, exc) from None
        raise
    try:
        _sync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise cannot_write(path, exc) from None
    _sync_folder(path.parent)


@contextmanager
def private_text(path: Path) -> Iterator[IO[str]]:
    """A text file (UTF-8, newlines as written) that replaces ``path`` whole once the block ends
    without error (see ``replacing``); an OSError while writing it names ``path``. A target that
    exists but is neither a regular file nor a folder (a named pipe, ``/dev/stdout``) is written
    directly, as there is nothing to replace."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        with _opened(path, path, os.O_WRONLY) as fh:
            yield fh
        return
    with replacing(path) as tmp, _opened(tmp, path, os.O_WRONLY | os.O_TRUNC) as fh:
        yield fh


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, readable by its owner only; an existing
    file is replaced (and so loses any wider permissions it had). It takes the whole text, so
    the caller renders first: a failure while rendering never touches an earlier file."""
    with private_text(path) as fh:
        fh.write(text)


@contextmanager
def _opened(path: Path, named: Path, flags: int) -> Iterator[IO[str]]:
    """``path`` open for writing text; any OSError while writing it is reported for ``named``
    (the target, not the temporary file)."""
    try:
        with open(os.open(path, flags), "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
    except OSError as exc:
        raise cannot_write(named, exc) from None


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system lets a folder be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
