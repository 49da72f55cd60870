"""Patient, treatment and site IDs follow one rule (``fields.CLINIC_ID``: 1-32 letters, digits,
``-``, ``_`` or ``.``), now also as CHECK constraints.

A database may already hold IDs that break the rule (imports accepted anything before). Clinical
rows are never deleted or rewritten, so the constraints are added for new and changed rows only:
on PostgreSQL ``NOT VALID`` (existing rows are not checked), on SQLite the table copy that adds
them runs with ``ignore_check_constraints``. Such IDs keep working (the screens show them as plain
text); the count of each is printed so the clinic can see them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sys
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from followup.store.fields import CLINIC_ID

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("site", "patient", "treatment")


def _condition() -> str:
    return str(CLINIC_ID.constraint("id", "x").sqltext)


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        breaking = bind.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE NOT ({_condition()})")
        ).scalar()
        if breaking:
            sys.stderr.write(
                f"followup: {breaking} {table} ID(s) do not follow the ID rule "
                f"({CLINIC_ID.rule}); they are kept, new ones are refused\n"
            )
    if bind.dialect.name == "postgresql":
        for table in TABLES:
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_id CHECK ({_condition()}) NOT VALID"
            )
        return
    op.execute("PRAGMA ignore_check_constraints = ON")
    try:
        for table in TABLES:
            with op.batch_alter_table(table) as batch:
                batch.create_check_constraint(f"ck_{table}_id", _condition())
    finally:
        op.execute("PRAGMA ignore_check_constraints = OFF")


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_id", type_="check")
