"""Whole-cohort evaluation as plain flag rows, without SQLAlchemy.

The process that stores the flags and its helper processes (``flag_worker``) share this module.
It imports only the rules and the episode loader, so a helper starts in a tenth of the time the
full application takes to import, and it hands back compact rows, with the evidence already
serialised, so the storing process only compares and writes.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import IO, Any

import orjson

from followup.domain.flags import Finding, evaluate_episode, stable_range
from followup.domain.records import EpisodeInput, TreatmentRecord
from followup.domain.rules import RuleSet
from followup.services.episodes import DateCache, Reader, cohort_episodes, patients_episodes

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
        # orjson: the standard encoder was a tenth of the whole-cohort time.
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


class SliceClaims:
    """Slices of the cohort shared out between processes while they run: each process goes
    through the slices in its own order and evaluates those it is first to claim, so a process
    slowed down (by the machine, or by starting later) simply ends up with fewer slices and all
    finish together. A claim is a file created in a directory every process sees; creating it
    is atomic (``O_EXCL``), so exactly one process gets each slice."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def claim(self, index: int) -> bool:
        try:
            handle = os.open(
                os.path.join(self.directory, str(index)), os.O_CREAT | os.O_EXCL | os.O_WRONLY
            )
        except FileExistsError:
            return False
        os.close(handle)
        return True


# One slice's result: (slice index, flag rows, ranges).
SliceResult = tuple[int, list[FlagRow], list[RangeRow]]


def evaluate_claimed(
    read: Reader,
    rules: RuleSet,
    as_of: date,
    slices: Sequence[PatientRange],
    order: Iterable[int],
    claims: SliceClaims,
) -> Iterator[SliceResult]:
    """Evaluate every slice (by index, in ``order``) that this process claims first, giving
    each slice's rows as soon as it is done (a slice is claimed only when the previous one has
    been taken from here, so a caller that writes each result before asking for the next one
    leaves more slices to the others)."""
    dates = DateCache()
    for index in order:
        if claims.claim(index):
            rows, days = evaluate_range(read, rules, as_of, slices[index], dates)
            yield index, rows, days


def send_results(results: Iterable[SliceResult], stream: IO[bytes]) -> None:
    """A helper process's results, one pickle per slice, each sent as soon as it is done."""
    for result in results:
        pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
        stream.flush()


def received_results(stream: IO[bytes]) -> Iterator[SliceResult]:
    """The results a helper process sends (``send_results``), until it stops. A slice whose
    pickle was cut short (the helper died while sending it) is not given."""
    while True:
        try:
            yield pickle.load(stream)  # our own child's output: trusted
        except (EOFError, pickle.UnpicklingError):
            return


def evaluate_patients(
    read: Reader, rules: RuleSet, as_of: date, ids: Sequence[str]
) -> tuple[list[FlagRow], list[RangeRow]]:
    """Every episode of the given patients."""
    return evaluate_episodes(patients_episodes(read, rules, ids), rules, as_of)
