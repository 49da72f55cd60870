"""The day the cohort's stored flags and calls stand on, and the check that a command's
``--as-of`` does not go back before it.

The flags and calls are stored as the rules give them on one day (the last whole-cohort
evaluation's "as of"). Evaluating an earlier day would clear every flag raised since (its
evidence did not exist yet) and store that; the next run would raise them again under new
numbers, so the numbers printed in a packet or typed into ``decide`` would name cleared flags.
"""

from __future__ import annotations

from datetime import date

from followup.errors import FollowupError
from followup.services.context import Context
from followup.store.bulk import driver_rows
from followup.store.engine import read_session
from followup.store.episodes import DateCache


class EarlierThanEvaluated(FollowupError):
    """An evaluation was asked for as of a day before the one the stored flags stand on."""


def evaluated_as_of(ctx: Context) -> date | None:
    """The day of the last whole-cohort evaluation (None before the first one)."""
    with read_session(ctx.engine) as session:
        rows = list(driver_rows(session.connection(), "SELECT as_of FROM cohort_evaluation"))
    return DateCache()[rows[0][0]] if rows else None


def check_not_before_evaluated(ctx: Context, as_of: date) -> None:
    """Refuse (EarlierThanEvaluated) an evaluation as of a day before the stored one."""
    stored = evaluated_as_of(ctx)
    if stored is not None and as_of < stored:
        raise EarlierThanEvaluated(
            f"{as_of.isoformat()} is before {stored.isoformat()}, the day the stored flags and "
            "calls were last evaluated as of: evaluating an earlier day would clear the flags "
            "raised since, and they would come back under new numbers. Give "
            f"{stored.isoformat()} or a later day"
        )
