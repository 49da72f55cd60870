"""The weekly review packet: every open flag as of a day, grouped by knee, with what the meeting
needs to decide on it, as one self-contained HTML file, a CSV or a Markdown table.

The packet first refreshes the stored flags as of its day, so it never shows stale findings.
Trajectories for the charts are read once per flagged patient (both knees in one short session),
not once per flag. Everything is rendered in memory before the output is opened, so a failure
while building the packet never truncates an earlier one.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from followup.domain.flags import KIND_LEVELS
from followup.domain.records import LEVELS
from followup.errors import FollowupError
from followup.reports.packet_html import render_html
from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.exporting import neutralise
from followup.services.review_queue import FlagView, open_flags
from followup.services.trajectory import KneeTrajectory, knee_trajectories

FORMATS = ("html", "csv", "md")
ROW_FIELDS = (
    "flag_id", "level", "kind", "patient_id", "name", "knee", "product", "kl_grade",
    "months_since_treatment", "banked_doses", "raised_on", "booster_check_by", "summary",
    "decision",
)  # fmt: skip
MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|<>[]*`&"} | {"\n": " ", "\r": " "})


@dataclass(frozen=True)
class FlaggedKnee:
    """One section of the packet: a knee with its open flags (most urgent first) and chart."""

    patient_id: str
    patient_name: str
    knee: str
    flags: tuple[FlagView, ...]
    trajectory: KneeTrajectory | None

    @property
    def level(self) -> str:
        return self.flags[0].level

    @property
    def lead(self) -> FlagView:
        """The most urgent flag, whose treatment the section's heading describes."""
        return self.flags[0]


@dataclass(frozen=True)
class KindCount:
    level: str
    kind: str
    count: int


@dataclass(frozen=True)
class ReviewPacket:
    """Plain read model of the packet; renderers need nothing else."""

    as_of: date
    generated_at: datetime
    rule_set_version: str
    flags: tuple[FlagView, ...]  # urgent -> action -> watch, then oldest first
    knees: tuple[FlaggedKnee, ...]  # in the order of each knee's most urgent flag
    counts: tuple[KindCount, ...]  # every kind, zeros included, by level

    @property
    def patient_count(self) -> int:
        return len({f.patient_id for f in self.flags})

    def level_count(self, level: str) -> int:
        return sum(c.count for c in self.counts if c.level == level)

    def months_since_treatment(self, flag: FlagView) -> int:
        return flag.months_since_treatment(self.as_of)


def _counts(flags: Iterable[FlagView]) -> tuple[KindCount, ...]:
    found = Counter((f.level, f.kind) for f in flags)
    rows = [
        KindCount(level, kind, found.pop((level, kind), 0)) for kind, level in KIND_LEVELS.items()
    ]
    rows += [KindCount(level, kind, n) for (level, kind), n in found.items()]  # unknown kinds
    order = {level: i for i, level in enumerate(LEVELS)}
    return tuple(sorted(rows, key=lambda c: order.get(c.level, len(order))))


def _group_by_knee(
    flags: list[FlagView], trajectories: dict[tuple[str, str], KneeTrajectory]
) -> tuple[FlaggedKnee, ...]:
    grouped: dict[tuple[str, str], list[FlagView]] = {}
    for flag in flags:  # already in review order, so each group is too
        grouped.setdefault((flag.patient_id, flag.knee), []).append(flag)
    return tuple(
        FlaggedKnee(pid, group[0].patient_name, knee, tuple(group), trajectories.get((pid, knee)))
        for (pid, knee), group in grouped.items()
    )


def build_packet(ctx: Context, as_of: date | None, *, with_charts: bool = True) -> ReviewPacket:
    """Refresh the stored flags as of ``as_of`` (default today) and collect the packet; the
    knees' trajectories only ``with_charts`` (the tables do not need them)."""
    as_of = as_of or ctx.today()
    evaluate_cohort(ctx, as_of)
    flags = open_flags(ctx)
    trajectories: dict[tuple[str, str], KneeTrajectory] = {}
    if with_charts:
        for patient_id in dict.fromkeys(f.patient_id for f in flags):
            for trajectory in knee_trajectories(ctx, patient_id, as_of):
                trajectories[(patient_id, trajectory.knee)] = trajectory
    return ReviewPacket(
        as_of=as_of,
        generated_at=ctx.now(),
        rule_set_version=ctx.rules.version,
        flags=tuple(flags),
        knees=_group_by_knee(flags, trajectories),
        counts=_counts(flags),
    )


