"""Where each letter is: due until printed or saved, then printed, posted or returned.

``letter.state`` (with the time of its latest change, ``state_at``) replaces "a letter was
made" as the sign that the post went out: making a batch no longer takes its letters off the
Letters due list; only a print the system accepted, or a saved copy, does. Letters printed
before this revision are ``printed`` (at their latest print); the rest are ``due``.
``letter_print.job`` keeps the print system's id for the job.

Adding columns (and, on SQLite, a batch rebuild for the check constraint) leaves the letter's
rows and ids as they are.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "state IN ('due', 'printed', 'posted', 'returned')"


@contextmanager
def _letter() -> Iterator[Any]:
    """The letter table to alter: batch mode on SQLite (which rebuilds it for the check)."""
    with warnings.catch_warnings():
        # Reflecting the table's foreign keys looks at person, whose expression indexes
        # SQLAlchemy cannot reflect; they are person's, untouched by this rebuild.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("letter") as batch:
            yield batch


def upgrade() -> None:
    with _letter() as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="due"))
        batch.add_column(sa.Column("state_at", followup.db.types.UTCDateTime(), nullable=True))
        batch.create_check_constraint("letter_state", STATES)
        batch.create_index("ix_letter_state", ["state"])
    op.add_column("letter_print", sa.Column("job", sa.String(100), nullable=True))
    op.execute(
        "UPDATE letter SET state = 'printed', state_at = (SELECT max(p.printed_at) "
        "FROM letter_print p WHERE p.letter_id = letter.id) "
        "WHERE EXISTS (SELECT 1 FROM letter_print p WHERE p.letter_id = letter.id)"
    )


def downgrade() -> None:
    op.drop_column("letter_print", "job")
    with _letter() as batch:
        batch.drop_index("ix_letter_state")
        batch.drop_constraint("letter_state", type_="check")
        batch.drop_column("state_at")
        batch.drop_column("state")
