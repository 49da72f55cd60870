"""The compiled rules core (``followup.native``): CI runs it compiled, it gives exactly what the
Python sources give, and a build that no longer matches its sources is never used."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings

from followup import native
from followup.domain import flags as running_flags
from followup.domain.records import EpisodeInput
from followup.domain.rules import default_rules

from .test_flag_properties import episodes

RULES = default_rules()
COMPILED = native.running_compiled()


def test_ci_runs_the_rules_compiled() -> None:
    """A build that silently fell back to pure Python would miss the whole-cohort figures."""
    if os.environ.get("CI") != "true" and not COMPILED:
        pytest.skip("installed without the compiled rules core (allowed outside CI)")
    assert COMPILED, "the rules core was not compiled at install (see setup.py's warning)"


def _copy_sources(package_dir: Path) -> None:
    for module in native.COMPILED:
        target = native.source_path(module, package_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native.source_path(module), target)


def test_a_build_is_used_only_while_it_matches_its_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    _copy_sources(tmp_path)
    assert not native.compiled_matches_sources(tmp_path)  # nothing recorded: not built here
    digests = tmp_path / native.DIGESTS_FILE
    digests.write_text(json.dumps(native.source_digests(tmp_path)))
    assert native.compiled_matches_sources(tmp_path)
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert not native.compiled_matches_sources(tmp_path)
    monkeypatch.delenv(native.PURE_ENV)
    schedule = native.source_path("followup.domain.schedule", tmp_path)
    schedule.write_text(schedule.read_text() + "\n# edited after the build\n")
    assert not native.compiled_matches_sources(tmp_path)
    digests.write_text("not json")
    assert not native.compiled_matches_sources(tmp_path)


def _run(code: str, *, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_switch_loads_every_compiled_module_from_source() -> None:
    code = (
        "import importlib\nfrom followup import native\n"
        "for m in native.COMPILED: print(importlib.import_module(m).__file__)"
    )
    files = _run(code, pure=True).split()
    assert len(files) == len(native.COMPILED)
    assert all(f.endswith(".py") for f in files), files


def test_a_whole_cohort_gives_the_same_rows_compiled_and_in_python(demo_template: Path) -> None:
    """Flag rows (with their serialised evidence) and stable ranges of every demo episode on
    several days, from the helper-process code path, compiled vs pure Python."""
    if not COMPILED:
        pytest.skip("not compiled: nothing to compare")
    code = f"""
import sqlite3, sys, pickle
from datetime import date, timedelta
from followup.domain.rules import default_rules
from followup.services.cohort import evaluate_range
con = sqlite3.connect({str(demo_template)!r})
rules, today = default_rules(), date(2026, 11, 21)
out = [evaluate_range(con.execute, rules, today + timedelta(days=n), None)
       for n in (-400, -30, 0, 1, 45, 200, 900)]
print(repr(out))
"""
    compiled, pure = _run(code, pure=False), _run(code, pure=True)
    assert "flag" in compiled or "wearing" in compiled  # the comparison has something in it
    assert compiled == pure


def _pure_flags() -> ModuleType:
    """flags.py loaded from its source under another name, next to the compiled one."""
    spec = importlib.util.spec_from_file_location(
        "followup_pure_flags", native.source_path("followup.domain.flags")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PURE = _pure_flags() if COMPILED else None


@settings(max_examples=300, deadline=None)
@given(episodes())
def test_random_episodes_give_the_same_findings_compiled_and_in_python(
    case: tuple[EpisodeInput, date],
) -> None:
    if PURE is None:
        pytest.skip("not compiled: nothing to compare")
    ep, as_of = case

    def plain(found: list) -> list:  # noqa: ANN001 - Findings of either build
        return [
            (f.kind, f.level, f.raised_on, f.booster_check_by, f.summary, f.evidence) for f in found
        ]

    assert plain(running_flags.evaluate_episode(ep, as_of, RULES)) == plain(
        PURE.evaluate_episode(ep, as_of, RULES)
    )
    assert running_flags.stable_range(ep, as_of, RULES) == PURE.stable_range(ep, as_of, RULES)
