"""Where each letter is: due until printed or saved, then printed, posted or returned.

``letter.state`` (with the time of its latest change, ``state_at``) replaces "a letter was
made" as the sign that the post went out: making a batch no longer takes its letters off the
Letters due list; only a print the system accepted, or a saved copy, does. Letters printed
before this revision are ``printed`` (at their latest print); the rest are ``due``.
``letter_print.job`` keeps the print system's id for the job.

Only columns are added, so letters keep their rows and ids. SQLite gets the check on the new
column itself: a batch rebuild of ``letter`` would fail on its prints' foreign keys.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "state IN ('due', 'printed', 'posted', 'returned')"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        # ADD COLUMN with the check on the column itself: rebuilding letter instead would
        # break the foreign keys of its prints (SQLite checks them when the table is dropped).
        op.execute(
            "ALTER TABLE letter ADD COLUMN state VARCHAR(16) DEFAULT 'due' NOT NULL "
            f"CONSTRAINT ck_letter_letter_state CHECK ({STATES})"
        )
    else:
        op.add_column(
            "letter", sa.Column("state", sa.String(16), nullable=False, server_default="due")
        )
        op.create_check_constraint("letter_state", "letter", STATES)
    op.add_column("letter", sa.Column("state_at", followup.db.types.UTCDateTime(), nullable=True))
    op.create_index("ix_letter_state", "letter", ["state"])
    op.add_column("letter_print", sa.Column("job", sa.String(100), nullable=True))
    op.execute(
        "UPDATE letter SET state = 'printed', state_at = (SELECT max(p.printed_at) "
        "FROM letter_print p WHERE p.letter_id = letter.id) "
        "WHERE EXISTS (SELECT 1 FROM letter_print p WHERE p.letter_id = letter.id)"
    )


def downgrade() -> None:
    op.drop_column("letter_print", "job")
    op.drop_index("ix_letter_state", "letter")
    op.drop_column("letter", "state_at")
    if not _sqlite():
        op.drop_constraint("letter_state", "letter", type_="check")
    op.drop_column("letter", "state")
