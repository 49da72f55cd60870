"""From one episode and an analysis day ("as of") to what the outcome analysis needs: whether the
episode counts (and why not), when its response was confirmed, whether it was a responder by 3, 6
and 12 months, when its relief was confirmed to wear off or why its follow-up ends there
(censoring), and its re-treatment.

The clinical definitions come from the flag rules (rule set 2026.2), never re-derived here: a
response is confirmed when the OMERACT-OARSI criterion is met at two assessments
(``EpisodeView.confirmed_on``), wearing off when the ``wearing_off`` flag would be raised; a
booster is judged against its chain's first baseline, as the rules judge it.

Judgement calls (each also stated in the report):

- Counted: an episode with a baseline (pain or function) whose follow-up (up to the analysis
  day, or the knee's next treatment when that came first) lasted past the close of its 3-month
  visit window. Otherwise
  left out, with the first reason that applies: no baseline, treated too recently, re-treated
  before the 3-month window closed.
- Responder by M months: the response was confirmed on or before the close of the M-month visit
  window. Judged only once that window has closed by the analysis day; a knee without the
  assessments to show a response counts as a non-responder (non-responder imputation, as trials
  do), and one re-treated earlier keeps the status it had at the re-treatment.
- Durability (confirmed responders only), in days from the treatment: the event is the first day
  the ``wearing_off`` flag would be raised, review decisions ignored. Otherwise censored: at the
  next treatment of the knee; for a knee lost to follow-up (the ``lost_to_follow_up`` flag is
  raised on the analysis day), at its latest valid assessment, the last day it was known not to
  have worn off (the flag is raised months later, and counting those months as "still holding"
  would flatter the curve); for everyone else, at the latest valid assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from dateutil.relativedelta import relativedelta

from followup.domain.flags import EpisodeView, evaluate_episode
from followup.domain.records import EpisodeInput, TreatmentRecord
from followup.domain.rules import RuleSet, TimepointRule

# Months after treatment at which the responder rate is reported; the first is also the minimum
# follow-up for an episode to count.
RESPONDER_MONTHS = (3, 6, 12)
MIN_FOLLOW_UP_MONTHS = RESPONDER_MONTHS[0]

# Why an episode is left out, and why a responder's follow-up ends.
NO_BASELINE = "no_baseline"
TOO_RECENT = "too_recent"
RETREATED_EARLY = "retreated_early"
WEARING_OFF = "wearing_off"
RETREATED = "retreated"
LOST = "lost_to_follow_up"
LATEST_ASSESSMENT = "latest_assessment"


@dataclass(frozen=True)
class Durability:
    """A confirmed responder's time to confirmed wearing off (``event``) or to censoring."""

    days: int
    event: bool
    ended_on: date
    reason: str  # WEARING_OFF, RETREATED, LOST or LATEST_ASSESSMENT


@dataclass(frozen=True)
class Retreatment:
    """The next treatment of the knee, as far as the analysis day: how long after this one, and
    how many banked doses it drew (None when either count of doses left is not recorded)."""

    days: int
    booster: bool
    banked_doses_drawn: int | None


@dataclass(frozen=True)
class EpisodeOutcome:
    """What one episode contributes to the outcome analysis on one day."""

    treatment: TreatmentRecord
    left_out: str | None  # None: counted
    responded_on: date | None
    responder_by: dict[int, bool | None]  # months -> status; None: not judged yet
    durability: Durability | None
    retreatment: Retreatment | None
    lost_on: date | None

    @property
    def counted(self) -> bool:
        """Whether the episode is in the analysis (not left out)."""
        return self.left_out is None


def confirmed_response_means(rules: RuleSet) -> str:
    """What ``confirmed_response_on`` means, in words for the report (changed with it)."""
    return (
        f"the {_ordinal(rules.responder.confirm_readings)} assessment from day "
        f"{rules.response.phase_start_day} after treatment that meets the OMERACT-OARSI responder "
        "criteria (Pham 2004) against the baseline (a booster: its first treatment's baseline)"
    )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def wearing_off_means(rules: RuleSet) -> str:
    """What ``wearing_off_confirmed_on`` means, in words for the report (changed with it)."""
    return (
        "the first day the wearing_off flag would be raised (pain or function signalling at "
        f"assessments spanning {rules.wearing_off.min_run_days} days or more), review decisions "
        "ignored"
    )


def confirmed_response_on(episode: EpisodeInput, as_of: date, rules: RuleSet) -> date | None:
    """The day the episode's response was confirmed by ``as_of``: the criterion met at two
    assessments (rule set 2026.2)."""
    return EpisodeView(episode, as_of, rules).confirmed_on


