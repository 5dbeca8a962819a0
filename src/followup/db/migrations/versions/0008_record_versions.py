"""A version on every record two people can edit, so that one save never undoes another.

A case already had one. A person's details are shared by all their cases, so the case's
version did not protect them: two workers saving the same person through two cases both
"won", and the first save was lost without a word. ``person``, ``treatment_referral``,
``naloxone_supply``, ``service``, ``user_account`` and ``setting`` (letter wording and the
letterhead) now carry ``version``, which every ORM update checks and raises.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = (
    "person",
    "treatment_referral",
    "naloxone_supply",
    "service",
    "user_account",
    "setting",
)


def upgrade() -> None:
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # Both SQLite (3.35 and later) and PostgreSQL drop a column in place; a batch rebuild would
    # lose person's expression indexes.
    for table in VERSIONED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN version")
