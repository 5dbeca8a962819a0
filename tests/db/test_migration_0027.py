"""Migration 0027: the repeat-overdose triggers find a person's first referral in one probe,
whatever the size of the import or of the table.

Found by importing one file of thousands of referrals: on SQLite, one person referred 4,000
times took 15 s, and twice the rows took four times as long; on PostgreSQL, 4,000 different
people into a table of 2,000 took 15 s, because the trigger kept the sequential scans it had
planned while the table was empty. The tests count the work the database does for one new
referral (SQLite's virtual-machine steps; PostgreSQL's sequential scans), which is the same
on a quiet or a loaded machine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from followup.db import models as m
from followup.intake.importer import import_file
from tests.intake.helpers import NOW, row, write_csv

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _first_case(database, team, tmp_path) -> tuple[int, int]:
    """Import one police referral (the real path); its person and case ids."""
    import_file(database, team["worker1"], write_csv(tmp_path / "one.csv", [row()]), now=NOW)
    with database.session() as s:
        referral = s.scalars(select(m.Referral)).one()
        return referral.person_id, referral.case_id


def _referral(person_id: int, case_id: int, n: int, received_at: datetime) -> m.Referral:
    return m.Referral(
        case_id=case_id,
        person_id=person_id,
        police_reference=f"SEEK-{n:06d}",
        force="Test Constabulary",
        incident_at=received_at - timedelta(hours=1),
        received_at=received_at,
    )


def _flags(database) -> list[bool]:
    with database.session() as s:
        return list(
            s.scalars(
                select(m.Referral.repeat_overdose).order_by(m.Referral.received_at, m.Referral.id)
            )
        )


def test_a_person_referred_hundreds_of_times_in_one_file_has_one_first_referral(
    database, team, tmp_path
):
    # Through the importer: two files of the same person, the second received a day later.
    import_file(
        database,
        team["worker1"],
        write_csv(tmp_path / "a.csv", [row() for _ in range(300)]),
        now=NOW,
    )
    import_file(
        database,
        team["worker1"],
        write_csv(tmp_path / "b.csv", [row() for _ in range(200)]),
        now=NOW + timedelta(days=1),
    )
    flags = _flags(database)
    assert len(flags) == 500
    assert flags[0] is False
    assert all(flags[1:])


def test_a_referral_received_before_the_first_takes_its_place(database, team, tmp_path):
    person_id, case_id = _first_case(database, team, tmp_path)
    with database.session(write=True) as s:
        s.add(_referral(person_id, case_id, 1, NOW - timedelta(days=30)))
    with database.session() as s:
        firsts = s.scalars(
            select(m.Referral.police_reference).where(m.Referral.repeat_overdose.is_(False))
        ).all()
        repeats = s.scalar(
            select(func.count()).select_from(m.Referral).where(m.Referral.repeat_overdose)
        )
    assert firsts == ["SEEK-000001"]
    assert repeats == 1


def _sqlite_steps(session, referral: m.Referral) -> int:
    """SQLite virtual-machine steps (in hundreds) to write one referral and its triggers."""
    raw = session.connection().connection.dbapi_connection
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw.set_progress_handler(count, 100)
    try:
        session.add(referral)
        session.flush()
    finally:
        raw.set_progress_handler(None, 0)
    return steps


def test_sqlite_a_new_referral_costs_the_same_for_a_persons_2nd_or_1500th(
    sqlite_database, team, tmp_path
):
    person_id, case_id = _first_case(sqlite_database, team, tmp_path)
    with sqlite_database.session(write=True) as s:
        second = _sqlite_steps(s, _referral(person_id, case_id, 2, START))
        s.add_all(_referral(person_id, case_id, n, START) for n in range(3, 1500))
        s.flush()
        late = _sqlite_steps(s, _referral(person_id, case_id, 1500, START))
    # Walking the person's referrals, as before, was about 150 times the first.
    assert late <= 2 * second + 5, (second, late)


@pytest.mark.postgres
def test_postgresql_the_trigger_seeks_once_the_table_has_grown(database, team, tmp_path):
    if database.is_sqlite:
        pytest.skip("only PostgreSQL keeps a trigger function's plans per connection")
    person_id, case_id = _first_case(database, team, tmp_path)
    scans = text(
        "SELECT coalesce(seq_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'referral'"
    )
    with database.session(write=True) as s:
        # Planned while the table is tiny, in this one connection, as an import's are...
        s.add_all(_referral(person_id, case_id, n, START) for n in range(2, 12))
        s.flush()
        # ...and kept while it grows to thousands.
        s.execute(
            text(
                "INSERT INTO referral (case_id, person_id, police_reference, force, "
                "incident_at, received_at, consent_at_scene, traceability) "
                "SELECT :case_id, :person_id, 'SEEK-BULK-' || n, 'Test Constabulary', "
                ":at, :at, 'unknown', 'name_only' FROM generate_series(1, 3000) AS n"
            ),
            dict(case_id=case_id, person_id=person_id, at=START),
        )
        before = s.scalar(scans)
        s.add_all(_referral(person_id, case_id, n, START) for n in range(20, 30))
        s.flush()
        after = s.scalar(scans)
    # Before 0027 each of these ten read the whole table three times.
    assert after - before == 0
    assert _flags(database).count(False) == 1
