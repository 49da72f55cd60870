"""Review packets as written: when each was made, by whom, for which day and from when it
counted flags as new, and which flags it showed (a full section or a table row). The next
packet covers what changed since the previous one and carries its undecided flags.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_packet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("made_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("made_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("covers_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_packet_made_at", "review_packet", ["made_at", "id"], unique=False)
    op.create_table(
        "review_packet_flag",
        sa.Column("packet_id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.CheckConstraint(
            "section IN ('full', 'table', 'deferred')", name="ck_review_packet_flag_section"
        ),
        sa.ForeignKeyConstraint(["flag_id"], ["flag.id"]),
        sa.ForeignKeyConstraint(["packet_id"], ["review_packet.id"]),
        sa.PrimaryKeyConstraint("packet_id", "flag_id"),
    )
    op.create_index("ix_review_packet_flag_flag", "review_packet_flag", ["flag_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_review_packet_flag_flag", table_name="review_packet_flag")
    op.drop_table("review_packet_flag")
    op.drop_index("ix_review_packet_made_at", table_name="review_packet")
    op.drop_table("review_packet")
