"""Rule set 2026.2's workflow: a review decision can be amended or reopened (it is ended, with who,
when and why, never changed) and a booster decision can state the day it holds its flag closed
to; a cleared flag says why (superseded by a later treatment); a wrongly entered treatment is
marked entered in error with a reason instead of being deleted. The stored evaluation results
are derived data: they are emptied so the next evaluation runs the new rules on every episode.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_decision") as batch:
        batch.add_column(sa.Column("until", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="in_force",
            )
        )
        batch.add_column(sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch.add_column(sa.Column("ended_reason", sa.Text(), nullable=True))
        batch.create_check_constraint(
            "ck_review_decision_status", "status IN ('in_force', 'amended', 'reopened')"
        )
    op.create_index(
        "ix_review_decision_status_decided_at", "review_decision", ["status", "decided_at"]
    )
    with op.batch_alter_table("flag") as batch:
        batch.add_column(sa.Column("closed_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("treatment") as batch:
        batch.add_column(
            sa.Column(
                "entered_in_error", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )
        batch.add_column(sa.Column("error_reason", sa.Text(), nullable=True))
        batch.create_check_constraint(
            "ck_treatment_error_reason", "entered_in_error = false OR error_reason IS NOT NULL"
        )
    op.execute("DELETE FROM episode_evaluation")
    op.execute("DELETE FROM cohort_evaluation")


def downgrade() -> None:
    with op.batch_alter_table("treatment") as batch:
        batch.drop_constraint("ck_treatment_error_reason", type_="check")
        batch.drop_column("error_reason")
        batch.drop_column("entered_in_error")
    with op.batch_alter_table("flag") as batch:
        batch.drop_column("closed_reason")
    op.drop_index("ix_review_decision_status_decided_at", table_name="review_decision")
    with op.batch_alter_table("review_decision") as batch:
        batch.drop_constraint("ck_review_decision_status", type_="check")
        for column in ("ended_reason", "ended_by", "ended_at", "status", "until"):
            batch.drop_column(column)
