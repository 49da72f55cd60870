"""Staff accounts: creation with a slow salted hash, and sign-in with a lock-out after repeated
wrong passwords (counted in the database, so restarting the app does not reset it). What admins
do to accounts later (list, disable, reset a password...) is in ``staff_accounts``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from followup.errors import FollowupError, PermissionDenied
from followup.services import audit
from followup.services.context import Context
from followup.services.security import hash_secret, verify_secret
from followup.services.sites import require_site
from followup.store.engine import read_session, write_session
from followup.store.models import ROLES, StaffUser

MIN_PASSWORD_LENGTH = 8
MAX_FAILURES = 5
LOCK_MINUTES = 15


@dataclass(frozen=True)
class StaffMember:
    """A signed-in (or listed) staff user, as the interfaces see it."""

    id: int
    username: str
    role: str
    site_id: str | None

    @property
    def actor(self) -> str:
        """The name recorded in the audit trail for this member's changes."""
        return self.username

    @property
    def can_review(self) -> bool:
        """Whether the member may decide on flags and see outcomes (clinicians and admins)."""
        return self.role in ("clinician", "admin")


class SignInRefused(FollowupError):
    """A sign-in was refused: wrong name or password, a locked account, no password."""


def require_role(member: StaffMember, roles: tuple[str, ...], doing: str) -> None:
    """Refuse ``member`` unless their role is one of ``roles``; ``doing`` names the action."""
    if member.role not in roles:
        raise PermissionDenied(
            f"{doing} needs the role {' or '.join(roles)}; {member.username!r} is a {member.role}"
        )


def _member(user: StaffUser) -> StaffMember:
    return StaffMember(
        id=user.id or 0, username=user.username, role=user.role, site_id=user.site_id
    )


def check_username(username: str) -> None:
    """Refuse a user name that is empty, too long or holds other than letters, digits, . - _"""
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-" for c in username):
        raise FollowupError("user names are 1-80 letters, digits, dots, dashes or underscores")


def check_role(role: str) -> None:
    """Refuse a role followup does not know."""
    if role not in ROLES:
        raise FollowupError(f"role must be one of: {', '.join(ROLES)}")


def check_password(password: str, *, allow_weak: bool = False) -> None:
    """Refuse a password too short to resist guessing (the demo accounts may be weak)."""
    if not allow_weak and len(password) < MIN_PASSWORD_LENGTH:
        raise FollowupError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(
    ctx: Context,
    username: str,
    password: str,
    role: str,
    actor: str,
    *,
    site_id: str | None = None,
    allow_weak: bool = False,
) -> StaffMember:
    """Create a staff account. Weak passwords are refused except for the demo accounts; a site
    nobody added is refused, saying how to add it."""
    check_username(username)
    check_role(role)
    check_password(password, allow_weak=allow_weak)
    with write_session(ctx.engine) as session:
        if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
            raise FollowupError(f"a user named {username!r} already exists")
        if site_id is not None:
            require_site(session, site_id)
        user = StaffUser(
            username=username,
            password_hash=hash_secret(password),
            role=role,
            site_id=site_id,
            created_at=ctx.now(),
            created_by=actor,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            at=ctx.now(),
            actor=actor,
            action="create",
            entity="staff_user",
            entity_id=username,
            new={"username": username, "role": role, "site_id": site_id},
        )
        return _member(user)


def has_admin(ctx: Context) -> bool:
    """Whether an active admin account exists."""
    with read_session(ctx.engine) as session:
        query = select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active == True)  # noqa: E712
        return session.exec(query).first() is not None


def has_staff(ctx: Context) -> bool:
    """Whether any staff account exists yet: without one, the sign-in screen says how to create
    the first (``followup init --admin NAME``)."""
    with read_session(ctx.engine) as session:
        return session.exec(select(StaffUser.id).limit(1)).first() is not None


def user_exists(ctx: Context, username: str) -> bool:
    """Whether an account of that name exists (active or not)."""
    with read_session(ctx.engine) as session:
        return (
            session.exec(select(StaffUser.id).where(StaffUser.username == username)).first()
            is not None
        )


def sign_in(ctx: Context, username: str, password: str) -> StaffMember:
    """Check a password. Wrong ones are counted; after MAX_FAILURES the account locks for
    LOCK_MINUTES. The message never says whether the user name exists. An empty password is
    refused without counting: pressing Enter too soon is not a guess."""
    if not password:
        raise SignInRefused("enter your password")
    refused = SignInRefused("wrong user name or password")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        if user is None or not user.active:
            # Same cost as a real check, so timing does not reveal which names exist.
            verify_secret(password, hash_secret("x"))
            raise refused
        if user.locked_until is not None and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            raise SignInRefused(
                f"too many wrong passwords: this account is locked for {minutes} more minute(s)"
            )
        if not verify_secret(password, user.password_hash):
            user.failed_attempts += 1
            if user.failed_attempts >= MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_attempts = 0
            session.add(user)
            audit.record(
                session,
                at=now,
                actor=username,
                action="sign_in_failed",
                entity="staff_user",
                entity_id=username,
            )
            session.commit()
            raise refused
        user.failed_attempts = 0
        user.locked_until = None
        session.add(user)
        return _member(user)
