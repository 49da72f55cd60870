"""Writing the weekly review packet from the review queue: the format and file dialog, and the
worker that prepares, writes and records the packet (``services.review_packet``,
``reports.packet``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from followup.services.context import Context
from followup.services.review_packet import prepare_packet, record_packet
from followup.ui.staff.base import StaffScreen

PACKET_FORMATS = ("html", "csv", "md")


class PacketWritten(Message):
    """The weekly packet was written and recorded: ``count`` flags in it, ``left_out`` open
    flags not."""

    def __init__(self, count: int, left_out: int, path: Path) -> None:
        super().__init__()
        self.count = count
        self.left_out = left_out
        self.path = path


class ExportDialog(ModalScreen[tuple[str, Path] | None]):
    """Format (h, c or m) and file; Enter writes."""

    BINDINGS = [
        *(
            Binding(f[0], f"format('{f}')", f.upper(), id=f"export.{f}", tooltip=f"{f} format")
            for f in PACKET_FORMATS
        ),
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Cancel"),
    ]

    def __init__(self, as_of: date) -> None:
        super().__init__(classes="dialog-screen")
        self.as_of = as_of
        self.format = "html"

    def _default_path(self, fmt_name: str) -> str:
        return str(Path.home() / f"followup-review-{self.as_of.isoformat()}.{fmt_name}")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Weekly review packet as of {self.as_of.isoformat()}", markup=False)
            yield OptionList(
                *(Option(f"{f[0]}  {f.upper()}", id=f) for f in PACKET_FORMATS), id="formats"
            )
            yield Input(value=self._default_path("html"), id="packet-path")
            yield Static(
                "↑↓ or h/c/m: format · Tab: file name · Enter: write · Escape: cancel",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#formats", OptionList).focus()

    def action_format(self, name: str) -> None:
        self.query_one("#formats", OptionList).highlighted = PACKET_FORMATS.index(name)

    @on(OptionList.OptionHighlighted, "#formats")
    def _format(self, event: OptionList.OptionHighlighted) -> None:
        new = event.option.id or "html"
        path = self.query_one("#packet-path", Input)
        if path.value == self._default_path(self.format):
            path.value = self._default_path(new)
        self.format = new

    @on(OptionList.OptionSelected, "#formats")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on the format writes to the file name shown (Tab edits it first)."""
        event.stop()
        self.format = event.option.id or self.format
        self._write_to(self.query_one("#packet-path", Input).value)

    @on(Input.Submitted, "#packet-path")
    def _write(self, event: Input.Submitted) -> None:
        event.stop()
        self._write_to(event.value)

    def _write_to(self, value: str) -> None:
        if value.strip():
            self.dismiss((self.format, Path(value.strip()).expanduser()))
        else:
            self.query_one("#packet-path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class PacketExport(StaffScreen):
    """Mixin for a screen with the ``x`` key: ask for format and file, then write the packet."""

    def action_export_packet(self) -> None:
        as_of = self.ctx.today()
        actor = self.staff.actor

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                self.notify(f"Writing the review packet to {answer[1]}…", markup=False)
                self._export(self.ctx, as_of, answer[0], answer[1], actor)

        self.app.push_screen(ExportDialog(as_of), chosen)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review-export",
        description="Writing the review packet",
    )
    def _export(self, ctx: Context, as_of: date, fmt_name: str, path: Path, actor: str) -> None:
        # Written alongside: imported late, like the packet's templates.
        from followup.reports.files import write_private
        from followup.reports.packet import render

        packet = prepare_packet(ctx, as_of, with_charts=fmt_name == "html")
        write_private(path, render(packet, fmt_name))
        record_packet(ctx, packet, actor)  # written: the next packet covers what changes after
        self.post_message(PacketWritten(len(packet.shown), packet.left_out_total, path))

    def on_packet_written(self, message: PacketWritten) -> None:
        left_out = f", {message.left_out} left out" if message.left_out else ""
        self.notify(
            f"Review packet written: {message.count} flags{left_out} → {message.path}", markup=False
        )
