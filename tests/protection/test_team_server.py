"""The least-privilege team server, on a real PostgreSQL server.

A DBA's set-up (docs/team-server.sql) makes an owner role and an app role with passwords and a
database; `followup init --grant-app-role` migrates as the owner and grants; the app role can
then do Followup's work and nothing more.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from followup import cli
from followup.accounts import actor_of, create_user, sign_in
from followup.casework.detail import open_case
from followup.db import models as m
from followup.db.engine import Database, make_engine
from followup.db.migrate import alembic_config, open_database, schema_state
from followup.errors import DatabaseUnavailable
from followup.protection import team_server
from followup.protection.purge import purge_person
from tests.conftest import PG_SKIP_REASON, PG_URL

pytestmark = pytest.mark.postgres

DOCS_SQL = Path(__file__).resolve().parents[2] / "docs" / "team-server.sql"


def _admin(database: str | None = None):
    assert PG_URL
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    if database:
        url = url.rsplit("/", 1)[0] + "/" + database
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _url(role: str, password: str, database: str) -> str:
    assert PG_URL
    host = PG_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg://{role}:{password}@{host}/{database}"


@pytest.fixture
def server():
    """Roles and a database made as the DBA script makes them; dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    tag = uuid.uuid4().hex[:8]
    owner, app, database = f"fu_owner_{tag}", f"fu_app_{tag}", f"fu_db_{tag}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            for statement in team_server.server_setup_statements(database, owner, app):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(f"ALTER ROLE {owner} PASSWORD 'owner-secret'")
            conn.exec_driver_sql(f"ALTER ROLE {app} PASSWORD 'app-secret'")
        in_db = _admin(database)
        with in_db.connect() as conn:
            for statement in team_server.database_setup_statements(owner):
                conn.exec_driver_sql(statement)
        in_db.dispose()
        yield {
            "owner": owner,
            "app": app,
            "database": database,
            "owner_url": _url(owner, "owner-secret", database),
            "app_url": _url(app, "app-secret", database),
        }
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {app}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()


@pytest.fixture
def granted(server, capsys):
    """The schema made by `followup init` as the owner, with the app role's grants."""
    code = cli.main(["init", "--db", server["owner_url"], "--grant-app-role", server["app"]])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"The role {server['app']} has the app's rights" in out.out
    assert "owner-secret" not in out.out + out.err
    return server


def _refused(db: Database, sql: str) -> str:
    with pytest.raises(DBAPIError) as info, db.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return str(info.value.orig)


def test_the_docs_hold_the_generated_script():
    assert DOCS_SQL.read_text(encoding="utf-8") == team_server.team_server_script(), (
        "docs/team-server.sql is out of date: regenerate it with "
        "followup.protection.team_server.team_server_script()"
    )


def test_the_grants_on_the_server_are_exactly_the_documented_ones(granted):
    db = open_database(granted["owner_url"], migrate=False)
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                    "WHERE grantee = :app AND table_schema = 'public'"
                ),
                {"app": granted["app"]},
            ).all()
            function_ok = conn.execute(
                text(
                    "SELECT has_function_privilege(:app, 'followup_purge_person(integer)', "
                    "'EXECUTE')"
                ),
                {"app": granted["app"]},
            ).scalar()
            owns = conn.execute(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tableowner = :app"
                ),
                {"app": granted["app"]},
            ).scalar()
    finally:
        db.dispose()
    grants: dict[str, set[str]] = {}
    for table, privilege in rows:
        grants.setdefault(table, set()).add(privilege)
    assert grants.pop("alembic_version") == {"SELECT"}
    for table in team_server.APPEND_ONLY:
        assert grants.pop(table) == {"SELECT", "INSERT"}, table
    for table in m.Base.metadata.tables:
        if table in team_server.APPEND_ONLY:
            continue
        expected = {"SELECT", "INSERT", "UPDATE"}
        if table in team_server.APP_DELETES:
            expected.add("DELETE")
        assert grants.pop(table) == expected, table
    assert grants == {}
    assert "person" not in team_server.APP_DELETES
    assert function_ok is True
    assert owns == 0


