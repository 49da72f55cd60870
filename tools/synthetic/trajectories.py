"""Archetype courses: which visits of the index knee signal, trend, flare or never respond.

The patient builder plans every visit as responding to treatment; the functions here change the
phases of some visits (and add visits: confirmation calls, monthly self-reports, early checks)
so the index episode follows its archetype under rule set ``followup-2026.2``. Only phases,
dates and notes are set here; the answers are drawn later, from the phases (``answers``).

A first signal asks for a confirmation call 14-28 days later (DESIGN.md 2.3). Wear-off is
confirmed either by that call (the usual way: a scheduled visit, then the call two weeks on) or,
when the patient missed the call, by the next scheduled visit months later; a possible wear-off
is a call that never got its reading, a trend still below the signal level, or stiffness back.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .notes import ADVERSE_EVENTS, NOTES
from .schedule import Window
from .visits import Episode, Visit, response_visits

CONFIRM_OPENS, CONFIRM_CLOSES = 14, 28  # days after a first signal


def shape_index(rng: random.Random, anchor: date, arch: str, ep: Episode, variant: int) -> None:
    """Set the phases of the index episode's visits for the patient's archetype."""
    resp = response_visits(ep)
    if arch in ("wearing_off", "booster_story", "reopen_story"):
        if arch == "wearing_off" and variant % 2:
            _signals_at_visits(rng, ep, resp, rng.choice((2, 2, 3)))
        else:
            _signal_then_call(rng, anchor, ep, resp)
    elif arch == "possible_wearing_off_unconfirmed":
        _unanswered_call(rng, ep, resp)
    elif arch == "confirmation_due":
        _responded_before(ep, resp, resp[-1])
        _signal(rng, resp[-1], _domains(variant))
        _call_attempts(anchor, ep, resp[-1].on)
    elif arch == "possible_wearing_off_trend":
        _trend(rng, anchor, ep)
    elif arch == "returning_stiffness":
        _responded_before(ep, resp, resp[-2])
        _stiffness_return(rng, resp)
    elif arch == "non_responder":
        for v in ep.visits:
            if v.phase != "baseline":
                v.phase = "nonresp"
    elif arch == "safety_adverse_event":
        _adverse_event(rng, ep)
    elif arch == "safety_flare":
        _flare(rng, ep, declined_stiffness=variant == 0)
    if arch not in NO_STRAY_FORMS:
        _maybe_invalid_form(rng, ep)


# Archetypes whose course a stray incomplete paper form could blur (the flare and adverse event
# are early; a non-responder's forms are all alike; the rest end on an exact visit).
NO_STRAY_FORMS = {
    "non_responder",
    "safety_flare",
    "safety_adverse_event",
    "possible_wearing_off_trend",
    "possible_wearing_off_unconfirmed",
    "confirmation_due",
}


def _domains(variant: int) -> str:
    """Mostly both pain and function come back; now and then only one of them."""
    return ("pain function", "function", "pain function", "pain")[variant % 4]


def _signal(rng: random.Random, visit: Visit, domains: str = "pain function") -> None:
    """``visit`` signals: 55-95 % of the improvement lost (at least to the signal level)."""
    visit.phase, visit.amount, visit.domains = "signal", rng.uniform(0.55, 0.95), domains
    if rng.random() < 0.35:
        visit.note = rng.choice(NOTES["signal"])


def _signal_then_call(rng: random.Random, anchor: date, ep: Episode, resp: list[Visit]) -> None:
    """The latest visit at least 16 days before the anchor signals, its confirmation call 14-21
    days later confirms it, and any visit since signals too."""
    first = next(v for v in reversed(resp) if (anchor - v.on).days >= 16)
    on = first.on + timedelta(days=rng.randint(14, min(21, (anchor - first.on).days - 1)))
    ep.visits.append(Visit(on, "phone", confirms=True, note="confirmation call"))
    ep.visits.sort(key=lambda v: v.on)
    domains = rng.choice(("pain function", "pain function", "function"))
    for v in ep.visits:
        if v.on >= first.on:
            _signal(rng, v, domains)
    _responded_before(ep, resp, first)


def _signals_at_visits(rng: random.Random, ep: Episode, resp: list[Visit], length: int) -> None:
    """The last ``length`` scheduled visits signal: the confirmation call after the first of
    them rang out (unless the next visit fell in its window), so the next visit confirmed it."""
    length = max(2, min(length, len(resp) - 3))
    run = resp[-length:]
    _responded_before(ep, resp, run[0])
    for v in run:
        _signal(rng, v)
    call = _confirm_window(run[0].on)
    if run[1].on > call.end:
        ep.missed.append(call)


def _responded_before(ep: Episode, resp: list[Visit], first: Visit) -> None:
    """The best level is reached by the second-last visit before ``first``: two readings meet
    the responder criterion (a confirmed responder, as wear-off needs) before anything fades."""
    before = [v for v in resp if v.on < first.on]
    ep.peak_day = min(ep.peak_day, _day(ep, before[-min(2, len(before))]))


def _unanswered_call(rng: random.Random, ep: Episode, resp: list[Visit]) -> None:
    """The latest visit signals; its confirmation call rang out, and no visit is due since."""
    last = resp[-1]
    _responded_before(ep, resp, last)
    _signal(rng, last, rng.choice(("pain function", "function")))
    ep.missed.append(_confirm_window(last.on))


def _call_attempts(anchor: date, ep: Episode, start: date) -> None:
    """A confirmation call whose window is open at the anchor is tried like a due visit."""
    w = _confirm_window(start)
    if w.start <= anchor:
        ep.open_windows.append(w)


def _confirm_window(start: date) -> Window:
    """The confirmation call of a run starting on ``start`` (for the call log)."""
    opens = start + timedelta(days=CONFIRM_OPENS)
    return Window("confirm", opens, opens, start + timedelta(days=CONFIRM_CLOSES))


def _day(ep: Episode, v: Visit) -> int:
    return (v.on - ep.treatment.treated_on).days


def _trend(rng: random.Random, anchor: date, ep: Episode) -> None:
    """A steady best from the 6-week to the 3-month visit, then self-reports every three weeks
    or so with function worse each time (13-15 points per 90 days)."""
    plateau = [v for v in response_visits(ep) if _day(ep, v) <= 110]
    ep.peak_day = min(_day(ep, v) for v in plateau)
    for v in plateau:
        v.phase = "plateau"
    taken = {v.on for v in ep.visits}
    on = plateau[-1].on + timedelta(days=rng.randint(19, 24))
    while on <= anchor:
        if all(abs((on - d).days) >= 8 for d in taken):
            ep.visits.append(Visit(on, "self_report"))
        on += timedelta(days=rng.randint(19, 24))
    ep.visits.sort(key=lambda v: v.on)
    rate = rng.uniform(13.0, 15.0)
    for v in ep.visits:
        if v.on > plateau[-1].on:
            v.phase, v.amount = "trend", rate
            if rng.random() < 0.2:
                v.note = rng.choice(NOTES["trend"])


def add_portal_reports(rng: random.Random, anchor: date, lapse: int, ep: Episode) -> None:
    """Self-reports between timepoints: monthly in the first year, then quarterly.

    They never fall inside a missed or still-open window (that would complete it), nor within
    a week of one (the demo is loaded on any day, and month lengths then move window edges by a
    day or two), nor after a lapsed patient stopped answering.
    """
    margin = timedelta(days=7)
    blocked = [(w.start - margin, w.end + margin) for w in ep.missed + ep.open_windows]
    stop = anchor + timedelta(days=1)
    if lapse and blocked:
        stop = min(start for start, _ in blocked)
    taken = [v.on for v in ep.visits]
    treated = ep.treatment.treated_on
    on = treated + timedelta(days=rng.randint(25, 40))
    while on < stop and on <= anchor:
        free = all(abs((on - d).days) >= 20 for d in taken)
        if free and not any(start <= on <= end for start, end in blocked):
            ep.visits.append(Visit(on, "self_report"))
            taken.append(on)
        step = (28, 40) if (on - treated).days < 365 else (80, 110)
        on += timedelta(days=rng.randint(*step))
    ep.visits.sort(key=lambda v: v.on)


def _stiffness_return(rng: random.Random, resp: list[Visit]) -> None:
    """Stiffness back at the latest two visits; pain and function hold."""
    for v in resp[-2:]:
        v.phase = "stiff_return"
        if rng.random() < 0.5:
            v.note = NOTES["stiff_return"][0]


def _early_check(rng: random.Random, ep: Episode, low: int, high: int) -> Visit:
    """A post-injection phone check a few days after treatment."""
    on = ep.treatment.treated_on + timedelta(days=rng.randint(low, high))
    visit = Visit(on, "phone")
    ep.visits.append(visit)
    ep.visits.sort(key=lambda v: v.on)
    return visit


def _adverse_event(rng: random.Random, ep: Episode) -> None:
    """An adverse event at the first visit after treatment or at an extra early check."""
    early = [v for v in ep.visits if v.phase != "baseline"]
    if early and rng.random() < 0.5:
        visit = early[0]
    else:
        visit = _early_check(rng, ep, 2, 7)
    visit.adverse_event = rng.choice(ADVERSE_EVENTS)


def _flare(rng: random.Random, ep: Episode, declined_stiffness: bool) -> None:
    """A post-injection flare at the first visit after treatment or at an extra early check;
    ``declined_stiffness``: the patient would not answer the stiffness questions that day (pain
    still counts on its own)."""
    early = [v for v in ep.visits if v.phase != "baseline"]
    if early and rng.random() < 0.5:
        visit = early[0]
    else:
        visit = _early_check(rng, ep, 3, 9)
    visit.phase, visit.source = "flare", "phone"  # the coordinator calls the patient back
    visit.note = NOTES["flare"][0]
    if declined_stiffness:
        visit.declined_stiffness = True
        visit.note += "; declined the stiffness questions"


def _maybe_invalid_form(rng: random.Random, ep: Episode) -> None:
    """Now and then a paper form comes back with pain items blank, a few days before a call."""
    if rng.random() >= 0.05:
        return
    resp = [v for v in response_visits(ep) if v.phase == "respond"]
    if not resp:
        return
    target = rng.choice(resp)
    on = target.on - timedelta(days=rng.randint(2, 5))
    if on <= ep.treatment.treated_on or any(v.on == on for v in ep.visits):
        return
    ep.visits.append(Visit(on, "paper", invalid=True, note="form returned incomplete"))
    ep.visits.sort(key=lambda v: v.on)
