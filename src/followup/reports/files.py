"""Files handed out hold patient data: they are written readable by their owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from followup.errors import FollowupError


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) readable by its owner only; an existing regular file
    loses any wider permissions it had. It takes the whole text, so the caller renders first:
    a failure while rendering never truncates an earlier file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise FollowupError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise FollowupError(f"cannot write {path}: {exc.strerror or exc}") from None
