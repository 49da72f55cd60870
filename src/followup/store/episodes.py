"""Build the rules' plain inputs (EpisodeInput) from the database: for one knee after a save, or
for the whole cohort, streamed in (patient, knee, date) order from the driver's own cursor,
because SQLAlchemy's per-row processing would cost more than the rules themselves."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from followup.domain.records import DecisionRecord, EpisodeInput, ScoredAssessment, TreatmentRecord
from followup.domain.rules import RuleSet
from followup.store.bulk import chunks, driver_rows, marks

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Runs a query (``?`` placeholders) and iterates its rows as plain tuples.
Reader = Callable[[str, Sequence[Any]], Iterable[tuple[Any, ...]]]

# Columns in TreatmentRecord order.
# Treatments entered in error do not exist for the rules. The SQL ends where a condition can be
# added with AND.
TREATMENT_SQL = (
    "SELECT id, patient_id, knee, treated_on, product, route, kl_grade, cells_millions, "
    "booster_of, banked_doses FROM treatment WHERE entered_in_error = false"
)
ASSESSMENT_SQL = (
    "SELECT patient_id, knee, id, assessed_on, pain_score, stiffness_score, function_score, "
    "total_score, patient_global, adverse_event FROM assessment WHERE entered_in_error = false"
)
ORDER = " ORDER BY patient_id, knee, assessed_on, id"
# Only decisions in force reach the rules (an amended or reopened one has been ended).
DECISION_SQL = (
    "SELECT f.treatment_id, f.kind, d.decision, d.decided_at, d.until FROM review_decision d "
    "JOIN flag f ON f.id = d.flag_id WHERE d.status = 'in_force'"
)


class DateCache(dict):
    """ISO text (SQLite) or date objects (PostgreSQL) to dates. A cohort has a few thousand
    distinct dates and a million rows, so a plain dict lookup does nearly all the work."""

    def __missing__(self, value: Any) -> date:
        parsed = value if isinstance(value, date) else date.fromisoformat(value[:10])
        self[value] = parsed
        return parsed


def as_datetime(value: Any) -> datetime:
    """A stored timestamp (UTC) as an aware datetime."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def treatment_record(row: tuple[Any, ...], dates: DateCache) -> TreatmentRecord:
    """A TREATMENT_SQL row as a record."""
    r = row
    return TreatmentRecord(r[0], r[1], r[2], dates[r[3]], r[4], r[5], r[6], r[7], r[8], r[9])


