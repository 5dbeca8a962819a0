"""The team server enforces every rule itself, on a real PostgreSQL server.

A DBA's set-up (docs/team-server.sql) makes the owner, the gate login and the database;
`followup init` as the owner makes the groups, rights, policies and functions; every user is a
login of their own. Then each role is attacked with raw psycopg, as someone holding a user's
password and `psql` would, and every attempt must be refused; and a day's legitimate work
through the services still succeeds for every role.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from followup import cli
from followup.accounts import WRONG_NAME_OR_PASSWORD
from followup.casework.detail import open_case
from followup.casework.lifecycle import close_case, record_consent, record_contact_attempt
from followup.casework.treatment import record_naloxone_supply
from followup.db import models as m
from followup.db.migrate import open_database
from followup.errors import FollowupError, PermissionDenied, SignInFailed
from followup.intake.importer import import_file
from followup.intake.inbox import assign_cases, take_case
from followup.letters.making import create_letter
from followup.protection import retention, team_accounts, team_server
from followup.protection.team_server import TeamRoles
from followup.vocab import (
    ConsentMethod,
    ConsentScope,
    ConsentState,
    ContactMethod,
    ContactOutcome,
    KitType,
    LetterTemplate,
)
from tests.conftest import PG_SKIP_REASON, PG_URL
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.protection.team_helpers import Team, bare_team, password_of, superuser_engine

pytestmark = pytest.mark.postgres

DOCS_SQL = Path(__file__).resolve().parents[2] / "docs" / "team-server.sql"


@pytest.fixture(scope="module")
def day(server_team: Team, tmp_path_factory) -> dict[str, int]:
    """A day's work through the services: an import, a case taken, one assigned, an attempt."""
    folder = tmp_path_factory.mktemp("team-day")
    first = folder / "first.csv"
    write_csv(
        first,
        [
            row(
                first_name="Testy",
                last_name="Alpha",
                nhs_number=nhs(1),
                address="1 Synthetic Street, Testville",
                postcode="ZZ99 1AA",
            ),
            row(first_name="Testy", last_name="Beta", nhs_number=nhs(2)),
            row(first_name="Testy", last_name="Gamma", nhs_number=nhs(3)),
        ],
    )
    db, worker_a = server_team.sign_in(server_team.worker_a)
    try:
        summary = import_file(db, worker_a, first, now=NOW)
        assert (summary.imported, len(summary.cases_created)) == (3, 3)
        with db.session() as s:
            cases = {
                c.person.last_name: c.id for c in s.scalars(select(m.Case).order_by(m.Case.id))
            }
        assert set(cases) == {"Alpha", "Beta", "Gamma"}  # the inbox: every new case
        with db.session() as s:
            take_case(s, worker_a, cases["Alpha"])
        with db.session() as s:
            version = s.get(m.Case, cases["Alpha"]).version
            record_contact_attempt(
                s,
                worker_a,
                cases["Alpha"],
                ContactMethod.PHONE,
                ContactOutcome.NO_ANSWER,
                version,
                number="07700 900001",  # the imported person has none on file
            )
        with db.session() as s:
            version = s.get(m.Case, cases["Alpha"]).version
            record_consent(
                s,
                worker_a,
                cases["Alpha"],
                ConsentScope.CONTACT_LETTER,
                ConsentState.GIVEN,
                ConsentMethod.VERBAL_BY_PHONE,
                version,
            )
        with db.session() as s:
            version = s.get(m.Case, cases["Alpha"]).version
            record_naloxone_supply(
                s,
                worker_a,
                cases["Alpha"],
                version,
                supplied_on=NOW.date(),
                kit_type=KitType.NASAL,
                batch_number="TESTBATCH1",
                expires_on=NOW.date() + timedelta(days=700),
            )
        with db.session() as s:
            letter = create_letter(
                s,
                worker_a,
                cases["Alpha"],
                LetterTemplate.APPOINTMENT,
                appointment_time=datetime.now(UTC) + timedelta(days=2),
                appointment_place="The Synthetic Centre",
            )
        with db.session() as s:
            detail = open_case(s, worker_a, cases["Alpha"])
            assert detail.id == cases["Alpha"] and letter.id
    finally:
        db.dispose()
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            worker_b = s.scalar(select(m.User.id).where(m.User.username == server_team.worker_b))
            assign_cases(s, lead, [cases["Beta"]], worker_b)
    finally:
        db.dispose()
    return {"alpha": cases["Alpha"], "beta": cases["Beta"], "gamma": cases["Gamma"]}


