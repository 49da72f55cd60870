"""Hand-built episodes for the rule tests. Most episodes are treated on 2026-01-01 (day 0), so
day 28 (the response phase) is 2026-01-29, day 150 is 2026-05-31, day 180 is 2026-06-30."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from itertools import count

from followup.domain.flags import KIND_LEVELS, Finding, current_call, evaluate_episode
from followup.domain.flags.episode import EpisodeView
from followup.domain.records import DecisionRecord, EpisodeInput, ScoredAssessment, TreatmentRecord
from followup.domain.rule_file import default_rules

RULES = default_rules()
T0 = date(2026, 1, 1)
_ids = count(1)


def day(n: int) -> date:
    """Day ``n`` after the treatment on T0."""
    return T0 + timedelta(days=n)


def form(
    n: int,
    pain: float | None,
    function: float | None,
    stiffness: float | None = 25.0,
    *,
    glob: int | None = None,
    ae: str | None = None,
) -> ScoredAssessment:
    """A scored form on day ``n``; a None subscale is invalid (the total then too)."""
    total = None
    if None not in (pain, function, stiffness):
        total = (pain + function + stiffness) / 3  # type: ignore[operator]
    return ScoredAssessment(
        id=next(_ids),
        assessed_on=day(n),
        pain=pain,
        stiffness=stiffness,
        function=function,
        total=total,
        patient_global=glob,
        adverse_event=ae,
    )


Row = tuple[int, float, float] | tuple[int, float, float, float] | ScoredAssessment


def forms(*rows: Row) -> tuple[ScoredAssessment, ...]:
    """Forms from (day, pain, function[, stiffness]) tuples or ready forms, in date order."""
    built = [r if isinstance(r, ScoredAssessment) else form(*r) for r in rows]
    return tuple(sorted(built, key=lambda a: a.assessed_on))


def episode(
    *rows: Row,
    next_on: date | None = None,
    smoker: bool = False,
    kl: int | None = 3,
    route: str = "intra_articular",
    banked: int | None = None,
    decisions: tuple[DecisionRecord, ...] = (),
    treated_on: date = T0,
    booster_of: str | None = None,
    chain_on: date | None = None,
    chain_rows: tuple[Row, ...] = (),
) -> EpisodeInput:
    """An episode of the left knee from (day, pain, function[, stiffness]) rows."""
    treatment = TreatmentRecord(
        "T1", "P1", "left", treated_on, "adsc_cultured", route=route, kl_grade=kl,
        booster_of=booster_of, banked_doses=banked,
    )  # fmt: skip
    return EpisodeInput(
        treatment, next_on, smoker, forms(*rows), decisions, chain_on, forms(*chain_rows),
        "T2" if next_on else None,
    )  # fmt: skip


def decided(
    kind: str, n: int, decision: str = "continue_monitoring", until: date | None = None
) -> DecisionRecord:
    """A decision taken on day ``n`` at 10:30."""
    return DecisionRecord(kind, decision, datetime.combine(day(n), time(10, 30)), until)


def flags(ep: EpisodeInput, as_of: int | date) -> dict[str, Finding]:
    """The open findings on a day, by kind, checked to be well formed."""
    on = as_of if isinstance(as_of, date) else day(as_of)
    found = evaluate_episode(ep, on, RULES)
    assert len({f.kind for f in found}) == len(found)
    for f in found:
        assert f.level == KIND_LEVELS[f.kind]
        assert f.evidence["rule_set"] == RULES.version
        json.dumps(f.evidence)
        assert "?" not in f.summary and ">=" not in f.summary
    return {f.kind: f for f in found}


def view(ep: EpisodeInput, as_of: int) -> EpisodeView:
    return EpisodeView(ep, day(as_of), RULES)


def call(ep: EpisodeInput, as_of: int):  # type: ignore[no-untyped-def]
    return current_call(ep, day(as_of), RULES)


# A confirmed responder: baseline 70/60; readings day 60 and 90 both meet the criterion
# (pain -50 %), so the response is confirmed on day 90. Pain's best level is the mean of 20 and
# 30 = 25 (set on day 90), I = 45, T = max(25 + 18, min(25 + 18, 56)) = 43.
# Function: 40 and 25 -> N = 32.5 (day 90), I = 27.5, T = max(50.5, min(43.5, 48)) = 50.5.
RESPONDER: tuple[Row, ...] = ((-7, 70, 60), (60, 30, 40), (90, 20, 25))
