"""The weekly review packet: flags refreshed as of the packet's day, review order, counts, one
section per knee, every format, a private output file, and hostile text kept inert (HTML
escaping, CSV formula neutralising, Markdown pipes).

Most tests run on a small cohort imported here, built so that one knee carries two flags; the
demo cohort checks the packet against the flag listing at realistic size and speed.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from followup.domain.flags import KIND_LEVELS
from followup.domain.instrument import ITEM_KEYS
from followup.errors import FollowupError
from followup.reports.packet import (
    ROW_FIELDS,
    build_packet,
    md_cell,
    render_markdown,
    write_packet,
)
from followup.services.context import Context
from followup.services.flags import LEVEL_ORDER, open_flags
from followup.services.importing import import_file

AS_OF = date(2026, 11, 21)
SCRIPT_NAME = '<script>alert("x")</script> O\'Brien | Jr'
FORMULA_NAME = '=HYPERLINK("http://attacker.example","click")'
ADVERSE_EVENT = "<img src=x onerror=alert(1)> swelling | warm"

PATIENTS = [
    {"patient_id": "P1", "name": SCRIPT_NAME, "birth_date": "1956-03-02"},
    {"patient_id": "P2", "name": FORMULA_NAME, "birth_date": "1949-11-30"},
    {"patient_id": "P3", "name": "Carla Díaz", "birth_date": "1962-07-14"},
]
TREATMENTS = [
    # P1 left: responded, wore off, and reported an adverse event -> safety + wearing_off.
    {"treatment_id": "T1", "patient_id": "P1", "knee": "left", "treated_on": "2025-06-01",
     "product": "adsc_cultured", "kl_grade": "2", "banked_doses": "2"},
    # P2 right: the 3-month follow-up was missed -> overdue.
    {"treatment_id": "T2", "patient_id": "P2", "knee": "right", "treated_on": "2026-08-01",
     "product": "prp", "kl_grade": "3", "banked_doses": ""},
    # P3 left: never assessed after treatment -> lost_to_follow_up.
    {"treatment_id": "T3", "patient_id": "P3", "knee": "left", "treated_on": "2026-08-01",
     "product": "bmac", "kl_grade": "", "banked_doses": ""},
]  # fmt: skip
# (patient, knee, date, every item's answer 0-4, adverse event)
ASSESSMENTS = [
    ("P1", "left", "2025-05-20", 3, ""),
    ("P1", "left", "2025-06-15", 3, ADVERSE_EVENT),
    ("P1", "left", "2025-07-15", 1, ""),
    ("P1", "left", "2025-09-01", 1, ""),
    ("P1", "left", "2025-12-01", 1, ""),
    ("P1", "left", "2026-03-01", 3, ""),
    ("P1", "left", "2026-06-01", 3, ""),
    ("P2", "right", "2026-07-25", 2, ""),
    ("P2", "right", "2026-08-15", 2, ""),
    ("P2", "right", "2026-09-12", 2, ""),
]
EXPECTED = [  # review order: urgent, action, watch; oldest first within a level
    ("urgent", "safety", "P1"),
    ("action", "wearing_off", "P1"),
    ("action", "lost_to_follow_up", "P3"),
    ("watch", "overdue", "P2"),
]


def write_csv(path: Path, fields: list[str], rows: list[dict[str, object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def load_cohort(ctx: Context, tmp_path: Path) -> Context:
    """Three patients, four flags, one knee with two of them (DESIGN.md section 7 formats)."""
    files = {
        "patients": write_csv(tmp_path / "patients.csv", list(PATIENTS[0]), PATIENTS),  # type: ignore[arg-type]
        "treatments": write_csv(tmp_path / "treatments.csv", list(TREATMENTS[0]), TREATMENTS),  # type: ignore[arg-type]
        "assessments": write_csv(
            tmp_path / "assessments.csv",
            ["patient_id", "knee", "assessed_on", "source", *ITEM_KEYS, "adverse_event"],
            [
                {
                    "patient_id": p,
                    "knee": k,
                    "assessed_on": d,
                    "source": "phone",
                    "adverse_event": ae,
                }
                | dict.fromkeys(ITEM_KEYS, v)
                for p, k, d, v, ae in ASSESSMENTS
            ],  # fmt: skip
        ),
    }
    for kind, path in files.items():
        import_file(ctx, kind, path, "test")
    return ctx


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


# --- the read model ----------------------------------------------------------------------------


def test_packet_lists_open_flags_in_review_order(cohort: Context) -> None:
    packet = build_packet(cohort, AS_OF)
    assert [(f.level, f.kind, f.patient_id) for f in packet.flags] == EXPECTED
    assert packet.as_of == AS_OF
    assert packet.rule_set_version == cohort.rules.version
    assert packet.generated_at == cohort.now()


def test_packet_is_the_same_on_every_backend(any_ctx: Context, tmp_path: Path) -> None:
    load_cohort(any_ctx, tmp_path)
    packet = build_packet(any_ctx, AS_OF)
    assert [(f.level, f.kind, f.patient_id) for f in packet.flags] == EXPECTED
    assert [len(k.flags) for k in packet.knees] == [2, 1, 1]
    out = io.StringIO()
    assert write_packet(any_ctx, AS_OF, "html", None, out) == 4
    assert out.getvalue().count("<svg") == 3


def test_flags_on_one_knee_share_one_section_and_its_trajectory(cohort: Context) -> None:
    packet = build_packet(cohort, AS_OF)
    assert [(k.patient_id, k.knee, [f.kind for f in k.flags]) for k in packet.knees] == [
        ("P1", "left", ["safety", "wearing_off"]),
        ("P3", "left", ["lost_to_follow_up"]),
        ("P2", "right", ["overdue"]),
    ]
    first = packet.knees[0]
    assert first.level == "urgent"
    assert first.trajectory is not None and first.trajectory.knee == "left"
    assert len(first.trajectory.points) == 7
    assert set(first.trajectory.references) == {"pain", "function"}


def test_counts_cover_every_kind_by_level(cohort: Context) -> None:
    packet = build_packet(cohort, AS_OF)
    counts = {(c.level, c.kind): c.count for c in packet.counts}
    assert set(counts) == {(level, kind) for kind, level in KIND_LEVELS.items()}
    assert counts[("urgent", "safety")] == 1
    assert counts[("action", "wearing_off")] == 1
    assert counts[("action", "lost_to_follow_up")] == 1
    assert counts[("watch", "overdue")] == 1
    assert counts[("action", "no_response")] == 0
    assert [packet.level_count(lv) for lv in ("urgent", "action", "watch")] == [1, 2, 1]
    assert [c.level for c in packet.counts] == sorted(
        (c.level for c in packet.counts), key=LEVEL_ORDER.__getitem__
    )
    assert packet.patient_count == 3


def test_months_since_treatment_are_counted_to_the_packet_day(cohort: Context) -> None:
    packet = build_packet(cohort, AS_OF)
    months = {f.kind: packet.months_since_treatment(f) for f in packet.flags}
    assert months == {"safety": 17, "wearing_off": 17, "lost_to_follow_up": 3, "overdue": 3}


def test_packet_refreshes_flags_as_of_its_day(cohort: Context) -> None:
    """Before the 3-month window closed (2026-11-15) neither follow-up flag exists; the P1 knee
    had only just started to signal, so it was possibly, not yet surely, wearing off."""
    early = build_packet(cohort, date(2026, 3, 5))
    assert [(f.kind, f.patient_id) for f in early.flags] == [
        ("safety", "P1"),
        ("possible_wearing_off", "P1"),
    ]
    assert [(f.kind, f.patient_id) for f in build_packet(cohort, AS_OF).flags] == [
        (kind, pid) for _, kind, pid in EXPECTED
    ]


def test_no_open_flags_gives_an_empty_packet(ctx: Context) -> None:
    packet = build_packet(ctx, AS_OF)
    assert packet.flags == () and packet.knees == ()
    assert sum(c.count for c in packet.counts) == 0
    html = io.StringIO()
    assert write_packet(ctx, AS_OF, "html", None, html) == 0
    assert "nothing to review" in html.getvalue()


# --- formats -------------------------------------------------------------------------------------


def test_csv_has_one_neutralised_row_per_flag(cohort: Context) -> None:
    out = io.StringIO()
    assert write_packet(cohort, AS_OF, "csv", None, out) == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(ROW_FIELDS)
    assert [(r["level"], r["kind"], r["patient_id"]) for r in rows] == EXPECTED
    p2 = next(r for r in rows if r["patient_id"] == "P2")
    assert p2["name"] == "'" + FORMULA_NAME  # a spreadsheet shows it as text
    assert p2["product"] == "prp" and p2["kl_grade"] == "3" and p2["banked_doses"] == ""
    safety = rows[0]
    assert safety["name"] == SCRIPT_NAME
    assert ADVERSE_EVENT in safety["summary"]
    assert safety["months_since_treatment"] == "17" and safety["banked_doses"] == "2"
    assert safety["raised_on"] == "2025-06-15" and safety["decision"] == ""
    assert all(not r[k].startswith(("=", "+", "-", "@")) for r in rows for k in ROW_FIELDS)


def test_markdown_has_the_same_rows_with_pipes_escaped(cohort: Context) -> None:
    out = io.StringIO()
    assert write_packet(cohort, AS_OF, "md", None, out) == 4
    text = out.getvalue()
    table = [ln for ln in text.splitlines() if ln.startswith("| flag_id")]
    assert len(table) == 1
    header_at = text.splitlines().index(table[0])
    body = text.splitlines()[header_at + 2 :]
    body = [ln for ln in body if ln.startswith("|")]
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


def test_html_is_one_self_contained_document(cohort: Context) -> None:
    out = io.StringIO()
    assert write_packet(cohort, AS_OF, "html", None, out) == 4
    text = out.getvalue()
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
    assert visible.count("http") == visible.count("HYPERLINK(&quot;http://attacker.example")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "@media print" in text and "break-inside: avoid" in text


def test_html_escapes_every_text_value(cohort: Context) -> None:
    out = io.StringIO()
    write_packet(cohort, AS_OF, "html", None, out)
    text = out.getvalue()
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Brien | Jr" in text
    assert "&lt;img src=x onerror=alert(1)&gt; swelling | warm" in text
    assert not any(tag in ("script", "img") for tag, _ in parse_html(text).tags)


def test_html_has_sections_charts_evidence_and_decision_boxes(cohort: Context) -> None:
    out = io.StringIO()
    write_packet(cohort, AS_OF, "html", None, out)
    text = out.getvalue()
    assert text.count('<article class="knee') == 3
    assert text.count('class="decision"') == 4  # one box per flag
    assert text.count("<svg") == 3  # one chart per knee
    for svg in re.findall(r"<svg.*?</svg>", text, re.S):
        root = ET.fromstring(svg)  # each chart is well-formed XML on its own
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
    for fragment in (
        "as of <strong>2026-11-21</strong>",
        f"rule set <strong>{cohort.rules.version}</strong>",
        "generated 2026-11-21 15:00",
        "Booster scheduled",
        "Adipose MSCs, culture-expanded",
        "KL 2",
        'class="summary"',
        "signal ≥",
    ):
        assert fragment in text, fragment
    # The safety section comes before the action and watch sections.
    assert text.index("knee-P1-left") < text.index("knee-P3-left") < text.index("knee-P2-right")
    # Each agenda link leads to a section that exists.
    ids = {a.get("id") for _, a in parse_html(text).tags}
    links = {a["href"][1:] for t, a in parse_html(text).tags if t == "a" and a.get("href")}
    assert links and links <= ids


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "csv", "md"])
def test_file_is_created_private(cohort: Context, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"packet.{fmt}"
    assert write_packet(cohort, AS_OF, fmt, out) == 4
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "P1" in out.read_text(encoding="utf-8")


def test_an_existing_file_loses_wider_permissions(cohort: Context, tmp_path: Path) -> None:
    out = tmp_path / "packet.html"
    out.write_text("STALE-PACKET")
    out.chmod(0o644)
    write_packet(cohort, AS_OF, "html", out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "STALE-PACKET" not in out.read_text(encoding="utf-8")


def test_unknown_format_and_unwritable_path_are_user_errors(
    cohort: Context, tmp_path: Path
) -> None:
    with pytest.raises(FollowupError, match="format"):
        write_packet(cohort, AS_OF, "pdf", None, io.StringIO())
    with pytest.raises(FollowupError, match="cannot write"):
        write_packet(cohort, AS_OF, "csv", tmp_path / "missing" / "packet.csv")


def test_render_markdown_matches_the_csv_rows(cohort: Context) -> None:
    packet = build_packet(cohort, AS_OF, with_charts=False)
    assert all(k.trajectory is None for k in packet.knees)
    text = render_markdown(packet)
    ids = re.findall(r"^\| (\d+) \|", text, re.M)
    assert [int(i) for i in ids] == [f.id for f in packet.flags]


# --- the demo cohort -----------------------------------------------------------------------------


def test_demo_packet_matches_the_flag_listing(demo_ctx: Context, today: date) -> None:
    packet = build_packet(demo_ctx, today)
    listed = open_flags(demo_ctx)
    assert [f.id for f in packet.flags] == [f.id for f in listed]
    keys = [(LEVEL_ORDER[f.level], f.raised_on, f.id) for f in packet.flags]
    assert keys == sorted(keys)
    counts = Counter((f.level, f.kind) for f in listed)
    assert {(c.level, c.kind): c.count for c in packet.counts if c.count} == dict(counts)
    assert sum(len(k.flags) for k in packet.knees) == len(packet.flags)
    assert len({(k.patient_id, k.knee) for k in packet.knees}) == len(packet.knees)
    assert all(k.trajectory is not None for k in packet.knees)


def test_demo_packet_renders_every_format_quickly(demo_ctx: Context, today: date) -> None:
    for fmt in ("html", "csv", "md"):
        out = io.StringIO()
        started = time.perf_counter()
        count = write_packet(demo_ctx, today, fmt, None, out)
        elapsed = time.perf_counter() - started
        assert count > 0
        assert elapsed < 5, f"{fmt} took {elapsed:.2f} s"
        if fmt == "csv":
            assert len(list(csv.reader(io.StringIO(out.getvalue())))) == count + 1
        if fmt == "html":
            assert out.getvalue().count('class="decision"') == count