def packet_rows(packet: ReviewPacket) -> list[dict[str, Any]]:
    """One row per flag, in review order; ``decision`` is left blank for the meeting."""
    return [
        {
            "flag_id": f.id,
            "level": f.level,
            "kind": f.kind,
            "patient_id": f.patient_id,
            "name": f.patient_name,
            "knee": f.knee,
            "product": f.product,
            "kl_grade": f.kl_grade,
            "months_since_treatment": packet.months_since_treatment(f),
            "banked_doses": f.banked_doses,
            "raised_on": f.raised_on.isoformat(),
            "booster_check_by": f.booster_check_by.isoformat() if f.booster_check_by else None,
            "summary": f.summary,
            "decision": None,
        }
        for f in packet.flags
    ]


def render_csv(packet: ReviewPacket) -> str:
    """The flag rows as CSV; text cells a spreadsheet would run as a formula are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    for row in packet_rows(packet):
        writer.writerow(["" if row[k] is None else neutralise(row[k]) for k in ROW_FIELDS])
    return buffer.getvalue()


def md_cell(value: Any) -> str:
    """A Markdown table cell: pipes cannot end the cell early, markup is shown, not rendered."""
    return "" if value is None else str(value).translate(MD_SPECIAL)


def render_markdown(packet: ReviewPacket) -> str:
    """Heading, counts and one table row per flag (the same rows as the CSV)."""
    lines = [
        f"# Weekly review packet — as of {packet.as_of.isoformat()}",
        "",
        f"Rule set {md_cell(packet.rule_set_version)}; generated "
        f"{packet.generated_at.isoformat(timespec='minutes')}; {len(packet.flags)} open flag(s) "
        f"on {len(packet.knees)} knee(s) of {packet.patient_count} patient(s). "
        "Confidential: contains patient data.",
        "",
        "| level | kind | flags |",
        "| --- | --- | ---: |",
        *(f"| {c.level} | {c.kind} | {c.count} |" for c in packet.counts),
        f"| **all** | | **{len(packet.flags)}** |",
        "",
        "| " + " | ".join(ROW_FIELDS) + " |",
        "| " + " | ".join("---" for _ in ROW_FIELDS) + " |",
    ]
    for row in packet_rows(packet):
        lines.append("| " + " | ".join(md_cell(row[k]) for k in ROW_FIELDS) + " |")
    return "\n".join(lines) + "\n"


def render(packet: ReviewPacket, fmt: str) -> str:
    if fmt == "html":
        return render_html(packet)
    if fmt == "csv":
        return render_csv(packet)
    if fmt == "md":
        return render_markdown(packet)
    raise FollowupError(f"review format must be one of: {', '.join(FORMATS)}")


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only: it holds patient data. An existing regular file
    loses any wider permissions it had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def write_packet(
    ctx: Context,
    as_of: date | None,
    fmt: str,
    out: Path | None,
    stream: TextIO | None = None,
) -> int:
    """Build the packet and write it to ``out`` (created 0600), or to ``stream`` (standard output
    by default) when ``out`` is None. Returns the number of flags written."""
    if fmt not in FORMATS:
        raise FollowupError(f"review format must be one of: {', '.join(FORMATS)}")
    packet = build_packet(ctx, as_of, with_charts=fmt == "html")
    text = render(packet, fmt)
    if out is not None:
        try:
            _write_private(Path(out), text)
        except OSError as exc:
            raise FollowupError(f"cannot write {out}: {exc.strerror or exc}") from None
    else:
        (stream or sys.stdout).write(text)
    return len(packet.flags)
