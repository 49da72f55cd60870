"""Which flags a review packet shows, on SQLite and PostgreSQL: the first packet covers the last
7 days; later ones what changed since the previous packet plus its undecided flags; urgent and
action flags get a section (capped), watch flags a table row (capped); everything else is counted
as left out with a command that lists it; a written packet is recorded with an audit event; and
the packet's size does not grow with the cohort.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from followup import cli
from followup.cli import routine
from followup.reports.packet import render
from followup.services import review_packet
from followup.services import review_queue as flag_service
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.decide import decide
from followup.services.review_packet import prepare_packet, record_packet
from followup.services.review_queue import open_flags
from followup.store.engine import read_session
from followup.store.models import ReviewPacketFlag, ReviewPacketRecord
from tests.reports.cohort import (
    AS_OF,
    SECTIONS,
    WATCH,
    Clock,
    clocked_context,
    import_cohort,
    load_cohort,
    load_many,
)


def kinds(flags: object) -> list[tuple[str, str, str]]:
    return [(f.level, f.kind, f.patient_id) for f in flags]  # type: ignore[attr-defined]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clinic(any_url: str, clock: Clock, tmp_path: Path) -> Iterator[Context]:
    """The small cohort, loaded (and its flags raised) at the clock's start, on each backend."""
    ctx = clocked_context(any_url, clock)
    load_cohort(ctx, tmp_path)
    yield ctx
    ctx.close()


def recorded(ctx: Context) -> list[tuple[ReviewPacketRecord, dict[int, str]]]:
    with read_session(ctx.engine) as session:
        packets = session.exec(select(ReviewPacketRecord).order_by(ReviewPacketRecord.id)).all()  # type: ignore[arg-type]
        shown = session.exec(select(ReviewPacketFlag)).all()
        return [(p, {s.flag_id: s.section for s in shown if s.packet_id == p.id}) for p in packets]


def test_the_first_packet_covers_the_last_seven_days(clinic: Context, clock: Clock) -> None:
    clock.advance(days=6, hours=23)
    packet = prepare_packet(clinic, AS_OF)
    assert packet.previous_made_at is None
    assert packet.made_at == clock.now and packet.covers_from == clock.now - timedelta(days=7)
    assert kinds(packet.flags) == SECTIONS and kinds(packet.watch) == WATCH
    clock.advance(days=7, hours=2)  # the flags were raised 8 days ago: none is new any more
    late = prepare_packet(clinic, AS_OF)
    assert late.flags == () and late.watch == ()
    assert late.left_out_total == 4 and late.open_total == 4


def test_a_decided_flag_leaves_and_an_undecided_one_stays(clinic: Context, clock: Clock) -> None:
    clock.advance(hours=1)
    first = prepare_packet(clinic, AS_OF)
    assert recorded(clinic) == []  # preparing is not writing
    record_packet(clinic, first, "dr.who")
    wearing = next(f for f in first.flags if f.kind == "wearing_off")
    clock.advance(hours=1)
    decide(clinic, wearing.id, "booster_scheduled", "booster on 2 Dec", "dr.who")
    clock.advance(days=7)
    second = prepare_packet(clinic, AS_OF)
    assert second.previous_made_at == first.made_at == second.covers_from
    # Nothing changed since packet 1, but what it showed and nobody decided comes back.
    assert kinds(second.flags) == [s for s in SECTIONS if s[1] != "wearing_off"]
    assert kinds(second.watch) == WATCH
    assert set(second.reasons.values()) == {"undecided"}
    assert wearing.id not in {f.id for f in second.shown}
    assert second.left_out_total == 0


def test_a_flag_changed_since_the_previous_packet_is_in_the_next(
    clinic: Context, clock: Clock, tmp_path: Path
) -> None:
    clock.advance(days=10)
    first = prepare_packet(clinic, AS_OF)  # everything raised 10 days ago: all left out
    assert first.shown == ()
    record_packet(clinic, first, "dr.who")
    clock.advance(hours=1)
    import_cohort(
        clinic,
        tmp_path / "more",
        [{"patient_id": "P9", "name": "Someone New", "birth_date": "1970-01-01"}],
        [
            {
                "treatment_id": "T9",
                "patient_id": "P9",
                "knee": "left",
                "treated_on": "2026-08-01",
                "product": "prp",
            }
        ],  # fmt: skip
        # P9 has a baseline (else no_baseline too) and nothing after its treatment.
        [("P1", "left", "2026-11-20", 3, "new swelling"), ("P9", "left", "2026-07-28", 2, "")],
    )
    clock.advance(hours=1)
    second = prepare_packet(clinic, AS_OF)
    assert [(f.kind, f.patient_id, second.reasons[f.id]) for f in second.shown] == [
        ("safety", "P1", "changed"),  # a new adverse event
        ("wearing_off", "P1", "changed"),  # a later signalling assessment
        ("lost_to_follow_up", "P9", "new"),
    ]
    # Unchanged and never in a packet: left out.
    left = {(c.kind, c.left_out) for c in second.counts if c.left_out}
    assert left == {("lost_to_follow_up", 1), ("overdue", 1)}


