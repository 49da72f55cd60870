"""SQLModel tables. Every range is backed by a CHECK constraint: table models do not validate on
construction, so the database is the last line of defence for clinical values.

Dates are stored as ISO dates; timestamps are timezone-aware and stored in UTC. Patients and
treatments are keyed by the clinic's own identifiers (``P0001``, ``T00001``) so exports and
imports line up with their files.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from followup.domain.instrument import ITEM_KEYS
from followup.domain.records import (
    CONTACT_OUTCOMES,
    DECISIONS,
    KNEES,
    LEVELS,
    PRODUCTS,
    ROUTES,
    SOURCES,
)

ROLES = ("coordinator", "clinician", "admin")
SEXES = ("F", "M", "X")
ACTIVITIES = ("low", "moderate", "high_impact")
FLAG_STATUSES = ("open", "closed", "cleared")


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def between(column: str, low: float, high: float, name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} BETWEEN {low} AND {high})", name=name)


class Site(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)


class Patient(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("sex IS NULL OR sex IN ('F', 'M', 'X')", name="ck_patient_sex"),
        CheckConstraint(
            "activity IS NULL OR activity IN ('low', 'moderate', 'high_impact')",
            name="ck_patient_activity",
        ),
        between("bmi", 10, 90, "ck_patient_bmi"),
        # Search walks this index in order and stops at the limit; (search_name, id) is also
        # the order results are shown in.
        Index("ix_patient_search_name", "search_name", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    # ``name`` as search compares it (followup.domain.names.search_form), written with the name.
    # Unbounded: decomposing can make it longer than the name.
    search_name: str = Field(sa_column_kwargs={"server_default": ""})
    birth_date: date
    sex: str | None = Field(default=None, max_length=1)
    phone: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    site_id: str | None = Field(default=None, foreign_key="site.id", index=True)
    smoker: bool | None = None
    diabetes: bool | None = None
    bmi: float | None = None
    activity: str | None = Field(default=None, max_length=20)
    created_at: datetime
    created_by: str = Field(max_length=120)


class Treatment(SQLModel, table=True):
    __table_args__ = (
        one_of("knee", KNEES, "ck_treatment_knee"),
        one_of("product", PRODUCTS, "ck_treatment_product"),
        one_of("route", ROUTES, "ck_treatment_route"),
        between("kl_grade", 1, 4, "ck_treatment_kl_grade"),
        between("cells_millions", 0, 100000, "ck_treatment_cells"),
        between("banked_doses", 0, 100, "ck_treatment_banked_doses"),
        # With the ID: each knee's latest treatment is read from the index alone (the call list).
        Index("ix_treatment_patient_knee_date_id", "patient_id", "knee", "treated_on", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    knee: str = Field(max_length=5)
    treated_on: date
    product: str = Field(max_length=30)
    cells_millions: float | None = None
    route: str = Field(default="intra_articular", max_length=20)
    kl_grade: int | None = None
    booster_of: str | None = Field(default=None, foreign_key="treatment.id", max_length=40)
    banked_doses: int | None = None
    created_at: datetime
    created_by: str = Field(max_length=120)


def _item_checks() -> list[CheckConstraint]:
    return [between(key, 0, 4, f"ck_assessment_{key}") for key in ITEM_KEYS]


class Assessment(SQLModel, table=True):
    """One WOMAC-style form about one knee. Raw sums and normalised scores are stored as computed
    at entry, with the instrument version, so later wording changes never rewrite history."""

    __table_args__ = (
        one_of("knee", KNEES, "ck_assessment_knee"),
        one_of("source", SOURCES, "ck_assessment_source"),
        *_item_checks(),
        between("pain_nrs", 0, 10, "ck_assessment_pain_nrs"),
        between("patient_global", 0, 100, "ck_assessment_patient_global"),
        between("pain_score", 0, 100, "ck_assessment_pain_score"),
        between("stiffness_score", 0, 100, "ck_assessment_stiffness_score"),
        between("function_score", 0, 100, "ck_assessment_function_score"),
        between("total_score", 0, 100, "ck_assessment_total_score"),
        between("pain_raw", 0, 20, "ck_assessment_pain_raw"),
        between("stiffness_raw", 0, 8, "ck_assessment_stiffness_raw"),
        between("function_raw", 0, 68, "ck_assessment_function_raw"),
        between("total_raw", 0, 96, "ck_assessment_total_raw"),
        between("answered", 0, 24, "ck_assessment_answered"),
        between("imputed", 0, 24, "ck_assessment_imputed"),
        CheckConstraint(
            "entered_in_error = false OR error_reason IS NOT NULL",
            name="ck_assessment_error_reason",
        ),
        Index("ix_assessment_patient_knee_date", "patient_id", "knee", "assessed_on"),
        # Covers the call list's read of valid assessment dates: an index-only scan.
        Index(
            "ix_assessment_valid_dates",
            "patient_id",
            "knee",
            "assessed_on",
            sqlite_where=text("entered_in_error = false AND total_score IS NOT NULL"),
            postgresql_where=text("entered_in_error = false AND total_score IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    knee: str = Field(max_length=5)
    assessed_on: date
    source: str = Field(max_length=20)
    p1: int | None = None
    p2: int | None = None
    p3: int | None = None
    p4: int | None = None
    p5: int | None = None
    s1: int | None = None
    s2: int | None = None
    f1: int | None = None
    f2: int | None = None
    f3: int | None = None
    f4: int | None = None
    f5: int | None = None
    f6: int | None = None
    f7: int | None = None
    f8: int | None = None
    f9: int | None = None
    f10: int | None = None
    f11: int | None = None
    f12: int | None = None
    f13: int | None = None
    f14: int | None = None
    f15: int | None = None
    f16: int | None = None
    f17: int | None = None
    pain_nrs: int | None = None
    patient_global: int | None = None
    adverse_event: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, sa_column=Column(Text))
    instrument_version: str = Field(max_length=40)
    pain_raw: float | None = None
    stiffness_raw: float | None = None
    function_raw: float | None = None
    total_raw: float | None = None
    pain_score: float | None = None
    stiffness_score: float | None = None
    function_score: float | None = None
    total_score: float | None = None
    answered: int
    imputed: int
    entered_in_error: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    error_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = Field(max_length=120)


class Contact(SQLModel, table=True):
    """A call attempt (or other contact) with a patient. ``contacted_at`` is stored in UTC; the
    offset the caller recorded is kept so the local time of the call can be shown."""

    __table_args__ = (
        one_of("outcome", CONTACT_OUTCOMES, "ck_contact_outcome"),
        Index("ix_contact_patient_at", "patient_id", "contacted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    contacted_at: datetime
    utc_offset_minutes: int | None = None
    outcome: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = Field(max_length=120)


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"
    __table_args__ = (one_of("role", ROLES, "ck_staff_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    site_id: str | None = Field(default=None, foreign_key="site.id")
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime
    created_by: str = Field(max_length=120)


class PatientCode(SQLModel, table=True):
    """A self-report access code. Only the hash is stored. Failed attempts are counted on the code
    (per patient, in the database) so restarting a kiosk does not reset them; a new code replaces
    the old one and clears the lock."""

    __tablename__ = "patient_code"
    __table_args__ = (Index("ix_patient_code_patient", "patient_id", "issued_at"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    code_hash: str = Field(max_length=300)
    issued_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    failed_attempts: int = 0
    last_failed_at: datetime | None = None
    issued_by: str = Field(max_length=120)


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


class EpisodeEvaluation(SQLModel, table=True):
    """The days on which an episode's last evaluated findings hold (domain.flags.stable_range):
    a whole-cohort evaluation re-runs only the episodes whose data changed since the last one
    or whose range does not hold the new "as of" day. NULL: unbounded on that side."""

    __tablename__ = "episode_evaluation"

    treatment_id: str = Field(primary_key=True, foreign_key="treatment.id", max_length=40)
    patient_id: str = Field(foreign_key="patient.id", max_length=40)
    stable_from: date | None = None
    stable_until: date | None = None


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
    __tablename__ = "review_decision"
    __table_args__ = (one_of("decision", DECISIONS, "ck_review_decision_decision"),)

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="flag.id", index=True)
    decision: str = Field(max_length=30)
    note: str = Field(sa_column=Column(Text, nullable=False))
    reviewer: str = Field(max_length=120)
    decided_at: datetime


PACKET_SECTIONS = ("full", "table")


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
    """A flag a packet showed: as a ``full`` section with its chart, or as a ``table`` row."""

    __tablename__ = "review_packet_flag"
    __table_args__ = (
        one_of("section", PACKET_SECTIONS, "ck_review_packet_flag_section"),
        # "Was this flag in an earlier packet?" is asked by flag.
        Index("ix_review_packet_flag_flag", "flag_id"),
    )

    packet_id: int = Field(primary_key=True, foreign_key="review_packet.id")
    flag_id: int = Field(primary_key=True, foreign_key="flag.id")
    section: str = Field(max_length=10)


class AuditEvent(SQLModel, table=True):
    """Append-only: database triggers reject UPDATE and DELETE on this table."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_patient", "patient_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str = Field(max_length=120)  # shown as "user"; "user" is reserved in PostgreSQL
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=80)
    patient_id: str | None = Field(default=None, max_length=40)
    old: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    new: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    reason: str | None = Field(default=None, sa_column=Column(Text))


__all__ = [
    "Assessment",
    "AuditEvent",
    "Contact",
    "Flag",
    "Patient",
    "PatientCode",
    "ReviewDecision",
    "ReviewPacketRecord",
    "ReviewPacketFlag",
    "Site",
    "StaffUser",
    "Treatment",
]
