"""The review queue's decisions: one key per decision on an open flag (each with a required note;
a booster with its booked day if known), and on a decided flag, amend (a new decision and why) or
reopen (why); and recording the booster once given (B), from either list. The dialogs collect;
a worker writes through ``services.decide``, which keeps the old decision on record and
re-evaluates the knee. A flag another reviewer decided a moment before is refused, and the
dialog says who decided it and when."""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.message import Message

from followup.domain.records import DECISIONS
from followup.services.context import Context
from followup.services.decide import AlreadyDecided, amend, decide, reopen
from followup.services.review_queue import FlagView
from followup.ui.staff.decision_dialog import DECISION_KEYS, DecisionAnswer, DecisionDialog
from followup.ui.staff.messages import RecordsChanged
from followup.ui.staff.packet_export import PacketExport
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import ErrorDialog, TextDialog


class DecidedElsewhere(Message):
    """Another reviewer decided the flag first; ``said`` names who and when."""

    def __init__(self, patient_id: str, said: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.said = said


class FlagDecided(Message):
    """A decision was recorded, amended or reopened; ``said`` is the notice to show."""

    def __init__(self, flag_id: int, patient_id: str, said: str) -> None:
        super().__init__()
        self.flag_id = flag_id
        self.patient_id = patient_id
        self.said = said


def _decision_binding(decision: str) -> Binding:
    return Binding(
        DECISION_KEYS[decision],
        f"decide('{decision}')",
        fmt.DECISION_SHORT[decision],
        id=f"review.{decision}",
        tooltip=f"Decide: {fmt.DECISION_LABELS[decision]} (asks for a note)",
    )


DECISION_BINDINGS = [
    *(_decision_binding(d) for d in DECISIONS),
    Binding("a", "amend", "Amend", id="review.amend", tooltip="Change the decision (asks why)"),
    Binding("o", "reopen", "Reopen", id="review.reopen", tooltip="Open the flag again (asks why)"),
    Binding("B", "record_booster", "Record booster", id="review.record_booster",
            tooltip="Record the booster given to this knee (filled in from its treatment)"),
]  # fmt: skip


class ReviewDecisions(PacketExport):
    """Decision actions; the screen says which flag is current and whether it is decided."""

    evaluating: bool
    decided_view: bool

    def current_flag(self) -> FlagView | None:
        """The flag the decision keys act on, None when there is none."""
        raise NotImplementedError

    def action_record_booster(self) -> None:
        """The booster this flag's knee was given, filled in from its latest treatment; once
        recorded, the knee's earlier flags close (superseded) and the queue is read again."""
        from followup.ui.staff.treatment_form import TreatmentForm

        flag = self.current_flag()
        if flag is not None:
            self.app.push_screen(TreatmentForm(flag.patient_id, flag.patient_name, flag.knee))

    def decision_allowed(self, action: str) -> bool | None:
        """Deciding on open flags, amending and reopening on decided ones (the other list's keys
        are hidden); greyed while the rules are being evaluated (they may still close or clear
        the flag) and when no flag is highlighted."""
        if (action in ("amend", "reopen")) != self.decided_view:
            return False  # the other list's keys: not shown
        if self.current_flag() is None or self.evaluating:
            return None  # shown, greyed
        return True

    def _about(self, flag: FlagView) -> str:
        return (
            f"{flag.patient_name} ({flag.patient_id}), {flag.knee} knee: {fmt.words(flag.kind)}, "
            f"raised {flag.raised_on.isoformat()}."
        )

    def action_decide(self, decision: str) -> None:
        flag = self.current_flag()
        if flag is None or not self.decision_allowed("decide"):
            return
        about = self._about(flag) + " Why? The note is kept with the decision."
        dialog = DecisionDialog(about, self.ctx.today(), decision)
        self.app.push_screen(dialog, lambda a: self._answered(flag, "decide", a))

    def action_amend(self) -> None:
        flag = self.current_flag()
        if flag is None or not self.decision_allowed("amend"):
            return
        about = self._about(flag) + " The decision in force ends as amended, kept on record."
        dialog = DecisionDialog(about, self.ctx.today())
        self.app.push_screen(dialog, lambda a: self._answered(flag, "amend", a))

    def action_reopen(self) -> None:
        flag = self.current_flag()
        if flag is None or not self.decision_allowed("reopen"):
            return

        def reason(text: str | None) -> None:
            if text:
                self._answered(flag, "reopen", DecisionAnswer("", text))

        dialog = TextDialog(
            "Reopen the flag",
            self._about(flag) + " The decision ends as reopened, kept on record, and the flag "
            "goes back to the queue. Why?",
            placeholder="reason (required)",
        )
        self.app.push_screen(dialog, reason)

    def _answered(self, flag: FlagView, how: str, answer: DecisionAnswer | None) -> None:
        if answer is not None:
            self._record(self.ctx, flag, how, answer, self.staff.actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-decide",
          description="Recording the decision")  # fmt: skip
    def _record(
        self, ctx: Context, flag: FlagView, how: str, answer: DecisionAnswer, reviewer: str
    ) -> None:
        if how == "reopen":
            reopen(ctx, flag.id, answer.note, reviewer)
            said = f"Flag #{flag.id} reopened: it is back in the queue."
        else:
            act = decide if how == "decide" else amend
            try:
                act(ctx, flag.id, answer.decision, answer.note, reviewer, until=answer.until)
            except AlreadyDecided as exc:
                self.post_message(DecidedElsewhere(flag.patient_id, str(exc)))
                return
            label = fmt.DECISION_LABELS[answer.decision]
            booked = f" (booked for {answer.until.isoformat()})" if answer.until else ""
            said = f"Decision {'recorded' if how == 'decide' else 'amended'}: {label}{booked}."
        self.post_message(FlagDecided(flag.id, flag.patient_id, said))

    def on_decided_elsewhere(self, message: DecidedElsewhere) -> None:
        self.show_dialog(ErrorDialog(message.said, title="Already decided"))
        self.app.post_message(RecordsChanged(message.patient_id))  # the queue shows it decided

    def on_flag_decided(self, message: FlagDecided) -> None:
        self.notify(message.said, markup=False)
        self.app.post_message(RecordsChanged(message.patient_id))
