"""Report facts kept by the database: a referral's repeat-overdose flag stays what the person's
referrals say through intake (within one file and across files), a merge and its undo, the
migration's backfill, and `followup check` finds a wrong one and repairs it; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import select, text

from followup.casework import milestones
from followup.db import models as m
from followup.db.engine import Database, make_engine
from followup.db.migrate import alembic_config, open_database
from followup.demo.populate import populate
from followup.intake import merging
from followup.intake.importer import import_file
from followup.reports.definitions import Period
from followup.reports.engagement import cases_behind, engagement_report
from tests.intake.helpers import NOW, nhs, row, write_csv

DEMO_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 12, 1))


def flags(db) -> dict[str, bool]:
    """Each referral's stored flag, by police reference."""
    with db.session() as s:
        return {
            ref: bool(flag)
            for ref, flag in s.execute(
                select(m.Referral.police_reference, m.Referral.repeat_overdose)
            )
        }


def by_definition(db) -> dict[str, bool]:
    """Each referral's flag worked out from the person's referrals, in Python."""
    with db.session() as s:
        rows = s.execute(
            select(
                m.Referral.id,
                m.Referral.police_reference,
                m.Referral.person_id,
                m.Referral.received_at,
            )
        ).all()
    return {
        ref: any(p == person and (at2, i2) < (at, rid) for i2, _r, p, at2 in rows)
        for rid, ref, person, at in rows
    }


def all_ok(db) -> None:
    with db.session() as s:
        assert milestones.compare_sample(s, 1000).ok


def test_intake_flags_repeats_within_a_file_and_across_files(database, team, tmp_path):
    worker, lead = team["worker1"], team["lead"]
    first = tmp_path / "first.csv"
    write_csv(
        first,
        [
            row(police_reference="TST-R1", nhs_number=nhs(1), first_name="Testy"),
            row(
                police_reference="TST-R2",
                nhs_number=nhs(2),
                first_name="Testa",
                last_name="Exampleton",
            ),
            row(police_reference="TST-R3", nhs_number=nhs(1), first_name="Testy"),
        ],
    )
    import_file(database, worker, first, now=NOW - timedelta(days=3))
    assert flags(database) == {"TST-R1": False, "TST-R2": False, "TST-R3": True}

    second = tmp_path / "second.csv"
    write_csv(
        second,
        [
            row(
                police_reference="TST-R4",
                nhs_number=nhs(2),
                first_name="Testa",
                last_name="Exampleton",
            ),
            row(
                police_reference="TST-R5",
                nhs_number=nhs(3),
                first_name="Testo",
                last_name="Newcomer",
            ),
        ],
    )
    import_file(database, worker, second, now=NOW)
    assert flags(database) == {
        "TST-R1": False,
        "TST-R2": False,
        "TST-R3": True,
        "TST-R4": True,
        "TST-R5": False,
    }
    assert flags(database) == by_definition(database)
    all_ok(database)

    # The report counts the flagged referrals, and the drill-down shows their cases.
    with database.session() as s:
        report = engagement_report(s, lead, PERIOD, by=("worker", "area", "month"), now=NOW)
        assert report.totals.repeat_overdoses == 2
        assert sum(g.figures.repeat_overdoses for g in report.groups["month"]) == 2
        repeat_cases = set(
            s.scalars(
                select(m.Referral.case_id).where(
                    m.Referral.police_reference.in_(["TST-R3", "TST-R4"])
                )
            )
        )
        assert set(cases_behind(s, lead, PERIOD, "repeat_overdoses")) == repeat_cases


def _person_with_referral(
    s, first: str, ref: str, at: datetime, **person
) -> tuple[m.Person, m.Case, m.Referral]:
    p = m.Person(first_name=first, last_name="Merger", date_of_birth=date(1980, 1, 2), **person)
    s.add(p)
    s.flush()
    c = m.Case(person_id=p.id, police_reference=ref, referred_at=at, area="B5")
    s.add(c)
    s.flush()
    r = m.Referral(
        case_id=c.id,
        person_id=p.id,
        police_reference=ref,
        force="Test Force",
        incident_at=at,
        received_at=at,
    )
    s.add(r)
    s.add(m.CaseStatusChange(case_id=c.id, to_status="new", changed_at=at))
    s.flush()
    return p, c, r