def wearing_off_confirmed_on(episode: EpisodeInput, as_of: date, rules: RuleSet) -> date | None:
    """The first day the ``wearing_off`` flag would be raised by ``as_of``, review decisions
    ignored: the episode evaluated as of each assessment day from the response phase on, in
    order, the first ``wearing_off`` finding's ``raised_on``."""
    plain = episode._replace(decisions=())
    start = episode.treatment.treated_on + timedelta(days=rules.response.phase_start_day)
    days = sorted({a.assessed_on for a in episode.assessments if start <= a.assessed_on <= as_of})
    for day in days:
        for found in evaluate_episode(plain, day, rules):
            if found.kind == "wearing_off":
                return found.raised_on
    return None


def lost_to_follow_up_on(episode: EpisodeInput, as_of: date, rules: RuleSet) -> date | None:
    """The day the ``lost_to_follow_up`` flag open on ``as_of`` was raised, review decisions
    ignored; None when the knee is not lost on that day (a patient who came back is not)."""
    plain = episode._replace(decisions=())
    found = evaluate_episode(plain, as_of, rules)
    return next((f.raised_on for f in found if f.kind == "lost_to_follow_up"), None)


def window_end(treated_on: date, months: int, rules: RuleSet) -> date:
    """The last day of the M-month visit window (the due day when the schedule has no such
    visit)."""
    return _window_end(treated_on, months, rules.schedule.timepoints)


@cache
def _window_end(treated_on: date, months: int, steps: tuple[TimepointRule, ...]) -> date:
    # Kept: a clinic has a few thousand treatment dates, and month arithmetic is slow.
    step = next((s for s in steps if s.months == months and not s.days), None)
    half = step.window_days if step is not None else 0
    return treated_on + relativedelta(months=months) + timedelta(days=half)


def episode_outcome(
    episode: EpisodeInput,
    as_of: date,
    rules: RuleSet,
    next_treatment: TreatmentRecord | None = None,
) -> EpisodeOutcome:
    """What ``episode`` contributes on ``as_of`` (see the module docstring for the rules).
    ``next_treatment``: the knee's next treatment, for its timing and banked doses."""
    t = episode.treatment
    next_on = episode.next_treated_on
    retreated = next_on is not None and next_on <= as_of
    ends_on = next_on if retreated else as_of
    left_out = None
    if len(EpisodeView(episode, t.treated_on, rules).missing_baseline) == 2:
        left_out = NO_BASELINE
    elif ends_on <= window_end(t.treated_on, MIN_FOLLOW_UP_MONTHS, rules):
        left_out = RETREATED_EARLY if retreated else TOO_RECENT
    retreatment = _retreatment(t, next_treatment, as_of) if retreated else None
    if left_out is not None:
        return EpisodeOutcome(t, left_out, None, {}, None, retreatment, None)
    responded_on = confirmed_response_on(episode, as_of, rules)
    responder_by: dict[int, bool | None] = {}
    for months in RESPONDER_MONTHS:
        closes = window_end(t.treated_on, months, rules)
        responder_by[months] = (
            None if as_of <= closes else responded_on is not None and responded_on <= closes
        )
    durability, lost_on = None, None
    if responded_on is not None:
        worn_on = wearing_off_confirmed_on(episode, as_of, rules)
        if worn_on is not None:
            durability = Durability((worn_on - t.treated_on).days, True, worn_on, WEARING_OFF)
        elif retreated:
            assert next_on is not None
            durability = Durability((next_on - t.treated_on).days, False, next_on, RETREATED)
        else:
            last = max(
                a.assessed_on
                for a in episode.assessments
                if a.assessed_on <= as_of and (a.pain is not None or a.function is not None)
            )
            lost_on = lost_to_follow_up_on(episode, as_of, rules)
            reason = LATEST_ASSESSMENT if lost_on is None else LOST
            durability = Durability((last - t.treated_on).days, False, last, reason)
    return EpisodeOutcome(t, None, responded_on, responder_by, durability, retreatment, lost_on)


def _retreatment(
    t: TreatmentRecord, following: TreatmentRecord | None, as_of: date
) -> Retreatment | None:
    if following is None or following.treated_on > as_of:
        return None
    drawn = None
    if t.banked_doses is not None and following.banked_doses is not None:
        drawn = max(t.banked_doses - following.banked_doses, 0)
    return Retreatment(
        (following.treated_on - t.treated_on).days, following.booster_of is not None, drawn
    )
