"""The rules core runs compiled to C (mypyc) when the install built it.

``setup.py`` compiles the modules in ``COMPILED`` and records a digest of each source in
``compiled_sources.json``. They are ordinary typed Python, and the compiled build must behave
exactly like them (a test compares the two on a whole cohort); compiled, a whole-cohort
evaluation takes about half the time.

The compiled modules are used only while they match their sources: after an edit of one of them
(an editable install that was not rebuilt), or with ``FOLLOWUP_PURE_PYTHON=1`` in the
environment, every one of them is imported from its source instead. It is all or nothing,
because compiled modules call each other directly, not through their imports.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

COMPILED = (
    "followup.domain.flags",
    "followup.domain.months",
    "followup.domain.schedule",
    "followup.services.episodes",
    "followup.services.cohort",
)
PACKAGE_DIR = Path(__file__).resolve().parent
DIGESTS_FILE = "compiled_sources.json"
PURE_ENV = "FOLLOWUP_PURE_PYTHON"


def source_path(module: str, package_dir: Path = PACKAGE_DIR) -> Path:
    """The .py file of one of the ``COMPILED`` modules."""
    return package_dir.joinpath(*module.split(".")[1:]).with_suffix(".py")


def source_digests(package_dir: Path = PACKAGE_DIR) -> dict[str, str]:
    """SHA-256 of each compiled module's source, as ``setup.py`` records them at build time."""
    return {
        module: hashlib.sha256(source_path(module, package_dir).read_bytes()).hexdigest()
        for module in COMPILED
    }


def compiled_matches_sources(package_dir: Path = PACKAGE_DIR) -> bool:
    """Whether the compiled modules (if any were built) may be used: built from these sources,
    and not turned off with FOLLOWUP_PURE_PYTHON=1."""
    if os.environ.get(PURE_ENV) == "1":
        return False
    try:
        recorded = json.loads((package_dir / DIGESTS_FILE).read_text(encoding="utf-8"))
        return bool(recorded == source_digests(package_dir))
    except (OSError, ValueError):
        return False


class _FromSource:
    """An import hook that loads the compiled modules from their .py files."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(name, source_path(name))


def choose_build() -> None:
    """Called once as the package is imported, before any compiled module can be."""
    if compiled_matches_sources():
        return
    if not any(isinstance(finder, _FromSource) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FromSource())


def running_compiled() -> bool:
    """Whether the rules run compiled (the benchmarks print it)."""
    import followup.domain.flags as flags

    return not (flags.__file__ or "").endswith(".py")
