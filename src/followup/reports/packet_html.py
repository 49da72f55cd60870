"""The review packet as one self-contained, printable HTML file, rendered from Jinja2 templates
(``templates/packet.html.j2``).

Self-contained: the style sheet (``templates/packet.css``) is inlined at render time and the
charts are inline SVG, so the file can be mailed, archived or opened offline; no script, font,
image or style sheet is fetched from anywhere, and a Content-Security-Policy forbids everything
else as a second line of defence. Autoescape is on, so every value from the database is escaped
by the template engine: names and adverse-event text are typed by people, some of them patients.
Only two things go in as they are: the style sheet shipped with followup, and the charts, which
``svgchart`` builds from numbers and escapes itself.

This module prepares plain values for the templates (titles, evidence rows, the chart of each
knee); the templates hold all the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment

from followup.domain.records import PRODUCT_NAMES as PRODUCTS
from followup.domain.records import PRODUCT_SHORT_NAMES as SHORT_PRODUCTS
from followup.reports import templating
from followup.reports.evidence import DomainRow, domain_rows, notes
from followup.reports.svgchart import HorizontalLine, Marker, Series, trajectory_chart
from followup.reports.templating import style_sheet
from followup.services.review_packet import WATCH_ROWS_MAX, FlaggedKnee, ReviewPacket
from followup.services.review_queue import FlagView
from followup.services.trajectory import KneeTrajectory

LEVEL_TITLES = {"urgent": "Urgent", "action": "Action", "watch": "Watch"}
LEVEL_NOTES = {
    "urgent": "needs a clinician today",
    "action": "decide at this meeting",
    "watch": "review; act if it persists",
}
KIND_TITLES = {
    "safety": "Safety signal",
    "wearing_off": "Wearing off — booster check due",
    "no_response": "No response",
    "lost_to_follow_up": "Lost to follow-up",
    "possible_wearing_off": "Possibly wearing off",
    "booster_window": "Booster window open",
    "overdue": "Follow-up overdue",
    "no_baseline": "No baseline (data quality)",
}
DECISIONS = ("Booster scheduled", "Continue monitoring", "Refer", "Dismissed")
CHART_DOMAINS = ("pain", "function")


@dataclass(frozen=True)
class FlagBlock:
    """A flag inside its knee's section: the heading details, numbers and notes."""

    flag: FlagView
    details: tuple[str, ...]  # after the kind: "flag #12", "urgent", "raised 2026-07-24", ...
    rows: tuple[DomainRow, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class KneeSection:
    """What one knee's section prints: its flags, the treatment facts, the chart."""

    knee: FlaggedKnee
    anchor: str
    blocks: tuple[FlagBlock, ...]
    facts: tuple[tuple[str, str], ...]
    chart: str | None  # SVG, escaped by svgchart
    caption: str


@dataclass(frozen=True)
class LevelGroup:
    """The sections of one level, under one heading."""

    level: str
    sections: tuple[KneeSection, ...]

    @property
    def flag_count(self) -> int:
        """Flags in the group's sections (a knee's section can hold several)."""
        return sum(len(s.blocks) for s in self.sections)


def render_html(packet: ReviewPacket) -> str:
    """The whole packet as one HTML document."""
    sections = [_section(packet, knee) for knee in packet.knees]
    levels = dict.fromkeys([*LEVEL_TITLES, *(s.knee.level for s in sections)])
    groups = [LevelGroup(lv, tuple(s for s in sections if s.knee.level == lv)) for lv in levels]
    return (
        environment()
        .get_template("packet.html.j2")
        .render(
            packet=packet,
            css=style_sheet("packet.css"),
            groups=[g for g in groups if g.sections],
            left_out=[c for c in packet.counts if c.left_out],
            watch_max=WATCH_ROWS_MAX,
        )
    )


@cache
def environment() -> Environment:
    """The packet's template environment (the call sheet's too), built on first use (nothing is
    read at import time) and kept for the process."""
    return templating.environment(
        dict(
            day=day,
            kind_title=lambda kind: KIND_TITLES.get(kind, kind),
            level_title=lambda level: LEVEL_TITLES.get(level, level.title()),
            level_note=lambda level: LEVEL_NOTES.get(level, ""),
            plural=plural,
            local_time=local_time,
        ),
        dict(levels=tuple(LEVEL_TITLES), decisions=DECISIONS, anchor=anchor),
    )


def day(value: date | None) -> str:
    """A day as printed; a dash when there is none."""
    return value.isoformat() if value else "—"


def plural(n: int, word: str) -> str:
    """``1 flag``, ``2 flags``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def local_time(value: datetime) -> str:
    """A moment in the clinic's local time, with its offset from UTC."""
    local = value.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def anchor(patient_id: str, knee: str) -> str:
    """A fragment id from a patient ID and knee; IDs are clinic-assigned text, so keep only
    characters that need no escaping in a URL fragment."""
    raw = f"{patient_id}-{knee}"
    return "knee-" + "".join(c if c.isalnum() or c in "-_" else f"_{ord(c):x}_" for c in raw)


def _section(packet: ReviewPacket, knee: FlaggedKnee) -> KneeSection:
    chart, caption = _chart(packet, knee)
    return KneeSection(
        knee=knee,
        anchor=anchor(knee.patient_id, knee.knee),
        blocks=tuple(_block(packet, f, knee.lead) for f in knee.flags),
        facts=_facts(packet, knee),
        chart=chart,
        caption=caption,
    )


def _block(packet: ReviewPacket, f: FlagView, lead: FlagView) -> FlagBlock:
    details = [f"flag #{f.id}", f.level, f"raised {day(f.raised_on)}"]
    if f.treatment_id != lead.treatment_id:
        details.append(f"treatment {f.treatment_id} of {day(f.treated_on)}")
    if f.rule_set_version and f.rule_set_version != packet.rule_set_version:
        details.append(f"rule set {f.rule_set_version}")
    reason = packet.reasons.get(f.id)
    if reason:
        details.append(reason)
    return FlagBlock(f, tuple(details), _evidence_rows(f), _evidence_notes(f.evidence))


def _evidence_rows(f: FlagView) -> tuple[DomainRow, ...]:
    """The numbers behind the sentence, per domain; stiffness when its rule fired."""
    return tuple(domain_rows(f.evidence))


def _evidence_notes(evidence: dict[str, Any]) -> tuple[str, ...]:
    """What fired and what else a reviewer should know, in words (reports.evidence)."""
    return tuple(notes(evidence)[:-1])  # the rule set is printed once, on the cover


def _facts(packet: ReviewPacket, knee: FlaggedKnee) -> tuple[tuple[str, str], ...]:
    """The treatment behind the knee's most urgent flag."""
    lead = knee.lead
    check_by = min((f.booster_check_by for f in knee.flags if f.booster_check_by), default=None)
    facts = [
        ("Product", PRODUCTS.get(lead.product, lead.product)),
        ("KL grade", "unknown" if lead.kl_grade is None else str(lead.kl_grade)),
        ("Treated", f"{day(lead.treated_on)} ({lead.treatment_id})"),
        (f"Months since (to {day(packet.as_of)})", str(packet.months_since_treatment(lead))),
        ("Banked doses", "none recorded" if lead.banked_doses is None else str(lead.banked_doses)),
    ]
    if check_by is not None:
        facts.append(("Booster check by", day(check_by)))
    return tuple(facts)


def _chart(packet: ReviewPacket, knee: FlaggedKnee) -> tuple[str | None, str]:
    """The knee's chart (None when there is nothing to draw) and its caption."""
    trajectory = knee.trajectory
    if trajectory is None or not (trajectory.points or trajectory.treatments):
        return None, ""
    flagged = {f.treatment_id for f in knee.flags}
    markers = [
        Marker(on, f"{SHORT_PRODUCTS.get(product, product)} {on.isoformat()}", tid in flagged)
        for tid, on, product in trajectory.treatments
    ]
    series = [
        Series(
            domain.title(),
            [
                (p.assessed_on, getattr(p, domain))
                for p in trajectory.points
                if getattr(p, domain) is not None
            ],
            _lines(trajectory, domain),
        )
        for domain in CHART_DOMAINS
    ]
    svg = trajectory_chart(
        series,
        markers,
        title=f"Pain and function, {knee.knee} knee of {knee.patient_name} ({knee.patient_id})",
        as_of=packet.as_of,
        chart_id=anchor(knee.patient_id, knee.knee) + "-chart",
    )
    return svg, _caption(trajectory, flagged)


def _lines(trajectory: KneeTrajectory, domain: str) -> list[HorizontalLine]:
    ref = trajectory.references.get(domain)
    if ref is None:
        return []
    lines = [HorizontalLine(ref.baseline, "baseline", ref.baseline_on)]
    if ref.best is not None:
        lines.append(HorizontalLine(ref.best, "best", ref.best_on))
    if ref.threshold is not None:
        lines.append(HorizontalLine(ref.threshold, "threshold", ref.best_on))
    return lines


def _caption(trajectory: KneeTrajectory, flagged: set[str]) -> str:
    """Say so when the reference lines are missing or are not those of the flagged treatment
    (trajectories carry them for the latest treatment only)."""
    if not trajectory.treatments:
        return ""
    latest_id, latest_on, _ = trajectory.treatments[-1]
    if not trajectory.references:
        return (
            f"No baseline assessment for the treatment of {latest_on.isoformat()}: no reference "
            "lines, and the gain-based rules cannot run for it."
        )
    if latest_id not in flagged:
        return f"Reference lines belong to the latest treatment ({latest_on.isoformat()})."
    return ""
