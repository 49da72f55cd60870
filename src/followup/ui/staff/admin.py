"""Staff administration, for admins: the staff accounts (user name, role, site, active, locked,
wrong passwords; never a password hash) and the sites, with keys to on-board and off-board
staff: add an account, disable or enable it, reset its password, unlock it, set its role or
site, add a site.

The rules (the last active admin stays, a site must exist, passwords are long enough) and the
audit trail are the services' (``staff``, ``staff_accounts``, ``sites``); a refusal is shown as
they word it. Both lists are read in one worker, again after every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Label, Static

from followup.services.context import Context
from followup.services.sites import SiteView, list_sites
from followup.services.staff_accounts import (
    StaffAccount,
    disable_user,
    enable_user,
    list_users,
    unlock_user,
)
from followup.ui.staff.admin_dialogs import (
    NewAccountDialog,
    NewSiteDialog,
    PasswordDialog,
    RoleDialog,
    SiteLimitDialog,
)
from followup.ui.staff.base import StaffScreen
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.dialogs import ConfirmDialog
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import PlainTable

ACCOUNT_COLUMNS = ("User", "Role", "Site", "Active", "Locked", "Wrong passwords")
# Actions on the highlighted account, with when each applies.
ACCOUNT_ACTIONS = {"disable", "enable", "reset_password", "unlock", "set_role", "set_site"}


@dataclass
class StaffListRead(Message):
    """The accounts and sites, read at ``now`` (a lock is shown against it)."""

    accounts: list[StaffAccount]
    sites: list[SiteView]
    now: datetime


@dataclass
class AccountChanged(Message):
    """A change made from this screen was saved; ``note`` says what."""

    note: str


def _binding(key: str, action: str, title: str, tooltip: str) -> Binding:
    return Binding(key, action, title, id=f"admin.{action}", tooltip=tooltip)


def _locked(account: StaffAccount, now: datetime) -> str:
    if not account.locked(now) or account.locked_until is None:
        return fmt.DASH
    minutes = -int(-(account.locked_until - now).total_seconds() // 60)  # rounded up
    return f"{minutes} more min"


class AdminScreen(StaffScreen):
    """Staff accounts above, sites below; the keys act on the highlighted account."""

    BINDINGS = [
        _binding("a", "add_account", "Add account", "A new staff account (role, site, password)"),
        _binding("d", "disable", "Disable", "Stop the account from signing in (asks first)"),
        _binding("e", "enable", "Enable", "Let a disabled account sign in again (asks first)"),
        _binding("p", "reset_password", "Password", "Give the account a new password"),
        _binding("u", "unlock", "Unlock", "Clear the wrong passwords and the lock"),
        _binding("r", "set_role", "Role", "Change the account's role"),
        _binding("s", "set_site", "Site", "Limit the account to one site, or to none"),
        _binding("n", "add_site", "Add site", "A new site (its ID and name)"),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="admin.reload",
            tooltip="Read the accounts and sites again",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="admin")
        self.accounts: list[StaffAccount] = []
        self.sites: list[SiteView] = []
        self.now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the staff accounts…", id="admin-summary", classes="bar")
        yield Label("Staff accounts", classes="section-title")
        table = PlainTable(id="accounts", cursor_type="row", zebra_stripes=True)
        table.add_columns(*ACCOUNT_COLUMNS)
        yield table
        yield Label("Sites", classes="section-title")
        sites = PlainTable(id="sites", cursor_type="row", zebra_stripes=True)
        sites.add_columns("Site", "Name")
        yield sites
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#accounts", DataTable).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    # -- reading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._read(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin-read",
          description="Reading the staff accounts")  # fmt: skip
    def _read(self, ctx: Context) -> None:
        self.post_message(StaffListRead(list_users(ctx), list_sites(ctx), ctx.now()))

    def on_staff_list_read(self, message: StaffListRead) -> None:
        self.accounts, self.sites, self.now = message.accounts, message.sites, message.now
        table = self.query_one("#accounts", DataTable)
        cursor = table.cursor_row
        table.clear()
        for a in message.accounts:
            table.add_row(
                a.username,
                a.role,
                a.site_id or "all sites",
                "yes" if a.active else "DISABLED",
                _locked(a, message.now),
                str(a.failed_attempts),
                key=a.username,
            )
        if message.accounts:
            table.move_cursor(row=min(max(cursor, 0), len(message.accounts) - 1))
        sites = self.query_one("#sites", DataTable)
        sites.clear()
        for s in message.sites:
            sites.add_row(s.id, s.name, key=s.id)
        active = sum(1 for a in message.accounts if a.active)
        locked = sum(1 for a in message.accounts if a.locked(message.now))
        self.query_one("#admin-summary", Static).update(
            f"{len(message.accounts)} account(s), {active} active, {locked} locked · "
            f"{len(message.sites)} site(s)"
        )
        self.refresh_bindings()

    # -- the highlighted account -----------------------------------------------------------

    def _current(self) -> StaffAccount | None:
        row = self.query_one("#accounts", DataTable).cursor_row
        return self.accounts[row] if 0 <= row < len(self.accounts) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Account keys only with an account highlighted, and only those that would change it."""
        if action not in ACCOUNT_ACTIONS:
            return True
        account = self._current()
        if account is None:
            return None
        if action == "disable":
            return account.active or None
        if action == "enable":
            return not account.active or None
        if action == "unlock":
            locked = self.now is not None and account.locked(self.now)
            return locked or account.failed_attempts > 0 or None
        return True

    # -- actions ---------------------------------------------------------------------------

    def _site_ids(self) -> list[str]:
        return [s.id for s in self.sites]

    def _ask(self, dialog: object) -> None:
        def done(note: str | None) -> None:
            if note:
                self.on_account_changed(AccountChanged(note))

        self.app.push_screen(dialog, done)  # type: ignore[arg-type]

    def action_add_account(self) -> None:
        self._ask(NewAccountDialog(self._site_ids()))

    def action_add_site(self) -> None:
        self._ask(NewSiteDialog())

    def action_reset_password(self) -> None:
        if (account := self._current()) is not None:
            self._ask(PasswordDialog(account))

    def action_set_role(self) -> None:
        if (account := self._current()) is not None:
            self._ask(RoleDialog(account))

    def action_set_site(self) -> None:
        if (account := self._current()) is not None:
            self._ask(SiteLimitDialog(account, self._site_ids()))

    def action_disable(self) -> None:
        self._confirm("disable", "Disable {name}? They can no longer sign in; their records stay.")

    def action_enable(self) -> None:
        self._confirm("enable", "Enable {name}? They can sign in again.")

    def _confirm(self, action: str, question: str) -> None:
        account = self._current()
        if account is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._change(self.ctx, action, account.username, self.staff.actor)

        verb = action.capitalize()
        self.app.push_screen(
            ConfirmDialog(question.format(name=account.username), yes=verb, no="Cancel"), answer
        )

    def action_unlock(self) -> None:
        if (account := self._current()) is not None:
            self._change(self.ctx, "unlock", account.username, self.staff.actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin-change",
          description="Changing the staff account")  # fmt: skip
    def _change(self, ctx: Context, action: str, username: str, actor: str) -> None:
        # A refusal (the last active admin) is raised on: the app shows it as the service says.
        change = {"disable": disable_user, "enable": enable_user, "unlock": unlock_user}[action]
        change(ctx, username, actor)
        done = {"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}[action]
        self.post_message(AccountChanged(f"Account {username} {done}."))

    def on_account_changed(self, message: AccountChanged) -> None:
        self.notify(message.note, markup=False)
        self.action_reload()
