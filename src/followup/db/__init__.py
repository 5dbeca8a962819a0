"""Storage: SQLAlchemy models, engine and session setup, Alembic migrations, read queries,
a SQLite file's last integrity result, and the import's turn to write."""

__all__ = [
    "engine",
    "health",
    "migrate",
    "models",
    "queries",
    "traceability",
    "types",
    "writer_lock",
]
