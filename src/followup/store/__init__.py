"""Storage: SQLModel tables, engine and session setup, schema migrations (Alembic), queries."""
