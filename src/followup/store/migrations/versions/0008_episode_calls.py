"""Each episode's current call, stored with its result, so the worklist reads one page of calls
from SQL instead of computing the whole cohort's list in the UI. The stored results are derived
data: they are emptied here and the next evaluation computes them all again (with the calls).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM episode_evaluation")
    op.execute("DELETE FROM cohort_evaluation")
    with op.batch_alter_table("episode_evaluation") as batch:
        batch.add_column(
            sa.Column(
                "knee",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="left",
            )
        )
        batch.add_column(
            sa.Column("call_timepoint", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch.add_column(sa.Column("call_due_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("call_window_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("call_window_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("call_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("episode_evaluation") as batch:
        batch.alter_column("knee", server_default=None)
    op.create_index(
        "ix_episode_evaluation_call_window",
        "episode_evaluation",
        ["call_window_start", "call_due_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_episode_evaluation_call_window", table_name="episode_evaluation")
    with op.batch_alter_table("episode_evaluation") as batch:
        for column in (
            "call_reason",
            "call_window_end",
            "call_window_start",
            "call_due_on",
            "call_timepoint",
            "knee",
        ):
            batch.drop_column(column)
