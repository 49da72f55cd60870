"""House rules the code keeps, checked so they stay kept: small modules (STYLE.md: frogmouth's
median is about 60 lines), layers that point one way (DESIGN.md 5), a domain that loads neither
Textual nor SQLAlchemy, and a docstring on everything public."""

from __future__ import annotations

import statistics
from pathlib import Path

import followup

SRC = Path(followup.__file__).parent
MIGRATIONS = SRC / "store" / "migrations" / "versions"
MAX_MODULE_LINES = 400
MAX_MEDIAN_LINES = 150


def source_files() -> list[Path]:
    """Every module of the package except the generated Alembic migrations."""
    return sorted(p for p in SRC.rglob("*.py") if MIGRATIONS not in p.parents)


def line_count(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def test_no_module_is_over_400_lines() -> None:
    sizes = {str(p.relative_to(SRC)): line_count(p) for p in source_files()}
    assert len(sizes) > 50  # the walk found the package
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"split along a real seam (at most {MAX_MODULE_LINES} lines): {too_long}"
    assert statistics.median(sizes.values()) <= MAX_MEDIAN_LINES
