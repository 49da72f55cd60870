"""A flag's evidence in words, from evidence the rules really write (not hand-made dicts): the
numbers per domain, the notes, and keys this code does not know still shown."""

from __future__ import annotations

from followup.reports.evidence import DASH, domain_rows, notes, share_lost
from followup.ui.staff.evidence import evidence_lines
from tests.domain.flags.helpers import RESPONDER, day, episode, flags, form


def test_share_lost_reads_as_words() -> None:
    assert share_lost(0.454) == "45% lost"
    assert share_lost(1.0) == "100% lost"
    assert share_lost(1.2) == "worse than before treatment"
    assert share_lost(None) == DASH


def test_a_wearing_off_flag_shows_each_domain_and_the_run() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (164, 44, 30))
    evidence = flags(ep, 164)["wearing_off"].evidence
    rows = {r.domain: r for r in domain_rows(evidence)}
    assert set(rows) == {"Pain", "Function"}
    pain = rows["Pain"]
    assert pain.baseline == "70"
    assert pain.latest == "44" and pain.latest_on == day(164).isoformat()
    assert pain.signal_level == f"{evidence['pain']['signal_level']:.0f}"
    assert pain.lost.endswith("% lost")
    assert pain.responded == "yes"
    said = notes(evidence)
    assert said[0].startswith("What fired: signal confirmed over 14 days")
    assert f"Pain signalling from {day(150).isoformat()} to {day(164).isoformat()}" in " ".join(
        said
    )
    assert any(s.startswith("Response confirmed on ") for s in said)
    assert said[-1] == "Rule set followup-2026.2."


def test_a_safety_event_is_named_with_its_day() -> None:
    ep = episode((-7, 70, 60), form(10, 72, 60, ae="swelling and warmth"))
    evidence = flags(ep, 10)["safety"].evidence
    said = notes(evidence)
    assert f"Safety event on {day(10).isoformat()} (day 10): swelling and warmth." in said


def test_unknown_keys_are_listed_and_no_developer_notation_shows() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (164, 44, 30))
    evidence = dict(flags(ep, 164)["wearing_off"].evidence, site_note="checked twice")
    lines = evidence_lines(evidence)
    assert "Site note: checked twice." in lines
    text = "\n".join(lines)
    for notation in (">=", "≥", "x baseline", "?", "fraction_lost", "signal_threshold"):
        assert notation not in text
    assert text.splitlines()[0].startswith("Pain: before treatment 70 → best level")


def test_the_best_level_names_its_two_readings_and_the_improvement() -> None:
    ep = episode(*RESPONDER, (150, 45, 30), (164, 44, 30))
    evidence = flags(ep, 164)["wearing_off"].evidence
    pain = {r.domain: r for r in domain_rows(evidence)}["Pain"]
    assert pain.best_on == f"{day(60).isoformat()} and {day(90).isoformat()}"
    assert pain.improvement == f"{evidence['pain']['improvement']:.0f} points"
    line = evidence_lines(evidence)[0]
    assert f"({day(60).isoformat()} and {day(90).isoformat()}), improved" in line
