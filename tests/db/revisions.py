"""A database brought to one revision of the schema, for the migration tests."""

from __future__ import annotations

from alembic import command

from followup.db.engine import Database, make_engine
from followup.db.migrate import alembic_config


def upgrade_to(url: str, revision: str) -> None:
    """Create (if need be) the database at ``url`` and migrate it to ``revision`` only."""
    db = Database(url, make_engine(url, create=True))
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    db.dispose()
