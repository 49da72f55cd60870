"""SQLModel tables and the models that validate what goes into them.

Each value range is stated once, on a base model's field (``PatientBase``, ``TreatmentBase``,
``AssessmentBase``, ``ContactBase``): the tables inherit the fields, their CHECK constraints are
derived from them (``fields.check_constraints``), and so are the CSV import's checks and the
entry forms' (``fields.validate``). Table models do not validate on construction, so the
database is the last line of defence for clinical values.

Dates are stored as ISO dates; timestamps are timezone-aware and stored in UTC. Patients and
treatments are keyed by the clinic's own identifiers (``P0001``, ``T00001``) so exports and
imports line up with their files.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from followup.domain.records import (
    CONTACT_OUTCOMES,
    KNEES,
    PRODUCTS,
    ROUTES,
    SOURCES,
)
from followup.store.fields import (
    CLINIC_ID,
    Lines,
    Matches,
    OneOf,
    SingleLine,
    TimeZoneName,
    check_constraints,
    one_of,
)

ROLES = ("coordinator", "clinician", "admin")
SEXES = ("F", "M", "X")
ACTIVITIES = ("low", "moderate", "high_impact")
# The longest free text (a note, an adverse event) a form or a file may hold.
MAX_TEXT = 2000
# The width of an ID column; what an ID may hold (1-32 characters) is CLINIC_ID's rule.
ID_LENGTH = 40
# A patient's, treatment's or site's ID, checked by CLINIC_ID wherever it comes in.
ClinicIdText = Annotated[str, CLINIC_ID]

Item = Annotated[int | None, Field(default=None, ge=0, le=4)]
# An IETF language tag (BCP 47) in its common forms: en, ja, es-419, pt-BR, zh-Hant-TW.
LANGUAGE_TAG = Matches(
    r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", "an IETF language tag like en, ja, es or pt-BR"
)


class Site(SQLModel, table=True):
    """A clinic site; staff accounts and patients may belong to one."""

    __table_args__ = (CLINIC_ID.constraint("id", "ck_site_id"),)

    id: ClinicIdText = Field(primary_key=True, max_length=ID_LENGTH)
    name: Annotated[str, SingleLine()] = Field(max_length=200)


class PatientBase(SQLModel):
    """A patient's details and risk factors as staff enter them."""

    name: Annotated[str, SingleLine()] = Field(min_length=1, max_length=200)
    birth_date: date
    sex: Annotated[str | None, OneOf(SEXES)] = Field(default=None, max_length=1)
    phone: Annotated[str | None, SingleLine()] = Field(default=None, max_length=60)
    email: Annotated[str | None, SingleLine()] = Field(default=None, max_length=200)
    timezone: Annotated[str | None, TimeZoneName()] = Field(default=None, max_length=64)
    language: Annotated[str | None, LANGUAGE_TAG] = Field(default=None, max_length=35)
    smoker: bool | None = None
    diabetes: bool | None = None
    bmi: float | None = Field(default=None, ge=10, le=90)
    activity: Annotated[str | None, OneOf(ACTIVITIES)] = Field(default=None, max_length=20)


class Patient(PatientBase, table=True):
    """A patient of the clinic (the table; validation lives on PatientBase)."""

    __table_args__ = (
        *check_constraints(PatientBase, "patient"),
        CLINIC_ID.constraint("id", "ck_patient_id"),
        # Search walks this index in order and stops at the limit; (search_name, id) is also
        # the order results are shown in.
        Index("ix_patient_search_name", "search_name", "id"),
    )

    id: ClinicIdText = Field(primary_key=True, max_length=ID_LENGTH)
    # ``name`` as search compares it (followup.domain.names.search_form), written with the name.
    # Unbounded: decomposing can make it longer than the name.
    search_name: str = Field(sa_column_kwargs={"server_default": ""})
    site_id: str | None = Field(default=None, foreign_key="site.id", index=True)
    created_at: datetime
    created_by: str = Field(max_length=120)


class TreatmentBase(SQLModel):
    """One injection into one knee on one date, as staff enter it."""

    knee: Annotated[str, OneOf(KNEES)] = Field(max_length=5)
    treated_on: date
    product: Annotated[str, OneOf(PRODUCTS)] = Field(max_length=30)
    cells_millions: float | None = Field(default=None, ge=0, le=100000)
    route: Annotated[str, OneOf(ROUTES)] = Field(default="intra_articular", max_length=20)
    kl_grade: int | None = Field(default=None, ge=1, le=4)
    banked_doses: int | None = Field(default=None, ge=0, le=100)


