"""A tamper-evident audit trail: each event carries a hash chained to the one before (filled
here for the events already stored, in ID order), and on SQLite an INSERT that names an existing
event's ID (``INSERT OR REPLACE``) is refused like an UPDATE or DELETE.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from followup.store.audit_chain import fill_chain
from followup.store.audit_guards import create_guards, drop_guards

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    # A plain ADD COLUMN (no batch copy of the table, which would lose its triggers).
    op.add_column(
        "audit_event",
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    drop_guards(conn)
    fill_chain(conn)
    create_guards(conn)


def downgrade() -> None:
    conn = op.get_bind()
    drop_guards(conn)
    op.drop_column("audit_event", "hash")
    create_guards(conn)
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_replace")
