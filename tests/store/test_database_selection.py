"""Choosing the database safely: only a caller that creates (``followup init``, ``followup
demo``, test fixtures) gets a new one; a path that does not exist, or an empty database, is
refused with a message naming it and the command that creates it. Relative SQLite paths are
resolved against the current directory; a missing PostgreSQL driver says how to install it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from followup.errors import FollowupError
from followup.services.context import open_context
from followup.settings import Settings, database_url
from followup.store.engine import NoDatabase, make_engine

HINT = "create it with 'followup init' (or 'followup demo' for the demo clinic)"


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "clinc.db"
    with pytest.raises(NoDatabase) as refused:
        open_context(Settings(database_url=f"sqlite:///{path}"))
    assert str(refused.value) == f"no database at {path}; {HINT}"
    assert not path.exists() and not path.parent.exists()


def test_create_makes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_context(Settings(database_url=f"sqlite:///{path}"), create=True).close()
    assert path.exists()
    open_context(Settings(database_url=f"sqlite:///{path}")).close()  # now it opens


def test_an_empty_database_is_refused_without_create(any_url: str, tmp_path: Path) -> None:
    if any_url.startswith("sqlite"):
        Path(any_url.removeprefix("sqlite:///")).touch()
    with pytest.raises(NoDatabase, match=f"is empty; {HINT.replace('(', '.').replace(')', '.')}"):
        open_context(Settings(database_url=any_url))


def test_a_relative_sqlite_url_is_resolved_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url("sqlite:///clinic.db") == f"sqlite:///{tmp_path / 'clinic.db'}"
    assert database_url("clinic.db") == f"sqlite:///{tmp_path / 'clinic.db'}"
    assert (
        database_url("sqlite:///sub/c.db?timeout=5") == f"sqlite:///{tmp_path}/sub/c.db?timeout=5"
    )
    for unchanged in ("sqlite:////abs/c.db", "sqlite://", "sqlite:///:memory:",
                      "postgresql://clinic@db.example/followup"):  # fmt: skip
        assert database_url(unchanged) == unchanged
    with pytest.raises(NoDatabase, match=f"no database at {tmp_path / 'clinic.db'};"):
        open_context(Settings.from_environment("sqlite:///clinic.db"))


def test_a_missing_postgresql_driver_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # importing it now raises ImportError
    for url in ("postgresql://clinic@127.0.0.1/followup", "postgresql+psycopg://c@h/f"):
        with pytest.raises(FollowupError) as refused:
            make_engine(url)
        assert str(refused.value) == (
            "the PostgreSQL driver is not installed; install it with pip install 'followup[postgres]'"
        )
