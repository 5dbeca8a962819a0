"""Storage: SQLAlchemy models, engine and session setup, Alembic migrations, read queries."""

__all__ = ["engine", "migrate", "models", "queries", "types"]
