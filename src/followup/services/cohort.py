"""Whole-cohort evaluation as plain flag rows: the rules' findings with the evidence already
serialised, and each episode's stable range, so storing them is comparing and writing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import orjson

from followup.domain.flags import Finding, evaluate_episode, stable_range
from followup.domain.records import EpisodeInput, TreatmentRecord
from followup.domain.rules import RuleSet
from followup.store.episodes import DateCache, Reader, cohort_episodes, patients_episodes

# A finding as stored: (treatment id, patient id, knee, kind, FLAG_FIELDS values with dates as
# ISO text, so they compare equal to what the database returns).
FlagRow = tuple[str, str, str, str, tuple[Any, ...]]
FLAG_FIELDS = ("level", "raised_on", "booster_check_by", "summary", "evidence", "rule_set_version")


def finding_values(finding: Finding) -> tuple[Any, ...]:
    """A finding's stored fields, in FLAG_FIELDS order."""
    check_by = finding.booster_check_by
    return (
        finding.level,
        finding.raised_on.isoformat(),
        check_by.isoformat() if check_by else None,
        finding.summary,
        orjson.dumps(finding.evidence, option=orjson.OPT_SORT_KEYS).decode(),
        str(finding.evidence.get("rule_set", "")),
    )


def flag_rows(treatment: TreatmentRecord, findings: Iterable[Finding]) -> list[FlagRow]:
    t = treatment
    return [(t.id, t.patient_id, t.knee, f.kind, finding_values(f)) for f in findings]


# An episode's stable range as stored: (treatment id, patient id, first day, end day), days as
# ISO text or None (unbounded).
RangeRow = tuple[str, str, str | None, str | None]


def evaluate_episodes(
    episodes: Iterable[EpisodeInput], rules: RuleSet, as_of: date
) -> tuple[list[FlagRow], list[RangeRow]]:
    """The flag rows of the episodes and the days each episode's result holds."""
    found: list[FlagRow] = []
    ranges: list[RangeRow] = []
    iso: dict[date | None, str | None] = {None: None}  # few distinct days, many episodes
    for episode in episodes:
        t = episode.treatment
        findings = evaluate_episode(episode, as_of, rules)
        if findings:
            found.extend(flag_rows(t, findings))
        start, end = stable_range(episode, as_of, rules)
        if start not in iso:
            iso[start] = start.isoformat()  # type: ignore[union-attr]
        if end not in iso:
            iso[end] = end.isoformat()  # type: ignore[union-attr]
        ranges.append((t.id, t.patient_id, iso[start], iso[end]))
    return found, ranges


PatientRange = tuple[str | None, str | None]


def evaluate_range(
    read: Reader,
    rules: RuleSet,
    as_of: date,
    patients: PatientRange | None,
    dates: DateCache | None = None,
) -> tuple[list[FlagRow], list[RangeRow]]:
    """Every episode of the patients in a half-open ID range (all if None)."""
    return evaluate_episodes(cohort_episodes(read, rules, patients, dates), rules, as_of)


def evaluate_patients(
    read: Reader, rules: RuleSet, as_of: date, ids: Sequence[str]
) -> tuple[list[FlagRow], list[RangeRow]]:
    """Every episode of the given patients."""
    return evaluate_episodes(patients_episodes(read, rules, ids), rules, as_of)
