"""The outcomes report as handed out: one self-contained HTML file (no script, nothing fetched, a
Content-Security-Policy), every text escaped (a site name is typed by people), the durability
chart well-formed SVG with a curve, band and at-risk row per group, and the text table."""

from __future__ import annotations

import re
import stat
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.reports.files import write_private
from followup.reports.outcomes import render_html, render_text
from followup.reports.survival_chart import durability_chart
from followup.services.context import Context
from followup.services.outcomes import build_outcomes
from followup.store.engine import write_session

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & <b>North</b>'


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def hostile_ctx(demo_ctx: Context) -> Context:
    with write_session(demo_ctx.engine) as session:
        session.execute(text("UPDATE site SET name = :n WHERE id = 'north'"), {"n": HOSTILE})
    return demo_ctx


def svg_of(html: str) -> ET.Element:
    found = re.search(r"<svg.*?</svg>", html, re.S)
    assert found is not None
    return ET.fromstring(found.group(0))


def test_self_contained_and_locked_down(hostile_ctx: Context) -> None:
    html = render_html(build_outcomes(hostile_ctx, by="site"))
    parser = Tags()
    parser.feed(html)
    names = [t for t, _ in parser.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    assert "iframe" not in names and "object" not in names
    for _tag, attrs in parser.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), key
            assert key not in ("src", "href") or not value or value.startswith("#"), (key, value)
    csp = [a for t, a in parser.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    assert "url(" not in html and "@import" not in html
    # The only address is the SVG namespace, which names the format and is never fetched.
    assert set(re.findall(r"https?://[^\"' ]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "<style>" in html and "font-variant-numeric" in html  # the style sheet inlined


def test_text_is_escaped_everywhere(hostile_ctx: Context) -> None:
    html = render_html(build_outcomes(hostile_ctx, by="site"))
    assert HOSTILE not in html
    assert "<script>" not in html and "<b>North</b>" not in html
    assert "&lt;script&gt;alert(" in html  # shown as text, in the tables and the chart
    svg = svg_of(html)
    labels = "".join(svg.itertext())
    assert "<script>" in labels  # the chart's text is the site's name, as text


def test_the_chart_is_well_formed_svg_with_each_group(demo_ctx: Context) -> None:
    report = build_outcomes(demo_ctx, by="kl_grade")
    svg = svg_of(render_html(report))
    drawn = [g for g in report.groups if g.responders]
    curves = svg.findall(f".//{SVG}g[@class='curve']")
    assert len(curves) == len(drawn)
    assert len(svg.findall(f".//{SVG}polygon[@class='band']")) == len(drawn)
    assert svg.findall(f".//{SVG}path[@class='censored']")
    risk = svg.find(f".//{SVG}g[@class='at-risk']")
    assert risk is not None
    texts = ["".join(t.itertext()) for t in risk.iter(f"{SVG}text")]
    assert "Number at risk" in texts
    assert str(drawn[0].responders) in texts  # the first group's count at month 0
    axis = svg.find(f".//{SVG}g[@class='time-axis']")
    assert axis is not None and "months since treatment" in "".join(axis.itertext())
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None


def test_a_group_without_responders_is_named_not_drawn(demo_ctx: Context) -> None:
    report = build_outcomes(demo_ctx, only={"product": ["corticosteroid"]})
    svg = ET.fromstring(durability_chart(report.groups or (report.overall,), title="x"))
    assert not svg.findall(f".//{SVG}g[@class='curve']")
    assert "no confirmed responders" in "".join(svg.itertext())
    html = render_html(report)
    assert "No knee in this group can be counted yet." in html


def test_the_report_says_what_it_counts_and_leaves_out(demo_ctx: Context) -> None:
    report = build_outcomes(demo_ctx, by="smoker")
    html = render_html(report)
    for phrase in (
        "counts once per episode",
        "Censored",
        "log-log",
        "Brookmeyer-Crowley",
        "Wilson",
        "R&#39;s rule",
        "treated too recently",
        "Read with care",
        "Log-rank test between the groups",
    ):
        assert phrase in html, phrase
    lines = render_text(report)
    assert "log-rank test between the groups: chi-square" in lines
    assert "responders by  3 months" in lines and "still holding at 12 months" in lines
    assert "left out:" in lines


def test_the_file_is_private(demo_ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "outcomes.html"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, render_html(build_outcomes(demo_ctx)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
