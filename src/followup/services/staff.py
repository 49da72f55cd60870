"""Staff accounts: creation with a slow salted hash, and sign-in with a lock-out after repeated
wrong passwords (counted in the database, so restarting the app does not reset it). What admins
do to accounts later (list, disable, reset a password...) is in ``staff_accounts``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from followup.errors import FollowupError, PermissionDenied
from followup.services import audit, security
from followup.services.context import Context
from followup.services.security import hash_secret
from followup.services.sites import require_site
from followup.store.engine import read_session, write_session
from followup.store.locks import take_staff_attempt
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


# Every refused sign-in (unknown or disabled user, wrong password, locked account) in one set of
# words, so nobody can learn which user names exist or are locked.
REFUSED = (
    f"wrong user name or password (after {MAX_FAILURES} wrong passwords in a row an account is "
    f"locked for {LOCK_MINUTES} minutes; an admin can unlock it)"
)


class SignInRefused(FollowupError):
    """A sign-in was refused: wrong name or password, a locked account, no password."""


def require_role(member: StaffMember, roles: tuple[str, ...], doing: str) -> None:
    """Refuse ``member`` unless their role is one of ``roles``; ``doing`` names the action."""
    if member.role not in roles:
        article = "an" if member.role[0] in "aeiou" else "a"
        raise PermissionDenied(
            f"{doing} needs the role {' or '.join(roles)}; "
            f"{member.username!r} is {article} {member.role}"
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
    password_hash = hash_secret(password)  # before the write: other writers need not wait
    with write_session(ctx.engine) as session:
        if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
            raise FollowupError(f"a user named {username!r} already exists")
        if site_id is not None:
            require_site(session, site_id)
        user = StaffUser(
            username=username,
            password_hash=password_hash,
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
    """Check a password. Attempts are counted; the MAX_FAILURES-th wrong one in a row locks the
    account for LOCK_MINUTES. Every refusal has the same words and verifies one hash (a dummy
    one for an unknown, disabled or locked account), so neither the message nor the time says
    whether the user name exists or is locked. An empty password is refused without counting:
    pressing Enter too soon is not a guess. A password hashed by an older scheme or parameters
    is hashed again at the current ones once it is known to be right."""
    if not password:
        raise SignInRefused("enter your password")
    now = ctx.now()
    with write_session(ctx.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        attempt = None
        if user is not None and user.active:
            until = now + timedelta(minutes=LOCK_MINUTES)
            attempt = take_staff_attempt(session, user.id or 0, MAX_FAILURES, now, until)
    checked = user if attempt is not None else None
    # The hash is checked outside the write transaction: SQLite's other writers need not wait.
    if not security.verify_secret(password, checked.password_hash if checked else None):
        if checked is not None:
            with write_session(ctx.engine) as session:
                audit.record(
                    session, at=now, actor=username, action="sign_in_failed",
                    entity="staff_user", entity_id=username,
                )  # fmt: skip
        raise SignInRefused(REFUSED)
    assert checked is not None
    return _signed_in(ctx, checked, password, now)


def _signed_in(ctx: Context, user: StaffUser, password: str, now: datetime) -> StaffMember:
    """Clear the count and the lock of an account whose password was right, and store a hash at
    today's strength if it was made at an older one: unless the account was disabled or its
    password reset in the meantime."""
    stored = user.password_hash
    rehashed = hash_secret(password) if security.needs_rehash(stored) else None
    values: dict[str, object] = {"failed_attempts": 0, "locked_until": None}
    if rehashed is not None:
        values["password_hash"] = rehashed
    with write_session(ctx.engine) as session:
        changed = session.execute(
            update(StaffUser)
            .where(
                StaffUser.id == user.id,  # type: ignore[arg-type]
                StaffUser.active == True,  # noqa: E712
                StaffUser.password_hash == stored,  # type: ignore[arg-type]
            )
            .values(**values)
            .returning(StaffUser.id)
        ).first()
        if changed is None:
            raise SignInRefused(REFUSED)
        if rehashed is not None:
            audit.record(
                session, at=now, actor=user.username, action="rehash_password",
                entity="staff_user", entity_id=user.username,
                old={"scheme": stored.split("$")[1 if stored.startswith("$") else 0]},
                new={"scheme": rehashed.split("$")[1]},
            )  # fmt: skip
    return _member(user)
