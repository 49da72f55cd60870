"""Review decisions (DESIGN.md 2.3): a decision closes its flag from its own day; newer evidence
for the kind raises it again; ``booster_scheduled`` holds its flag closed until its stated day
(60 days by default) or until the booster supersedes the episode."""

from __future__ import annotations

from datetime import timedelta

from .helpers import RESPONDER, day, decided, episode, flags, form

WORN = (*RESPONDER, (150, 45, 30), (164, 44, 30))  # wearing_off raised on day 164


def test_a_decision_does_not_exist_before_its_own_day() -> None:
    ep = episode(*WORN, decisions=(decided("wearing_off", 170),))
    assert "wearing_off" in flags(ep, 169)
    assert "wearing_off" not in flags(ep, 170)


def test_an_assessment_on_the_decision_day_is_not_newer() -> None:
    ep = episode(*WORN, (170, 50, 30), decisions=(decided("wearing_off", 170),))
    assert "wearing_off" not in flags(ep, 175)


def test_a_decided_wearing_off_does_not_come_back_as_possible_wearing_off() -> None:
    ep = episode(*WORN, decisions=(decided("wearing_off", 165),))
    assert not {"wearing_off", "possible_wearing_off"} & set(flags(ep, 300))


def test_the_latest_decision_counts_and_other_kinds_are_untouched() -> None:
    ep = episode(*WORN, decisions=(decided("safety", 100), decided("wearing_off", 165)))
    assert "wearing_off" not in flags(ep, 166)


def test_booster_scheduled_holds_the_flag_closed_for_60_days_then_looks_again() -> None:
    ep = episode(
        *WORN, (180, 50, 30), decisions=(decided("wearing_off", 165, "booster_scheduled"),)
    )
    assert "wearing_off" not in flags(ep, 224)  # the newer reading (day 180) waits
    found = flags(ep, 225)["wearing_off"]  # day 165 + 60
    assert found.evidence["reraised_after"]["decision"] == "booster_scheduled"
    assert found.raised_on == day(225)


def test_booster_scheduled_until_a_stated_day() -> None:
    stated = day(190)
    ep = episode(*WORN, decisions=(decided("wearing_off", 165, "booster_scheduled", stated),))
    assert "wearing_off" not in flags(ep, 189)
    assert flags(ep, 190)["wearing_off"].raised_on == stated


def test_a_recorded_booster_supersedes_the_episode() -> None:
    ep = episode(
        *WORN, decisions=(decided("wearing_off", 165, "booster_scheduled"),), next_on=day(200)
    )
    assert flags(ep, 200 + 90) == {}


def test_no_baseline_once_decided_is_never_raised_again() -> None:
    ep = episode((42, 57, 48), (90, 58, 49), decisions=(decided("no_baseline", 50, "dismissed"),))
    assert "no_baseline" not in flags(ep, 400)
    assert "no_baseline" in flags(episode((42, 57, 48)), 400)


def test_a_decision_on_one_day_and_evidence_the_next() -> None:
    ep = episode(*WORN, (166, 46, 30), decisions=(decided("wearing_off", 165),))
    found = flags(ep, 166)["wearing_off"]
    assert found.evidence["reraised_after"] == {
        "decision": "continue_monitoring",
        "decided_on": day(165).isoformat(),
        "newer_evidence_on": (day(165) + timedelta(days=1)).isoformat(),
    }


def test_an_adverse_event_on_the_decision_day_is_not_newer() -> None:
    first = form(20, 50, 50, ae="swelling")
    for n, reraised in ((25, False), (26, True)):
        ep = episode((-7, 40, 50), first, form(n, 45, 50, ae="fever"),
                     decisions=(decided("safety", 25),))  # fmt: skip
        assert ("safety" in flags(ep, 30)) is reraised, n


def test_a_follow_up_window_closing_on_the_decision_day_is_not_newer() -> None:
    # 3m done on day 80; the 6m window closes after day 202, so overdue is raised on day 203.
    rows = ((-7, 70, 60), (14, 60, 55), (40, 50, 50), (80, 50, 50))
    assert flags(episode(*rows), 203)["overdue"].raised_on == day(203)
    assert "overdue" in flags(episode(*rows, decisions=(decided("overdue", 202),)), 203)
    assert "overdue" not in flags(episode(*rows, decisions=(decided("overdue", 203),)), 203)


def test_booster_scheduled_holds_until_the_day_before_the_booster_then_supersedes() -> None:
    ep = episode(
        *WORN, decisions=(decided("wearing_off", 165, "booster_scheduled"),), next_on=day(224)
    )
    assert "wearing_off" not in flags(ep, 223)
    assert flags(ep, 224) == {}  # recorded on day 224: the episode raises nothing more
