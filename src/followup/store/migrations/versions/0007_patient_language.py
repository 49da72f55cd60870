"""The patient's language (an IETF tag like ``en``, ``ja``, ``pt-BR``), so a coordinator knows
which language to call in and a self-report can be offered in it. Optional, empty for everyone
until staff or an import fills it in.

Revision 0006 is being written on another branch; this one revises 0005 until the chain is
rebased onto it when the branches meet.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "patient",
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("patient", "language")  # SQLite 3.35+ drops a column in place
