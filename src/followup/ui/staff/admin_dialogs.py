"""The admin screen's dialogs: a new staff account, a new password, a role, a site limit, a new
site. Each writes through its service in a thread worker and closes with a sentence saying what
was done; a refusal is shown in the dialog as the service words it, with what was typed kept
(passwords excepted when the refusal is about them). Passwords are typed into password fields,
never shown, and go nowhere but the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.sites import add_site
from followup.services.staff import add_user
from followup.services.staff_accounts import StaffAccount, reset_password, set_role, set_site
from followup.store.models import ROLES
from followup.ui.staff.base import StaffModal
from followup.ui.widgets.form_fields import FormInput

ROLE_CHOICES = [(role, role) for role in ROLES]


@dataclass
class AdminChangeDone(Message):
    """A dialog's change was saved; ``note`` says what."""

    note: str


@dataclass
class AdminChangeRefused(Message):
    """The service refused a dialog's change; ``message`` is its own, safe to show."""

    message: str


def _row(label: str, widget: Widget) -> Horizontal:
    return Horizontal(Label(label, classes="form-label"), widget, classes="form-row")


class AdminDialog(StaffModal):
    """A small form: its fields (``fields``), Ctrl+S or Enter on the last field saves
    (``write``, in a worker), Escape cancels. Dismisses with what was done, or None."""

    TITLE = ""
    PROMPT = ""
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="admin_dialog.save", tooltip="Save"),
        Binding("escape", "cancel", "Cancel", id="admin_dialog.cancel", tooltip="Save nothing"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog admin-dialog"):
            yield Label(self.TITLE, classes="dialog-title", markup=False)
            if self.PROMPT:
                yield Static(self.PROMPT, classes="hint", markup=False)
            yield from self.fields()
            yield Static("", id="dialog-problem", classes="problem", markup=False)
            yield Static("Ctrl+S or Enter on the last field: save · Escape: cancel", classes="hint")

    def fields(self) -> ComposeResult:
        """The dialog's fields, one row each."""
        raise NotImplementedError

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Save ``typed`` through the service (in a worker thread: no widget may be touched
        here); the sentence saying what was done."""
        raise NotImplementedError

    def check(self, typed: dict[str, Any]) -> str | None:
        """A problem the dialog itself can see before asking the service (None: none)."""
        return None

    def typed(self) -> dict[str, Any]:
        """Every field's value by its ID: a text as typed, a pick's value."""
        found: dict[str, Any] = {}
        for widget in self.query(".form-row > Input, .form-row > Select"):
            if isinstance(widget, Select):
                found[widget.id or ""] = None if widget.is_blank() else widget.value
            else:
                found[widget.id or ""] = widget.value  # type: ignore[attr-defined]
        return found

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        typed = self.typed()
        problem = self.check(typed)
        if problem is not None:
            self.on_admin_change_refused(AdminChangeRefused(problem))
            return
        self.saving = True
        self.query_one("#dialog-problem", Static).update("Saving…")
        self._write(self.ctx, typed, self.staff.actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin-dialog",
          description="Saving the change")  # fmt: skip
    def _write(self, ctx: Context, typed: dict[str, Any], actor: str) -> None:
        try:
            note = self.write(ctx, typed, actor)
        except FollowupError as exc:
            self.post_message(AdminChangeRefused(str(exc)))
            return
        self.post_message(AdminChangeDone(note))

    def on_admin_change_done(self, message: AdminChangeDone) -> None:
        self.dismiss(message.note)

    def on_admin_change_refused(self, message: AdminChangeRefused) -> None:
        self.saving = False
        self.query_one("#dialog-problem", Static).update(message.message)
        passwords = list(self.query(".password-field").results(Input))
        if passwords and "password" in message.message:
            for field in passwords:
                field.value = ""
            passwords[0].focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # the app reports it; the dialog stays, to retry
            self.saving = False
            self.query_one("#dialog-problem", Static).update("Not saved.")

    def action_cancel(self) -> None:
        self.dismiss(None)


def _password_fields(last: bool = True) -> ComposeResult:
    yield _row("Password", FormInput(password=True, id="password", classes="password-field",
                                     placeholder="at least 8 characters"))  # fmt: skip
    yield _row("Again", FormInput(password=True, id="password-again", classes="password-field",
                                  placeholder="the same password", last=last))  # fmt: skip


def _passwords_differ(typed: dict[str, Any]) -> str | None:
    if typed["password"] != typed["password-again"]:
        return "the two passwords differ: type the same password twice"
    return None


def _site_field(sites: list[str], value: str = "", *, last: bool = False) -> Horizontal:
    hint = f"e.g. {', '.join(sites[:4])}; " if sites else ""
    return _row(
        "Site",
        FormInput(
            value=value,
            id="site",
            placeholder=f"{hint}empty: all sites",
            suggester=SuggestFromList(sites, case_sensitive=False) if sites else None,
            last=last,
        ),
    )


class NewAccountDialog(AdminDialog):
    """A new staff account: user name, role, site (typed: a site nobody added is refused by
    the service, saying how to add it), password twice."""

    TITLE = "New staff account"

    def __init__(self, sites: list[str]) -> None:
        super().__init__()
        self.sites = sites

    def fields(self) -> ComposeResult:
        """User name, role, site and the password twice."""
        yield _row("User name", FormInput(id="username", placeholder="letters, digits . - _"))
        yield _row("Role", Select(ROLE_CHOICES, value="coordinator", allow_blank=False,
                                  id="role", compact=True))  # fmt: skip
        yield _site_field(self.sites)
        yield from _password_fields()

    def check(self, typed: dict[str, Any]) -> str | None:
        """Refuse two different passwords before anything is saved."""
        return _passwords_differ(typed)

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Create the account and say so."""
        site = typed["site"].strip() or None
        member = add_user(ctx, typed["username"].strip(), typed["password"], typed["role"], actor,
                          site_id=site)  # fmt: skip
        return f"Account {member.username} ({member.role}) added."


class AccountDialog(AdminDialog):
    """A dialog about one existing account."""

    def __init__(self, account: StaffAccount) -> None:
        super().__init__()
        self.account = account


class PasswordDialog(AccountDialog):
    """A new password for an account (twice); any lock is cleared with it."""

    TITLE = "Reset password"

    def fields(self) -> ComposeResult:
        """The new password, twice."""
        yield Static(f"New password for {self.account.username}", markup=False)
        yield from _password_fields()

    def check(self, typed: dict[str, Any]) -> str | None:
        """Refuse two different passwords before anything is saved."""
        return _passwords_differ(typed)

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Reset the account's password and say so."""
        reset_password(ctx, self.account.username, typed["password"], actor)
        return f"Password of {self.account.username} reset."


class RoleDialog(AccountDialog):
    """Another role for an account (the last active admin keeps theirs)."""

    TITLE = "Set role"

    def fields(self) -> ComposeResult:
        """The account's role, to change."""
        yield Static(f"Role of {self.account.username}", markup=False)
        yield _row("Role", Select(ROLE_CHOICES, value=self.account.role, allow_blank=False,
                                  id="role", compact=True))  # fmt: skip

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Give the account its new role and say so."""
        done = set_role(ctx, self.account.username, typed["role"], actor)
        return f"{done.username} is now a {done.role}."


class SiteLimitDialog(AccountDialog):
    """Limit an account to one site, or (empty) to none."""

    TITLE = "Set site"
    PROMPT = "Staff limited to a site see and change only its patients."

    def __init__(self, account: StaffAccount, sites: list[str]) -> None:
        super().__init__(account)
        self.sites = sites

    def fields(self) -> ComposeResult:
        """The site the account is limited to (empty: every site)."""
        yield Static(f"Site of {self.account.username}", markup=False)
        yield _site_field(self.sites, self.account.site_id or "", last=True)

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Limit the account to the site (or lift the limit) and say so."""
        done = set_site(ctx, self.account.username, typed["site"].strip() or None, actor)
        where = f"site {done.site_id}" if done.site_id else "all sites"
        return f"{done.username} now works on {where}."


class NewSiteDialog(AdminDialog):
    """A new site: its ID (as files and commands write it) and its name."""

    TITLE = "New site"

    def fields(self) -> ComposeResult:
        """The new site's ID and name."""
        yield _row("Site ID", FormInput(id="site-id", placeholder="e.g. north"))
        yield _row("Name", FormInput(id="site-name", placeholder="e.g. North clinic (optional)",
                                     last=True))  # fmt: skip

    def write(self, ctx: Context, typed: dict[str, Any], actor: str) -> str:
        """Add the site and say so."""
        site = add_site(ctx, typed["site-id"], typed["site-name"], actor)
        return f"Site {site.id} ({site.name}) added."
