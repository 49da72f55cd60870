"""The review packet as one self-contained, printable HTML file.

Self-contained means inline CSS and inline SVG only: no script, no font, image or style sheet
fetched from anywhere, so the file can be mailed, archived or opened offline, and a
Content-Security-Policy forbids everything else as a second line of defence. Every value from the
database goes through ``html.escape``: names and adverse-event text are typed by people, some of
them patients.

Layout: a cover page (counts by level and kind, then an agenda with a decision column), then one
section per flagged knee grouped by level, each kept on one page, with the evidence sentence as
the most prominent text, a decision box beside every flag, and the knee's chart.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import TYPE_CHECKING, Any

from followup.domain.records import PRODUCT_NAMES as PRODUCTS
from followup.domain.records import PRODUCT_SHORT_NAMES as SHORT_PRODUCTS
from followup.reports.svgchart import HorizontalLine, Marker, Series, number, trajectory_chart

if TYPE_CHECKING:  # review.py imports this module to render; these are its read models
    from followup.reports.packet import FlaggedKnee, ReviewPacket
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
}
DECISIONS = (
    ("booster_scheduled", "Booster scheduled"),
    ("continue_monitoring", "Continue monitoring"),
    ("refer", "Refer"),
    ("dismissed", "Dismissed"),
)
DOMAIN_ROWS = ("pain", "function")
# Kinds for which "share of the improvement lost" means something (the knee responded first).
WEARING_KINDS = ("wearing_off", "possible_wearing_off")
MARGIN_FONT = "font: 7.5pt system-ui, Helvetica, Arial, sans-serif; color: #555;"

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --urgent: #a50f15; --action: #c45100;
  --watch: #2b5d8a; --paper: #fff; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1000px; padding: 24px 28px 48px; color: var(--ink);
  background: var(--paper); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
  Helvetica, Arial, sans-serif; }
h1 { font-size: 1.75em; margin: 0.1em 0 0.15em; }
h2 { font-size: 1.2em; margin: 1.4em 0 0.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--rule); }
th { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted);
  border-bottom: 1.5px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: inherit; }
.confidential { margin: 0 0 10px; padding: 5px 10px; border: 1.5px solid var(--ink);
  font-size: 0.82em; font-weight: 600; letter-spacing: 0.02em; display: inline-block; }
.meta { margin: 0 0 14px; color: var(--muted); }
.meta strong { color: var(--ink); }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin: 14px 0 6px; }
.total { flex: 1 1 140px; border: 1px solid var(--rule); border-top-width: 5px; padding: 8px 12px; }
.total .n { font-size: 2em; font-weight: 700; line-height: 1.1; }
.total .what { font-weight: 600; }
.total .hint { color: var(--muted); font-size: 0.85em; }
.total.urgent { border-top-color: var(--urgent); }
.total.action { border-top-color: var(--action); border-top-style: double; border-top-width: 6px; }
.total.watch { border-top-color: var(--watch); border-top-style: dashed; }
.cover-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.1fr); gap: 28px;
  align-items: start; }
.counts td.zero { color: #999; }
.counts tr.level-first td { border-top: 1.5px solid var(--ink); }
.counts tfoot td { font-weight: 700; border-top: 1.5px solid var(--ink); border-bottom: 0; }
.howto { font-size: 0.88em; color: var(--muted); }
.howto code { color: var(--ink); }
.agenda { font-size: 0.88em; }
.agenda td { padding-top: 5px; padding-bottom: 5px; white-space: nowrap; }
.agenda td.write-in { width: 24%; border-left: 1px solid var(--rule); }
.agenda .who { font-weight: 600; text-decoration: none; }
.agenda .pid { color: var(--muted); font-variant-numeric: tabular-nums; }
ul.howto { margin: 0; padding-left: 1.1em; }
ul.howto li { margin-bottom: 5px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 3px; font-size: 0.74em;
  font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase; vertical-align: 2px;
  white-space: nowrap; }
.badge.urgent { background: var(--urgent); color: #fff; border: 1.5px solid var(--urgent); }
.badge.action { background: #fff; color: var(--action); border: 2px solid var(--action); }
.badge.watch { background: #fff; color: var(--watch); border: 1.5px dashed var(--watch); }
.level-group > h2 { font-size: 1.35em; border-bottom: 3px solid var(--ink); padding-bottom: 3px;
  margin-top: 2em; }
.level-group > h2 .note { font-weight: 400; color: var(--muted); font-size: 0.7em; }
.knee { border: 1px solid var(--rule); border-left: 6px solid var(--rule); margin: 0 0 22px;
  padding: 10px 14px 12px; }
.knee.urgent { border-left-color: var(--urgent); }
.knee.action { border-left: 7px double var(--action); }
.knee.watch { border-left-color: var(--watch); border-left-style: dashed; }
.knee > header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap;
  border-bottom: 1px solid var(--rule); padding-bottom: 6px; margin-bottom: 8px; }
.knee > header h3 { margin: 0; font-size: 1.22em; }
.knee > header .pid { font-variant-numeric: tabular-nums; color: var(--muted); font-weight: 400; }
.knee > header .side { margin-left: auto; font-weight: 700; font-size: 1.05em; }
.knee-top, .knee-body { display: grid; grid-template-columns: minmax(0, 1fr) 250px;
  gap: 16px; align-items: start; }
.knee-body { border-top: 1px dotted var(--rule); padding-top: 6px; margin-top: 2px; }
.flag + .flag { border-top: 1px dotted var(--rule); padding-top: 6px; }
.flag { padding-bottom: 6px; }
.decisions { display: grid; gap: 8px; }
.flag-head { font-size: 0.88em; color: var(--muted); margin: 0 0 3px; }
.flag-head .kind { color: var(--ink); font-weight: 700; font-size: 1.08em; }
.summary { margin: 2px 0 6px; padding: 4px 0 4px 10px; border-left: 3px solid var(--ink);
  font-size: 1.1em; font-weight: 500; line-height: 1.4; }
.check-by { font-weight: 700; margin: 2px 0 4px; }
.evidence { font-size: 0.8em; width: auto; min-width: 70%; margin: 4px 0; }
.evidence th, .evidence td { padding: 1px 8px 1px 0; border-bottom: 1px solid #e4e4e4; }
.evidence th { border-bottom: 1px solid #999; font-size: 0.92em; }
.rule { font-size: 0.8em; color: var(--muted); margin: 3px 0 0; }
.decision { border: 1.5px solid var(--ink); padding: 6px 8px 8px; font-size: 0.82em;
  align-self: start; }
.decision .title { font-weight: 700; text-transform: uppercase; letter-spacing: 0.05em;
  font-size: 0.9em; margin-bottom: 3px; }
.decision ul { list-style: none; margin: 0 0 4px; padding: 0; display: grid;
  grid-template-rows: auto auto; grid-auto-flow: column; gap: 3px 12px; }
.decision li { white-space: nowrap; }
.box { display: inline-block; width: 11px; height: 11px; border: 1.3px solid var(--ink);
  vertical-align: -1px; margin-right: 6px; }
.write { display: flex; gap: 6px; align-items: flex-end; margin-top: 4px; }
.write .label { color: var(--muted); font-size: 0.92em; }
.line { flex: 1; border-bottom: 1px solid var(--ink); height: 18px; }
.cmd { font-size: 0.82em; color: var(--muted); margin-top: 5px; overflow-wrap: anywhere; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 0.76em; color: var(--muted); margin-top: 2px; }
.facts { margin: 0; font-size: 0.88em; display: grid;
  grid-template-columns: max-content minmax(0, 1fr); gap: 2px 10px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; }
.nochart { color: var(--muted); font-style: italic; padding: 20px 0; }
.empty { padding: 28px; border: 1.5px dashed var(--rule); text-align: center; font-size: 1.1em; }
footer.end { margin-top: 28px; font-size: 0.8em; color: var(--muted);
  border-top: 1px solid var(--rule); padding-top: 6px; }
@page { margin: 12mm 11mm 14mm; }
@media print {
  html, body { background: #fff; }
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.38; }
  .summary { font-size: 1.06em; line-height: 1.35; margin-bottom: 4px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { text-decoration: none; }
  .cover { break-after: page; }
  .level-group { break-before: page; }
  .level-group > h2 { margin-top: 0; break-after: avoid; }
  .knee { break-inside: avoid; page-break-inside: avoid; margin-bottom: 10px;
    padding: 6px 10px 8px; }
  .agenda tr, .counts tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .knee-top, .knee-body { grid-template-columns: minmax(0, 1fr) 62mm; gap: 4mm; }
  .decisions { gap: 3mm; }
  .knee > header { padding-bottom: 3px; margin-bottom: 5px; }
  .line { height: 5.5mm; }
  .howto { font-size: 0.85em; }
}
@media screen and (max-width: 760px) {
  .cover-grid, .knee-top, .knee-body { grid-template-columns: minmax(0, 1fr); }
}
"""


