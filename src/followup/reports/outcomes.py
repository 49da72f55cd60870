"""The outcomes report: responder rates and Kaplan-Meier durability, as a readable text table for
the terminal and as one self-contained HTML file a clinic can hand out.

Self-contained like the review packet: the style sheet (``templates/outcomes.css``) is inlined at
render time, the curves are inline SVG (``survival_chart``), there is no script, and a
Content-Security-Policy forbids fetching anything. Jinja2 autoescapes every value. The report
says what it counts, what it censors and what it leaves out, so nobody over-reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from jinja2 import Environment
from markupsafe import Markup

from followup.domain.outcomes.episodes import (
    LATEST_ASSESSMENT,
    LOST,
    MIN_FOLLOW_UP_MONTHS,
    NO_BASELINE,
    RETREATED,
    RETREATED_EARLY,
    TOO_RECENT,
    WEARING_OFF,
)
from followup.domain.outcomes.proportions import Proportion
from followup.reports import templating
from followup.reports.survival_chart import durability_chart
from followup.services.outcome_model import GroupOutcome, OutcomesReport
from followup.services.outcomes import group_names

BY_TITLES = {
    "product": "product",
    "kl_grade": "Kellgren-Lawrence grade",
    "smoker": "smoking",
    "route": "route",
    "site": "site",
}
LEFT_OUT_TEXT = {
    NO_BASELINE: "no baseline (no valid assessment in the {days} days before treatment)",
    TOO_RECENT: f"treated too recently (the {MIN_FOLLOW_UP_MONTHS}-month visit window had not "
    "closed)",
    RETREATED_EARLY: f"re-treated before the {MIN_FOLLOW_UP_MONTHS}-month visit window closed",
}
ENDING_TEXT = {
    WEARING_OFF: "wore off (event)",
    RETREATED: "censored: knee treated again",
    LOST: "censored: lost to follow-up",
    LATEST_ASSESSMENT: "censored: still holding at the latest assessment",
}


def percent(value: float | None) -> str:
    """A share as a whole percentage; a dash when there is none."""
    return "–" if value is None else f"{value * 100:.0f}%"


def month_text(value: float | None, nothing: str = "not reached") -> str:
    """Months with one decimal."""
    return nothing if value is None else f"{value:.1f}"


def rate_text(p: Proportion) -> str:
    """'84% (77–89%) 141/150' or a dash when nobody could be judged."""
    if p.share is None:
        return "–"
    return f"{percent(p.share)} ({percent(p.lower)}–{percent(p.upper)}) {p.count}/{p.total}"


def survival_text(s: float | None, lower: float | None, upper: float | None) -> str:
    """'87% (78–93%)'; 'beyond follow-up' where the curve says nothing; no interval before the
    first wear-off (the log-log band is a single point there, which would look like certainty)."""
    if s is None:
        return "beyond follow-up"
    if s >= 1.0:
        return "100% (none worn off yet)"
    if lower is None or upper is None:
        return percent(s)
    return f"{percent(s)} ({percent(lower)}–{percent(upper)})"


def median_text(g: GroupOutcome) -> str:
    """'18.2 months (95% CI 11.8 to not reached)', 'not reached (95% CI from 9.0 months)'."""
    if not g.responders:
        return "–"
    m = g.median
    if m.estimate is None:
        return "not reached" + (f" (95% CI from {m.lower:.1f} months)" if m.lower else "")
    upper = "not reached" if m.upper is None else f"{m.upper:.1f}"
    lower = "not reached" if m.lower is None else f"{m.lower:.1f}"
    return f"{m.estimate:.1f} months (95% CI {lower} to {upper})"


def left_out_text(reason: str, report: OutcomesReport) -> str:
    """Why an episode was left out, in words."""
    return LEFT_OUT_TEXT.get(reason, reason).format(days=report.baseline_lookback_days)


def methods(report: OutcomesReport) -> list[str]:
    """What the report counts, censors and leaves out, and how its figures are computed."""
    return [
        "One row of data is one episode: one treatment of one knee, up to the knee's next "
        "treatment. A knee treated twice counts once per episode; a booster starts a new one.",
        "Counted: episodes with a baseline (a valid assessment in the "
        f"{report.baseline_lookback_days} days up to the treatment) whose follow-up lasted past "
        f"the close of the {MIN_FOLLOW_UP_MONTHS}-month visit window, up to "
        f"{report.as_of.isoformat()} or the knee's next treatment. The others are left out and "
        "counted below with the reason.",
        f"Responder: the response is confirmed at {report.response_means}. The rate by 3, 6 "
        "or 12 months counts the knees whose response was confirmed by the close of that "
        "visit's window, among the counted knees whose window had closed; a knee without the "
        "assessments to show a response counts as a non-responder, and a knee treated again "
        "keeps the status it had then. 95% confidence intervals: Wilson score.",
        "How long relief lasts: among confirmed responders, the time from treatment to "
        f"confirmed wearing off, {report.wearing_off_means}. Censored (known to be holding "
        "until then): at the knee's next treatment; at the latest valid assessment for a knee "
        "lost to follow-up (the last day it was known to hold) and for every other knee. "
        "The rules confirm wearing off only after the relief has started to fade (a signal "
        "needs a confirming reading, and visits are months apart), so the curves tend to "
        "overstate how long relief lasts.",
        "Curves: Kaplan-Meier. 95% pointwise confidence bands from Greenwood's variance on the "
        "log-log scale, exp(-exp(log(-log S) ± 1.96 se)), as R's survfit with conf.type = "
        "'log-log', SAS and lifelines compute them. Median: the first time the curve is at or "
        "below 50%; if it is exactly 50% over an interval, the midpoint between that "
        "interval's start and the next drop (R's rule). Its 95% interval: Brookmeyer-Crowley "
        "with the same log-log transform (the times whose band contains 50%). 'Not reached': "
        "the curve or its band never fell to 50% within follow-up.",
        "Groups are compared with the log-rank test (chi-square with one degree of freedom "
        "fewer than the groups compared). Kellgren-Lawrence grades are shown one by one; "
        "'unknown' where none was recorded. Months are average months of 30.44 days.",
    ]


def _groups(report: OutcomesReport) -> tuple[GroupOutcome, ...]:
    return report.groups if report.groups else (report.overall,)


def title(report: OutcomesReport) -> str:
    """The report's heading."""
    by = f" by {BY_TITLES.get(report.by, report.by)}" if report.by else ""
    return f"Outcomes{by} — as of {report.as_of.isoformat()}"