def test_the_app_role_does_the_work_but_nothing_more(granted, capsys, monkeypatch):
    url = granted["app_url"]
    # A normal day: demonstration data, signing in, listing cases, opening one.
    assert cli.main(["demo", "--cases", "12", "--seed", "3", "--db", url, "--json"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "demo")
    assert cli.main(["cases", "--db", url, "--user", "lead", "--json", "--limit", "5"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] > 0 and listed["cases"]

    db = open_database(url)  # up to date: opening needs no rights it lacks
    try:
        with db.session() as s:
            assert s.scalar(text("SELECT current_user")) == granted["app"]
            lead = sign_in(s, "lead", "demo")
        with db.session() as s:
            case_id = listed["cases"][0]["id"]
            assert open_case(s, lead, case_id).id == case_id
            admin = actor_of(s.scalar(select(m.User).where(m.User.username == "admin")))
            create_user(s, admin, "newworker", "worker", "pass-newworker", "Nova Worker")

        # The audit trail: readable and appendable, never changed, deleted or emptied.
        for sql in (
            "UPDATE audit_event SET details = NULL",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
        ):
            assert "permission denied" in _refused(db, sql)
        # People go only through the purge; the schema is the owner's.
        assert "permission denied" in _refused(db, "DELETE FROM person")
        assert "permission denied" in _refused(db, "CREATE TABLE sneaky (id integer)")
        assert "must be owner" in _refused(db, "ALTER TABLE person ADD COLUMN sneaky text")
        assert "must be owner" in _refused(db, "DROP TABLE audit_event")
        assert "must be owner" in _refused(
            db, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"
        )
        assert "permission denied" in _refused(db, "CREATE TEMP TABLE sneaky (id integer)")
        assert "permission denied" in _refused(db, "UPDATE alembic_version SET version_num = 'x'")

        # Personal audit values and the destruction log leave only through the purge.
        for sql in (
            "DELETE FROM audit_private_value",
            "UPDATE destruction_log SET person_id = 0",
            "DELETE FROM destruction_log",
        ):
            assert "permission denied" in _refused(db, sql)

        # The retention purge works for the app role, through the owner's function.
        with db.session() as s:
            from followup.casework import people

            people.update_person(s, lead, case_id, None, {"gp_practice": "Synthetic Surgery"})
        with db.session() as s:
            person_id = s.scalar(select(m.Case.person_id).where(m.Case.id == case_id))
            assert s.scalar(select(m.AuditPrivateValue.person_id)) == person_id
            assert purge_person(s, admin, person_id) >= 1
        with db.session() as s:
            assert s.get(m.Person, person_id) is None
            assert s.get(m.Case, case_id) is None
            assert s.scalar(select(m.AuditPrivateValue)) is None
            purge = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "purge"))
            assert (purge.entity, purge.entity_id, purge.user_id) == ("person", person_id, admin.id)
    finally:
        db.dispose()


def test_the_app_role_cannot_run_migrations(granted):
    # The owner takes the schema back a revision, as an older Followup would have left it.
    owner = Database(granted["owner_url"], make_engine(granted["owner_url"]))
    cfg = alembic_config()
    with owner.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    owner.dispose()

    with pytest.raises(DatabaseUnavailable) as info:
        open_database(granted["app_url"])
    message = str(info.value)
    assert "app-secret" not in message
    assert "\n" not in message and "Traceback" not in message
    with pytest.raises(DatabaseUnavailable, match="needs upgrading.*followup init"):
        open_database(granted["app_url"], migrate=False)

    owner = Database(granted["owner_url"], make_engine(granted["owner_url"]))
    try:
        assert schema_state(owner).current == "0002"  # nothing was changed by the app role
    finally:
        owner.dispose()


def test_granting_is_refused_plainly_on_sqlite_and_for_a_missing_role(sqlite_database, granted):
    from followup.errors import FollowupError

    with pytest.raises(FollowupError, match="SQLite file has no roles"):
        team_server.grant_app_role(sqlite_database)
    db = open_database(granted["owner_url"], migrate=False)
    try:
        with pytest.raises(FollowupError, match="no database role called nobody_here"):
            team_server.grant_app_role(db, "nobody_here")
        with pytest.raises(FollowupError, match="cannot be used"):
            team_server.grant_app_role(db, "x; DROP TABLE person")
    finally:
        db.dispose()


def test_the_app_role_cannot_grant_itself_more(granted):
    db = open_database(granted["app_url"])
    try:
        with pytest.raises((ProgrammingError, DBAPIError)):
            team_server.grant_app_role(db, granted["app"])
    finally:
        db.dispose()