def test_a_long_ago_flag_is_left_out_with_a_command_that_lists_it(
    clinic: Context, clock: Clock, any_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.advance(days=30)
    packet = prepare_packet(clinic, AS_OF)
    left = {c.kind: c.left_out for c in packet.counts if c.left_out}
    assert left == {"safety": 1, "wearing_off": 1, "lost_to_follow_up": 1, "overdue": 1}
    command = packet.list_command("lost_to_follow_up")
    assert command == "followup flags --kind lost_to_follow_up --as-of 2026-11-21"
    assert command in render(packet, "html") and command in render(packet, "md")
    words = command.split()[1:]
    assert cli.main(["--db", any_url, *words, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(f["kind"], f["patient_id"]) for f in listed] == [("lost_to_follow_up", "P3")]
    assert cli.main(["--db", any_url, "flags", "--level", "watch", "--as-of", "2026-11-21"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "overdue" in lines[0] and "P2" in lines[0]


def test_sections_are_capped_and_the_rest_counted(any_url: str, clock: Clock, tmp_path) -> None:
    ctx = clocked_context(any_url, clock, packet_max_flags=2)
    load_cohort(ctx, tmp_path)
    packet = prepare_packet(ctx, AS_OF)  # the setting: 2
    assert kinds(packet.flags) == SECTIONS[:2] and kinds(packet.watch) == WATCH
    assert {c.kind: c.left_out for c in packet.counts if c.left_out} == {"lost_to_follow_up": 1}
    assert kinds(prepare_packet(ctx, AS_OF, max_sections=1).flags) == SECTIONS[:1]
    none = prepare_packet(ctx, AS_OF, max_sections=0)
    assert none.flags == () and none.left_out_total == 3 and kinds(none.watch) == WATCH
    ctx.close()


def test_watch_flags_are_table_rows_without_sections(clinic: Context) -> None:
    packet = prepare_packet(clinic, AS_OF)
    assert all(f.level == "watch" for f in packet.watch)
    assert all(f.level != "watch" for f in packet.flags)
    html = render(packet, "html")
    [overdue] = packet.watch
    assert f'<tr id="flag-{overdue.id}">' in html
    assert f'id="flag-{overdue.id}"' not in html.replace(f'<tr id="flag-{overdue.id}">', "")
    assert "knee-P2-right" not in html  # no section, no chart


def test_the_watch_list_is_capped(
    clinic: Context, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load_many(clinic, tmp_path / "many", 1, 5)
    monkeypatch.setattr(review_packet, "WATCH_ROWS_MAX", 3)
    packet = prepare_packet(clinic, AS_OF)
    assert len(packet.watch) == 3
    assert {c.kind: c.left_out for c in packet.counts if c.left_out} == {"overdue": 3}


def test_a_written_packet_is_recorded_with_its_audit_event(clinic: Context, clock: Clock) -> None:
    packet = prepare_packet(clinic, AS_OF, max_sections=2)
    clock.advance(minutes=5)
    packet_id = record_packet(clinic, packet, "dr.who")
    [(row, shown)] = recorded(clinic)
    assert row.id == packet_id
    assert (row.made_at, row.as_of, row.made_by) == (packet.made_at, AS_OF, "dr.who")
    assert row.covers_from == packet.covers_from and row.flag_count == 3
    assert sorted(shown.values()) == ["deferred", "full", "full", "table"]
    assert shown == {f.id: "full" for f in packet.flags} | {f.id: "table" for f in packet.watch} | {
        i: "deferred" for i in packet.deferred
    }
    [event] = [e for e in list_events(clinic.engine) if e.action == "review_packet"]
    assert (event.entity, event.entity_id, event.user) == (
        "review_packet",
        str(packet_id),
        "dr.who",
    )
    assert event.at == clock.now and event.patient_id is None
    assert event.new == {
        "as_of": "2026-11-21",
        "made_at": packet.made_at.isoformat(),
        "covers_from": packet.covers_from.isoformat(),
        "deferred": 1,
        "sections": 2,
        "table": 1,
        "left_out": 1,
    }


def test_the_command_records_only_what_it_wrote(
    sqlite_url: str,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Packet 1 (one section) is recorded when written; packet 2 carries what packet 1 showed
    and nobody decided, and the flag packet 1 had no room for (deferred, not dropped)."""
    ctx = clocked_context(sqlite_url, clock)
    load_cohort(ctx, tmp_path)
    monkeypatch.setattr(routine, "context", lambda *_a, **_k: ctx)  # the test's clock
    review = ["--db", sqlite_url, "review", "--as-of", "2026-11-21"]
    bad = tmp_path / "missing" / "packet.html"
    assert cli.main([*review, "--out", str(bad)]) == 1
    assert recorded(ctx) == []
    out = tmp_path / "packet.html"
    clock.advance(hours=1)
    assert cli.main([*review, "--out", str(out), "--max-flags", "1"]) == 0
    assert "1 flag(s) with a section, 1 on the watch list, 2 open" in capsys.readouterr().out
    assert html_sections(out.read_text("utf-8")) == 1
    clock.advance(days=7)
    assert cli.main([*review, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("section,reason,flag_id") and len(rows) == 5
    [(_, first), (_, second)] = recorded(ctx)
    assert sorted(first.values()) == ["deferred", "deferred", "full", "table"]
    assert set(first) == set(second)
    assert sorted(second.values()) == ["full", "full", "full", "table"]
    assert cli.main([*review, "--max-flags", "-1"]) == 2
    assert len(recorded(ctx)) == 2


def html_sections(text: str) -> int:
    return text.count('class="decision"')


def test_the_selection_reads_no_cohort_sized_list(
    clinic: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the packet must select in SQL, not list every open flag")

    monkeypatch.setattr(flag_service, "open_flags", refuse)
    monkeypatch.setattr(flag_service, "open_flag_summaries", refuse)
    assert kinds(prepare_packet(clinic, AS_OF).shown) == SECTIONS + WATCH


def test_the_packet_does_not_grow_with_the_cohort(
    any_url: str, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caps of 10 sections and 20 watch rows: a cohort three times larger gives a packet of the
    same size, and one far smaller than the cohort's flags would make."""
    monkeypatch.setattr(review_packet, "WATCH_ROWS_MAX", 20)
    ctx = clocked_context(any_url, clock, packet_max_flags=10)
    load_many(ctx, tmp_path / "a", 1, 40)
    small = render(prepare_packet(ctx, AS_OF), "html")
    load_many(ctx, tmp_path / "b", 41, 80)
    packet = prepare_packet(ctx, AS_OF)
    large = render(packet, "html")
    assert len(open_flags(ctx)) == 240
    assert (len(packet.flags), len(packet.watch), packet.left_out_total) == (10, 20, 210)
    assert html_sections(large) == 10 and large.count("<svg") == 10
    assert large.count('<tr id="flag-') == 20
    assert abs(len(large) - len(small)) < 0.01 * len(small)
    assert len(large) < 400_000
    ctx.close()


def test_flags_beyond_the_cap_are_carried_into_the_next_packet(
    any_url: str, clock: Clock, tmp_path: Path
) -> None:
    """A meeting with room for one flag: the others are recorded as deferred, and the next
    packet (nothing having changed) shows the next one instead of leaving it unseen."""
    ctx = clocked_context(any_url, clock)
    load_cohort(ctx, tmp_path)
    first = prepare_packet(ctx, AS_OF, max_sections=1)
    assert kinds(first.flags) == SECTIONS[:1] and len(first.deferred) == len(SECTIONS) - 1
    record_packet(ctx, first, "doctor")
    decide(ctx, first.flags[0].id, "continue_monitoring", "seen", "doctor")
    clock.advance(days=1)
    second = prepare_packet(ctx, AS_OF, max_sections=1)
    assert kinds(second.flags) == SECTIONS[1:2]
    assert second.reasons[second.flags[0].id] == "undecided"
    ctx.close()
