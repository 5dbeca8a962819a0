"""The dashboard's audited loads on SQLite take the write lock before they read.

A report is read and then audited. In a transaction that began as a read, SQLite refuses
the write at once ("database is locked") when someone else's change landed since the read
began, so a lead's dashboard failed whenever a worker saved while it was working. Here the
other change is made at exactly that moment: just before the report's audit row is written.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from sqlalchemy import event, select

from followup.db.models import AuditEvent
from followup.reports.definitions import Period
from followup.ui.dashboard.timeliness import load_timeliness
from followup.ui.dashboard.traceability import load_traceability
from followup.ui.dashboard.view import load_report

PERIOD = Period.custom(date(2026, 3, 1), date(2026, 3, 31))


def _someone_else_writes_before_each_audit(db) -> list[str]:
    """Before each of the load's writes (its audit rows), another connection (another user's
    computer) tries to store a change without waiting; returns what happened to each try."""
    path = db.engine.url.database
    tries: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute(
                    "INSERT INTO setting (key, value, version) VALUES (?, 'x', 1)",
                    (f"t{len(tries)}",),
                )
                other.commit()
                tries.append("written")
            except sqlite3.OperationalError:
                tries.append("waited")  # the load holds the write lock: the other waits
            finally:
                other.close()

    event.listen(db.engine, "before_cursor_execute", before)
    return tries


def test_each_audited_dashboard_load_succeeds_while_others_write(sqlite_database, team):
    db, lead = sqlite_database, team["lead"]
    tries = _someone_else_writes_before_each_audit(db)
    report = load_report(db, lead, PERIOD)
    assert report.period == PERIOD
    load_timeliness(db, lead, PERIOD)
    load_traceability(db, lead, PERIOD)
    assert tries and set(tries) == {"waited"}
    with db.session() as s:
        audited = s.scalars(select(AuditEvent.details).where(AuditEvent.entity == "report")).all()
    assert len(audited) >= 3
