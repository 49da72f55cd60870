"""The weekly review packet's renderers: one self-contained HTML file (``packet_html``), a CSV or
a Markdown table. The packet itself (which flags, and its record) is built by
``followup.services.review_packet``; everything here is rendering, in memory.

CSV and Markdown carry the same rows as the HTML: the flags with a section, then the watch
table's rows, the ``section`` column saying which (``full`` or ``table``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from followup.errors import FollowupError
from followup.reports.packet_html import render_html
from followup.services.exporting import neutralise
from followup.services.review_packet import ReviewPacket

FORMATS = ("html", "csv", "md")
ROW_FIELDS = (
    "section", "reason", "flag_id", "level", "kind", "patient_id", "name", "knee", "product",
    "kl_grade", "months_since_treatment", "banked_doses", "raised_on", "booster_check_by",
    "summary", "decision",
)  # fmt: skip
MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|<>[]*`&"} | {"\n": " ", "\r": " "})


def packet_rows(packet: ReviewPacket) -> list[dict[str, Any]]:
    """One row per flag in the packet: the sections' flags, then the watch table's; in review
    order within each. ``decision`` is left blank for the meeting."""
    sections = [("full", f) for f in packet.flags] + [("table", f) for f in packet.watch]
    return [
        {
            "section": section,
            "reason": packet.reasons.get(f.id, ""),
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
        for section, f in sections
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


def _coverage(packet: ReviewPacket) -> str:
    since = packet.covers_from.astimezone().isoformat(timespec="minutes")
    if packet.previous_made_at is None:
        return f"first packet: flags raised or changed since {since}"
    return f"flags raised or changed since the previous packet ({since})"


def render_markdown(packet: ReviewPacket) -> str:
    """Heading, counts, one table row per flag (the same rows as the CSV), and what was left
    out with the commands that list it."""
    lines = [
        f"# Weekly review packet — as of {packet.as_of.isoformat()}",
        "",
        f"Rule set {md_cell(packet.rule_set_version)}; made "
        f"{packet.made_at.astimezone().isoformat(timespec='minutes')}; {_coverage(packet)}, "
        "and undecided flags of earlier packets. "
        f"{len(packet.flags)} flag(s) with a section, {len(packet.watch)} on the watch table, "
        f"{packet.left_out_total} open flag(s) left out. Confidential: contains patient data.",
        "",
        "| level | kind | in packet | left out |",
        "| --- | --- | ---: | ---: |",
        *(f"| {c.level} | {c.kind} | {c.count} | {c.left_out} |" for c in packet.counts),
        f"| **all** | | **{len(packet.shown)}** | **{packet.left_out_total}** |",
        "",
        "| " + " | ".join(ROW_FIELDS) + " |",
        "| " + " | ".join("---" for _ in ROW_FIELDS) + " |",
    ]
    for row in packet_rows(packet):
        lines.append("| " + " | ".join(md_cell(row[k]) for k in ROW_FIELDS) + " |")
    left_out = [c for c in packet.counts if c.left_out]
    if left_out:
        lines += ["", "Left out of this packet (open flags listed by the command):", ""]
        lines += ["| level | kind | left out | command |", "| --- | --- | ---: | --- |"]
        lines += [
            f"| {c.level} | {c.kind} | {c.left_out} | `{packet.list_command(c.kind)}` |"
            for c in left_out
        ]
    return "\n".join(lines) + "\n"


def render(packet: ReviewPacket, fmt: str) -> str:
    """The packet as text in one of ``FORMATS``."""
    if fmt == "html":
        return render_html(packet)
    if fmt == "csv":
        return render_csv(packet)
    if fmt == "md":
        return render_markdown(packet)
    raise FollowupError(f"review format must be one of: {', '.join(FORMATS)}")
