"""The weekly review packet as printed: the read model's order, sections and counts, every
format, a private output file, and hostile text kept inert (HTML escaping with autoescaped
templates, CSV formula neutralising, Markdown pipes).

Most tests run on the small cohort of ``tests.reports.cohort`` (its flags all raised within the
first packet's week); the demo cohort checks the packet against the flag listing at realistic
size and speed. Which flags a packet selects is tested in ``test_packet_selection``.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import time
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from followup.domain.flags import KIND_LEVELS
from followup.errors import FollowupError
from followup.reports.files import write_private
from followup.reports.packet import ROW_FIELDS, md_cell, render, render_markdown
from followup.services.context import Context
from followup.services.review_packet import ReviewPacket, prepare_packet
from followup.services.review_queue import LEVEL_ORDER, open_flags
from tests.reports.cohort import (
    ADVERSE_EVENT,
    AS_OF,
    FORMULA_NAME,
    SCRIPT_NAME,
    SECTIONS,
    WATCH,
    load_cohort,
)

EXPECTED = SECTIONS + WATCH


@pytest.fixture
def cohort(ctx: Context, tmp_path: Path) -> Context:
    return load_cohort(ctx, tmp_path)


class Collector(HTMLParser):
    """Collects start tags and their attributes, to look at the document as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse_html(text: str) -> Collector:
    collector = Collector()
    collector.feed(text)
    collector.close()
    return collector


def html_flag_ids(text: str) -> list[int]:
    """The flags of an HTML packet in document order: each section's decision boxes, then the
    watch list's rows."""
    ids = [a.get("id") or "" for _, a in parse_html(text).tags]
    return [int(i.removeprefix("flag-")) for i in ids if i.startswith("flag-")]


def packet_text(ctx: Context, fmt: str, as_of: date = AS_OF) -> str:
    return render(prepare_packet(ctx, as_of), fmt)


def kinds(flags: object) -> list[tuple[str, str, str]]:
    return [(f.level, f.kind, f.patient_id) for f in flags]  # type: ignore[attr-defined]


# --- the read model ----------------------------------------------------------------------------


def test_packet_orders_sections_then_the_watch_list(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF)
    assert kinds(packet.flags) == SECTIONS
    assert kinds(packet.watch) == WATCH
    assert kinds(packet.shown) == EXPECTED
    assert packet.as_of == AS_OF
    assert packet.rule_set_version == cohort.rules.version
    assert packet.made_at == cohort.now()
    assert set(packet.reasons.values()) == {"new"}


def test_flags_on_one_knee_share_one_section_and_its_trajectory(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF)
    assert [(k.patient_id, k.knee, [f.kind for f in k.flags]) for k in packet.knees] == [
        ("P1", "left", ["safety", "wearing_off"]),
        ("P3", "left", ["lost_to_follow_up"]),
    ]
    first = packet.knees[0]
    assert first.level == "urgent"
    assert first.trajectory is not None and first.trajectory.knee == "left"
    assert len(first.trajectory.points) == 7
    assert set(first.trajectory.references) == {"pain", "function"}


def test_counts_cover_every_kind_by_level(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF)
    counts = {(c.level, c.kind): (c.count, c.left_out) for c in packet.counts}
    assert set(counts) == {(level, kind) for kind, level in KIND_LEVELS.items()}
    assert counts[("urgent", "safety")] == (1, 0)
    assert counts[("action", "wearing_off")] == (1, 0)
    assert counts[("action", "lost_to_follow_up")] == (1, 0)
    assert counts[("watch", "overdue")] == (1, 0)
    assert counts[("action", "no_response")] == (0, 0)
    assert [packet.level_count(lv) for lv in ("urgent", "action", "watch")] == [1, 2, 1]
    assert [c.level for c in packet.counts] == sorted(
        (c.level for c in packet.counts), key=LEVEL_ORDER.__getitem__
    )
    assert packet.patient_count == 3
    assert (packet.open_total, packet.left_out_total) == (4, 0)


def test_months_since_treatment_are_counted_to_the_packet_day(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF)
    months = {f.kind: packet.months_since_treatment(f) for f in packet.shown}
    assert months == {"safety": 17, "wearing_off": 17, "lost_to_follow_up": 3, "overdue": 3}


def test_packet_refreshes_flags_as_of_its_day(cohort: Context) -> None:
    """Before the 3-month window closed (2026-11-15) neither follow-up flag exists. The P1 knee
    first signalled on 2026-03-01: while its confirmation call is open (to 2026-03-29) the signal
    is on the worklist, not in the review; once the call window closed without a reading it was
    possibly, not yet surely, wearing off."""
    waiting = prepare_packet(cohort, date(2026, 3, 5))
    assert kinds(waiting.flags) == [("urgent", "safety", "P1")]
    assert kinds(waiting.watch) == []
    early = prepare_packet(cohort, date(2026, 4, 5))
    assert kinds(early.flags) == [("urgent", "safety", "P1")]
    assert kinds(early.watch) == [("watch", "possible_wearing_off", "P1")]
    assert kinds(prepare_packet(cohort, AS_OF).shown) == EXPECTED


