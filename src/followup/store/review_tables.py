"""The tables of the flag workflow: flags and the stored results of evaluating each episode
(its stable range and current call), the last whole-cohort evaluation, review decisions, and the
weekly packets with the flags they carried. All of it is derived from the clinical records or
records a clinician's decision about them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from followup.domain.records import DECISIONS, LEVELS
from followup.store.fields import one_of

FLAG_STATUSES = ("open", "closed", "cleared")
# A decision in force, or ended by an amended decision or by reopening its flag.
DECISION_STATUSES = ("in_force", "amended", "reopened")


class Flag(SQLModel, table=True):
    """A flag raised on one episode (identified by its treatment) of one kind. Decided flags are
    closed; a flag whose evidence no longer holds on re-evaluation is cleared."""

    __table_args__ = (
        one_of("level", LEVELS, "ck_flag_level"),
        one_of("status", FLAG_STATUSES, "ck_flag_status"),
        Index("ix_flag_treatment_kind", "treatment_id", "kind"),
        Index("ix_flag_patient_status", "patient_id", "status"),
        # At most one open flag per episode and kind.
        Index(
            "uq_flag_open_episode_kind",
            "treatment_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    treatment_id: str = Field(foreign_key="treatment.id", max_length=40)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    knee: str = Field(max_length=5)
    kind: str = Field(max_length=40)
    level: str = Field(max_length=10)
    status: str = Field(default="open", max_length=10)
    raised_on: date
    booster_check_by: date | None = None
    summary: str = Field(sa_column=Column(Text, nullable=False))
    evidence: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    rule_set_version: str = Field(max_length=40)
    evaluated_as_of: date
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    # Why a cleared flag was cleared ("superseded by treatment T00123 on 2026-05-01").
    closed_reason: str | None = Field(default=None, sa_column=Column(Text))


class EpisodeEvaluation(SQLModel, table=True):
    """An episode's last evaluated result beyond its flags: its current call (the worklist reads
    its pages from these rows) and the days on which the result holds
    (domain.flags.stable_range). A whole-cohort evaluation re-runs only the episodes whose data
    changed since the last one or whose range does not hold the new "as of" day. NULL days:
    unbounded on that side; NULL call: nothing to call about."""

    __tablename__ = "episode_evaluation"
    __table_args__ = (
        Index("ix_episode_evaluation_call_window", "call_window_start", "call_due_on"),
    )

    treatment_id: str = Field(primary_key=True, foreign_key="treatment.id", max_length=40)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    knee: str = Field(max_length=5)
    stable_from: date | None = None
    stable_until: date | None = None
    call_timepoint: str | None = Field(default=None, max_length=20)
    call_due_on: date | None = None
    call_window_start: date | None = None
    call_window_end: date | None = None
    call_reason: str | None = Field(default=None, sa_column=Column(Text))


class CohortEvaluation(SQLModel, table=True):
    """The last whole-cohort evaluation (one row): the audit event it saw last, so changes
    since are known, and the rules it used, so a change of rules re-runs every episode."""

    __tablename__ = "cohort_evaluation"

    id: int = Field(primary_key=True)
    audit_mark: int
    rules_key: str = Field(max_length=64)
    as_of: date
    evaluated_at: datetime


class ReviewDecision(SQLModel, table=True):
    """A clinician's decision on a flag, with its note. A decision is never changed: amending
    or reopening ends it (``status``, who, when and why) and the audit trail keeps both; only
    decisions ``in_force`` reach the rules. ``until``: the day a ``booster_scheduled`` decision
    holds its flag closed to (the rules' default when None)."""

    __tablename__ = "review_decision"
    __table_args__ = (
        one_of("decision", DECISIONS, "ck_review_decision_decision"),
        one_of("status", DECISION_STATUSES, "ck_review_decision_status"),
        Index("ix_review_decision_status_decided_at", "status", "decided_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="flag.id", index=True)
    decision: str = Field(max_length=30)
    note: str = Field(sa_column=Column(Text, nullable=False))
    reviewer: str = Field(max_length=120)
    decided_at: datetime
    until: date | None = None
    status: str = Field(
        default="in_force", max_length=10, sa_column_kwargs={"server_default": "in_force"}
    )
    ended_at: datetime | None = None
    ended_by: str | None = Field(default=None, max_length=120)
    ended_reason: str | None = Field(default=None, sa_column=Column(Text))


# How a packet carried a flag: a section with its chart, a row of the watch table, or, beyond
# the packet's cap, deferred to the next packet (so a capped flag is never dropped unseen).
PACKET_SECTIONS = ("full", "table", "deferred")


class ReviewPacketRecord(SQLModel, table=True):
    """A weekly review packet as written: when it was made, by whom, for which day, and from
    when it counted flags as new. The next packet covers what changed after ``made_at``."""

    __tablename__ = "review_packet"
    __table_args__ = (Index("ix_review_packet_made_at", "made_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    made_at: datetime
    as_of: date
    made_by: str = Field(max_length=120)
    covers_from: datetime
    flag_count: int


class ReviewPacketFlag(SQLModel, table=True):
    """A flag a packet carried: as a ``full`` section with its chart, as a ``table`` row, or
    ``deferred`` to the next packet because the packet was full."""

    __tablename__ = "review_packet_flag"
    __table_args__ = (
        one_of("section", PACKET_SECTIONS, "ck_review_packet_flag_section"),
        # "Was this flag in an earlier packet?" is asked by flag.
        Index("ix_review_packet_flag_flag", "flag_id"),
    )

    packet_id: int = Field(primary_key=True, foreign_key="review_packet.id")
    flag_id: int = Field(primary_key=True, foreign_key="flag.id")
    section: str = Field(max_length=10)
