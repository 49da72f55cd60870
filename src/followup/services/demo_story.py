"""The demo's review-meeting story, played through the app's own services on the days it
happened, so the demo shows what a clinic's weeks leave behind (issue 13):

- ``booster_scheduled``: a knee whose relief wore off is decided "booster scheduled" at the next
  weekly meeting, with the day booked; on that day the booster is recorded, from a banked dose,
  and the earlier episode's flag closes as superseded.
- ``reopened``: a wear-off flag is dismissed at the meeting ("sore after gardening") and reopened
  when a call finds the pain has not settled (two weeks after the meeting, or two days before the
  demo's day if that is later); the flag is back in the review queue and in this week's packet.

demo.toml names the knees (``[story.NAME]``: patient_id, knee, treatment_id); the days follow
from the day the rules raised the flag, so the story holds for any demo the generator writes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from followup.domain.flags import evaluate_episode
from followup.services.context import Context
from followup.services.decide import decide, reopen
from followup.services.evaluate_flags import reevaluate_knee
from followup.services.record_treatment import booster_suggestion, record_treatment
from followup.services.review_queue import open_flags
from followup.store.engine import read_session, write_session
from followup.store.episodes import knee_episodes

CLINICIAN = "doctor"
MEETING_AFTER_DAYS = 3  # the weekly review meeting after the flag was raised
BOOSTER_AFTER_DAYS = 14  # the booked booster day, after the meeting
REOPEN_AFTER_DAYS = 14  # the call that found the pain had not settled, after the meeting
REOPENED_DAYS_AGO = 2  # at the latest: this week's packet has the reopened flag to decide again


def _on(ctx: Context, day: date, hour: int = 10) -> Context:
    """The context with its clock on ``day`` (UTC), for what happened that day."""
    moment = datetime.combine(day, time(hour), tzinfo=UTC)
    return Context(replace(ctx.settings, clock=lambda: moment), ctx.engine)


def _raised_on(ctx: Context, knee: dict[str, Any]) -> date | None:
    """The day the rules raise the knee's wear-off flag (as of today), if they do."""
    with read_session(ctx.engine) as session:
        episodes = knee_episodes(session.connection(), knee["patient_id"], knee["knee"], ctx.rules)
    for episode in episodes:
        if episode.treatment.id != knee["treatment_id"]:
            continue
        for finding in evaluate_episode(episode, ctx.today(), ctx.rules):
            if finding.kind == "wearing_off":
                return finding.raised_on
    return None


def _flag_at_meeting(ctx: Context, knee: dict[str, Any], meeting: date) -> int | None:
    """The wear-off flag as the meeting saw it: the knee evaluated on that day."""
    then = _on(ctx, meeting, hour=8)
    with write_session(then.engine) as session:
        reevaluate_knee(session, then, knee["patient_id"], knee["knee"])
    return next(
        (
            f.id
            for f in open_flags(then, patient_id=knee["patient_id"])
            if f.treatment_id == knee["treatment_id"] and f.kind == "wearing_off"
        ),
        None,
    )


def play_stories(ctx: Context, stories: dict[str, dict[str, Any]]) -> list[str]:
    """Play each story named in demo.toml whose knee the rules flag; what was done, in words.
    A story whose days would fall after today is left out (a demo loaded long before its
    anchor)."""
    done = []
    for name, knee in stories.items():
        raised = _raised_on(ctx, knee)
        if raised is None:
            continue
        meeting = raised + timedelta(days=MEETING_AFTER_DAYS)
        later = meeting + timedelta(days=BOOSTER_AFTER_DAYS)
        if later >= ctx.today():
            continue
        flag_id = _flag_at_meeting(ctx, knee, meeting)
        if flag_id is None:
            continue
        if name == "booster_scheduled":
            decide(_on(ctx, meeting), flag_id, "booster_scheduled",
                   "Relief wearing off after a good year; booster from a banked dose booked.",
                   CLINICIAN, until=later)  # fmt: skip
            given = _on(ctx, later, hour=11)
            draft = booster_suggestion(given, knee["patient_id"], knee["knee"], later)
            if draft is not None:
                record_treatment(given, draft, CLINICIAN)
                done.append(f"{knee['patient_id']}: booster scheduled and recorded")
        elif name == "reopened":
            decide(_on(ctx, meeting), flag_id, "dismissed",
                   "Knee sore after a weekend of gardening; expect it to settle.",
                   CLINICIAN)  # fmt: skip
            reopened_on = max(
                meeting + timedelta(days=REOPEN_AFTER_DAYS),
                ctx.today() - timedelta(days=REOPENED_DAYS_AGO),
            )
            reopen(_on(ctx, reopened_on), flag_id,
                   "Pain had not settled at the follow-up call: back to the review.",
                   CLINICIAN)  # fmt: skip
            done.append(f"{knee['patient_id']}: decision dismissed, then reopened")
    return done
