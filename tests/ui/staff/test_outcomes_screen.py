"""The clinicians' Outcomes screen on the demo clinic: the curves, the comparison and a table per
group, the same figures as the service for the same grouping and filters, the grouping and the
filters changed with keys, the HTML report written, coordinators kept out, and the screen read
at 80x24 and 200x50."""

from __future__ import annotations

import html
import re
import stat
import threading
import time

import pytest
from textual.widgets import Input, Select, Static

from followup.errors import FollowupError
from followup.services.outcomes import build_outcomes
from followup.services.staff import add_user
from followup.ui.staff import outcomes as outcomes_module
from followup.ui.staff.commands import ScreenCommands
from followup.ui.staff.outcome_chart import AtRiskRows, SurvivalChart, curve_cells, curve_style
from followup.ui.staff.outcome_filters import FilterDialog, OutcomeOptions
from followup.ui.staff.outcomes import OutcomesScreen
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ErrorDialog, TextDialog

from .conftest import settle

# One run of text in Textual's SVG screenshot: its x (12.2 px a cell), its line, its characters.
SVG_TEXT = re.compile(
    r'<text class="[^"]*-r\d+" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
)


def screen_text(app) -> str:
    """What the terminal shows, as plain lines (from an SVG screenshot)."""
    width = app.size.width
    lines: dict[int, list[str]] = {}
    for x, line, text in SVG_TEXT.findall(app.export_screenshot()):
        row = lines.setdefault(int(line), [" "] * width)
        col = round(float(x) / 12.2)
        for i, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if col + i < width:
                row[col + i] = char
    return "\n".join("".join(lines[n]).rstrip() for n in sorted(lines))


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (wrapped lines joined)."""
    return " ".join(text.split())


async def _open(pilot) -> OutcomesScreen:
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OutcomesScreen)
    assert screen.report is not None and not screen.computing
    return screen


def _tables(screen: OutcomesScreen) -> list[Static]:
    return list(screen.query(".group-table").results(Static))


async def test_a_clinician_sees_the_groups_the_curves_and_the_log_rank_line(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        expected = build_outcomes(demo_ctx, by="product")
        assert screen.report.as_json() == expected.as_json()
        assert len(expected.groups) >= 2 and expected.log_rank is not None
        assert screen.query_one(SurvivalChart).groups == expected.groups
        assert screen.query_one(AtRiskRows).groups == expected.groups
        assert len(_tables(screen)) == len(expected.groups) + 1  # and all knees together
        legend = str(screen.query_one("#km-legend", Static).content)
        test = str(screen.query_one("#km-test", Static).content)
        for i, g in enumerate(expected.groups):
            marker = curve_style(i).marker
            assert f"{marker}{marker} {g.label}: {g.responders} responder" in legend
            assert f"{g.wear_offs} wore off" in legend
        lr = expected.log_rank
        assert f"chi-square {lr.chi_square:.2f}, {lr.df} df" in test
        assert expected.log_rank_note and expected.log_rank_note in test  # fewer than 10 events
        shown = flat(screen_text(pilot.app))
        assert "Outcomes by product" in shown and "months since treatment" in shown
        assert f"{expected.overall.counted} of {expected.overall.episodes} episodes" in shown


async def test_g_changes_the_grouping_and_the_tables_follow(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        await pilot.press("g")
        await settle(pilot)
        by_grade = build_outcomes(demo_ctx, by="kl_grade")
        assert screen.options.by == "kl_grade"
        assert screen.report.as_json() == by_grade.as_json()
        tables = _tables(screen)
        assert len(tables) == len(by_grade.groups) + 1
        for table, g in zip(tables, by_grade.groups, strict=False):
            assert table.content.renderables[0].plain.endswith(g.label)
        assert "Outcomes by KL grade" in flat(screen_text(pilot.app))
        for _ in range(4):  # smoking, route, site, then none
            await pilot.press("g")
        await settle(pilot)
        assert screen.options.by is None
        assert screen.report.as_json() == build_outcomes(demo_ctx).as_json()
        assert "No comparison" in str(screen.query_one("#km-test", Static).content)


async def test_the_filters_narrow_the_knees(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        everyone = screen.report.overall.counted
        await pilot.press("f")
        assert isinstance(pilot.app.screen, FilterDialog)
        await pilot.press("enter", "down", "enter")  # product: the first after "any"
        await pilot.press("tab", *"7", "enter")  # no grade 7: refused, the dialog stays
        await settle(pilot)
        assert isinstance(pilot.app.screen, FilterDialog)
        problem = str(pilot.app.screen.query_one("#filter-problem", Static).content)
        assert "KL grade '7'" in problem
        await pilot.press("backspace", *"2-3", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        only = {"product": ["adsc_cultured"], "kl_grade": ["2", "3"]}
        assert screen.options == OutcomeOptions(
            by="product", product="adsc_cultured", kl_grades=("2", "3")
        )
        chosen = build_outcomes(demo_ctx, by="product", only=only)
        assert screen.report.as_json() == chosen.as_json()
        assert 0 < screen.report.overall.counted < everyone
        bar = flat(screen_text(pilot.app))
        assert "Adipose MSCs, culture-expanded, KL 2-3" in bar
        # The clinic's question: the same knees, smokers against non-smokers.
        await pilot.press("g", "g")
        await settle(pilot)
        assert screen.options.by == "smoker" and screen.options.only() == only
        by_smoking = build_outcomes(demo_ctx, by="smoker", only=only)
        assert screen.report.as_json() == by_smoking.as_json()


async def test_x_writes_the_report_for_what_is_on_screen(demo_ctx, run_app, tmp_path):
    path = tmp_path / "outcomes.html"
    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        await pilot.press("g", "g")  # by smoking
        await settle(pilot)
        await pilot.press("x")
        dialog = pilot.app.screen
        assert isinstance(dialog, TextDialog)
        field = dialog.query_one(Input)
        assert field.value.endswith("followup-outcomes-by-smoker-2026-11-21.html")
        field.value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    page = path.read_text(encoding="utf-8")
    assert "Outcomes by smoking" in page
    assert "Non-smoker" in page and "Smoker" in page and "Log-rank test" in page


async def test_a_file_that_cannot_be_written_is_reported(demo_ctx, run_app, tmp_path):
    async with run_app(demo_ctx, user="doctor") as pilot:
        await _open(pilot)
        await pilot.press("x")
        pilot.app.screen.query_one(Input).value = str(tmp_path / "no such folder" / "x.html")
        await pilot.press("enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog) and "cannot write" in dialog.message


async def test_a_failed_analysis_is_reported_and_can_be_retried(demo_ctx, run_app, monkeypatch):
    def refuse(*args, **kwargs):
        raise FollowupError("the database is being upgraded")

    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        monkeypatch.setattr(outcomes_module, "build_outcomes", refuse)
        await pilot.press("ctrl+r")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message == "the database is being upgraded"
        await pilot.press("enter")
        assert not screen.computing
        assert "could not be computed" in str(screen.query_one("#outcomes-bar", Static).content)


async def test_a_coordinator_cannot_open_the_outcomes(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)
        assert not pilot.app.is_screen_installed("outcomes")
        assert pilot.app.check_action("outcomes", ()) is False
        titles = {t for t, _help, _cmd in ScreenCommands(pilot.app.screen)._commands()}
        assert "Outcomes" not in titles
        await pilot.app.run_action("outcomes")  # even when asked by name
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)


async def test_the_palette_lists_outcomes_for_a_clinician(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor") as pilot:
        titles = {t for t, _help, _cmd in ScreenCommands(pilot.app.screen)._commands()}
        assert "Outcomes" in titles
        screen = await _open(pilot)
        titles = {t for t, _help, _cmd in ScreenCommands(screen)._commands()}
        assert {"Group by", "Filters", "Report", "Censor ticks"} <= titles


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_screen_reads_at_80x24_and_200x50(demo_ctx, run_app, size):
    async with run_app(demo_ctx, user="doctor", size=size) as pilot:
        screen = await _open(pilot)
        g = screen.report.groups[0]
        wide = size[0] >= outcomes_module.WIDE
        assert screen.has_class("-wide") is wide
        first = screen_text(pilot.app)
        assert "100%" in first and "months since treatment" in first
        if wide:  # the legend and the first table beside the chart
            assert g.label in first and "Knees counted" in first
        seen = first
        for _ in range(60):  # scroll to the end: what scrolls depends on the width
            await pilot.press("pagedown")
            seen += screen_text(pilot.app)
        seen = flat(seen)
        assert g.label in seen and "Log-rank test between the groups" in seen
        assert "Median relief" in seen and "Still holding" in seen and "at risk" in seen
        assert "What was left out, and why" in seen and "What is counted, and how" in seen
        if wide:  # side by side: the chart stays while the tables scroll
            assert "100%" in screen_text(pilot.app)


async def test_curves_through_the_same_cells_take_turns_and_each_group_shows(demo_ctx, run_app):
    async with run_app(demo_ctx, user="doctor", size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("g", "g")  # smokers and non-smokers: both start at 100 %
        await settle(pilot)
        groups = [g for g in screen.report.groups if g.responders]
        chart = screen.query_one(SurvivalChart)
        width, height = chart.drawing_area()
        limits = (-1.0, 37.0)
        assert curve_cells(groups[0], width, height, limits) & curve_cells(
            groups[1], width, height, limits
        )
        top = next(line for line in screen_text(pilot.app).splitlines() if "100%┤" in line)
        assert "•x•x" in top  # neither hides the other
        await pilot.press("t")  # censored knees as ticks, on request
        top = next(line for line in screen_text(pilot.app).splitlines() if "100%┤" in line)
        assert "|" in top


async def test_an_answer_overtaken_by_a_newer_choice_is_dropped(demo_ctx, run_app, monkeypatch):
    real = outcomes_module.build_outcomes

    def slow_for_grades(ctx, as_of, by, only):
        if by == "kl_grade":
            time.sleep(0.6)  # finishes after the smoking analysis asked for after it
        return real(ctx, as_of, by, only)

    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        monkeypatch.setattr(outcomes_module, "build_outcomes", slow_for_grades)
        await pilot.press("g", "g")
        await settle(pilot)
        await pilot.pause(0.8)
        await settle(pilot)
        assert screen.options.by == "smoker"
        assert screen.report.by == "smoker"
        assert "Outcomes by smoking" in flat(screen_text(pilot.app))


async def test_a_clinician_limited_to_a_site_sees_that_site_only(demo_ctx, run_app):
    add_user(
        demo_ctx, "northdoc", "northdoc", "clinician", "test", site_id="north", allow_weak=True
    )
    async with run_app(demo_ctx, user="northdoc") as pilot:
        screen = await _open(pilot)
        north = {"site": ["north"]}
        assert (
            screen.report.as_json() == build_outcomes(demo_ctx, by="product", only=north).as_json()
        )
        assert screen.report.overall.episodes < build_outcomes(demo_ctx).overall.episodes
        await pilot.press("f")
        dialog = pilot.app.screen
        assert isinstance(dialog, FilterDialog)
        assert dialog.query_one("#filter-site", Select).disabled
        await pilot.press("ctrl+r", "escape")  # clearing the filters keeps the site
        await pilot.press("f", "ctrl+r", "tab", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen and screen.options.site == "north"


async def test_computing_is_shown_while_the_analysis_runs(demo_ctx, run_app, monkeypatch):
    real = outcomes_module.build_outcomes
    release = threading.Event()

    def waiting(*args):
        release.wait(10)
        return real(*args)

    async with run_app(demo_ctx, user="doctor") as pilot:
        screen = await _open(pilot)
        monkeypatch.setattr(outcomes_module, "build_outcomes", waiting)
        await pilot.press("g")
        bar = str(screen.query_one("#outcomes-bar", Static).content)
        assert "Outcomes by KL grade" in bar and "computing…" in bar
        assert screen.check_action("write_report", ()) is None  # not while computing
        release.set()
        await settle(pilot)
        assert "computing" not in str(screen.query_one("#outcomes-bar", Static).content)
        assert screen.check_action("write_report", ()) is True