def selection(report: OutcomesReport) -> str | None:
    """Which episodes were selected, in words (None: all)."""
    if not report.only:
        return None
    parts = []
    for grouping, keys in report.only.items():
        names = group_names(grouping)
        parts.append(
            f"{BY_TITLES.get(grouping, grouping)}: {', '.join(names.get(k, k) for k in keys)}"
        )
    return "; ".join(parts)


def render_text(report: OutcomesReport) -> str:
    """A readable table per group for the terminal."""
    return "\n".join(_text_lines(report)) + "\n"


def _text_lines(report: OutcomesReport) -> Iterator[str]:
    yield title(report)
    chosen = selection(report)
    yield f"rule set {report.rule_set_version}" + (f"; selected {chosen}" if chosen else "")
    groups = _groups(report)
    shown = (*groups, report.overall) if report.groups else groups
    for g in shown:
        yield ""
        head = f"== {g.label}: {g.counted} of {g.episodes} episode(s) counted"
        yield head + (f" ({_left_out_summary(g, report)})" if g.counted < g.episodes else "")
        for r in g.responder_rates:
            when = f"by {r.months:>2d} months" if r.months else "by as-of day"
            later = f"  ({r.not_judged} not judged yet)" if r.not_judged else ""
            yield f"  responders {when}: {rate_text(r.proportion)}{later}"
        yield (
            f"  durability: {g.responders} responder(s), {g.wear_offs} wore off; median "
            f"{median_text(g)}"
        )
        for s in g.survival_at:
            yield (
                f"    still holding at {s.months:>2d} months: "
                f"{survival_text(s.survival, s.lower, s.upper)}  (at risk {s.at_risk})"
            )
        ended = ", ".join(f"{ENDING_TEXT[k]} {n}" for k, n in g.endings.items() if n)
        if ended:
            yield f"    {ended}"
        t = g.retreatment
        if t.retreated:
            yield (
                f"  treated again: {t.retreated} ({t.boosters} booster(s)) after a median of "
                f"{month_text(t.median_months)} months; {t.doses_drawn} banked dose(s) drawn"
                + (f", {t.doses_not_recorded} not recorded" if t.doses_not_recorded else "")
            )
        for caution in g.cautions:
            yield f"  ! {caution}"
    if report.log_rank is not None:
        lr = report.log_rank
        yield ""
        yield (
            f"log-rank test between the groups: chi-square {lr.chi_square:.2f}, {lr.df} df, "
            f"p = {p_text(lr.p_value)}"
        )
    if report.log_rank_note:
        yield f"  ! {report.log_rank_note}"
    yield ""
    yield from (f"* {line}" for line in methods(report))


def _left_out_summary(g: GroupOutcome, report: OutcomesReport) -> str:
    return "left out: " + "; ".join(
        f"{n} {left_out_text(r, report)}" for r, n in g.left_out.items() if n
    )


def p_text(p: float) -> str:
    """A p value: three decimals, or in exponent form below 0.001 (4.2e-05)."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def verdict(p: float) -> str:
    """What a log-rank p value says, and what it does not, in words."""
    if p < 0.05:
        return "The curves differ by more than chance alone would easily give."
    return "No difference shown; that is not proof that there is none."


@cache
def _environment() -> Environment:
    """Built on first use (nothing is read at import time) and kept for the process."""
    return templating.environment(
        dict(
            percent=percent,
            months=month_text,
            rate=rate_text,
            survival=survival_text,
            median=median_text,
            p_value=p_text,
            verdict=verdict,
        )
    )


def render_html(report: OutcomesReport) -> str:
    """The whole report as one HTML document."""
    groups = _groups(report)
    rows = (*groups, report.overall) if report.groups else groups
    chart = durability_chart(groups, title=title(report))
    return (
        _environment()
        .get_template("outcomes.html.j2")
        .render(
            report=report,
            title=title(report),
            selection=selection(report),
            css=Markup(templating.style_sheet("outcomes.css")),  # noqa: S704 - our own style sheet, shipped in the package
            chart=Markup(chart),  # noqa: S704 - built with every text escaped
            groups=groups,
            rows=rows,
            cautions=[(g.label, c) for g in rows for c in g.cautions],
            methods=methods(report),
            left_out_text=lambda reason: left_out_text(reason, report),
            ending_text=ENDING_TEXT,
        )
    )
