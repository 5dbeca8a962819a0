"""Corrections, never deletions, and case notes.

Contact attempts, consent entries, treatment referrals and naloxone kits gain the columns of a
correction: ``voided_at``, ``voided_by_id`` and ``void_reason`` (an entry marked entered in
error, or replaced by an amendment) and ``amends_id`` (the entry an amendment replaces). New
tables: ``case_note`` (free-text notes on a case) and ``person_change`` (each change of a
person's details made on the case screen, with both values, so that it shows in the timeline
and can be marked entered in error).

On SQLite the four tables are rebuilt to take the foreign keys (SQLite cannot add one); no
trigger lives on them, and nothing references them, so the rebuild is safe.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CORRECTABLE = ("consent_entry", "contact_attempt", "treatment_referral", "naloxone_supply")


def _correction_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("voided_at", followup.db.types.UTCDateTime(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("amends_id", sa.Integer(), nullable=True),
    ]


def _add(table: str) -> None:
    with warnings.catch_warnings():
        # Reflecting the foreign keys looks at person, whose expression indexes SQLAlchemy
        # cannot reflect; they are person's, untouched by this rebuild.
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table(table) as batch:
            for column in _correction_columns():
                batch.add_column(column)
            batch.create_foreign_key(
                op.f(f"fk_{table}_voided_by_id_user_account"),
                "user_account",
                ["voided_by_id"],
                ["id"],
            )
            batch.create_foreign_key(
                op.f(f"fk_{table}_amends_id_{table}"), table, ["amends_id"], ["id"]
            )


def _drop(table: str) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_amends_id_{table}"), type_="foreignkey")
            batch.drop_constraint(op.f(f"fk_{table}_voided_by_id_user_account"), type_="foreignkey")
            for name in ("amends_id", "voided_by_id", "void_reason", "voided_at"):
                batch.drop_column(name)


def _fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    for table in CORRECTABLE:
        _add(table)
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("written_at", followup.db.types.UTCDateTime(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        *_correction_columns(),
        _fk("case_id", "case_file", "case_note"),
        _fk("person_id", "person", "case_note"),
        _fk("author_id", "user_account", "case_note"),
        _fk("voided_by_id", "user_account", "case_note"),
        _fk("amends_id", "case_note", "case_note"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    op.create_index(op.f("ix_case_note_case_id"), "case_note", ["case_id"])
    op.create_index(op.f("ix_case_note_person_id"), "case_note", ["person_id"])
    op.create_table(
        "person_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", followup.db.types.UTCDateTime(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        *_correction_columns(),
        _fk("person_id", "person", "person_change"),
        _fk("case_id", "case_file", "person_change"),
        _fk("changed_by_id", "user_account", "person_change"),
        _fk("voided_by_id", "user_account", "person_change"),
        _fk("amends_id", "person_change", "person_change"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_change")),
    )
    op.create_index(op.f("ix_person_change_person_id"), "person_change", ["person_id"])
    op.create_index(op.f("ix_person_change_case_id"), "person_change", ["case_id"])


def downgrade() -> None:
    op.drop_table("person_change")
    op.drop_table("case_note")
    for table in CORRECTABLE:
        _drop(table)