class Treatment(TreatmentBase, table=True):
    """A treatment as recorded. A wrongly entered one is marked entered in error with a reason,
    never deleted; the rules then no longer see it."""

    __table_args__ = (
        *check_constraints(TreatmentBase, "treatment", {"cells_millions": "ck_treatment_cells"}),
        CLINIC_ID.constraint("id", "ck_treatment_id"),
        CheckConstraint(
            "entered_in_error = false OR error_reason IS NOT NULL",
            name="ck_treatment_error_reason",
        ),
        # With the ID: each knee's latest treatment is read from the index alone (the call list).
        Index("ix_treatment_patient_knee_date_id", "patient_id", "knee", "treated_on", "id"),
    )

    id: ClinicIdText = Field(primary_key=True, max_length=ID_LENGTH)
    patient_id: ClinicIdText = Field(foreign_key="patient.id", max_length=ID_LENGTH)
    booster_of: Annotated[str | None, CLINIC_ID] = Field(
        default=None, foreign_key="treatment.id", max_length=ID_LENGTH
    )
    entered_in_error: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    error_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = Field(max_length=120)


class AssessmentBase(SQLModel):
    """One WOMAC-style form about one knee as entered: the 24 answers (0-4, None when declined)
    and the optional extras."""

    knee: Annotated[str, OneOf(KNEES)] = Field(max_length=5)
    assessed_on: date
    source: Annotated[str, OneOf(SOURCES)] = Field(max_length=20)
    p1: Item
    p2: Item
    p3: Item
    p4: Item
    p5: Item
    s1: Item
    s2: Item
    f1: Item
    f2: Item
    f3: Item
    f4: Item
    f5: Item
    f6: Item
    f7: Item
    f8: Item
    f9: Item
    f10: Item
    f11: Item
    f12: Item
    f13: Item
    f14: Item
    f15: Item
    f16: Item
    f17: Item
    pain_nrs: int | None = Field(default=None, ge=0, le=10)
    patient_global: int | None = Field(default=None, ge=0, le=100)
    # Free text may hold line breaks (paper forms and REDCap carry them); the terminal's
    # one-line entry fields refuse a pasted paragraph themselves, never cutting it.
    adverse_event: Annotated[str | None, Lines()] = Field(
        default=None, max_length=MAX_TEXT, sa_type=Text
    )
    note: Annotated[str | None, Lines()] = Field(default=None, max_length=MAX_TEXT, sa_type=Text)


class AssessmentScores(SQLModel):
    """The scores computed at entry (raw sums, normalised 0-100, answered and imputed counts)."""

    pain_raw: float | None = Field(default=None, ge=0, le=20)
    stiffness_raw: float | None = Field(default=None, ge=0, le=8)
    function_raw: float | None = Field(default=None, ge=0, le=68)
    total_raw: float | None = Field(default=None, ge=0, le=96)
    pain_score: float | None = Field(default=None, ge=0, le=100)
    stiffness_score: float | None = Field(default=None, ge=0, le=100)
    function_score: float | None = Field(default=None, ge=0, le=100)
    total_score: float | None = Field(default=None, ge=0, le=100)
    answered: int = Field(ge=0, le=24)
    imputed: int = Field(ge=0, le=24)


class Assessment(AssessmentBase, AssessmentScores, table=True):
    """One form about one knee. Raw sums and normalised scores are stored as computed at entry,
    with the instrument version, so later wording changes never rewrite history."""

    __table_args__ = (
        *check_constraints(AssessmentBase, "assessment"),
        *check_constraints(AssessmentScores, "assessment"),
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
    patient_id: ClinicIdText = Field(foreign_key="patient.id", max_length=ID_LENGTH)
    instrument_version: str = Field(max_length=40)
    entered_in_error: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    error_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = Field(max_length=120)


class ContactBase(SQLModel):
    """A call attempt (or other contact) with a patient, as logged."""

    outcome: Annotated[str, OneOf(CONTACT_OUTCOMES)] = Field(max_length=20)
    note: Annotated[str | None, Lines()] = Field(default=None, max_length=MAX_TEXT, sa_type=Text)


class Contact(ContactBase, table=True):
    """``contacted_at`` is stored in UTC; the offset the caller recorded is kept so the local
    time of the call can be shown."""

    __table_args__ = (
        *check_constraints(ContactBase, "contact"),
        Index("ix_contact_patient_at", "patient_id", "contacted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: ClinicIdText = Field(foreign_key="patient.id", max_length=ID_LENGTH)
    contacted_at: datetime
    utc_offset_minutes: int | None = None
    created_at: datetime
    created_by: str = Field(max_length=120)


class StaffUser(SQLModel, table=True):
    """A staff account: role, site, password hash and lockout state."""

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


class AuditEvent(SQLModel, table=True):
    """Append-only: database triggers reject UPDATE and DELETE on this table (store.audit_guards),
    and each event's ``hash`` chains it to the one before (store.audit_chain)."""

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
    hash: str | None = Field(default=None, max_length=64)


# The workflow's tables live beside the clinical ones; importing them here registers them.
from followup.store.review_tables import (  # noqa: E402
    FLAG_STATUSES,
    CohortEvaluation,
    EpisodeEvaluation,
    Flag,
    ReviewDecision,
    ReviewPacketFlag,
    ReviewPacketRecord,
)

__all__ = [
    "FLAG_STATUSES",
    "CohortEvaluation",
    "EpisodeEvaluation",
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
