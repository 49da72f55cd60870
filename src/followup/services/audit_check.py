"""Checking the audit trail is intact (``followup audit verify``) and putting its protective
triggers back (``followup init``). Messages name event IDs and trigger names only, never an
event's contents."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from followup.store import audit_guards
from followup.store.audit_chain import check_chain


@dataclass(frozen=True)
class TrailCheck:
    """What ``followup audit verify`` found: the events checked, the first broken one (if
    any), the triggers not in place and why, and the latest event's hash."""

    events: int
    broken_id: int | None
    problem: str | None
    guard_problems: dict[str, str] = field(default_factory=dict)
    last_id: int | None = None
    last_hash: str | None = None

    @property
    def intact(self) -> bool:
        """Whether the chain verified and every protective trigger is in place."""
        return self.broken_id is None and not self.guard_problems

    def lines(self) -> list[str]:
        """The verdict as the command prints it."""
        if self.intact:
            out = [f"audit trail intact: {self.events} events, chain verified, triggers present"]
            if self.last_id is not None:
                out.append(
                    f"latest event {self.last_id}, hash {self.last_hash} (keep it elsewhere: "
                    "a later check that does not reach it shows the latest events were removed)"
                )
            return out
        out = []
        if self.broken_id is not None:
            out.append(f"audit trail broken at event {self.broken_id}: {self.problem}")
        else:
            out.append(f"audit trail chain verified: {self.events} events")
        for name, why in sorted(self.guard_problems.items()):
            out.append(
                f"audit trail unprotected: trigger {name} is {why}; "
                "run `followup init` to restore it"
            )
        return out


def verify_trail(engine: Engine) -> TrailCheck:
    """Recompute the hash chain over every event and check the protective triggers."""
    with engine.connect() as conn:
        chain = check_chain(conn)
        guards = audit_guards.guard_problems(conn)
    return TrailCheck(
        events=chain.events,
        broken_id=chain.broken_id,
        problem=chain.problem,
        guard_problems=guards,
        last_id=chain.last_id,
        last_hash=chain.last_hash,
    )


def restore_guards(engine: Engine) -> list[str]:
    """Put back the protective triggers that are missing, altered or disabled; their names."""
    with engine.begin() as conn:
        return audit_guards.restore_guards(conn)
