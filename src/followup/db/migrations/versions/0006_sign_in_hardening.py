"""Sign-in hardening and a tamper-evident audit trail: lockout state and the audit hash chain.

``user_account.failed_sign_ins`` counts failed sign-ins since the last good one and
``locked_until`` says until when the account refuses sign-in (both backends keep the lockout
in the database). On a PostgreSQL team server the server itself checks passwords (SCRAM), so
``password_hash`` there is left empty: no table stores password material.

``audit_event.chain`` carries each event's hash, chained to the event before it (SQLite; see
``followup.audit.chain``); events written before this revision have none and the chain starts
after them. Adding a column does not rebuild audit_event, so its append-only triggers stay.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "user_account",
        sa.Column("locked_until", followup.db.types.UTCDateTime(), nullable=True),
    )
    op.add_column("audit_event", sa.Column("chain", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "chain")
    op.drop_column("user_account", "locked_until")
    op.drop_column("user_account", "failed_sign_ins")
