"""The help screen: the keys of the screen it was opened from (read from the live bindings, so it
cannot drift from what the keys do) and a short guide to the work each screen supports."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

GUIDE = """\
Worklist: the calls to make, overdue first. Enter opens the patient, c logs a call attempt
(one letter for the outcome, then an optional note), a enters the questionnaire by phone. The
patient's own time is shown; it is marked when it is outside 9:00-20:00 there. v switches
between today, this week, the next 14 and 30 days and overdue; [ and ] page through long
lists; p shows the phone numbers; x writes the view as a call sheet to print (HTML) or as CSV.

Phone entry: pick the knee (l / r; each marked with its latest treatment; a knee with none on
record asks first), then answer each item with one digit 0-4; Backspace or ↑
goes back, d records "declined to answer". Then the optional pain (0-10), overall rating
(0-100), adverse event and note, and the day the answers were given (today unless you type
another, YYYY-MM-DD); the review shows the scores and that day before anything is saved.

Patient: 1-5 switch tabs (overview, charts, assessments, contacts, flags). t records a
treatment and B a booster of the highlighted knee (filled in from its latest treatment, a banked
dose drawn when there is one). e marks the highlighted assessment (assessments tab) or
treatment (overview) as entered in error: a reason is required, it is kept, not deleted, and the
knee is evaluated again. Enter on an assessment shows it whole, with its note. The flags tab has
each flag's history: raised, evidence, decisions with their notes, who and when. i issues a new
self-report code, shown once.

Review queue (clinicians): open flags, most urgent first, with the evidence and the chart.
b booster scheduled (with the day it is booked), m continue monitoring, f refer, d dismissed:
each asks for a note. v shows the decided flags instead: a amends a decision and o reopens the
flag, each with a reason (the old decision stays in the audit trail). B records the booster of a
flag decided "booster scheduled". x writes the weekly review packet.

Outcomes (clinicians, F5): responder rates and how long relief lasts, per group, with 95%
confidence intervals. g steps through the groupings (product, KL grade, smoking, route, site,
none); f chooses which knees (product, a KL grade range such as 2-3, smoking, route, site); t
shows censored knees as | on the curves; x writes the same analysis as an HTML report. Each
group has its own marker as well as its colour; the numbers under the chart are the knees
still followed at each month; the tables say what was counted, censored and left out.

Patient details: n on the worklist registers a patient, E on the patient screen edits one. Tab
and Enter move between fields, Ctrl+S (or Enter on the last field) saves, Escape leaves. The
time zone completes as typed (→ takes it) and ↓ lists the zones ("tokyo" finds Asia/Tokyo).
Changing smoker, diabetes, BMI or activity needs a reason; every change is audited.

Staff (F4, admins): a adds an account, d and e disable and enable it, p resets its password,
u unlocks it, r and s set its role and site, n adds a site.

Everywhere: Ctrl+F finds a patient by ID or name (accents optional: "celik" finds Çelik),
Ctrl+P opens the command palette (every action by name, and patients), Ctrl+L locks the
screen, Ctrl+T switches light/dark. Clinicians are told of each new urgent flag as it is
raised; Ctrl+G opens its patient. A pasted text with a line break, or longer than its field,
is refused with a message, never cut.
"""


def _key(binding: Binding, app: App[object]) -> str:
    if binding.key_display:
        return binding.key_display
    return ", ".join(app.get_key_display(Binding(k, "")) for k in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath and how to use it."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="help.close", tooltip="Close help")]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__(classes="dialog-screen")
        self.source = screen
        self.rows: list[tuple[str, str, str, bool]] = []  # key, what, tooltip, everywhere

    def compose(self) -> ComposeResult:
        here = Table.grid(padding=(0, 2))
        everywhere = Table.grid(padding=(0, 2))
        seen: set[str] = set()
        for active in self.source.active_bindings.values():
            b = active.binding
            if not b.description or b.id is None or b.id in seen:
                continue
            seen.add(b.id)
            is_global = isinstance(active.node, App)
            self.rows.append((_key(b, self.app), b.description, b.tooltip, is_global))
            target = everywhere if is_global else here
            style = "" if active.enabled else "dim"
            target.add_row(
                Text(_key(b, self.app), style="bold " + style),
                Text(b.description, style=style),
                Text(b.tooltip, style="dim"),
            )
        with Vertical(classes="dialog help-dialog"):
            yield Label("Help", classes="dialog-title")
            with VerticalScroll():
                yield Static(Text("Keys on this screen", style="bold underline"))
                yield Static(here)
                yield Static(Text("\nKeys everywhere", style="bold underline"))
                yield Static(everywhere)
                yield Static(Text("\nHow it works", style="bold underline"))
                yield Static(GUIDE, markup=False)
            yield Static("Escape closes", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
