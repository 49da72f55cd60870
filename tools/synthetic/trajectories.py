"""Archetype courses: which visits of the index knee signal, trend, flare or never respond.

The patient builder plans every visit as responding to treatment; the functions here change the
phases of some visits (and add visits) so the index episode follows its archetype. Only phases,
dates and notes are set here; the answers are drawn later, from the phases.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .notes import ADVERSE_EVENTS, NOTES
from .visits import Episode, Visit, response_visits


def shape_index(rng: random.Random, anchor: date, arch: str, ep: Episode) -> None:
    """Set the phases of the index episode's visits for the patient's archetype."""
    resp = response_visits(ep)
    if arch == "wearing_off":
        _signal_run(rng, ep, resp, rng.choice((2, 2, 3)))
    elif arch == "possible_wearing_off_latest":
        _signal_run(rng, ep, resp, 1)
    elif arch == "possible_wearing_off_trend":
        _trend(rng, anchor, ep)
    elif arch == "returning_stiffness":
        _stiffness_return(rng, ep, resp)
    elif arch == "non_responder":
        for v in ep.visits:
            if v.phase != "baseline":
                v.phase = "nonresp"
    elif arch == "safety_adverse_event":
        _adverse_event(rng, ep)
    elif arch == "safety_flare":
        _flare(rng, ep)
    if arch not in ("non_responder", "safety_flare", "safety_adverse_event"):
        _maybe_invalid_form(rng, ep)


def _signal_run(rng: random.Random, ep: Episode, resp: list[Visit], length: int) -> None:
    """The last ``length`` response-phase visits signal; the best comes before them."""
    length = max(1, min(length, len(resp) - 2))
    run = resp[-length:]
    first_signal_day = (run[0].on - ep.treatment.treated_on).days
    before = (resp[-length - 1].on - ep.treatment.treated_on).days
    ep.peak_day = min(ep.peak_day, before, first_signal_day - 1)
    losses = sorted(rng.uniform(0.62, 0.95) for _ in run)
    for visit, loss in zip(run, losses, strict=True):
        visit.phase, visit.amount = "signal", loss
        if rng.random() < 0.35:
            visit.note = rng.choice(NOTES["signal"])


def _trend(rng: random.Random, anchor: date, ep: Episode) -> None:
    """Best at the 3-month visit, then monthly self-reports with function steadily worse."""
    treated = ep.treatment.treated_on
    resp = response_visits(ep)
    peak = min(resp, key=lambda v: abs((v.on - treated).days - 91))
    ep.peak_day = (peak.on - treated).days
    taken = {v.on for v in ep.visits}
    on = peak.on + timedelta(days=rng.randint(21, 28))
    while on <= anchor:
        if all(abs((on - d).days) >= 10 for d in taken):
            ep.visits.append(Visit(on, "self_report"))
        on += timedelta(days=rng.randint(21, 28))
    ep.visits.sort(key=lambda v: v.on)
    rate = rng.uniform(13.0, 15.0)
    for v in ep.visits:
        if v.on > peak.on:
            v.phase, v.amount = "trend", rate


def add_portal_reports(rng: random.Random, anchor: date, lapse: int, ep: Episode) -> None:
    """Self-reports between timepoints: monthly in the first year, then quarterly.

    They never fall inside a missed or still-open window (that would complete it) nor after
    a lapsed patient stopped answering.
    """
    blocked = ep.missed + ep.open_windows
    stop = anchor + timedelta(days=1)
    if lapse and blocked:
        stop = min(w.start for w in blocked)
    taken = [v.on for v in ep.visits]
    treated = ep.treatment.treated_on
    on = treated + timedelta(days=rng.randint(25, 40))
    while on < stop and on <= anchor:
        free = all(abs((on - d).days) >= 20 for d in taken)
        if free and not any(w.start <= on <= w.end for w in blocked):
            ep.visits.append(Visit(on, "self_report"))
            taken.append(on)
        step = (28, 40) if (on - treated).days < 365 else (80, 110)
        on += timedelta(days=rng.randint(*step))
    ep.visits.sort(key=lambda v: v.on)


def _stiffness_return(rng: random.Random, ep: Episode, resp: list[Visit]) -> None:
    """Stiffness back at the last one or two response-phase visits; pain and function hold."""
    count = 2 if len(resp) >= 4 and rng.random() < 0.5 else 1
    for v in resp[-count:]:
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


def _flare(rng: random.Random, ep: Episode) -> None:
    """A post-injection flare at the first visit after treatment or at an extra early check."""
    early = [v for v in ep.visits if v.phase != "baseline"]
    if early and rng.random() < 0.5:
        visit = early[0]
    else:
        visit = _early_check(rng, ep, 3, 9)
    visit.phase, visit.source = "flare", "phone"  # the coordinator calls the patient back
    visit.note = NOTES["flare"][0]


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
