"""Contact through the person's family or friends: contact method ``via_family``.

A worker may reach a person only through their family or friends; the attempt is logged
with the method ``via_family`` ("Through family or friends"), and the reports count the
cases engaged that way as "Engaged through their network" (``reports.network``). Only the
check constraint on ``contact_attempt.method`` changes: existing attempts keep their methods.
SQLite rebuilds the table to change a check (batch mode), PostgreSQL alters it in place.
The downgrade refuses to run while any attempt uses the new method, rather than lose it.

Revision ID: 0021
Revises: 0019_report_facts
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019_report_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As they stand at this revision (vocab.CONTACT_METHODS), and as they stood before it.
_BEFORE = ("phone", "sms", "letter", "home_visit", "outreach", "via_partner", "email")
_AFTER = (*_BEFORE, "via_family")


def _check(methods: tuple[str, ...]) -> str:
    return "method IN (" + ", ".join(f"'{m}'" for m in methods) + ")"


def _replace(methods: tuple[str, ...]) -> None:
    with warnings.catch_warnings():
        # As 0013: reflecting the foreign keys looks at person's expression indexes, which
        # SQLAlchemy cannot reflect; they are person's, untouched by this rebuild.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("contact_attempt") as batch:
            batch.drop_constraint("method", type_="check")
            batch.create_check_constraint("method", sa.text(_check(methods)))


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    used = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM contact_attempt WHERE method = 'via_family'")
    )
    if used:
        raise RuntimeError(
            "Some contact attempts were made through family or friends; the database cannot "
            "go back before revision 0021 without losing how they were made."
        )
    _replace(_BEFORE)
