"""The highlighted flag in detail: who and which knee, the evidence sentence, the treatment, the
evidence in words, and the knee's chart (read in a worker once the cursor settles, so holding ↓
through a list stays smooth)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from followup.services.context import Context
from followup.services.decide import DecisionView
from followup.services.review_queue import FlagView
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.ui.staff.evidence import decision_line, evidence_lines, flag_heading
from followup.ui.staff.session import StaffSession
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.chart import KneeCharts

CHART_DELAY_SECONDS = 0.15


class ChartLoaded(Message):
    """The trajectories of the shown flag's patient were read."""

    def __init__(self, flag_id: int, trajectories: list[KneeTrajectory]) -> None:
        super().__init__()
        self.flag_id = flag_id
        self.trajectories = trajectories


class FlagDetail(VerticalScroll):
    """Shows one flag (or a sentence when there is none)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.flag: FlagView | None = None
        self._chart_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="flag-evidence", markup=False)
        yield Vertical(classes="flag-chart")

    def show(
        self, flag: FlagView | None, empty: str = "", decision: DecisionView | None = None
    ) -> None:
        """Show ``flag`` (with the decision in force on it, when given) now and its chart
        shortly (``empty`` when there is no flag)."""
        self.flag = flag
        evidence = self.query_one(".flag-evidence", Static)
        self.query_one(".flag-chart").remove_children()
        if self._chart_timer is not None:
            self._chart_timer.stop()
        if flag is None:
            evidence.update(empty)
            return
        text = Text()
        text.append(f"{flag.patient_name} ({flag.patient_id}) · ", style="bold")
        text.append(flag_heading(flag) + "\n", style=fmt.LEVEL_STYLES.get(flag.level, ""))
        if decision is not None:
            text.append(decision_line(decision) + "\n", style="bold")
        text.append(flag.summary + "\n")
        text.append(
            f"Treated {flag.treated_on.isoformat()} with {fmt.product(flag.product)}, KL "
            f"{fmt.number(flag.kl_grade)}, banked doses {fmt.number(flag.banked_doses)}\n"
        )
        text.append("\n".join(evidence_lines(flag.evidence)), style="dim")
        evidence.update(text)
        ctx = self._session.ctx
        self._chart_timer = self.set_timer(CHART_DELAY_SECONDS, partial(self._load, ctx, flag))

    @property
    def _session(self) -> StaffSession:
        return self.app  # type: ignore[return-value]

    @work(thread=True, exclusive=True, exit_on_error=False, group="flag-chart",
          description="Reading the knee's trajectory")  # fmt: skip
    def _load(self, ctx: Context, flag: FlagView) -> None:
        self.post_message(ChartLoaded(flag.id, knee_trajectories(ctx, flag.patient_id)))

    def on_chart_loaded(self, message: ChartLoaded) -> None:
        message.stop()
        flag = self.flag
        if flag is None or flag.id != message.flag_id:
            return
        box = self.query_one(".flag-chart")
        box.remove_children()
        today = self._session.ctx.today()
        box.mount_all(KneeCharts(t, today) for t in message.trajectories if t.knee == flag.knee)