def _refused(conn: psycopg.Connection, sql: str, *params: object) -> str:
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql, params or None)
    return str(info.value)


# ----------------------------------------------------------------------- the DBA's script


def test_the_docs_hold_the_generated_script():
    assert DOCS_SQL.read_text(encoding="utf-8") == team_server.team_server_script(), (
        "docs/team-server.sql is out of date: regenerate it from "
        "followup.protection.team_server.team_server_script()"
    )


def test_no_table_holds_password_material(server_team: Team, day):
    with server_team.raw(server_team.lead) as conn:
        hashes = [h for (h,) in conn.execute("SELECT password_hash FROM user_account")]
        assert hashes and set(hashes) == {""}
        assert "permission denied" in _refused(conn, "SELECT rolpassword FROM pg_authid")


# ----------------------------------------------------------------------- accounts and roles


@pytest.mark.parametrize("who", ["worker_a", "lead", "admin"])
def test_no_login_can_change_roles_or_memberships(server_team: Team, who: str):
    login = getattr(server_team, who)
    with server_team.raw(login) as conn:
        for sql in (
            f"UPDATE user_account SET role = 'admin' WHERE username = '{login}'",
            f"UPDATE user_account SET password_hash = 'x' WHERE username = '{server_team.admin}'",
            "INSERT INTO user_account (username, display_name, role, active, password_hash,"
            " created_at, failed_sign_ins) VALUES ('ghost', 'Ghost', 'admin', true, '', now(), 0)",
            "DELETE FROM user_account",
        ):
            assert "permission denied" in _refused(conn, sql)
        for sql in (
            f"GRANT {server_team.roles.group('admin')} TO {login}",
            f"GRANT {server_team.roles.group('lead')} TO {server_team.worker_b}",
            f"ALTER ROLE {login} SUPERUSER",
            f"ALTER ROLE {login} CREATEROLE",
            f"ALTER ROLE {login} BYPASSRLS",
            f"CREATE ROLE sneaky_{login} LOGIN",
            f"ALTER ROLE {server_team.worker_b} PASSWORD 'taken-over-password'",
        ):
            message = _refused(conn, sql)
            assert (
                "permission denied" in message
                or "must have admin option" in message
                or ("must be superuser" in message)
            ), (sql, message)


def test_only_an_admin_manages_logins_and_only_as_followup_members(server_team: Team, day):
    with server_team.raw(server_team.worker_a) as conn:
        assert "permission denied" in _refused(
            conn, "SELECT followup_create_user('evil', 'Evil', 'admin', 'SCRAM-SHA-256$x')"
        )
        assert "permission denied" in _refused(
            conn,
            "SELECT followup_change_user(%s, 'admin', NULL, NULL, false)",
            server_team.worker_a,
        )
    with server_team.raw(server_team.admin) as conn:
        # Never a superuser, never a member of anything but one Followup group.
        for name, role in (
            ("postgres", "admin"),
            (server_team.roles.owner, "admin"),
            ("x", "superuser"),
        ):
            message = _refused(
                conn, "SELECT followup_create_user(%s, 'X', %s, 'SCRAM-SHA-256$x')", name, role
            )
            assert "already" in message or "role must be" in message, message
        assert "only as a SCRAM verifier" in _refused(
            conn, "SELECT followup_create_user('plain_pw', 'P', 'worker', 'a-plain-password')"
        )
        for target in ("postgres", server_team.roles.owner, server_team.roles.gate):
            message = _refused(
                conn, "SELECT followup_change_user(%s, NULL, NULL, NULL, true)", target
            )
            assert "no Followup user" in message or "not an ordinary" in message


# ----------------------------------------------------------------------- the audit trail


