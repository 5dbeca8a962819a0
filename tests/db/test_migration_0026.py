"""Migration 0026: each case's first contact made with the person themselves (not through
family or friends) is filled in from its attempts, on both backends, and the report's
network figure reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from followup.db.engine import Database, make_engine
from followup.db.migrate import open_database
from followup.db.models import Case
from tests.db.revisions import upgrade_to

BEFORE = "0022"

# case id -> its attempts (time, method, outcome, entered in error)
ATTEMPTS = {
    1: [("2026-01-02 09:00:00", "via_family", "spoke_engaged", False)],
    2: [
        ("2026-01-02 09:00:00", "via_family", "spoke_engaged", False),
        ("2026-01-03 10:00:00", "phone", "no_answer", False),
        ("2026-01-04 11:00:00", "phone", "spoke_declined", False),
        ("2026-01-05 12:00:00", "home_visit", "spoke_engaged", False),
    ],
    3: [
        ("2026-01-02 09:00:00", "phone", "spoke_engaged", True),
        ("2026-01-03 09:00:00", "via_family", "spoke_engaged", False),
    ],
    4: [("2026-01-02 09:00:00", "phone", "no_answer", False)],
}
EXPECTED = {1: None, 2: datetime(2026, 1, 4, 11, 0, tzinfo=UTC), 3: None, 4: None}


def test_the_first_direct_contact_is_filled_in_from_the_attempts(db_url, tmp_path):
    upgrade_to(db_url, BEFORE)
    raw = Database(db_url, make_engine(db_url))
    with raw.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, first_name, last_name, no_fixed_abode, created_at, "
                "updated_at, version) VALUES (1, 'Testy', 'Migration', false, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
            )
        )
        attempt = 0
        for case_id, attempts in ATTEMPTS.items():
            conn.execute(
                text(
                    "INSERT INTO case_file (id, person_id, status, police_reference, "
                    "referred_at, opened_at, version) VALUES (:id, 1, 'contacting', :ref, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
                ),
                dict(id=case_id, ref=f"MIG-{case_id}"),
            )
            for at, method, outcome, voided in attempts:
                attempt += 1
                conn.execute(
                    text(
                        "INSERT INTO contact_attempt (id, case_id, attempted_at, method, "
                        "outcome, seeking_consent, voided_at) VALUES (:id, :case, :at, "
                        ":method, :outcome, false, :voided)"
                    ),
                    dict(id=attempt, case=case_id, at=at, method=method, outcome=outcome,
                         voided="2026-01-06 00:00:00" if voided else None),
                )  # fmt: skip
    raw.dispose()

    db = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        with db.session() as s:
            got = {c.id: c.first_direct_contact_at for c in s.query(Case)}
        assert got == EXPECTED
    finally:
        db.dispose()
