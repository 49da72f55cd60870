"""Partial index covering the call list's read of valid assessment dates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALID = "entered_in_error = false AND total_score IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_assessment_valid_dates",
        "assessment",
        ["patient_id", "knee", "assessed_on"],
        unique=False,
        sqlite_where=sa.text(VALID),
        postgresql_where=sa.text(VALID),
    )


def downgrade() -> None:
    op.drop_index("ix_assessment_valid_dates", table_name="assessment")
