"""Index flags by patient and status (a patient's open flags on the patient screen).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_flag_patient_status", "flag", ["patient_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_flag_patient_status", table_name="flag")
