"""The trajectory chart: well-formed standalone SVG, every element it promises, text escaped, and
layout helpers that keep labels apart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from followup.reports.chart_layout import number, spread_labels, time_ticks
from followup.reports.svgchart import (
    HorizontalLine,
    Marker,
    Series,
    trajectory_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def chart(**overrides: object) -> str:
    pain = Series(
        "Pain",
        [(date(2025, 5, 20), 75.0), (date(2025, 7, 15), 25.0), (date(2026, 3, 1), 70.0)],
        [
            HorizontalLine(75.0, "baseline", date(2025, 5, 20)),
            HorizontalLine(25.0, "best", date(2025, 7, 15)),
            HorizontalLine(50.0, "threshold", date(2025, 7, 15)),
        ],
    )
    function = Series(
        "Function",
        [(date(2025, 5, 20), 60.0), (date(2025, 7, 15), 30.0), (date(2026, 3, 1), 55.5)],
        [
            HorizontalLine(60.0, "baseline", date(2025, 5, 20)),
            HorizontalLine(30.0, "best", date(2025, 7, 15)),
            HorizontalLine(48.0, "threshold", date(2025, 7, 15)),
        ],
    )
    args: dict[str, object] = {
        "series": [pain, function],
        "markers": [Marker(date(2025, 6, 1), "ADSC 2025-06-01", emphasis=True)],
        "title": "Pain and function, left knee",
        "as_of": date(2026, 11, 21),
        "chart_id": "knee-P1-left",
    }
    args.update(overrides)
    return trajectory_chart(**args)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_is_wellformed_standalone_svg_with_accessible_title_and_desc() -> None:
    root = parse(chart())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 560 ")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "Pain and function, left knee"
    assert desc is not None and "Pain: 3 assessment(s)" in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_draws_both_series_in_their_own_panels() -> None:
    root = parse(chart())
    series = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "series"]
    assert len(series) == 2
    # Different colour and a different dash pattern, so they differ in black-and-white print too.
    assert series[0].get("stroke") != series[1].get("stroke")
    assert series[0].get("stroke-dasharray") != series[1].get("stroke-dasharray")
    assert len(series[0].get("points", "").split()) == 3
    labels = texts(root)
    assert "Pain" in labels and "Function" in labels
    assert labels.count("0 best — 100 worst") == 2


def test_reference_lines_are_drawn_and_labelled_per_domain() -> None:
    root = parse(chart())
    classes = [ln.get("class") for ln in root.iter(f"{SVG}line") if ln.get("class")]
    for role in ("baseline", "best", "threshold"):
        assert classes.count(f"ref-{role}") == 2
    dashes = {
        ln.get("class"): ln.get("stroke-dasharray")
        for ln in root.iter(f"{SVG}line")
        if (ln.get("class") or "").startswith("ref-")
    }
    assert len(set(dashes.values())) == 3  # each kind of line has its own pattern
    labels = texts(root)
    expected = ("before treatment 75", "best level 25", "signal level 50", "before treatment 60")
    for label in (*expected, "signal level 48"):
        assert label in labels


def test_higher_scores_are_drawn_higher_up() -> None:
    root = parse(chart())
    y = {
        ln.get("class"): float(ln.get("y1", "0"))
        for ln in root.iter(f"{SVG}line")
        if ln.get("class") in ("ref-baseline", "ref-best")
    }  # the function panel's lines overwrite the pain panel's: both have baseline above best
    assert (
        y["ref-baseline"] < y["ref-best"]
    )  # SVG y grows downwards: 75 (worse) sits above 25 (better)


def test_treatments_are_vertical_markers_and_the_flagged_one_stands_out() -> None:
    markers = [
        Marker(date(2025, 6, 1), "ADSC 2025-06-01"),
        Marker(date(2026, 4, 1), "PRP 2026-04-01", emphasis=True),
    ]
    root = parse(chart(markers=markers))
    groups = [g for g in root.iter(f"{SVG}g") if "marker" in (g.get("class") or "")]
    kinds = [g.get("class") for g in groups]
    assert kinds == ["marker treatment", "marker treatment-emphasis", "marker as-of"]
    for g in groups:
        line = g.find(f"{SVG}line")
        assert line is not None and line.get("x1") == line.get("x2")
    assert "as of 2026-11-21" in texts(root)


def test_series_colours_are_from_the_okabe_ito_palette() -> None:
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    root = parse(chart())
    strokes = {p.get("stroke") for p in root.iter(f"{SVG}polyline") if p.get("class") == "series"}
    assert strokes and strokes <= okabe_ito


def test_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & O\'Brien'
    svg = chart(
        title=f"Chart of {nasty}",
        markers=[Marker(date(2025, 6, 1), nasty)],
        series=[Series(nasty, [(date(2025, 6, 1), 10.0)])],
        chart_id='"><script>',
    )
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == f"Chart of {nasty}"
    assert nasty in texts(root)
    assert all(c.isalnum() or c in "-_" for c in root.get("aria-labelledby", "").replace(" ", ""))


def test_no_external_references() -> None:
    svg = chart()
    assert "href" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_empty_and_single_point_charts_render() -> None:
    empty = parse(chart(series=[Series("Pain", []), Series("Function", [])], markers=[]))
    assert "no valid assessments" in texts(empty)
    single = parse(chart(series=[Series("Pain", [(date(2026, 1, 1), 40.0)])], markers=[]))
    assert single.find(f".//{SVG}circle") is not None


def test_scores_outside_0_100_are_clamped_to_the_panel() -> None:
    root = parse(chart(series=[Series("Pain", [(date(2026, 1, 1), 140.0)])], markers=[]))
    frame = next(r for r in root.iter(f"{SVG}rect") if r.get("fill") == "none")
    top = float(frame.get("y", "0"))
    circle = root.find(f".//{SVG}circle")
    assert circle is not None and float(circle.get("cy", "0")) == pytest.approx(top)


def test_time_ticks_are_month_aligned_and_few() -> None:
    ticks = time_ticks(date(2024, 12, 1), date(2026, 11, 21), max_ticks=6)
    assert 2 <= len(ticks) <= 6
    assert all(d.day == 1 for d, _ in ticks)
    assert all(date(2024, 12, 1) <= d <= date(2026, 11, 21) for d, _ in ticks)
    short = time_ticks(date(2026, 6, 15), date(2026, 11, 21))
    assert [label for _, label in short][:2] == ["Jul 2026", "Aug 2026"]
    long = time_ticks(date(2015, 1, 1), date(2026, 1, 1), max_ticks=6)
    assert all(label.isdigit() for _, label in long)


def test_spread_keeps_labels_apart_and_in_bounds() -> None:
    assert spread_labels([50.0, 52.0, 53.0], 0, 100, 10) == [50.0, 60.0, 70.0]
    placed = spread_labels([95.0, 96.0, 97.0], 0, 100, 10)
    assert placed == [80.0, 90.0, 100.0]
    assert spread_labels([], 0, 100, 10) == []


def test_number_formatting() -> None:
    assert number(42.5) == "42.5"
    assert number(60.0) == "60"
    assert number(36.029411) == "36"
    assert number(0.04) == "0"