def test_a_merge_and_its_undo_move_the_repeat_flag(database, team):
    lead = team["lead"]
    with database.session() as s:
        known, _c1, _r1 = _person_with_referral(
            s, "Testy", "TST-MK", NOW - timedelta(days=20), phone="+447700900322"
        )
        incoming, _c2, r2 = _person_with_referral(s, "Testie", "TST-MI", NOW - timedelta(days=2))
        review = m.MatchReview(
            referral_id=r2.id,
            incoming_person_id=incoming.id,
            candidate_person_id=known.id,
            score=82.0,
        )
        s.add(review)
        s.flush()
        review_id = review.id
    assert flags(database) == {"TST-MK": False, "TST-MI": False}

    with database.session() as s:
        merge_id = merging.merge(s, lead, review_id)
    # One person now, referred twice: the later referral is a repeat overdose.
    assert flags(database) == {"TST-MK": False, "TST-MI": True} == by_definition(database)
    all_ok(database)

    with database.session() as s:
        merging.undo_merge(s, lead, merge_id)
    assert flags(database) == {"TST-MK": False, "TST-MI": False} == by_definition(database)
    all_ok(database)


def test_the_migration_backfills_the_repeat_flags(db_url, tmp_path):
    db = open_database(db_url, create=True, backup_dir=tmp_path / "backups")
    populate(db, cases=150, seed=5, now=DEMO_NOW)
    expected = by_definition(db)
    assert any(expected.values()) and not all(expected.values())
    db.dispose()

    # Back to 0018 (no flag, no triggers); referrals written there are flagged by the upgrade.
    raw = Database(db_url, make_engine(db_url))
    cfg = alembic_config()
    with raw.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0018")
    with raw.engine.begin() as conn:
        first = conn.execute(
            text("SELECT person_id, case_id FROM referral ORDER BY received_at, id LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO referral (case_id, person_id, police_reference, force, incident_at, "
                "consent_at_scene, received_at) VALUES (:c, :p, 'TST-LATE', 'Test Force', "
                ":at, 'unknown', :at)"
            ),
            {"c": first.case_id, "p": first.person_id, "at": datetime(2026, 11, 24, 9, 0)},
        )
    raw.dispose()

    db = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        got = flags(db)
        assert got["TST-LATE"] is True
        assert got == by_definition(db)
        assert {k: v for k, v in got.items() if k != "TST-LATE"} == expected
        all_ok(db)
        # And the triggers keep it from now on: a referral received before all others.
        with db.session() as s:
            s.add(
                m.Referral(
                    case_id=first.case_id,
                    person_id=first.person_id,
                    police_reference="TST-EARLY",
                    force="Test Force",
                    incident_at=datetime(2020, 1, 1, tzinfo=UTC),
                    received_at=datetime(2020, 1, 1, tzinfo=UTC),
                )
            )
        got = flags(db)
        assert got["TST-EARLY"] is False
        assert got == by_definition(db)
    finally:
        db.dispose()


def test_check_finds_a_wrong_repeat_flag_and_repairs_it(tmp_path, capsys):
    from followup.cli import main

    url = "sqlite:///" + str(tmp_path / "check.sqlite")
    db = open_database(url, create=True, backup_dir=tmp_path / "backups")
    populate(db, cases=60, seed=4, now=DEMO_NOW)
    with db.session() as s:
        victim_ref, victim_case = s.execute(
            select(m.Referral.id, m.Referral.case_id)
            .where(m.Referral.repeat_overdose.is_(False))
            .order_by(m.Referral.id)
        ).first()
        # Written behind the triggers' back (they watch the person and the time received).
        s.execute(
            text("UPDATE referral SET repeat_overdose = 1 WHERE id = :id"), {"id": victim_ref}
        )
    db.dispose()

    assert main(["check", "--db", url, "--sample", "500"]) == 2
    output = capsys.readouterr().out
    assert f"case {victim_case} repeat overdose: stored yes, from its facts no" in output
    assert "followup check --repair" in output

    assert main(["check", "--db", url, "--repair"]) == 0
    assert "Repaired the report milestones of 1 of 60" in capsys.readouterr().out
    assert main(["check", "--db", url]) == 0
    assert "Report milestones: ok (60 cases recomputed and compared)" in capsys.readouterr().out