@pytest.mark.parametrize("who", ["worker_a", "lead", "admin"])
def test_no_login_writes_the_audit_trail(server_team: Team, day, who: str):
    with server_team.raw(getattr(server_team, who)) as conn:
        for sql in (
            "INSERT INTO audit_event (at, user_id, username, action) "
            "VALUES ('2020-01-01', 1, 'someone', 'login')",
            "UPDATE audit_event SET details = NULL",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
            "INSERT INTO destruction_log (destroyed_at, approved_by_id, person_id, case_ids,"
            " closed_on, retention_years, letters_removed) VALUES (now(), 1, 1, '[]', now(), 8, 0)",
            "UPDATE destruction_log SET person_id = 0",
            "DELETE FROM destruction_log",
            "DELETE FROM audit_private_value",
            "INSERT INTO audit_private_value (audit_event_id, person_id, details) VALUES (1, 1, '{}')",
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        ):
            message = _refused(conn, sql)
            assert "permission denied" in message or "must be owner" in message, (sql, message)


def test_actions_are_audited_in_the_callers_name_at_the_servers_time(server_team: Team, day):
    with server_team.raw(server_team.worker_a) as conn:
        # There is no way to name another user or another time: the server stamps both.
        conn.execute("SELECT followup_audit('view', 'case', %s, NULL)", (day["alpha"],))
    with server_team.raw(server_team.lead) as conn:
        username, at, user_id = conn.execute(
            "SELECT username, at, user_id FROM audit_event WHERE action = 'view' "
            "AND entity = 'case' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        me = conn.execute(
            "SELECT id FROM user_account WHERE username = %s", (server_team.worker_a,)
        ).fetchone()[0]
        server_now = conn.execute("SELECT now() AT TIME ZONE 'UTC'").fetchone()[0]
    assert (username, user_id) == (server_team.worker_a, me)
    assert abs(server_now - at) < timedelta(minutes=1)


def test_changes_to_case_data_are_audited_by_the_server(server_team: Team, day):
    with server_team.raw(server_team.lead) as conn:
        rows = conn.execute(
            "SELECT username, action, details FROM audit_event WHERE entity = 'row:contact_attempt'"
        ).fetchall()
    assert any(u == server_team.worker_a and a == "create" for u, a, _ in rows)
    assert all("server" in json.loads(d) for _, _, d in rows)


# ----------------------------------------------------------------------- people and cases


def test_a_worker_reads_and_writes_only_their_own_cases_and_the_inbox(server_team: Team, day):
    with server_team.raw(server_team.worker_b) as conn:
        seen = {i for (i,) in conn.execute("SELECT id FROM case_file")}
        assert day["alpha"] not in seen  # worker A's case
        assert {day["beta"], day["gamma"]} <= seen  # theirs, and the inbox
        alpha_person = conn.execute(
            "SELECT count(*) FROM person p JOIN case_file c ON c.person_id = p.id WHERE c.id = %s",
            (day["alpha"],),
        ).fetchone()[0]
        assert alpha_person == 0
        assert (
            conn.execute(
                "UPDATE case_file SET status = 'closed', closure_reason = 'other' WHERE id = %s",
                (day["alpha"],),
            ).rowcount
            == 0
        )
        assert "row-level security" in _refused(
            conn,
            "INSERT INTO contact_attempt (case_id, worker_id, attempted_at, method, outcome) "
            "VALUES (%s, 1, now(), 'phone', 'no_answer')",
            day["alpha"],
        )
        # Their own case cannot be handed to anyone else.
        other = conn.execute(
            "SELECT id FROM user_account WHERE username = %s", (server_team.worker_a,)
        ).fetchone()[0]
        assert "row-level security" in _refused(
            conn, "UPDATE case_file SET assigned_worker_id = %s WHERE id = %s", other, day["beta"]
        )
        assert "permission denied" in _refused(conn, "DELETE FROM case_file")


def test_an_admin_sees_no_person_or_case_data(server_team: Team, day):
    with server_team.raw(server_team.admin) as conn:
        for table in ("person", "case_file", "referral", "contact_attempt", "consent_entry"):
            assert "permission denied" in _refused(conn, f"SELECT * FROM {table}")


def test_the_gate_login_can_only_count_failures(server_team: Team):
    with server_team.raw(server_team.roles.gate) as conn:
        for sql in (
            "SELECT * FROM person",
            "SELECT * FROM user_account",
            "SELECT followup_audit('login', 'user', 1, NULL)",
            "SELECT followup_signed_in()",
        ):
            assert "permission denied" in _refused(conn, sql)


