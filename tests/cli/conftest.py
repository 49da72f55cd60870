"""Fixtures shared by the command-line tests."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo cohort loaded by the command line (dates shifted to today's real date), one
    database for each test module."""
    db = str(tmp_path_factory.mktemp("demo") / "demo.db")
    result = run("demo", db=db)
    assert result.returncode == 0, result.stderr
    return db
