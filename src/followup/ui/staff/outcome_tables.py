"""The Outcomes screen's tables and sentences, as Rich renderables built from the read model
(``services.outcome_model``): one table per group, the comparison between the groups, what was
left out, and what is counted and how.

The words are the HTML report's (``reports.outcomes``: the same rate, survival and median texts,
endings, reasons for leaving a knee out, verdict on the test and method notes), so the screen
and the report a clinic hands out never say different things.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from followup.reports.outcomes import (
    ENDING_TEXT,
    left_out_text,
    median_text,
    methods,
    month_text,
    p_text,
    rate_text,
    survival_text,
    verdict,
)
from followup.services.outcome_model import GroupOutcome, OutcomesReport
from followup.ui.staff.outcome_chart import curve_style

CAUTION_STYLE = "bold yellow"
LABEL_WIDTH = 20
SUB_WIDTH = 14


def _grid() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, width=LABEL_WIDTH)
    table.add_column(no_wrap=True, width=SUB_WIDTH, style="dim")
    table.add_column(ratio=1, overflow="fold")
    return table


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def left_out_lines(g: GroupOutcome, report: OutcomesReport) -> str:
    """Each reason a knee of the group was left out, with how many, one per line."""
    return "\n".join(f"{n} {left_out_text(r, report)}" for r, n in g.left_out.items() if n)


def censored_text(g: GroupOutcome) -> str:
    """'70 — knee treated again: 14 · still holding at the latest assessment: 56'."""
    censored = g.responders - g.wear_offs
    why = [
        f"{ENDING_TEXT[k].removeprefix('censored: ')}: {n}"
        for k, n in g.endings.items()
        if n and k != "wearing_off"
    ]
    return f"{censored}" + (f" — {' · '.join(why)}" if why else "")


def group_table(g: GroupOutcome, index: int | None, report: OutcomesReport) -> RenderableType:
    """Everything the screen says about one group, under its name in the style of the
    ``index``-th curve (None: all the groups together, which has no curve of its own)."""
    if index is None:
        title = Text(f"{g.label}: every group together", style="bold")
    else:
        style = curve_style(index)
        title = Text(f"{style.marker}{style.marker} {g.label}", style=f"bold {style.rich}")
    table = _grid()
    table.add_row("Knees counted", "", f"{g.counted} of {_plural(g.episodes, 'episode')}")
    if g.counted < g.episodes:
        table.add_row("Left out", "", left_out_lines(g, report))
    table.add_row("Confirmed responders", "", f"{g.responders} of {g.counted} counted")
    for n, r in enumerate(g.responder_rates):
        label = "Responder rate" if n == 0 else "  95% CI, Wilson" if n == 1 else ""
        when = f"by {r.months} months" if r.months else f"by {report.as_of.isoformat()}"
        later = f" · {r.not_judged} not judged yet" if r.not_judged else ""
        table.add_row(label, when, rate_text(r.proportion) + later)
    table.add_row("Wore off (events)", "", str(g.wear_offs))
    table.add_row("Censored", "", censored_text(g) if g.responders else "–")
    table.add_row("Median relief", "", median_text(g))
    for n, s in enumerate(g.survival_at):
        label = "Still holding" if n == 0 else "  95% CI, Greenwood" if n == 1 else ""
        shown = survival_text(s.survival, s.lower, s.upper) if g.responders else "–"
        table.add_row(label, f"at {s.months} months", f"{shown} · at risk {s.at_risk}")
    t = g.retreatment
    if t.retreated:
        again = (
            f"{t.retreated} of {g.counted} ({_plural(t.boosters, 'booster')}) after a median of "
            f"{month_text(t.median_months)} months ({month_text(t.shortest_months)}–"
            f"{month_text(t.longest_months)})"
        )
        doses = f"{t.doses_drawn} drawn by {_plural(t.drew_from_bank, 'treatment')}"
        if t.doses_not_recorded:
            doses += f" ({t.doses_not_recorded} not recorded)"
    else:
        again, doses = f"none of {g.counted}", "–"
    table.add_row("Treated again", "", again)
    table.add_row("Banked doses used", "", doses)
    parts: list[RenderableType] = [title, table]
    parts += [Text(f"! {c}", style=CAUTION_STYLE) for c in g.cautions]
    return Group(*parts)


def comparison(report: OutcomesReport) -> Text:
    """The log-rank line and its caution, or why there is none."""
    text = Text()
    if report.by is None:
        text.append("No comparison: all knees are one group. ", style="dim")
        text.append("Press g to group them (by product, KL grade, smoking, route or site).")
        return text
    lr = report.log_rank
    if lr is not None:
        text.append("Log-rank test between the groups: ", style="bold")
        text.append(
            f"chi-square {lr.chi_square:.2f}, {lr.df} df, p = {p_text(lr.p_value)}. "
            f"{verdict(lr.p_value)}"
        )
    if report.log_rank_note:
        if lr is not None:
            text.append("\n")
        text.append(f"! {report.log_rank_note}", style=CAUTION_STYLE)
    return text


def left_out(report: OutcomesReport) -> RenderableType:
    """What was left out of the analysis, and why, for all the knees analysed."""
    g = report.overall
    title = Text("What was left out, and why", style="bold underline")
    if g.counted == g.episodes:
        return Group(title, Text(f"Nothing: all {_plural(g.episodes, 'episode')} counted."))
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for reason, n in g.left_out.items():
        table.add_row(str(n), left_out_text(reason, report))
    lead = Text(f"{g.counted} of {_plural(g.episodes, 'episode')} counted; left out:")
    return Group(title, lead, table)


def method_notes(report: OutcomesReport) -> RenderableType:
    """What the figures count, censor and leave out, and how they are computed."""
    notes = Table.grid(padding=(0, 1))
    notes.add_column(no_wrap=True)
    notes.add_column(ratio=1, overflow="fold")
    for line in methods(report):
        notes.add_row("•", line)
    title = Text("What is counted, and how", style="bold underline")
    title.append(f" (rule set {report.rule_set_version})", style="not underline dim")
    return Group(title, notes)
