"""Files handed out hold patient data: they are written whole or not at all, readable by their
owner only (see ``followup.private_files``)."""

from __future__ import annotations

from followup.private_files import DiskFull, write_private

__all__ = ["DiskFull", "write_private"]