def _assessments(rows: Iterable[tuple[Any, ...]], dates: DateCache) -> list[ScoredAssessment]:
    """ASSESSMENT_SQL rows as records."""
    return [ScoredAssessment(r[2], dates[r[3]], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]


def episodes_of_knee(
    treatments: list[TreatmentRecord],
    assessments: list[ScoredAssessment],
    smoker: bool,
    decisions: dict[str, list[DecisionRecord]],
    rules: RuleSet,
) -> list[EpisodeInput]:
    """Split one knee's history into episodes. ``treatments`` and ``assessments`` are in date
    order. Each episode sees the assessments from the baseline look-back before its treatment
    up to (not including) the next treatment's date; a booster also sees its chain's first
    treatment (``booster_of`` followed back within the knee) and that treatment's baseline
    look-back, whose baseline it keeps."""
    lookback = rules.baseline.lookback
    if len(treatments) == 1:  # most knees: one episode, seeing every assessment in range
        t = treatments[0]
        first = t.treated_on - lookback
        seen = (
            tuple(assessments)
            if not assessments or assessments[0].assessed_on >= first
            else tuple(assessments[bisect_left([a.assessed_on for a in assessments], first) :])
        )
        return [EpisodeInput(t, None, smoker, seen, tuple(decisions.get(t.id, ())))]
    dates = [a.assessed_on for a in assessments]
    by_id = {t.id: t for t in treatments}
    episodes = []
    for i, t in enumerate(treatments):
        later = treatments[i + 1] if i + 1 < len(treatments) else None
        nxt = later.treated_on if later is not None else None
        lo = bisect_left(dates, t.treated_on - lookback)
        hi = bisect_left(dates, nxt) if nxt is not None else len(dates)
        chain_on, chain_forms = None, ()
        root = chain_root(t, by_id)
        if root is not t:
            chain_on = root.treated_on
            first = bisect_left(dates, root.treated_on - lookback)
            last = bisect_left(dates, root.treated_on + timedelta(days=1))
            chain_forms = tuple(assessments[first:last])
        episodes.append(
            EpisodeInput(
                t,
                nxt,
                smoker,
                tuple(assessments[lo:hi]),
                tuple(decisions.get(t.id, ())),
                chain_on,
                chain_forms,
            )  # fmt: skip
        )
    return episodes


def chain_root(treatment: TreatmentRecord, by_id: dict[str, TreatmentRecord]) -> TreatmentRecord:
    """The first treatment of a booster's chain (``booster_of`` followed back while it names a
    treatment of the same knee), or the treatment itself."""
    root, seen = treatment, {treatment.id}
    while root.booster_of is not None and root.booster_of in by_id:
        root = by_id[root.booster_of]
        if root.id in seen:  # a loop cannot be imported; never follow one forever
            break
        seen.add(root.id)
    return root


def _decisions(read: Reader, where: str, params: Sequence[Any]) -> dict[str, list[DecisionRecord]]:
    found: dict[str, list[DecisionRecord]] = defaultdict(list)
    dates = DateCache()
    for tid, kind, decision, decided_at, until in read(DECISION_SQL + where, params):
        day = dates[until] if until is not None else None
        found[tid].append(DecisionRecord(kind, decision, as_datetime(decided_at), day))
    return found


def knee_episodes(
    conn: Connection, patient_id: str, knee: str, rules: RuleSet
) -> list[EpisodeInput]:
    """All episodes of one knee (used to re-evaluate after a save, and for charts)."""
    read: Reader = partial(driver_rows, conn)
    dates = DateCache()
    key = (patient_id, knee)
    where = " AND patient_id = ? AND knee = ?"
    treatments = [
        treatment_record(r, dates)
        for r in read(TREATMENT_SQL + where + " ORDER BY treated_on", key)
    ]
    if not treatments:
        return []
    assessments = _assessments(
        read(ASSESSMENT_SQL + " AND patient_id = ? AND knee = ?" + ORDER, key), dates
    )
    smoker = [r[0] for r in read("SELECT smoker FROM patient WHERE id = ?", key[:1])]
    ids = [t.id for t in treatments]
    decisions = _decisions(read, f" AND f.treatment_id IN ({marks(len(ids))})", ids)
    return episodes_of_knee(treatments, assessments, bool(smoker and smoker[0]), decisions, rules)


# Which patients to read: a column name -> an SQL condition on it and its parameters.
PatientFilter = Callable[[str], tuple[str, list[Any]]]


def _range_filter(patients: tuple[str | None, str | None] | None) -> PatientFilter:
    """A half-open patient ID range (everyone when None)."""
    lo, hi = patients or (None, None)

    def condition(column: str) -> tuple[str, list[Any]]:
        conditions, params = [], []
        if lo is not None:
            conditions.append(f"{column} >= ?")
            params.append(lo)
        if hi is not None:
            conditions.append(f"{column} < ?")
            params.append(hi)
        return " AND ".join(conditions), params

    return condition


def _ids_filter(ids: Sequence[str]) -> PatientFilter:
    return lambda column: (f"{column} IN ({marks(len(ids))})", list(ids))


def cohort_episodes(
    read: Reader,
    rules: RuleSet,
    patients: tuple[str | None, str | None] | None = None,
    dates: DateCache | None = None,
) -> Iterator[EpisodeInput]:
    """Every episode of every knee (of the patients with IDs in the half-open range
    ``patients``, when given), one knee at a time, reading assessments in one ordered pass.
    ``read`` runs the queries: the driver's cursor of a SQLAlchemy connection, or a plain
    sqlite3 connection in a helper process. ``dates``: a cache to share between calls."""
    return _episodes(read, rules, _range_filter(patients), dates)


def patients_episodes(read: Reader, rules: RuleSet, ids: Sequence[str]) -> Iterator[EpisodeInput]:
    """Every episode of the given patients' knees, a slice of patients at a time."""
    for chunk in chunks(sorted(ids)):
        yield from _episodes(read, rules, _ids_filter(chunk))


def _episodes(
    read: Reader, rules: RuleSet, which: PatientFilter, dates: DateCache | None = None
) -> Iterator[EpisodeInput]:
    if dates is None:
        dates = DateCache()
    cond, params = which("patient_id")
    also = f" AND {cond}" if cond else ""
    by_knee: dict[tuple[str, str], list[TreatmentRecord]] = defaultdict(list)
    sql = TREATMENT_SQL + also + " ORDER BY patient_id, knee, treated_on"
    for r in read(sql, params):
        by_knee[(r[1], r[2])].append(treatment_record(r, dates))
    id_cond, _ = which("id")
    patient_sql = "SELECT id, smoker FROM patient" + (f" WHERE {id_cond}" if id_cond else "")
    smokers = {pid for pid, smoker in read(patient_sql, params) if smoker}
    flag_cond, _ = which("f.patient_id")
    decisions = _decisions(read, f" AND {flag_cond}" if flag_cond else "", params)
    # One pass over the rows in (patient, knee, date) order, a knee's records built as they
    # come (no per-row grouping key: this loop runs a million times).
    patient = ""
    knee = ""  # no knee is "": the first row starts one
    treatments: list[TreatmentRecord] | None = None
    knee_rows: list[ScoredAssessment] = []
    for r in read(ASSESSMENT_SQL + also + ORDER, params):
        row_knee: str = r[1]
        if row_knee != knee or r[0] != patient:
            if treatments is not None:
                yield from episodes_of_knee(
                    treatments, knee_rows, patient in smokers, decisions, rules
                )
            patient, knee = r[0], r[1]
            treatments = by_knee.pop((patient, knee), None)  # None: a knee never treated
            knee_rows = []
        if treatments is not None:
            day = dates[r[3]]
            knee_rows.append(ScoredAssessment(r[2], day, r[4], r[5], r[6], r[7], r[8], r[9]))
    if treatments is not None:
        yield from episodes_of_knee(treatments, knee_rows, patient in smokers, decisions, rules)
    for (pid, _knee), treatments in by_knee.items():  # treated knees with no assessments yet
        yield from episodes_of_knee(treatments, [], pid in smokers, decisions, rules)