def test_no_open_flags_gives_an_empty_packet(ctx: Context) -> None:
    packet = prepare_packet(ctx, AS_OF)
    assert packet.flags == () and packet.knees == () and packet.watch == ()
    assert sum(c.count + c.left_out for c in packet.counts) == 0
    assert "nothing to review" in render(packet, "html")


# --- formats -------------------------------------------------------------------------------------


def test_csv_has_one_neutralised_row_per_flag(cohort: Context) -> None:
    rows = list(csv.DictReader(io.StringIO(packet_text(cohort, "csv"))))
    assert list(rows[0]) == list(ROW_FIELDS)
    assert [(r["level"], r["kind"], r["patient_id"]) for r in rows] == EXPECTED
    assert [r["section"] for r in rows] == ["full", "full", "full", "table"]
    p2 = next(r for r in rows if r["patient_id"] == "P2")
    assert p2["name"] == "'" + FORMULA_NAME  # a spreadsheet shows it as text
    assert p2["product"] == "prp" and p2["kl_grade"] == "3" and p2["banked_doses"] == ""
    safety = rows[0]
    assert safety["name"] == SCRIPT_NAME
    assert ADVERSE_EVENT in safety["summary"]
    assert safety["months_since_treatment"] == "17" and safety["banked_doses"] == "2"
    assert safety["raised_on"] == "2025-06-15" and safety["decision"] == ""
    assert safety["reason"] == "new"
    assert all(not r[k].startswith(("=", "+", "-", "@")) for r in rows for k in ROW_FIELDS)


def test_markdown_has_the_same_rows_with_pipes_escaped(cohort: Context) -> None:
    text = packet_text(cohort, "md")
    lines = text.splitlines()
    [header] = [ln for ln in lines if ln.startswith("| section")]
    body = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        body.append(line)
    assert len(body) == 4
    for line in body:  # every row has exactly the header's number of unescaped separators
        assert len(re.findall(r"(?<!\\)\|", line)) == len(ROW_FIELDS) + 1
    assert "O'Brien \\| Jr" in body[0]
    assert not re.search(r"(?<!\\)[<>]", text)  # markup is escaped, so shown, not rendered
    assert "as of 2026-11-21" in text


def test_md_cell_escapes_markup_and_newlines() -> None:
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("<b>x</b>") == "\\<b\\>x\\</b\\>"
    assert md_cell("two\nlines") == "two lines"
    assert md_cell(None) == ""
    assert md_cell(3) == "3"


def test_csv_and_markdown_carry_the_html_flags_in_its_order(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF)
    in_html = html_flag_ids(render(packet, "html"))
    assert in_html == [f.id for f in packet.shown]
    rows = list(csv.DictReader(io.StringIO(render(packet, "csv"))))
    assert [int(r["flag_id"]) for r in rows] == in_html
    md_ids = re.findall(r"^\| (?:full|table) \| \w+ \| (\d+) \|", render_markdown(packet), re.M)
    assert [int(i) for i in md_ids] == in_html


def test_html_is_one_self_contained_document(cohort: Context) -> None:
    text = packet_text(cohort, "html")
    assert text.startswith("<!DOCTYPE html>")
    doc = parse_html(text)
    tags = [t for t, _ in doc.tags]
    for forbidden in ("script", "link", "img", "iframe", "object", "embed", "base", "form"):
        assert forbidden not in tags
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "srcset"):
                assert (value or "").startswith("#"), (tag, name, value)
            if name != "xmlns":
                assert "http" not in (value or ""), (tag, name, value)
    assert "@import" not in text and "url(" not in text and "@font-face" not in text
    # The only "http" outside the SVG namespace is the hostile patient name, shown as text.
    visible = text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace("http-equiv", "")
    assert visible.count("http") == visible.count("HYPERLINK(&#34;http://attacker.example")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "@media print" in text and "break-inside: avoid" in text and "size: A4" in text
    assert "{{" not in text.replace("{{ 7*7 }}", "")  # every template tag was rendered


def test_html_escapes_every_text_value(cohort: Context) -> None:
    text = packet_text(cohort, "html")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien | Jr" in text
    assert "&lt;img src=x onerror=alert(1)&gt; swelling {{ 7*7 }} | warm" in text
    assert "swelling 49" not in text  # text is data, never evaluated as a template
    assert not any(tag in ("script", "img") for tag, _ in parse_html(text).tags)


