"""Index referral.police_reference for search by any of a case's references.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_referral_police_reference", "referral", ["police_reference"])


def downgrade() -> None:
    op.drop_index("ix_referral_police_reference", table_name="referral")
