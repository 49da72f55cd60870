"""``--as-of`` never goes back before the day the stored flags stand on: an evaluation of an
earlier day would clear the flags raised since, and the next run would raise them again under
new numbers (a packet's or a decision's flag number would then name a cleared flag)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.test_cli import run


@pytest.mark.parametrize("command", [["flags"], ["due"], ["review", "--format", "md"]])
def test_an_as_of_before_the_stored_evaluation_is_refused_and_nothing_changes(
    demo_db: str, command: list[str]
) -> None:
    before = run("flags", "--json", db=demo_db)
    assert before.returncode == 0, before.stderr
    refused = run(*command, "--as-of", "2026-01-01", db=demo_db)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith("followup: --as-of 2026-01-01 is before ")
    assert "Give " in refused.stderr and "Traceback" not in refused.stderr
    after = run("flags", "--json", db=demo_db)
    assert after.stdout == before.stdout  # the same open flags, under the same numbers


def test_the_stored_day_itself_and_later_days_are_evaluated(demo_db: str, tmp_path: Path) -> None:
    db = str(tmp_path / "copy.db")
    shutil.copyfile(demo_db, db)  # this test moves the stored day: the module's copy stays
    listed = run("flags", "--json", db=db)  # as of today: the day the demo evaluated
    assert listed.returncode == 0, listed.stderr
    later = run("flags", "--as-of", "2999-12-31", "--level", "urgent", db=db)
    assert later.returncode == 0, later.stderr
    back = run("flags", "--as-of", "2999-12-30", db=db)
    assert back.returncode == 1
    assert "--as-of 2999-12-30 is before 2999-12-31" in back.stderr