def test_html_has_sections_charts_evidence_and_decision_boxes(cohort: Context) -> None:
    text = packet_text(cohort, "html")
    assert text.count('<article class="knee') == 2  # the watch flag has no section
    assert text.count('class="decision"') == 3  # one box per flag with a section
    assert text.count("<svg") == 2  # one chart per knee
    for svg in re.findall(r"<svg.*?</svg>", text, re.S):
        root = ET.fromstring(svg)  # each chart is well-formed XML on its own
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
    for fragment in (
        "as of <strong>2026-11-21</strong>",
        f"rule set <strong>{cohort.rules.version}</strong>",
        "made 2026-11-21 15:00",
        "Booster scheduled",
        "Adipose MSCs, culture-expanded",
        "<dt>KL grade</dt> <dd>2</dd>",
        "<dt>Months since (to 2026-11-21)</dt> <dd>17</dd>",
        "<dt>Banked doses</dt> <dd>2</dd>",
        'class="summary"',
        "signal level",
        "Watch list — 1 flag",
        "The 3m follow-up",
    ):
        assert fragment in text, fragment
    # The safety section comes before the action one, and both before the watch list.
    assert text.index("knee-P1-left") < text.index("knee-P3-left") < text.index('id="watch"')
    # Each agenda link leads to a section that exists.
    ids = {a.get("id") for _, a in parse_html(text).tags}
    links = {a["href"][1:] for t, a in parse_html(text).tags if t == "a" and a.get("href")}
    assert links and links <= ids


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "csv", "md"])
def test_file_is_created_private(cohort: Context, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"packet.{fmt}"
    write_private(out, packet_text(cohort, fmt))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "P1" in out.read_text(encoding="utf-8")


def test_an_existing_file_loses_wider_permissions(cohort: Context, tmp_path: Path) -> None:
    out = tmp_path / "packet.html"
    out.write_text("STALE-PACKET")
    out.chmod(0o644)
    write_private(out, packet_text(cohort, "html"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "STALE-PACKET" not in out.read_text(encoding="utf-8")


def test_unknown_format_and_unwritable_path_are_user_errors(
    cohort: Context, tmp_path: Path
) -> None:
    packet = prepare_packet(cohort, AS_OF)
    with pytest.raises(FollowupError, match="format"):
        render(packet, "pdf")
    with pytest.raises(FollowupError, match="cannot write"):
        write_private(tmp_path / "missing" / "packet.csv", render(packet, "csv"))


def test_tables_need_no_trajectories(cohort: Context) -> None:
    packet = prepare_packet(cohort, AS_OF, with_charts=False)
    assert all(k.trajectory is None for k in packet.knees)
    ids = re.findall(r"^\| (?:full|table) \| \w+ \| (\d+) \|", render_markdown(packet), re.M)
    assert [int(i) for i in ids] == [f.id for f in packet.shown]


# --- the demo cohort -----------------------------------------------------------------------------


def test_demo_packet_matches_the_flag_listing(demo_ctx: Context, today: date) -> None:
    """The demo's flags were all raised when it was loaded: the first packet shows every one."""
    packet = prepare_packet(demo_ctx, today)
    listed = open_flags(demo_ctx)
    assert [f.id for f in packet.flags] == [f.id for f in listed if f.level != "watch"]
    assert [f.id for f in packet.watch] == [f.id for f in listed if f.level == "watch"]
    keys = [(LEVEL_ORDER[f.level], f.raised_on, f.id) for f in packet.shown]
    assert keys == sorted(keys)
    assert sum(c.count for c in packet.counts) == len(listed) and packet.left_out_total == 0
    assert sum(len(k.flags) for k in packet.knees) == len(packet.flags)
    assert len({(k.patient_id, k.knee) for k in packet.knees}) == len(packet.knees)
    assert all(k.trajectory is not None for k in packet.knees)


def test_demo_packet_renders_every_format_quickly(demo_ctx: Context, today: date) -> None:
    for fmt in ("html", "csv", "md"):
        started = time.perf_counter()
        packet: ReviewPacket = prepare_packet(demo_ctx, today, with_charts=fmt == "html")
        text = render(packet, fmt)
        elapsed = time.perf_counter() - started
        assert packet.shown
        assert elapsed < 5, f"{fmt} took {elapsed:.2f} s"
        if fmt == "csv":
            assert len(list(csv.reader(io.StringIO(text)))) == len(packet.shown) + 1
        if fmt == "html":
            assert text.count('class="decision"') == len(packet.flags)
            assert html_flag_ids(text) == [f.id for f in packet.shown]