def e(value: Any) -> str:
    """Text for HTML: every value from the database passes through here."""
    return escape("" if value is None else str(value), quote=True)


def _anchor(patient_id: str, knee: str) -> str:
    """A fragment id from a patient ID and knee; IDs are clinic-assigned text, so keep only
    characters that need no escaping in a URL fragment."""
    raw = f"{patient_id}-{knee}"
    return "knee-" + "".join(c if c.isalnum() or c in "-_" else f"_{ord(c):x}_" for c in raw)


def _date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _product(code: str) -> str:
    return PRODUCTS.get(code, code)


def _badge(level: str) -> str:
    return f'<span class="badge {e(level)}">{e(LEVEL_TITLES.get(level, level))}</span>'


def render_html(packet: ReviewPacket) -> str:
    """The whole packet as one HTML document."""
    title = f"Weekly review packet — as of {packet.as_of.isoformat()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">",
        '<meta name="referrer" content="no-referrer">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>{e(title)}</title>",
        f"<style>{CSS}{_page_footer_css(packet)}</style>",
        "</head><body>",
        _cover(packet),
    ]
    if not packet.knees:
        parts.append(
            '<p class="empty">No open flags as of '
            f"{e(packet.as_of.isoformat())}: nothing to review this week.</p>"
        )
    for level in ("urgent", "action", "watch"):
        knees = [k for k in packet.knees if k.level == level]
        if knees:
            parts.append(_level_group(packet, level, knees))
    extra = [k for k in packet.knees if k.level not in LEVEL_TITLES]
    if extra:
        parts.append(_level_group(packet, "other", extra))
    parts.append(
        f'<footer class="end">End of packet · {_plural(len(packet.flags), "flag")} · as of '
        f"{e(packet.as_of.isoformat())} · rule set {e(packet.rule_set_version)}. Record each "
        "decision in followup (review queue, or <code>followup decide</code>) after the "
        "meeting; a decision closes its flag.</footer>"
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _page_footer_css(packet: ReviewPacket) -> str:
    """Running footer on printed pages (ignored by browsers without @page margin boxes). Only
    the date goes into the CSS string, so nothing there needs escaping."""
    return (
        "@page { @bottom-left { content: 'Confidential: patient data. Review packet as of "
        f"{packet.as_of.isoformat()}'; {MARGIN_FONT} }} "
        "@bottom-right { content: 'page ' counter(page) ' of ' counter(pages); "
        f"{MARGIN_FONT} }} }}"
    )


def _generated(packet: ReviewPacket) -> str:
    local = packet.generated_at.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _cover(packet: ReviewPacket) -> str:
    totals = "".join(
        f'<div class="total {level}"><div class="n">{packet.level_count(level)}</div>'
        f'<div class="what">{LEVEL_TITLES[level]}</div>'
        f'<div class="hint">{LEVEL_NOTES[level]}</div></div>'
        for level in ("urgent", "action", "watch")
    )
    return (
        '<header class="cover">'
        '<p class="confidential">CONFIDENTIAL — contains patient data. Keep the printout secure '
        "and shred it after the meeting.</p>"
        "<h1>Weekly review packet</h1>"
        f'<p class="meta">Knee osteoarthritis follow-up · flags as of '
        f"<strong>{e(packet.as_of.isoformat())}</strong> · rule set "
        f"<strong>{e(packet.rule_set_version)}</strong> · generated {e(_generated(packet))}<br>"
        f"{_plural(len(packet.flags), 'open flag')} on {_plural(len(packet.knees), 'knee')} of "
        f"{_plural(packet.patient_count, 'patient')}</p>"
        f'<div class="totals">{totals}</div>'
        '<div class="cover-grid">'
        f"<section><h2>Flags by kind</h2>{_counts_table(packet)}</section>"
        '<section><h2>How to use this packet</h2><ul class="howto">'
        "<li>The agenda below lists every open flag: urgent first, then action, then watch; "
        "oldest first within a level. The knee sections that follow are in the same order.</li>"
        "<li>Several flags on one knee share one section and one chart.</li>"
        "<li>Each section leads with the sentence saying why the knee was flagged; the table "
        "under it gives the numbers, the chart the whole course.</li>"
        "<li>Tick one decision per flag and write a short note. Afterwards record it in the "
        "review queue or with <code>followup decide FLAG_ID --decision … --note …</code>; a "
        "decision closes the flag until newer evidence arrives.</li>"
        "<li>Charts: scores 0 (best) to 100 (worst), pain above, function below, one time axis "
        "running to the as-of day. Vertical lines are treatments (bold: the flagged one). The "
        "baseline is the last assessment before the treatment; best is the lowest score from "
        "day 28; a score in the shaded zone at or above the signal threshold is a wearing-off "
        "signal.</li></ul></section>"
        "</div>"
        f"<section><h2>Agenda</h2>{_agenda(packet)}</section></header>"
    )


def _counts_table(packet: ReviewPacket) -> str:
    rows = []
    previous = None
    for c in packet.counts:
        first = c.level != previous
        previous = c.level
        level_cell = _badge(c.level) if first else ""
        rows.append(
            f'<tr class="{"level-first" if first else ""}"><td>{level_cell}</td>'
            f"<td>{e(KIND_TITLES.get(c.kind, c.kind))}</td>"
            f'<td class="num{" zero" if not c.count else ""}">{c.count}</td></tr>'
        )
    return (
        '<table class="counts"><thead><tr><th>Level</th><th>Kind</th>'
        '<th class="num">Flags</th></tr></thead><tbody>'
        + "".join(rows)
        + f'</tbody><tfoot><tr><td colspan="2">All open flags</td>'
        f'<td class="num">{len(packet.flags)}</td></tr></tfoot></table>'
    )


def _agenda(packet: ReviewPacket) -> str:
    if not packet.flags:
        return '<p class="howto">Nothing on the agenda.</p>'
    rows = []
    for f in packet.flags:
        rows.append(
            f'<tr><td class="num">{f.id}</td><td>{_badge(f.level)}</td>'
            f'<td><a href="#{_anchor(f.patient_id, f.knee)}" class="who">{e(f.patient_name)}</a>'
            f'</td><td class="pid">{e(f.patient_id)}</td><td>{e(f.knee)}</td>'
            f"<td>{e(KIND_TITLES.get(f.kind, f.kind))}</td><td>{_date(f.raised_on)}</td>"
            f"<td>{_date(f.booster_check_by) if f.booster_check_by else ''}</td>"
            '<td class="write-in"></td></tr>'
        )
    return (
        '<table class="agenda"><thead><tr><th class="num">Flag</th><th>Level</th>'
        "<th>Patient</th><th>ID</th><th>Knee</th><th>Kind</th><th>Raised</th><th>Check by</th>"
        "<th>Decision</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        '<p class="howto">Decision codes: B booster scheduled · C continue monitoring · '
        "R refer · D dismissed.</p>"
    )


def _level_group(packet: ReviewPacket, level: str, knees: list[FlaggedKnee]) -> str:
    flags = sum(len(k.flags) for k in knees)
    note = LEVEL_NOTES.get(level, "")
    return (
        f'<section class="level-group" id="level-{e(level)}"><h2>'
        f"{e(LEVEL_TITLES.get(level, level.title()))} — {_plural(flags, 'flag')} on "
        f'{_plural(len(knees), "knee")} <span class="note">{e(note)}</span></h2>'
        + "".join(_knee_section(packet, k) for k in knees)
        + "</section>"
    )


def _knee_section(packet: ReviewPacket, knee: FlaggedKnee) -> str:
    lead = knee.lead
    return (
        f'<article class="knee {e(knee.level)}" id="{_anchor(knee.patient_id, knee.knee)}">'
        f"<header>{_badge(knee.level)}<h3>{e(knee.patient_name)} "
        f'<span class="pid">{e(knee.patient_id)}</span></h3>'
        f'<span class="side">{e(knee.knee.title())} knee</span></header>'
        '<div class="knee-top"><div class="flags">'
        + "".join(_flag_block(packet, f, lead) for f in knee.flags)
        + "</div>"
        + _facts(packet, knee)
        + '</div><div class="knee-body">'
        + _chart(packet, knee)
        + '<div class="decisions">'
        + "".join(_decision_box(f) for f in knee.flags)
        + "</div></div></article>"
    )


def _flag_block(packet: ReviewPacket, f: FlagView, lead: FlagView) -> str:
    head = [
        f'<span class="kind">{e(KIND_TITLES.get(f.kind, f.kind))}</span>',
        f"flag #{f.id}",
        f"{e(f.level)}",
        f"raised {_date(f.raised_on)}",
    ]
    if f.treatment_id != lead.treatment_id:
        head.append(f"treatment {e(f.treatment_id)} of {_date(f.treated_on)}")
    if f.rule_set_version and f.rule_set_version != packet.rule_set_version:
        head.append(f"rule set {e(f.rule_set_version)}")
    check_by = ""
    if f.booster_check_by:
        check_by = f'<p class="check-by">Booster check by {_date(f.booster_check_by)}</p>'
    return (
        '<div class="flag">'
        f'<p class="flag-head">{" · ".join(head)}</p>'
        f'<p class="summary">{e(f.summary)}</p>{check_by}'
        f"{_evidence(f.kind, f.evidence)}</div>"
    )


def _evidence(kind: str, evidence: dict[str, Any]) -> str:
    """The numbers behind the sentence: per domain baseline, best, latest, signal threshold and
    share of the improvement lost; then which rule fired."""
    rows = []
    for domain in DOMAIN_ROWS:
        d = evidence.get(domain)
        if not isinstance(d, dict) or "baseline" not in d:
            continue
        lost = d.get("fraction_lost") if kind in WEARING_KINDS else None
        lost_text = f"{lost * 100:.0f}%" if isinstance(lost, int | float) else "—"
        rows.append(
            f"<tr><td>{e(domain.title())}</td><td>{_num(d.get('baseline'))}</td>"
            f"<td>{_num(d.get('best'))} <small>{e(d.get('best_on', ''))}</small></td>"
            f"<td>{_num(d.get('latest'))} <small>{e(d.get('latest_on', ''))}</small></td>"
            f"<td>≥ {_num(d.get('signal_threshold'))}</td><td>{e(lost_text)}</td></tr>"
        )
    stiffness = evidence.get("stiffness")
    if isinstance(stiffness, dict) and "latest" in stiffness:
        rows.append(
            f"<tr><td>Stiffness</td><td>—</td><td>{_num(stiffness.get('best'))} "
            f"<small>{e(stiffness.get('best_on', ''))}</small></td>"
            f"<td>{_num(stiffness.get('latest'))} <small>{e(stiffness.get('latest_on', ''))}"
            "</small></td><td>—</td><td>—</td></tr>"
        )
    table = ""
    if rows:
        table = (
            '<table class="evidence"><thead><tr><th>Domain</th><th>Baseline</th><th>Best</th>'
            "<th>Latest</th><th>Signal at</th><th>Lost</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    notes = []
    if evidence.get("condition"):
        notes.append(f"Rule: {e(evidence['condition'])}")
    responder = evidence.get("responder")
    if isinstance(responder, dict) and responder.get("responded_on"):
        notes.append(f"responded {e(responder['responded_on'])}")
    events = evidence.get("events")
    if isinstance(events, list) and len(events) > 1:
        notes.append(f"{len(events)} safety events")
    reraised = evidence.get("reraised_after")
    if isinstance(reraised, dict):
        notes.append(
            f"raised again after the decision “{e(reraised.get('decision'))}” of "
            f"{e(reraised.get('decided_on'))} by newer evidence of "
            f"{e(reraised.get('newer_evidence_on'))}"
        )
    return table + (f'<p class="rule">{"; ".join(notes)}</p>' if notes else "")


def _num(value: Any) -> str:
    return e(number(value)) if isinstance(value, int | float) else "—"


def _decision_box(f: FlagView) -> str:
    options = "".join(f'<li><span class="box"></span>{label}</li>' for _, label in DECISIONS)
    return (
        f'<div class="decision"><div class="title">Decision · flag #{f.id}</div>'
        f"<ul>{options}</ul>"
        '<div class="write"><span class="label">Note</span><span class="line"></span></div>'
        '<div class="write"><span class="line"></span></div>'
        '<div class="write"><span class="label">Reviewer</span><span class="line"></span>'
        '<span class="label">Date</span><span class="line"></span></div></div>'
    )


def _facts(packet: ReviewPacket, knee: FlaggedKnee) -> str:
    """The treatment behind the knee's most urgent flag."""
    lead = knee.lead
    kl = f"KL {lead.kl_grade}" if lead.kl_grade is not None else "unknown"
    banked = "none recorded" if lead.banked_doses is None else str(lead.banked_doses)
    check_by = min((f.booster_check_by for f in knee.flags if f.booster_check_by), default=None)
    return (
        '<dl class="facts">'
        f"<dt>Product</dt><dd>{e(_product(lead.product))}</dd>"
        f"<dt>KL grade</dt><dd>{e(kl)}</dd>"
        f"<dt>Treated</dt><dd>{_date(lead.treated_on)}</dd>"
        f"<dt>Months since</dt><dd>{packet.months_since_treatment(lead)}</dd>"
        f"<dt>Banked doses</dt><dd>{e(banked)}</dd>"
        f"<dt>Booster check by</dt><dd>{_date(check_by)}</dd>"
        f"<dt>Treatment ID</dt><dd>{e(lead.treatment_id)}</dd>"
        "</dl>"
    )


def _chart(packet: ReviewPacket, knee: FlaggedKnee) -> str:
    trajectory = knee.trajectory
    if trajectory is None or not (trajectory.points or trajectory.treatments):
        return '<p class="nochart">No assessments to chart for this knee.</p>'
    flagged = {f.treatment_id for f in knee.flags}
    markers = [
        Marker(on, f"{SHORT_PRODUCTS.get(product, product)} {on.isoformat()}", tid in flagged)
        for tid, on, product in trajectory.treatments
    ]
    series = [
        Series(
            domain.title(),
            [(p.assessed_on, getattr(p, domain)) for p in trajectory.points],
            _lines(trajectory, domain),
        )
        for domain in DOMAIN_ROWS
    ]
    title = f"Pain and function, {knee.knee} knee of {knee.patient_name} ({knee.patient_id})"
    svg = trajectory_chart(
        series,
        markers,
        title=title,
        as_of=packet.as_of,
        chart_id=_anchor(knee.patient_id, knee.knee) + "-chart",
    )
    caption = _caption(trajectory, flagged)
    return f"<figure>{svg}{f'<figcaption>{e(caption)}</figcaption>' if caption else ''}</figure>"


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
