"""Caseload indexes: one per sort the caseload offers, a partial one of open cases for each,
and substring search of phone numbers, NHS numbers and notes.

The caseload pages by keyset (``followup.db.queries.fetch_cases``): each page reads an index
range ``(sort column, id)`` from where the last page ended. Most of the day a worker looks at
open cases (``status <> 'closed'``), so each case-table sort has a partial index of open cases
too; the person-table sorts (name, age) read the person indexes and join.

Search for part of a phone number ("07700 900") or NHS number, or for words in a case note,
uses trigrams: an FTS5 trigram table kept up by triggers on SQLite, ``pg_trgm`` GIN indexes on
PostgreSQL (``pg_trgm`` is a trusted extension: the database owner, who runs the migrations on
a team server, may create it without being a superuser).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status <> 'closed'"
# (name, columns) of case_file: every one also as a partial index of open cases.
CASE_SORTS = (
    ("reference", ("police_reference", "id")),
    ("area", ("area", "id")),
    ("status", ("status", "id")),
    ("worker", ("assigned_worker_id", "id")),
    ("due", ("next_action_due_at", "id")),
    ("days", ("incident_at", "id")),
)
# Already indexed for every case (a SQLite index holds the row id after its columns).
FULL_ALREADY = {"reference", "due", "days"}

SQLITE_SEARCH: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (table, the columns searched for a part of their text)
    ("person", ("phone", "nhs_number")),
    ("case_note", ("text",)),
)
PG_TRIGRAM = (
    ("ix_person_phone_trgm", "person", "phone"),
    ("ix_person_nhs_number_trgm", "person", "nhs_number"),
    ("ix_case_note_text_trgm", "case_note", "text"),
)


def _sqlite_search_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_search"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    forget = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols} ON {table} BEGIN {forget} {learn} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    for name, columns in CASE_SORTS:
        op.create_index(
            f"ix_case_file_open_{name}",
            "case_file",
            list(columns),
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
        if name not in FULL_ALREADY:
            op.create_index(f"ix_case_file_sort_{name}", "case_file", list(columns))
    op.create_index(
        "ix_person_sort_name",
        "person",
        [sa.text("lower(last_name)"), sa.text("coalesce(lower(first_name), '')"), "id"],
    )
    op.create_index("ix_person_sort_age", "person", ["date_of_birth", "id"])

    if op.get_context().dialect.name == "sqlite":
        for table, searched in SQLITE_SEARCH:
            for statement in _sqlite_search_statements(table, searched):
                op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in PG_TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for table, _columns in SQLITE_SEARCH:
            for what in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{what}")
            op.execute(f"DROP TABLE IF EXISTS {table}_search")
    else:
        for name, _table, _column in PG_TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_person_sort_age", "person")
    op.drop_index("ix_person_sort_name", "person")
    for name, _columns in CASE_SORTS:
        if name not in FULL_ALREADY:
            op.drop_index(f"ix_case_file_sort_{name}", "case_file")
        op.drop_index(f"ix_case_file_open_{name}", "case_file")
