"""Alembic environment. The connection is always handed in by followup.store.schema, so there is
no URL in any ini file and nothing connects at import time."""

from alembic import context
from sqlmodel import SQLModel

import followup.store.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
