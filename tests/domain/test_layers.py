"""The layers point one way: the domain imports neither Textual nor SQLModel/SQLAlchemy, and
services never import the UI."""

from __future__ import annotations

import ast
from pathlib import Path

import followup

ROOT = Path(followup.__file__).parent


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_domain_is_pure() -> None:
    for path, names in imported_modules("domain").items():
        bad = {n for n in names if n.split(".")[0] in {"textual", "sqlmodel", "sqlalchemy"}}
        bad |= {n for n in names if n.startswith(("followup.store", "followup.services"))}
        assert not bad, f"{path} imports {sorted(bad)}"


def test_services_and_store_do_not_import_the_ui() -> None:
    for package in ("services", "store"):
        for path, names in imported_modules(package).items():
            bad = {n for n in names if n.split(".")[0] == "textual" or ".tui" in n}
            assert not bad, f"{path} imports {sorted(bad)}"


def test_services_and_store_do_not_import_reports() -> None:
    """Reports render what services build (ui/cli -> reports -> services -> store/domain)."""
    for package in ("services", "store"):
        for path, names in imported_modules(package).items():
            bad = {n for n in names if n.startswith("followup.reports")}
            assert not bad, f"{path} imports {sorted(bad)}"


def test_reports_do_not_import_the_ui_or_the_store() -> None:
    for path, names in imported_modules("reports").items():
        bad = {n for n in names if n.split(".")[0] == "textual"}
        bad |= {n for n in names if n.startswith(("followup.ui", "followup.store", "followup.cli"))}
        assert not bad, f"{path} imports {sorted(bad)}"
