"""A contact attempt made to seek consent: ``contact_attempt.seeking_consent``.

A phone call or text made while the person's consent to that method has not yet been asked
is allowed, to ask it; such an attempt is marked so that the timeline says so. Existing
attempts are left unmarked.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "contact_attempt",
        sa.Column("seeking_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # As 0012: a plain DROP COLUMN (SQLite 3.35+), so SQLite needs no table rebuild.
    op.execute("ALTER TABLE contact_attempt DROP COLUMN seeking_consent")
