"""Private audit values that belong to nobody in particular: the text of a search.

Searches are audited (the fields searched and how many cases they found); the text typed, which
can hold a name, is a private value like a person's old phone number, but it belongs to no one
person. ``audit_private_value.person_id`` may now be empty for such values, which the retention
run removes once they are old (``retention.SEARCH_TEXT_KEPT_DAYS``).

On SQLite the table is rebuilt (SQLite cannot drop a NOT NULL), which drops its trigger; the
trigger is made again at once. Nothing references the table, so the rebuild is safe.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVATE_MESSAGE = "private audit values are never changed"


def _sqlite_trigger() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_private_value_no_update")
    op.execute(
        "CREATE TRIGGER audit_private_value_no_update BEFORE UPDATE ON audit_private_value "
        f"BEGIN SELECT RAISE(ABORT, '{PRIVATE_MESSAGE}'); END"
    )


def _nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("audit_private_value", "person_id", nullable=nullable)
        return
    with warnings.catch_warnings():
        # Reflecting the table's foreign keys looks at person, whose expression indexes
        # SQLAlchemy cannot reflect; they are person's, untouched by this rebuild.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("audit_private_value", recreate="always") as batch:
            batch.alter_column("person_id", existing_type=sa.Integer(), nullable=nullable)
    _sqlite_trigger()


def upgrade() -> None:
    _nullable(True)


def downgrade() -> None:
    op.execute("DELETE FROM audit_private_value WHERE person_id IS NULL")
    _nullable(False)
