"""What admins do to staff accounts after creating them: list them, disable and enable them,
reset a password, unlock an account locked by wrong passwords, change a role or a site.

Every change is audited (entity ``staff_user``) with the old and new values, never a password
or its hash. The clinic must never be left without an active admin: the last one can be neither
disabled nor given another role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from followup.errors import FollowupError, NotFound
from followup.services import audit
from followup.services.context import Context
from followup.services.security import hash_secret
from followup.services.sites import require_site
from followup.services.staff import check_password, check_role
from followup.store.engine import read_session, write_session
from followup.store.models import StaffUser


@dataclass(frozen=True)
class StaffAccount:
    """One account as the admin's list shows it (never the password hash)."""

    username: str
    role: str
    site_id: str | None
    active: bool
    locked_until: datetime | None
    failed_attempts: int

    def locked(self, now: datetime) -> bool:
        """Whether too many wrong passwords keep the account locked at ``now``."""
        return self.locked_until is not None and self.locked_until > now

    def as_json(self) -> dict[str, Any]:
        """The account as a JSON object for ``followup user list --format json``."""
        return {
            "username": self.username,
            "role": self.role,
            "site": self.site_id,
            "active": self.active,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "failed_attempts": self.failed_attempts,
        }


def list_users(ctx: Context) -> list[StaffAccount]:
    """Every account, by user name."""
    with read_session(ctx.engine) as session:
        return [
            StaffAccount(u.username, u.role, u.site_id, u.active, u.locked_until, u.failed_attempts)
            for u in session.exec(select(StaffUser).order_by(StaffUser.username))
        ]


LAST_ADMIN = (
    "{name!r} is the last active admin; add another admin first "
    "(followup user add NAME --role admin)"
)


def _refuse_last_admin(session: Session, user: StaffUser) -> None:
    """Refuse to take away the last active admin. The other active admins' rows are locked
    (PostgreSQL) so two admins cannot each remove the other at the same moment; SQLite writers
    already take turns."""
    if user.role != "admin" or not user.active:
        return
    others = (
        select(StaffUser.id)
        .where(StaffUser.role == "admin", StaffUser.active == True, StaffUser.id != user.id)  # noqa: E712
        .with_for_update()
    )
    if not session.exec(others).all():
        raise FollowupError(LAST_ADMIN.format(name=user.username))


Change = Callable[[Session, StaffUser], tuple[dict[str, Any], dict[str, Any]]]


def _change(ctx: Context, username: str, actor: str, action: str, change: Change) -> StaffAccount:
    """Apply ``change`` to one account in one transaction and audit its old and new values.
    ``change`` returns them (empty: nothing changed, nothing recorded)."""
    with write_session(ctx.engine) as session:
        query = select(StaffUser).where(StaffUser.username == username).with_for_update()
        user = session.exec(query).first()
        if user is None:
            raise NotFound(f"no user named {username!r}")
        old, new = change(session, user)
        if new:
            session.add(user)
            audit.record(
                session,
                at=ctx.now(),
                actor=actor,
                action=action,
                entity="staff_user",
                entity_id=username,
                old=old,
                new=new,
            )
        return StaffAccount(
            user.username,
            user.role,
            user.site_id,
            user.active,
            user.locked_until,
            user.failed_attempts,
        )


def disable_user(ctx: Context, username: str, actor: str) -> StaffAccount:
    """Stop an account from signing in (its history stays); never the last active admin."""

    def change(session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        if not user.active:
            return {}, {}
        _refuse_last_admin(session, user)
        user.active = False
        return {"active": True}, {"active": False}

    return _change(ctx, username, actor, "disable", change)


def enable_user(ctx: Context, username: str, actor: str) -> StaffAccount:
    """Let a disabled account sign in again."""

    def change(_session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        if user.active:
            return {}, {}
        user.active = True
        return {"active": False}, {"active": True}

    return _change(ctx, username, actor, "enable", change)


def reset_password(ctx: Context, username: str, password: str, actor: str) -> StaffAccount:
    """Give an account a new password; wrong attempts and any lock are cleared with it."""
    check_password(password)
    password_hash = hash_secret(password)  # before the write: other writers need not wait

    def change(_session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        old = _lock_state(user)
        user.password_hash = password_hash
        user.failed_attempts = 0
        user.locked_until = None
        # Neither password nor hash is ever recorded: only that it changed.
        return old, {"password": "changed", **_lock_state(user)}

    return _change(ctx, username, actor, "reset_password", change)


def unlock_user(ctx: Context, username: str, actor: str) -> StaffAccount:
    """Clear the wrong attempts and the lock of an account."""

    def change(_session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        old = _lock_state(user)
        user.failed_attempts = 0
        user.locked_until = None
        new = _lock_state(user)
        return (old, new) if old != new else ({}, {})

    return _change(ctx, username, actor, "unlock", change)


def set_role(ctx: Context, username: str, role: str, actor: str) -> StaffAccount:
    """Change an account's role; the last active admin keeps theirs."""
    check_role(role)

    def change(session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        if user.role == role:
            return {}, {}
        if user.role == "admin":
            _refuse_last_admin(session, user)
        old = {"role": user.role}
        user.role = role
        return old, {"role": role}

    return _change(ctx, username, actor, "set_role", change)


def set_site(ctx: Context, username: str, site_id: str | None, actor: str) -> StaffAccount:
    """Limit an account to one site, or (``None``) to none; a site nobody added is refused."""

    def change(session: Session, user: StaffUser) -> tuple[dict[str, Any], dict[str, Any]]:
        if user.site_id == site_id:
            return {}, {}
        if site_id is not None:
            require_site(session, site_id)
        old = {"site_id": user.site_id}
        user.site_id = site_id
        return old, {"site_id": site_id}

    return _change(ctx, username, actor, "set_site", change)


def _lock_state(user: StaffUser) -> dict[str, Any]:
    return {"failed_attempts": user.failed_attempts, "locked_until": user.locked_until}
