"""Migration 0015: scene consent recorded by earlier imports becomes the officer's.

A database is built at revision 0012 with what an import wrote then (the worker who clicked
Import as the one who recorded the consent) beside entries a worker recorded by hand, and is
upgraded; only the import's entries change. SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from followup.db.engine import Database, make_engine
from followup.db.migrate import open_database
from followup.db.types import UTCDateTime
from tests.db.revisions import upgrade_to

INCIDENT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
OFFICER = "PC Testofficer (collar 4711), Testville North, Testshire Police"


def _table(name: str, *columns: str, times: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(
        name,
        *(sa.column(c) for c in columns),
        *(sa.column(c, UTCDateTime()) for c in times),
    )


USER = _table(
    "user_account",
    "id", "username", "display_name", "role", "active", "password_hash", "failed_sign_ins",
    "password_must_change", "version", times=("created_at",),
)  # fmt: skip
PERSON = _table(
    "person", "id", "first_name", "last_name", "no_fixed_abode", "version",
    times=("created_at", "updated_at"),
)  # fmt: skip
CASE = _table(
    "case_file", "id", "person_id", "status", "police_reference", "version",
    times=("referred_at", "opened_at"),
)  # fmt: skip
REFERRAL = _table(
    "referral", "id", "case_id", "person_id", "police_reference", "force", "consent_at_scene",
    "officer_id", "officer_name", "station", times=("incident_at", "received_at"),
)  # fmt: skip
CONSENT = _table(
    "consent_entry", "id", "person_id", "case_id", "scope", "state", "method",
    "recorded_by_id", "source", "evidence", times=("recorded_at",),
)  # fmt: skip


def _old_database(url: str) -> None:
    upgrade_to(url, "0012")
    raw = Database(url, make_engine(url))
    with raw.engine.begin() as conn:
        conn.execute(sa.insert(USER).values(
            id=1, username="worker1", display_name="Wendy Worker", role="worker", active=True,
            password_hash="x", failed_sign_ins=0, password_must_change=False, version=1,
            created_at=RECEIVED,
        ))  # fmt: skip
        for pid, ref, answer in ((1, "PC-Y-1", "Y"), (2, "PC-N-1", "N")):
            conn.execute(sa.insert(PERSON).values(
                id=pid, first_name="Testy", last_name=f"Testperson{pid}", no_fixed_abode=False,
                version=1, created_at=RECEIVED, updated_at=RECEIVED,
            ))  # fmt: skip
            conn.execute(sa.insert(CASE).values(
                id=pid, person_id=pid, status="new", police_reference=ref, version=1,
                referred_at=RECEIVED, opened_at=RECEIVED,
            ))  # fmt: skip
            conn.execute(sa.insert(REFERRAL).values(
                id=pid, case_id=pid, person_id=pid, police_reference=ref,
                force="Testshire Police", consent_at_scene=answer, officer_id="4711",
                officer_name="PC Testofficer", station="Testville North", incident_at=INCIDENT,
                received_at=RECEIVED,
            ))  # fmt: skip
        rows = [
            # What an import wrote before 0015: the importing worker as the recorder.
            dict(id=10 + n, person_id=1, case_id=1, scope=scope, state="given",
                 method="verbal_at_scene_via_police", recorded_by_id=1,
                 source="police: PC Testofficer (collar 4711), Testville North",
                 evidence="Police referral PC-Y-1: consent_to_share Y", recorded_at=INCIDENT)
            for n, scope in enumerate(("contact_phone", "contact_sms", "contact_letter"))
        ] + [
            # Recorded by hand: consent the worker took by phone, and one for a person whose
            # referral said N; neither came from an import.
            dict(id=20, person_id=1, case_id=1, scope="home_visit", state="given",
                 method="verbal_by_phone", recorded_by_id=1, source=None,
                 evidence="Agreed on the phone", recorded_at=LATER),
            dict(id=21, person_id=2, case_id=2, scope="contact_phone", state="given",
                 method="verbal_by_phone", recorded_by_id=1, source=None,
                 evidence="Police referral PC-N-1: consent_to_share Y", recorded_at=LATER),
        ]  # fmt: skip
        conn.execute(sa.insert(CONSENT), rows)
    raw.dispose()


def test_upgrade_gives_imported_scene_consent_to_the_officer(db_url, tmp_path):
    _old_database(db_url)
    db = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        with db.engine.connect() as conn:
            got = {
                r.id: (r.method, r.recorded_by_id, r.source, r.recorded_at)
                for r in conn.execute(sa.select(CONSENT).order_by(CONSENT.c.id))
            }
    finally:
        db.dispose()
    for entry in (10, 11, 12):
        assert got[entry] == ("verbal_at_scene_via_police", None, OFFICER, INCIDENT)
    assert got[20] == ("verbal_by_phone", 1, None, LATER)
    assert got[21] == ("verbal_by_phone", 1, None, LATER)
