"""The audit trail is append-only: the database refuses changes, and no code asks for them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from followup import audit
from followup.db.migrate import alembic_config
from followup.db.models import AuditEvent

SRC = Path(__file__).resolve().parents[2] / "src" / "followup"


def _add_events(database, n: int = 2) -> None:
    with database.session() as s:
        for i in range(n):
            audit.record(s, None, "login_failed", "user", None, {"n": i}, username="nobody")


def _count(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'view'",
        "UPDATE audit_event SET details = NULL WHERE id = 1",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE id = 1",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(database, statement):
    _add_events(database)
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    assert _count(database) == 2
    with database.session() as s:
        assert s.scalars(select(AuditEvent.action)).all() == ["login_failed", "login_failed"]


def test_the_orm_cannot_change_or_delete_audit_rows_either(database):
    _add_events(database, 1)
    with pytest.raises(DBAPIError, match="append-only"), database.session() as s:
        s.scalar(select(AuditEvent)).action = "view"
    with pytest.raises(DBAPIError, match="append-only"), database.session() as s:
        s.delete(s.scalar(select(AuditEvent)))
    assert _count(database) == 1


def test_adding_audit_rows_still_works(database):
    _add_events(database, 3)
    assert _count(database) == 3


@pytest.mark.postgres
def test_postgresql_refuses_truncate_even_on_an_empty_table(database):
    if database.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    # audit_private_value points at audit_event, so a plain TRUNCATE stops at that first;
    # with CASCADE it reaches the trigger.
    with (
        pytest.raises(DBAPIError, match="append-only|foreign key"),
        database.engine.begin() as conn,
    ):
        conn.execute(text("TRUNCATE audit_event"))
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event CASCADE"))
    # Statement-level triggers refuse even when no row would change.
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = -1"))


def test_downgrade_removes_the_triggers_and_upgrade_restores_them(database):
    cfg = alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with database.engine.begin() as conn:  # the model's newer columns are not there yet
        conn.execute(
            text(
                "INSERT INTO audit_event (at, username, action) "
                "VALUES (CURRENT_TIMESTAMP, 'nobody', 'login_failed')"
            )
        )
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    _add_events(database, 1)
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))


# Statements that would change or remove audit rows, in any spelling the code might use.
_FORBIDDEN = [
    re.compile(r"\b(update|delete)\s*\(\s*(models\.|m\.)?AuditEvent\b"),
    re.compile(r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+\"?audit_event\b", re.IGNORECASE),
    re.compile(r"AuditEvent\b[^\n]*\.(update|delete)\s*\("),
    re.compile(r"\.delete\(\s*(event|audit_event|audit_row)\b"),
]


def test_no_code_updates_or_deletes_audit_rows():
    offenders: list[str] = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if relative.parts[:2] == ("db", "migrations"):
            continue  # the migrations name the table to protect it
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in _FORBIDDEN):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_catch_an_offender():
    samples = [
        "session.execute(delete(AuditEvent).where(AuditEvent.id == 1))",
        "session.execute(update(m.AuditEvent).values(action='x'))",
        'conn.exec_driver_sql("DELETE FROM audit_event")',
        "conn.execute(text('update audit_event set details = null'))",
        "session.query(AuditEvent).filter_by(id=1).delete()",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in _FORBIDDEN), sample
