"""What the worklist and the review queue share: a list read one page at a time from the stored
results in SQL, in a worker, and kept current.

The screen never holds more than the page it shows. The page is read as stored when the screen
is shown (the first time too) and whenever the app says the lists are out of date; the first
time, the cohort's evaluation is then brought up to today in a worker and the page read again
when it is done. Every few seconds the audit trail's latest mark is compared with the one the
page was read at: a change anyone made since brings the evaluation up to date again (it redoes
only what changed) and the page is read again. An answer overtaken by a newer read is dropped
(``generation``), and a page past the end of a list that got shorter moves back to the last.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from followup.services.audit import committed_mark
from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.ui.staff.base import StaffScreen
from followup.ui.staff.messages import ListOutOfDate

# A page of the screen's list, read from the database in a worker: (context) -> the page.
PageReader = Callable[[Context], Any]


class PageRead(Message):
    """A page of the list was read at audit mark ``mark`` (``generation``: which read)."""

    def __init__(self, page: Any, mark: int, generation: int) -> None:
        super().__init__()
        self.page = page
        self.mark = mark
        self.generation = generation


class MarkChecked(Message):
    """The audit trail's latest mark, to compare with the page's."""

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark = mark


class PagedListScreen(StaffScreen):
    """A staff screen showing one page of a list kept current. Subclasses say how to read a
    page (``page_reader``), what it holds (``page_rows``) and how to show it (``show_page``,
    ``summarise``); the page object has a ``total``."""

    PAGE_SIZE = 50  # rows a page holds
    POLL_SECONDS = 5.0  # how often the audit trail's mark is compared with the page's
    READ_DESCRIPTION = "Reading the list"
    EVALUATE_DESCRIPTION = "Evaluating the flag rules"

    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.page = 0
        self.data: Any = None  # the page last read
        self.shown: list[Any] = []  # its rows
        self.mark = -1  # the audit mark the page was read at
        self.generation = 0
        self.keep_cursor = False
        self.evaluate_after_page = False
        self.evaluating = False  # the evaluation is being brought up to today
        self.evaluated = False  # ... and has been, at least once

    # -- what a subclass says -------------------------------------------------------------

    def page_reader(self) -> PageReader:
        """How to read the current page, with what the screen shows now (view, page, site)."""
        raise NotImplementedError

    def page_rows(self, page: Any) -> list[Any]:
        """The rows of a page read."""
        raise NotImplementedError

    def show_page(self, keep_cursor: bool) -> None:
        """Show ``self.shown`` (the cursor kept where it was, or on the first row)."""
        raise NotImplementedError

    def summarise(self) -> None:
        """Update the line over the list (the list, its size, whether it is being updated)."""
        raise NotImplementedError

    def after_read(self, ctx: Context, page: Any, generation: int) -> None:
        """More to read once the page is on its way, in the same worker (nothing by default)."""

    # -- reading ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        # The stored page first (read when the screen is shown: on_screen_resume), then the
        # evaluation brought up to today, which reads the page again when done: the two would
        # otherwise share the interpreter while the list is still empty.
        self.evaluate_after_page = True
        self.set_interval(self.POLL_SECONDS, self.check_for_changes)

    def on_screen_resume(self) -> None:
        """Shown (the first time too): read the page on screen as it is stored now."""
        self.read_page(keep_cursor=True)

    def read_page(self, keep_cursor: bool = False) -> None:
        """Read the current page (as stored) in a worker."""
        self.generation += 1
        self.keep_cursor = keep_cursor
        work = partial(self._read, self.ctx, self.page_reader(), self.generation)
        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False,
                        group="list-page", description=self.READ_DESCRIPTION)  # fmt: skip

    def _read(self, ctx: Context, reader: PageReader, generation: int) -> None:
        mark = committed_mark(ctx.engine)
        page = reader(ctx)
        self.post_message(PageRead(page, mark, generation))
        self.after_read(ctx, page, generation)

    def on_page_read(self, message: PageRead) -> None:
        if message.generation != self.generation:
            return
        self.data, self.mark = message.page, message.mark
        pages = max(1, -(-message.page.total // self.PAGE_SIZE))
        if self.page >= pages and self.page > 0:  # the list got shorter under us
            self.page = pages - 1
            self.read_page()
            return
        self.shown = self.page_rows(message.page)
        self.show_page(keep_cursor=self.keep_cursor)
        if self.evaluate_after_page:
            self.evaluate_after_page = False
            self.action_evaluate()

    def action_evaluate(self) -> None:
        """Bring the cohort's evaluation up to today in a worker, then read the page again."""
        if self.evaluating:
            return
        self.evaluating = True
        self.refresh_bindings()
        self.summarise()
        self.run_worker(partial(self._evaluate, self.ctx), thread=True, exclusive=True,
                        exit_on_error=False, group="list-evaluate",
                        description=self.EVALUATE_DESCRIPTION)  # fmt: skip

    def _evaluate(self, ctx: Context) -> None:
        evaluate_cohort(ctx)
        self.app.call_from_thread(self._evaluated)

    def _evaluated(self) -> None:
        self.evaluating = False
        self.evaluated = True
        self.refresh_bindings()
        self.read_page(keep_cursor=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "list-evaluate":
            self.evaluating = False  # reported by the app; the next change tries again
            self.refresh_bindings()
            self.summarise()

    def check_for_changes(self) -> None:
        """Every few seconds: has anyone's change landed since the page was read?"""
        if self.is_current and not self.evaluating:
            self.run_worker(partial(self._check, self.ctx), thread=True, exclusive=True,
                            exit_on_error=False, group="list-poll",
                            description="Checking for changes")  # fmt: skip

    def _check(self, ctx: Context) -> None:
        self.post_message(MarkChecked(committed_mark(ctx.engine)))

    def on_mark_checked(self, message: MarkChecked) -> None:
        if message.mark != self.mark and not self.evaluating:
            # An import may have added patients: the evaluation names what changed and redoes
            # only that, then the page is read again.
            self.action_evaluate()

    def on_list_out_of_date(self, message: ListOutOfDate) -> None:
        if self.is_current:
            self.read_page(keep_cursor=True)

    # -- paging ----------------------------------------------------------------------------

    def action_page(self, step: int) -> None:
        """The next (1) or previous (-1) page."""
        self.page = max(0, self.page + step)
        self.read_page()

    def paging_allowed(self, parameters: tuple[object, ...]) -> bool | None:
        """``check_action`` for the paging keys: hidden on a one-page list, dimmed at its
        ends."""
        total = self.data.total if self.data else 0
        step = parameters[0] if parameters else 0
        if total <= self.PAGE_SIZE:
            return False  # one page: no paging keys in the footer
        if step == -1:
            return self.page > 0 or None
        return (self.page + 1) * self.PAGE_SIZE < total or None
