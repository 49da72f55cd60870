"""Accent-insensitive patient search: ``patient.search_name``, filled in from every name, and its
index in place of the name index (which only search used).

The column is added NOT NULL with an empty default (SQLite cannot make an added column NOT NULL
otherwise without rebuilding the table, which the patients' foreign keys forbid), then filled in
batches in Python: the same function as every later write, so old and new rows compare alike.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from followup.domain.names import search_form

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.add_column(
        "patient",
        sa.Column(
            "search_name",
            sqlmodel.sql.sqltypes.AutoString(),
            nullable=False,
            server_default="",
        ),
    )
    conn = op.get_bind()
    patient = sa.table(
        "patient", sa.column("id", sa.String), sa.column("name"), sa.column("search_name")
    )
    read = sa.select(patient.c.id, patient.c.name).order_by(patient.c.id).limit(BATCH)
    write = (
        sa.update(patient)
        .where(patient.c.id == sa.bindparam("pid"))
        .values(search_name=sa.bindparam("folded"))
    )
    last: str | None = None
    while True:
        query = read if last is None else read.where(patient.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            break
        conn.execute(write, [{"pid": pid, "folded": search_form(name)} for pid, name in rows])
        last = rows[-1][0]
    op.create_index("ix_patient_search_name", "patient", ["search_name", "id"], unique=False)
    op.drop_index("ix_patient_name", table_name="patient")


def downgrade() -> None:
    op.create_index("ix_patient_name", "patient", ["name"], unique=False)
    op.drop_index("ix_patient_search_name", table_name="patient")
    op.drop_column("patient", "search_name")  # SQLite 3.35+ drops a column in place
