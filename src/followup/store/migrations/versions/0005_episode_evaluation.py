"""Incremental whole-cohort evaluation: each episode's stable range, and the last evaluation's
audit mark and rules. The treatment index gains the ID, so the call list reads each knee's
latest treatment from the index alone. The index on flag status goes: SQLite chose it for "the
open flags of these episodes" and scanned every open flag of the cohort, where the unique index
of open flags by episode answers directly (and serves "every open flag" as well).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_treatment_patient_knee_date_id",
        "treatment",
        ["patient_id", "knee", "treated_on", "id"],
        unique=False,
    )
    op.drop_index("ix_treatment_patient_knee_date", table_name="treatment")
    op.drop_index("ix_flag_status", table_name="flag")
    op.create_table(
        "episode_evaluation",
        sa.Column("treatment_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("stable_from", sa.Date(), nullable=True),
        sa.Column("stable_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["treatment_id"], ["treatment.id"]),
        sa.PrimaryKeyConstraint("treatment_id"),
    )
    op.create_table(
        "cohort_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_mark", sa.Integer(), nullable=False),
        sa.Column("rules_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("evaluated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.create_index("ix_flag_status", "flag", ["status"], unique=False)
    op.create_index(
        "ix_treatment_patient_knee_date",
        "treatment",
        ["patient_id", "knee", "treated_on"],
        unique=False,
    )
    op.drop_index("ix_treatment_patient_knee_date_id", table_name="treatment")
    op.drop_table("cohort_evaluation")
    op.drop_table("episode_evaluation")
