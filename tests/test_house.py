"""House rules the code keeps, checked so they stay kept: small modules (STYLE.md: frogmouth's
median is about 60 lines), layers that point one way (DESIGN.md 5), a domain that loads neither
Textual nor SQLAlchemy, and a docstring on everything public."""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

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


REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
LAYER_CONTRACTS = 6  # as listed under [tool.importlinter] in pyproject.toml


def lint_imports_command() -> list[str]:
    """The ``lint-imports`` script installed beside this interpreter, or the same entry point
    through ``-c`` when the environment has no scripts directory."""
    script = Path(sys.executable).with_name("lint-imports")
    if script.exists():
        return [str(script)]
    return [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command as main; sys.exit(main())",
    ]


@pytest.mark.skipif(not PYPROJECT.exists(), reason="the contracts live in the clone's pyproject")
def test_the_layer_contracts_are_kept() -> None:
    result = subprocess.run(
        [*lint_imports_command(), "--no-cache", "--no-logo", str(PYPROJECT)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every contract was read and checked, none dropped by a typo in the table's name.
    assert f"Contracts: {LAYER_CONTRACTS} kept, 0 broken." in output, output


def test_importing_the_domain_loads_no_database_or_ui_library() -> None:
    code = """
import importlib, pkgutil, sys
import followup.domain
names = [m.name for m in pkgutil.walk_packages(followup.domain.__path__, "followup.domain.")]
for name in names:
    importlib.import_module(name)
print(len(names))
print(sorted(m for m in sys.modules if m.split(".")[0] in {"sqlalchemy", "sqlmodel", "textual"}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.splitlines()
    assert int(count) > 10  # the walk found the domain's modules, flags/ and outcomes/ included
    assert loaded == "[]", f"importing followup.domain loaded {loaded}"


# Textual calls these by name (event handlers, key actions, reactive watchers, layout): what
# they do is said by the binding's tooltip, the message's docstring or the widget's own.
TEXTUAL_HOOKS = ("on_", "action_", "watch_", "compose", "render")


def undocumented(path: Path) -> list[str]:
    """The public functions, classes and methods of a module that have no docstring: every
    name not starting with ``_``, at module level and in public classes, except Textual hooks."""
    tree = ast.parse(path.read_text("utf-8"))
    missing = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name.startswith("_"):
            continue
        if ast.get_docstring(node) is None:
            missing.append(f"{node.name} (line {node.lineno})")
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if method.name.startswith(("_", *TEXTUAL_HOOKS)):
                    continue
                if ast.get_docstring(method) is None:
                    missing.append(f"{node.name}.{method.name} (line {method.lineno})")
    return missing


def test_every_module_and_public_name_has_a_docstring() -> None:
    missing = {}
    for path in source_files():
        names = undocumented(path)
        if ast.get_docstring(ast.parse(path.read_text("utf-8"))) is None:
            names.insert(0, "the module")
        if names:
            missing[str(path.relative_to(SRC))] = names
    assert not missing, f"say what each does and why, in the clinic's words: {missing}"
