"""User administration in the app: when each user last signed in, and a password to change.

``user_account.last_sign_in_at`` is set by every good sign-in (on a team server by
``followup_signed_in``). ``password_must_change`` is set when an administrator resets a
password: the user signs in with the one-time password and must choose their own before
anything else (on a team server ``followup_change_my_password`` sets their login's password
and clears it).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("last_sign_in_at", followup.db.types.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "user_account",
        sa.Column("password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE user_account DROP COLUMN password_must_change")
    op.execute("ALTER TABLE user_account DROP COLUMN last_sign_in_at")
