"""Migration 0022: existing referrals get their traceability class from their person's record,
by the same rules as intake, on both backends; closed cases get room for a no-contact reason."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from followup.db.engine import Database, make_engine
from followup.db.migrate import alembic_config, open_database
from tests.db.revisions import upgrade_to

BEFORE = "0019_report_facts"

# (first name, last name, description, address, postcode, no fixed abode, phone) -> class
PEOPLE = [
    (("Testy", "Alpha", None, "1 Test Road", "B5 6DD", False, "+447700900301"), "full"),
    (("Testy", None, None, "2 Test Road, Testville", None, False, None), "name_address"),
    ((None, "Charlie", None, None, "B5 7AA", False, ""), "name_address"),
    (("Testy", "Delta", None, "3 Test Road", "B5 6DD", True, "+447700900302"), "name_phone"),
    (("Testy", "Echo", None, " Unknown ", None, False, None), "name_only"),
    (("Testy", "Foxtrot", None, "Flat", None, False, None), "name_only"),
    (("", " ", "Synthetic figure, blue coat", "4 Test Road", "B5 6DD", False, "+447700900303"),
     "description_only"),
]  # fmt: skip


def test_backfill_classes_existing_referrals_by_the_intake_rules(db_url, tmp_path):
    upgrade_to(db_url, BEFORE)
    raw = Database(db_url, make_engine(db_url))
    with raw.engine.begin() as conn:
        for n, (person, _) in enumerate(PEOPLE, 1):
            first, last, description, address, postcode, nfa, phone = person
            conn.execute(
                text(
                    "INSERT INTO person (id, first_name, last_name, description, address, "
                    "postcode, no_fixed_abode, phone, created_at, updated_at, version) VALUES "
                    "(:id, :first, :last, :d, :a, :p, :nfa, :phone, '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00', 1)"
                ),
                dict(id=n, first=first, last=last, d=description, a=address, p=postcode,
                     nfa=nfa, phone=phone),
            )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO case_file (id, person_id, status, police_reference, "
                    "referred_at, opened_at, version) VALUES (:id, :id, 'new', :ref, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
                ),
                dict(id=n, ref=f"MIG-{n}"),
            )
            conn.execute(
                text(
                    "INSERT INTO referral (id, case_id, person_id, police_reference, force, "
                    "incident_at, consent_at_scene, received_at) VALUES (:id, :id, :id, :ref, "
                    "'Test Force', '2026-01-01 00:00:00', 'unknown', '2026-01-01 00:00:00')"
                ),
                dict(id=n, ref=f"MIG-{n}"),
            )
    raw.dispose()

    db = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        with db.engine.connect() as conn:
            got = dict(conn.execute(text("SELECT id, traceability FROM referral")).all())
            reasons = conn.execute(text("SELECT DISTINCT no_contact_reason FROM case_file"))
            assert reasons.scalars().all() == [None]
        assert got == {n: expected for n, (_, expected) in enumerate(PEOPLE, 1)}
        # The new columns keep to their vocabularies.
        for sql in (
            "UPDATE referral SET traceability = 'somewhat' WHERE id = 1",
            "UPDATE referral SET traceability = NULL WHERE id = 1",
            "UPDATE case_file SET no_contact_reason = 'bored' WHERE id = 1",
        ):
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        db.dispose()


def test_downgrade_removes_both_columns(db_url):
    upgrade_to(db_url, "head")
    db = Database(db_url, make_engine(db_url))
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with db.engine.connect() as conn:
        conn.execute(text("SELECT repeat_overdose FROM referral"))  # 0019's column stays
        with pytest.raises(Exception, match="traceability"):
            conn.execute(text("SELECT traceability FROM referral"))
    db.dispose()
