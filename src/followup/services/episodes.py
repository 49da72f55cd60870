"""Build the rules' plain inputs (EpisodeInput) from the database: for one knee after a save, or
for the whole cohort, streamed in (patient, knee, date) order with raw driver cursors because
SQLAlchemy's per-row type processing would cost more than the rules themselves."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from followup.domain.records import DecisionRecord, EpisodeInput, ScoredAssessment, TreatmentRecord
from followup.domain.rules import RuleSet

TREATMENT_SQL = (
    "SELECT id, patient_id, knee, treated_on, product, route, kl_grade, cells_millions, "
    "booster_of, banked_doses FROM treatment"
)
ASSESSMENT_SQL = (
    "SELECT patient_id, knee, id, assessed_on, pain_score, stiffness_score, function_score, "
    "total_score, patient_global, adverse_event FROM assessment WHERE entered_in_error = false"
)
ORDER = " ORDER BY patient_id, knee, assessed_on, id"
DECISION_SQL = (
    "SELECT f.treatment_id, f.kind, d.decision, d.decided_at FROM review_decision d "
    "JOIN flag f ON f.id = d.flag_id"
)


class DateParser:
    """ISO text (SQLite) or date objects (PostgreSQL) to dates, with a cache: a cohort has a few
    thousand distinct dates and a million rows."""

    def __init__(self) -> None:
        self.cache: dict[Any, date] = {}

    def __call__(self, value: Any) -> date:
        try:
            return self.cache[value]
        except KeyError:
            parsed = value if isinstance(value, date) else date.fromisoformat(value[:10])
            self.cache[value] = parsed
            return parsed


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class KneeKey:
    patient_id: str
    knee: str


def treatment_record(row: Any, as_date: DateParser) -> TreatmentRecord:
    return TreatmentRecord(
        id=row[0],
        patient_id=row[1],
        knee=row[2],
        treated_on=as_date(row[3]),
        product=row[4],
        route=row[5],
        kl_grade=row[6],
        cells_millions=row[7],
        booster_of=row[8],
        banked_doses=row[9],
    )


def episodes_of_knee(
    treatments: list[TreatmentRecord],
    assessments: list[ScoredAssessment],
    smoker: bool,
    decisions: dict[str, list[DecisionRecord]],
    rules: RuleSet,
) -> list[EpisodeInput]:
    """Split one knee's history into episodes. ``treatments`` and ``assessments`` are in date
    order. Each episode sees the assessments from the baseline look-back before its treatment
    up to (not including) the next treatment's date."""
    lookback = timedelta(days=rules.baseline.lookback_days)
    dates = [a.assessed_on for a in assessments]
    episodes = []
    for i, t in enumerate(treatments):
        nxt = treatments[i + 1].treated_on if i + 1 < len(treatments) else None
        lo = bisect_left(dates, t.treated_on - lookback)
        hi = bisect_left(dates, nxt) if nxt is not None else len(dates)
        episodes.append(
            EpisodeInput(
                treatment=t,
                next_treated_on=nxt,
                smoker=smoker,
                assessments=tuple(assessments[lo:hi]),
                decisions=tuple(decisions.get(t.id, ())),
            )
        )
    return episodes


def _scored(row: Any, as_date: DateParser) -> ScoredAssessment:
    return ScoredAssessment(row[2], as_date(row[3]), row[4], row[5], row[6], row[7], row[8], row[9])


def _decisions(conn: Connection, where: str = "", params: Any = ()) -> dict[str, list]:
    found: dict[str, list[DecisionRecord]] = defaultdict(list)
    for tid, kind, decision, decided_at in conn.exec_driver_sql(DECISION_SQL + where, params):
        found[tid].append(DecisionRecord(kind, decision, _datetime(decided_at)))
    return found


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def knee_episodes(
    conn: Connection, patient_id: str, knee: str, rules: RuleSet
) -> list[EpisodeInput]:
    """All episodes of one knee (used to re-evaluate after a save)."""
    q = _placeholder(conn)
    as_date = DateParser()
    where = f" WHERE patient_id = {q} AND knee = {q}"
    treatments = [
        treatment_record(r, as_date)
        for r in conn.exec_driver_sql(
            TREATMENT_SQL + where + " ORDER BY treated_on", (patient_id, knee)
        )
    ]
    if not treatments:
        return []
    assessments = [
        _scored(r, as_date)
        for r in conn.exec_driver_sql(
            ASSESSMENT_SQL + f" AND patient_id = {q} AND knee = {q}" + ORDER, (patient_id, knee)
        )
    ]
    smoker_row = conn.exec_driver_sql(
        f"SELECT smoker FROM patient WHERE id = {q}", (patient_id,)
    ).first()
    ids = [t.id for t in treatments]
    marks = ", ".join([q] * len(ids))
    decisions = _decisions(conn, f" WHERE f.treatment_id IN ({marks})", tuple(ids))
    smoker = bool(smoker_row[0]) if smoker_row else False
    return episodes_of_knee(treatments, assessments, smoker, decisions, rules)


def cohort_episodes(conn: Connection, rules: RuleSet) -> Iterator[EpisodeInput]:
    """Every episode of every knee, one knee at a time, reading assessments in one ordered pass."""
    as_date = DateParser()
    by_knee: dict[tuple[str, str], list[TreatmentRecord]] = defaultdict(list)
    for r in conn.exec_driver_sql(TREATMENT_SQL + " ORDER BY patient_id, knee, treated_on"):
        by_knee[(r[1], r[2])].append(treatment_record(r, as_date))
    smokers = {
        pid for pid, smoker in conn.exec_driver_sql("SELECT id, smoker FROM patient") if smoker
    }
    decisions = _decisions(conn)
    current: tuple[str, str] | None = None
    batch: list[ScoredAssessment] = []
    for row in conn.exec_driver_sql(ASSESSMENT_SQL + ORDER):
        key = (row[0], row[1])
        if key != current:
            if current is not None and current in by_knee:
                yield from episodes_of_knee(
                    by_knee.pop(current), batch, current[0] in smokers, decisions, rules
                )
            current, batch = key, []
        batch.append(
            ScoredAssessment(
                row[2], as_date(row[3]), row[4], row[5], row[6], row[7], row[8], row[9]
            )
        )
    if current is not None and current in by_knee:
        yield from episodes_of_knee(
            by_knee.pop(current), batch, current[0] in smokers, decisions, rules
        )
    for (pid, _knee), treatments in by_knee.items():  # treated knees with no assessments yet
        yield from episodes_of_knee(treatments, [], pid in smokers, decisions, rules)