@pytest.mark.parametrize("who", ["worker_a", "lead", "admin"])
def test_no_login_changes_the_schema(server_team: Team, who: str):
    with server_team.raw(getattr(server_team, who)) as conn:
        for sql in (
            "CREATE TABLE sneaky (id integer)",
            "CREATE TEMP TABLE sneaky (id integer)",
            "ALTER TABLE person ADD COLUMN sneaky text",
            "ALTER TABLE case_file DISABLE ROW LEVEL SECURITY",
            "DROP POLICY lead_all ON case_file",
            "DROP TABLE audit_event",
            "UPDATE alembic_version SET version_num = 'x'",
            "CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        ):
            message = _refused(conn, sql)
            assert "permission denied" in message or "must be owner" in message, (sql, message)


# ----------------------------------------------------------------------- destruction


@pytest.mark.parametrize("who", ["worker_a", "lead", "admin"])
def test_people_leave_only_through_the_retention_rule(server_team: Team, day, who: str):
    with server_team.raw(getattr(server_team, who)) as conn:
        assert "permission denied" in _refused(conn, "DELETE FROM person")
        assert "does not exist" in _refused(conn, "SELECT followup_purge_person(1)")
        message = _refused(conn, "SELECT followup_destroy_person(1, false, NULL)")
        if who == "admin":
            assert "not due for destruction" in message  # a case opened today
        else:
            assert "permission denied" in message


def test_the_retention_review_and_destruction_on_the_team_server(server_team: Team, day):
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            assert retention.due_for_destruction(s, admin) == []  # all opened today
        later = datetime.now(UTC) + timedelta(days=365 * 30)
        with db.session() as s:
            report = retention.destroy(s, admin, [1, 2], dry_run=True, now=later)
        # Open cases keep everyone, even thirty years on; nothing was written.
        assert report.destroyed == () and len(report.skipped) == 2
        with db.session() as s, pytest.raises(PermissionDenied):
            from followup.protection.purge import purge_person

            purge_person(s, admin, 1)
    finally:
        db.dispose()


# ----------------------------------------------------------------------- intake


def test_intake_links_a_repeat_overdose_whoever_imports_it(server_team: Team, day, tmp_path):
    again = tmp_path / "again.csv"
    write_csv(again, [row(first_name="Testy", last_name="Alpha", nhs_number=nhs(1))])
    db, worker_b = server_team.sign_in(server_team.worker_b)
    try:
        summary = import_file(db, worker_b, again, now=NOW + timedelta(hours=2))
    finally:
        db.dispose()
    assert (summary.imported, summary.linked_repeat, summary.cases_created) == (1, 1, [])
    with server_team.raw(server_team.lead) as conn:
        people = conn.execute(
            "SELECT count(*) FROM person WHERE nhs_number = %s", (nhs(1),)
        ).fetchone()[0]
        cases = conn.execute(
            "SELECT count(*) FROM case_file c JOIN person p ON p.id = c.person_id "
            "WHERE p.nhs_number = %s",
            (nhs(1),),
        ).fetchone()[0]
        referrals = conn.execute(
            "SELECT count(*) FROM referral WHERE case_id = %s", (day["alpha"],)
        ).fetchone()[0]
        alert = conn.execute(
            "SELECT reoverdose_at IS NOT NULL, reoverdose_acknowledged_at, next_action_due_at "
            "FROM case_file WHERE id = %s",
            (day["alpha"],),
        ).fetchone()
    # One person, one open case (worker A's), now with both overdoses on it.
    assert (people, cases, referrals) == (1, 1, 2)
    # Worker A is alerted, and the first attempt is due again from the new referral.
    due = (NOW + timedelta(hours=2 + 72)).replace(tzinfo=None)
    assert alert == (True, None, due)
    with server_team.raw(
        server_team.worker_b
    ) as conn:  # and worker B still cannot read worker A's case
        assert (
            conn.execute(
                "SELECT count(*) FROM referral WHERE case_id = %s", (day["alpha"],)
            ).fetchone()[0]
            == 0
        )


def test_a_recently_closed_case_reopens_to_its_worker_whoever_imports(server_team: Team, tmp_path):
    first = write_csv(
        tmp_path / "delta.csv", [row(first_name="Testy", last_name="Delta", nhs_number=nhs(4))]
    )
    db, worker_a = server_team.sign_in(server_team.worker_a)
    try:
        (case_id,) = import_file(db, worker_a, first, now=NOW).cases_created
        with db.session() as s:
            take_case(s, worker_a, case_id)
        with db.session() as s:
            close_case(
                s,
                worker_a,
                case_id,
                "declined",
                s.get(m.Case, case_id).version,
                no_contact_reason="declined_via_third_party",
            )
    finally:
        db.dispose()
    again = write_csv(
        tmp_path / "delta2.csv", [row(first_name="Testy", last_name="Delta", nhs_number=nhs(4))]
    )
    db, worker_b = server_team.sign_in(server_team.worker_b)
    try:
        summary = import_file(db, worker_b, again, now=NOW + timedelta(days=3))
    finally:
        db.dispose()
    assert summary.cases_created == []
    with server_team.raw(server_team.lead) as conn:
        status, worker, alerted = conn.execute(
            "SELECT c.status, u.username, c.reoverdose_at IS NOT NULL FROM case_file c "
            "JOIN user_account u ON u.id = c.assigned_worker_id WHERE c.id = %s",
            (case_id,),
        ).fetchone()
        reason = conn.execute(
            "SELECT reason FROM case_status_change WHERE case_id = %s ORDER BY id DESC LIMIT 1",
            (case_id,),
        ).fetchone()[0]
    assert (status, worker, alerted) == ("contacting", server_team.worker_a, True)
    assert reason == "new overdose within 90 days of closing: reopened to the same worker"


def test_a_duplicate_referral_is_recognised_whoever_holds_the_case(
    server_team: Team, day, tmp_path
):
    with server_team.raw(server_team.lead) as conn:
        force, reference = conn.execute(
            "SELECT force, police_reference FROM referral WHERE case_id = %s LIMIT 1",
            (day["alpha"],),
        ).fetchone()
    again = tmp_path / "dupe.csv"
    write_csv(again, [row(police_reference=reference, force=force, nhs_number=nhs(1))])
    db, worker_b = server_team.sign_in(server_team.worker_b)
    try:
        summary = import_file(db, worker_b, again, now=NOW)
    finally:
        db.dispose()
    assert (summary.imported, summary.duplicates) == (0, 1)


# ----------------------------------------------------------------------- signing in


def test_signing_in_is_connecting_as_the_user(server_team: Team):
    db, actor = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            from sqlalchemy import text

            assert s.scalar(text("SELECT session_user")) == server_team.lead
        assert actor.role == "lead"
    finally:
        db.dispose()


def test_a_wrong_password_is_one_sentence_that_names_neither(server_team: Team):
    for login in (server_team.worker_b, "nobody_at_all"):
        with pytest.raises(SignInFailed) as info:
            server_team.sign_in(login, "wrong-password-entirely")
        assert str(info.value) == WRONG_NAME_OR_PASSWORD


def test_five_failures_lock_the_account_until_an_admin_unlocks_it(server_team: Team):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            server_team.sign_in(server_team.worker_b, "wrong-password-entirely")
    with pytest.raises(SignInFailed) as info:
        server_team.sign_in(server_team.worker_b)  # the right password, while locked
    assert "locked" in str(info.value) and "administrator" in str(info.value)
    with server_team.raw(server_team.lead) as conn:
        details = [
            json.loads(d or "{}")
            for (d,) in conn.execute(
                "SELECT details FROM audit_event WHERE action = 'login_failed' AND username = %s",
                (server_team.worker_b,),
            )
        ]
    assert len(details) >= 6 and any("locked_until" in d for d in details)
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            team_accounts.change_user(s, admin, server_team.worker_b, unlock=True)
    finally:
        db.dispose()
    db, _ = server_team.sign_in(server_team.worker_b)
    db.dispose()


def test_a_switched_off_user_cannot_connect_and_a_reset_password_works(server_team: Team):
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            team_accounts.change_user(s, admin, server_team.worker_b, active=False)
        with pytest.raises(SignInFailed, match="switched off"):
            server_team.sign_in(server_team.worker_b)
        with db.session() as s:
            team_accounts.change_user(
                s, admin, server_team.worker_b, active=True, password="one-time-reset-phrase"
            )
    finally:
        db.dispose()
    db, _ = server_team.sign_in(server_team.worker_b, "one-time-reset-phrase")
    db.dispose()
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            team_accounts.change_user(
                s, admin, server_team.worker_b, password=password_of(server_team.worker_b)
            )
    finally:
        db.dispose()


def test_a_leads_and_an_admins_day_through_the_command_line(
    server_team: Team, day, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("FOLLOWUP_USER", server_team.lead)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", password_of(server_team.lead))
    for argv in (
        ["cases", "--json", "--limit", "50"],
        ["report", "engagement", "--json"],
        ["export", "cases", str(tmp_path / "cases.csv"), "--json"],
    ):
        code = cli.main([*argv, "--db", server_team.gate_url])
        out = capsys.readouterr()
        assert code == 0, (argv, out.err)
    assert (tmp_path / "cases.csv").read_text(encoding="utf-8").count("\n") >= 4
    monkeypatch.setenv("FOLLOWUP_USER", server_team.admin)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", password_of(server_team.admin))
    code = cli.main(["retention", "--json", "--db", server_team.gate_url])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["due"] == []


def test_the_command_line_signs_in_as_the_user(server_team: Team, monkeypatch, capsys, day):
    monkeypatch.setenv("FOLLOWUP_USER", server_team.worker_b)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", password_of(server_team.worker_b))
    code = cli.main(["cases", "--db", server_team.gate_url, "--json", "--limit", "50"])
    out = capsys.readouterr()
    assert code == 0, out.err
    listed = json.loads(out.out)
    ids = {c["id"] for c in listed["cases"]}
    assert day["beta"] in ids and day["alpha"] not in ids


def test_users_add_as_the_owner_and_as_an_admin(server_team: Team, monkeypatch, capsys):
    name = f"{server_team.worker_a}_cli"
    monkeypatch.setattr(sys, "stdin", io.StringIO(password_of(name) + "\n"))
    monkeypatch.setenv("FOLLOWUP_USER", server_team.admin)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", password_of(server_team.admin))
    try:
        code = cli.main(["users", "add", name, "--role", "worker", "--db", server_team.gate_url])
        out = capsys.readouterr()
        assert code == 0, out.err
        db, actor = server_team.sign_in(name)
        db.dispose()
        assert actor.role == "worker"
    finally:
        su = superuser_engine()
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        su.dispose()


def test_init_is_refused_plainly_on_sqlite(sqlite_database):
    with pytest.raises(FollowupError, match="SQLite file has no roles"):
        team_server.install(sqlite_database)


# ----------------------------------------------------------------------- the upgrade path


def test_an_old_shared_role_team_database_upgrades(tmp_path):
    """One shared app role and hashes in a table become logins, given one-time passwords."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    from followup.accounts import create_user
    from followup.protection.team_server import LEGACY_APP_ROLE

    tag = uuid.uuid4().hex[:8]
    roles = TeamRoles(owner=f"fo_{tag}", gate=f"fg_{tag}", prefix=f"ft_{tag}")
    t = Team(roles, f"fd_{tag}", f"uadm_{tag}", "", f"uw_{tag}", "")
    su = superuser_engine()
    try:
        with su.connect() as conn:
            for statement in team_server.server_setup_statements(t.database, roles):
                conn.exec_driver_sql(statement)
            for login in (roles.owner, roles.gate, LEGACY_APP_ROLE):
                conn.exec_driver_sql(
                    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    f"'{login}') THEN CREATE ROLE {login} LOGIN; END IF; END $$"
                )
                conn.exec_driver_sql(f"ALTER ROLE {login} PASSWORD '{password_of(login)}'")
            conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {t.database} TO {LEGACY_APP_ROLE}")
        in_db = superuser_engine(t.database)
        with in_db.connect() as conn:
            for statement in team_server.database_setup_statements(roles):
                conn.exec_driver_sql(statement)
        in_db.dispose()
        # What an earlier Followup left: the schema, users with scrypt hashes in a table, and
        # the shared role with its rights on every table.
        assert cli.main(["init", "--db", t.owner_url, "--no-team-server"]) == 0
        owner = open_database(t.owner_url)
        with owner.session() as s:
            admin = create_user(s, None, t.admin, "admin", password_of(t.admin), "Old Admin")
        with owner.engine.begin() as conn:
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {LEGACY_APP_ROLE}")
            conn.exec_driver_sql(
                f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {LEGACY_APP_ROLE}"
            )
        owner.dispose()
        assert admin.password_hash.startswith("scrypt$")

        code = cli.main(
            ["init", "--db", t.owner_url, "--role-prefix", roles.prefix, "--gate-role", roles.gate]
        )
        assert code == 0
        # The shared role keeps nothing, not even the right to connect.
        with pytest.raises(psycopg.OperationalError, match="CONNECT privilege"):
            t.raw(LEGACY_APP_ROLE)
        owner = open_database(t.owner_url)
        try:
            with owner.session() as s:
                hashes = set(s.scalars(select(m.User.password_hash)))
                assert hashes == {""}  # hashes cannot become SCRAM secrets: they are gone
            with pytest.raises(SignInFailed):
                t.sign_in(t.admin)  # no login until an admin gives a one-time password
            with owner.session() as s:
                team_accounts.change_user(s, None, t.admin, password="one-time-upgrade-phrase")
        finally:
            owner.dispose()
        db, actor = t.sign_in(t.admin, "one-time-upgrade-phrase")
        db.dispose()
        assert actor.role == "admin"
    finally:
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {t.database} WITH (FORCE)")
            for login in (t.admin, *roles.groups, roles.gate, roles.owner):
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
        su.dispose()


def test_demonstration_data_on_a_team_server_gives_its_users_logins(capsys):
    from followup.demo.data import DEMO_PASSWORD, DEMO_USERS

    names = [name for name, _, _ in DEMO_USERS]
    with bare_team(*names) as t:
        code = cli.main(["demo", "--cases", "20", "--seed", "2", "--db", t.owner_url, "--json"])
        out = capsys.readouterr()
        assert code == 0, out.err
        db, lead = t.sign_in("lead", DEMO_PASSWORD)
        try:
            with db.session() as s:
                assert s.scalar(select(m.User.password_hash).where(m.User.username == "lead")) == ""
                assert s.scalar(select(func.count()).select_from(m.Case)) == 20
        finally:
            db.dispose()
        db, worker = t.sign_in("worker1", DEMO_PASSWORD)
        try:
            with db.session() as s:  # a worker sees their own caseload and the inbox only
                seen = s.scalar(select(func.count()).select_from(m.Case))
            assert 0 < seen < 20
        finally:
            db.dispose()


# ----------------------------------------------------------------------- failures


def test_a_login_dropped_outside_followup_is_one_sentence_and_changes_nothing(server_team):
    name = f"{server_team.worker_a}_gone"
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            team_accounts.create_user(s, admin, name, "worker", password_of(name), "Gone Worker")
    finally:
        db.dispose()
    su = superuser_engine()
    with su.connect() as conn:
        conn.exec_driver_sql(f"DROP ROLE {name}")
    su.dispose()
    with server_team.raw(server_team.lead) as conn:
        before = conn.execute("SELECT count(*) FROM case_file").fetchone()[0]
    with pytest.raises(SignInFailed) as info:
        server_team.sign_in(name)
    assert str(info.value) == WRONG_NAME_OR_PASSWORD
    with server_team.raw(server_team.lead) as conn:
        assert conn.execute("SELECT count(*) FROM case_file").fetchone()[0] == before


def test_scripts_may_give_the_password_as_pgpassword(server_team, monkeypatch, capsys):
    monkeypatch.delenv("FOLLOWUP_PASSWORD", raising=False)
    monkeypatch.setenv("FOLLOWUP_USER", server_team.lead)
    monkeypatch.setenv("PGPASSWORD", password_of(server_team.lead))
    code = cli.main(["cases", "--db", server_team.gate_url, "--json", "--limit", "1"])
    out = capsys.readouterr()
    assert code == 0, out.err


def test_backups_on_the_team_server_are_the_owners(server_team, day, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FOLLOWUP_USER", server_team.lead)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", password_of(server_team.lead))
    refused = cli.main(["backup", str(tmp_path / "lead.dump"), "--db", server_team.gate_url])
    out = capsys.readouterr()
    assert refused == 2 and "only the schema's owner" in out.err
    assert not (tmp_path / "lead.dump").exists()
    code = cli.main(["backup", str(tmp_path / "owner.dump"), "--db", server_team.owner_url])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert (tmp_path / "owner.dump").stat().st_size > 0
