"""What one hand-built episode contributes to the outcome analysis: counted or left out (and why),
the confirmed response, responder status by 3, 6 and 12 months, the wear-off event or censoring
and its reason, and the re-treatment with its banked doses.

Episodes are treated on 2026-01-01 (day 0), as in test_flags: the 3-month window closes on day 104
(2026-04-15), the 6-month one on day 202 (2026-07-22), the 9-month one on day 294, the 12-month one
on day 395 (2027-01-31).
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings

from followup.domain.outcomes.episodes import (
    LATEST_ASSESSMENT,
    LOST,
    NO_BASELINE,
    RETREATED,
    RETREATED_EARLY,
    TOO_RECENT,
    WEARING_OFF,
    confirmed_response_on,
    episode_outcome,
    wearing_off_confirmed_on,
    window_end,
)
from followup.domain.records import EpisodeInput, TreatmentRecord

from .flags.helpers import RESPONDER, RULES, T0, day, decided, episode
from .test_flag_properties import episodes

BOOSTER = TreatmentRecord(
    "T2", "P1", "left", day(200), "adsc_cultured", booster_of="T1", banked_doses=2
)


def test_visit_windows_close_where_the_schedule_says() -> None:
    assert window_end(T0, 3, RULES) == day(104)
    assert window_end(T0, 6, RULES) == day(202)
    assert window_end(T0, 12, RULES) == day(395)


def test_a_responder_still_holding_is_censored_at_the_latest_assessment() -> None:
    ep = episode(*RESPONDER, (180, 22, 25), (270, 20, 24))
    got = episode_outcome(ep, day(300), RULES)
    assert got.counted and got.left_out is None
    assert got.responded_on == day(90)  # the second assessment meeting the criterion
    assert got.responder_by == {3: True, 6: True, 12: None}  # 12-month window still open
    d = got.durability
    assert d is not None
    assert (d.days, d.event, d.ended_on, d.reason) == (270, False, day(270), LATEST_ASSESSMENT)
    assert got.retreatment is None and got.lost_on is None


def test_a_non_responder_counts_without_durability() -> None:
    ep = episode((-7, 70, 60), (90, 65, 58), (180, 66, 57), (360, 64, 58))
    got = episode_outcome(ep, day(400), RULES)
    assert got.counted and got.responded_on is None
    assert got.responder_by == {3: False, 6: False, 12: False}
    assert got.durability is None


def test_a_late_responder_is_a_responder_only_by_the_later_visits() -> None:
    ep = episode((-7, 70, 60), (90, 65, 58), (180, 66, 57), (250, 20, 25), (300, 22, 25))
    got = episode_outcome(ep, day(400), RULES)
    assert got.responded_on == day(300)  # confirmed at the second assessment meeting it
    assert got.responder_by == {3: False, 6: False, 12: True}


def test_wearing_off_is_the_event_on_the_day_the_flag_would_be_raised() -> None:
    ep = episode(*RESPONDER, (150, 45, 25), (164, 50, 25), (200, 55, 25))
    assert wearing_off_confirmed_on(ep, day(163), RULES) is None  # not yet as of day 163
    assert wearing_off_confirmed_on(ep, day(300), RULES) == day(164)
    d = episode_outcome(ep, day(300), RULES).durability
    assert d is not None and (d.days, d.event, d.reason) == (164, True, WEARING_OFF)


def test_wearing_off_counts_even_when_reviewed_or_recovered_since() -> None:
    # A review decision closes the flag but not the event; relief coming back later does not
    # undo that it wore off (the first confirmation is the event).
    # Decided the day it was raised: the flag itself would show again only from day 200.
    rows = (*RESPONDER, (150, 45, 25), (164, 50, 25), (200, 55, 25), (240, 20, 25), (300, 21, 25))
    ep = episode(*rows, decisions=(decided("wearing_off", 164),))
    d = episode_outcome(ep, day(320), RULES).durability
    assert d is not None and (d.days, d.event) == (164, True)


def test_a_later_treatment_censors_at_its_day_and_draws_a_banked_dose() -> None:
    ep = episode(*RESPONDER, (150, 22, 25), (190, 21, 25), next_on=day(200), banked=3)
    got = episode_outcome(ep, day(300), RULES, BOOSTER)
    assert got.counted
    d = got.durability
    assert d is not None and (d.days, d.event, d.reason) == (200, False, RETREATED)
    r = got.retreatment
    assert r is not None and (r.days, r.booster, r.banked_doses_drawn) == (200, True, 1)
    # Banked doses not recorded on either treatment: unknown, not zero.
    unknown = episode_outcome(episode(*RESPONDER, next_on=day(200)), day(300), RULES, BOOSTER)
    assert unknown.retreatment is not None and unknown.retreatment.banked_doses_drawn is None


def test_a_treatment_after_the_as_of_day_does_not_exist_yet() -> None:
    ep = episode(*RESPONDER, (150, 22, 25), next_on=day(200), banked=3)
    got = episode_outcome(ep, day(180), RULES, BOOSTER)
    assert got.retreatment is None
    assert got.durability is not None and got.durability.reason == LATEST_ASSESSMENT


def test_a_knee_re_treated_before_6_months_keeps_its_status_then() -> None:
    ep = episode((-7, 70, 60), (90, 65, 58), next_on=day(150))
    got = episode_outcome(ep, day(400), RULES)
    assert got.counted and got.responder_by == {3: False, 6: False, 12: False}
    responder = episode_outcome(episode(*RESPONDER, next_on=day(150)), day(400), RULES)
    assert responder.responder_by == {3: True, 6: True, 12: True}


def test_lost_to_follow_up_is_censored_at_the_last_day_known_to_hold() -> None:
    # Seen at day 90, then the 6- and 9-month visits were missed (windows closed day 202, 294).
    got = episode_outcome(episode(*RESPONDER), day(300), RULES)
    d = got.durability
    assert d is not None and (d.days, d.event, d.reason) == (90, False, LOST)
    assert got.lost_on == day(295)
    # Back in follow-up (the 12-month visit done, in its window): no longer lost, censored at
    # the latest assessment as anyone else.
    back = episode_outcome(episode(*RESPONDER, (366, 21, 25)), day(370), RULES)
    assert back.durability is not None and back.durability.reason == LATEST_ASSESSMENT
    assert back.lost_on is None


def test_left_out_without_baseline() -> None:
    got = episode_outcome(episode((60, 30, 40), (90, 20, 25), (180, 20, 25)), day(300), RULES)
    assert got.left_out == NO_BASELINE and not got.counted
    assert got.durability is None and got.responder_by == {}
    assert confirmed_response_on(episode((60, 30, 40)), day(300), RULES) is None


def test_left_out_when_followed_too_briefly() -> None:
    assert episode_outcome(episode(*RESPONDER), day(104), RULES).left_out == TOO_RECENT
    assert episode_outcome(episode(*RESPONDER), day(105), RULES).counted
    early = episode((-7, 70, 60), (60, 30, 40), next_on=day(90))
    assert episode_outcome(early, day(300), RULES).left_out == RETREATED_EARLY
    # No baseline is named first when both apply.
    assert episode_outcome(episode((60, 30, 40)), day(50), RULES).left_out == NO_BASELINE


@settings(max_examples=150, deadline=None)
@given(episodes())
def test_outcome_properties(drawn: tuple[EpisodeInput, date]) -> None:
    ep, as_of = drawn
    if as_of < ep.treatment.treated_on:
        return  # the service never asks about a treatment that has not happened yet
    got = episode_outcome(ep, as_of, RULES)
    assert got == episode_outcome(ep, as_of, RULES)  # deterministic
    if not got.counted:
        assert got.durability is None and got.responded_on is None
        return
    statuses = [got.responder_by[m] for m in (3, 6, 12)]
    judged = [s for s in statuses if s is not None]
    assert statuses[: len(judged)] == judged  # judged in order, the later ones open
    assert judged == sorted(judged)  # a responder by 3 months is one by 6 and 12
    d = got.durability
    assert (d is not None) == (got.responded_on is not None)
    if d is not None:
        assert got.responded_on is not None
        assert got.responded_on <= d.ended_on <= as_of
        assert d.days == (d.ended_on - ep.treatment.treated_on).days
        assert d.event == (d.reason == WEARING_OFF)
        assert (d.reason == LOST) == (got.lost_on is not None)
