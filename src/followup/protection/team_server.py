"""Least-privilege roles for a team's PostgreSQL server, their grants, and its purge function.

Two roles (the names are the defaults; a DBA may choose others):

- ``followup_owner`` owns the database, its schema and every table. Only ``followup init``
  connects as the owner: it runs the migrations and then grants the app role what it needs
  (``followup init --grant-app-role followup_app``).
- ``followup_app`` is what everyone's desktop app connects as. It reads and writes case data,
  but it cannot change the schema (it owns nothing and may not create anything), cannot
  update or delete audit rows (it has only SELECT and INSERT on ``audit_event``,
  ``destruction_log`` and ``audit_private_value``, and triggers refuse changes from anyone),
  and cannot delete people: it may DELETE only from the tables in
  ``APP_DELETES``, where Followup's own work deletes rows. A person leaves the database only
  through the retention purge, ``purge.purge_person``, which on the server calls the function
  ``followup_purge_person``: it runs with its owner's rights (SECURITY DEFINER) and the app
  role may only EXECUTE it.

``team_server_script`` renders the SQL a database administrator runs once (docs/team-server.sql
is that script); ``app_grant_statements`` are what ``followup init --grant-app-role`` runs after
each upgrade, so new tables are covered.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import text

from followup.db.engine import Database
from followup.db.models import Base
from followup.errors import FollowupError
from followup.protection.purge import (
    PURGE_DELETES,
    PURGE_FUNCTION,
    PURGE_SET_NAMES,
    PURGE_SETS,
    on_server,
)

__all__ = [
    "APP_DELETES",
    "APP_ROLE",
    "APPEND_ONLY",
    "DATABASE",
    "OWNER_ROLE",
    "SCHEMA",
    "app_grant_statements",
    "database_setup_statements",
    "grant_app_role",
    "identifier",
    "purge_function_sql",
    "server_setup_statements",
    "team_server_script",
]

log = logging.getLogger(__name__)

OWNER_ROLE = "followup_owner"
APP_ROLE = "followup_app"
DATABASE = "followup"
SCHEMA = "public"

# The tables Followup's own work deletes rows from, and why; nothing else is deletable by the
# app role. Keep this in step with the code (grep for `session.delete` and `delete(`).
APP_DELETES: dict[str, str] = {
    "case_file": "merging two people folds an untouched duplicate case into the open one",
    "case_status_change": "the folded case's status history goes with it (kept in the merge)",
    "setting": "removing the letterhead logo removes its setting",
}
# Read and append only. Triggers refuse changes to the first two from anyone;
# audit_private_value rows (personal values of audit events) leave only through the purge.
APPEND_ONLY = frozenset({"audit_event", "destruction_log", "audit_private_value"})

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """A role or database name, checked so that it can go into SQL as it is."""
    if not _IDENTIFIER.match(name):
        raise FollowupError(
            f"{name!r} cannot be used as a PostgreSQL role or database name here; use lower-case "
            "letters, digits and underscores, starting with a letter."
        )
    return name


# --------------------------------------------------------------------- the purge function


def purge_function_sql(schema: str = SCHEMA) -> str:
    """The SECURITY DEFINER function that deletes one person and all that belongs to them."""
    declare = "\n".join(f"    v_{name} integer[];" for name in PURGE_SET_NAMES)
    sets = "\n".join(f"    v_{name} := ARRAY({on_server(query)});" for name, query in PURGE_SETS)
    deletes = "\n".join(
        f"    DELETE FROM {table} WHERE {on_server(where)};" for table, where in PURGE_DELETES
    )
    return f"""CREATE OR REPLACE FUNCTION {PURGE_FUNCTION}(p_person_id integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {identifier(schema)}, pg_temp AS $$
DECLARE
{declare}
    deleted integer;
BEGIN
{sets}
{deletes}
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$"""


# --------------------------------------------------------------------------- grants


def app_grant_statements(app_role: str = APP_ROLE, schema: str = SCHEMA) -> list[str]:
    """What the owner grants the app role, table by table, after the migrations.

    Revoked first, so that running it again after an upgrade leaves exactly these rights.
    """
    app = identifier(app_role)
    sch = identifier(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"GRANT SELECT ON {sch}.alembic_version TO {app}",
    ]
    for table in Base.metadata.sorted_tables:
        if table.name in APPEND_ONLY:
            rights = "SELECT, INSERT"
        elif table.name in APP_DELETES:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        else:
            rights = "SELECT, INSERT, UPDATE"
        statements.append(f"GRANT {rights} ON {sch}.{table.name} TO {app}")
    statements += [
        # UPDATE lets `followup demo` move the id sequences past the ids it chose in bulk.
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        purge_function_sql(sch),
        f"REVOKE ALL ON FUNCTION {sch}.{PURGE_FUNCTION}(integer) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {sch}.{PURGE_FUNCTION}(integer) TO {app}",
        f"REVOKE ALL ON FUNCTION {sch}.followup_audit_event_append_only() FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {sch}.followup_destruction_log_append_only() FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {sch}.followup_audit_private_value_no_update() FROM PUBLIC",
    ]
    return statements


def grant_app_role(db: Database, app_role: str = APP_ROLE) -> None:
    """Run ``app_grant_statements`` as the connected owner (``followup init``)."""
    if db.is_sqlite:
        raise FollowupError(
            "Database roles are for a PostgreSQL team server; a SQLite file has no roles."
        )
    statements = app_grant_statements(app_role)
    with db.engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": app_role}
        ).scalar()
        if not exists:
            raise FollowupError(
                f"There is no database role called {app_role}; create it first "
                "(see docs/team-server.sql)."
            )
        for statement in statements:
            conn.exec_driver_sql(statement)
    log.info("Granted the app role its rights")


# --------------------------------------------------------------------------- the DBA script


def server_setup_statements(
    database: str = DATABASE, owner: str = OWNER_ROLE, app: str = APP_ROLE
) -> list[str]:
    """Run by a superuser in the server's maintenance database (e.g. ``postgres``)."""
    db, own, app = identifier(database), identifier(owner), identifier(app)
    return [
        f"CREATE ROLE {own} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
        f"CREATE DATABASE {db} OWNER {own} ENCODING 'UTF8'",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
    ]


def database_setup_statements(owner: str = OWNER_ROLE, schema: str = SCHEMA) -> list[str]:
    """Run by a superuser connected to the new database: the owner owns the schema."""
    own, sch = identifier(owner), identifier(schema)
    return [
        f"ALTER SCHEMA {sch} OWNER TO {own}",
        # PostgreSQL before 15 lets everyone create tables in public; nobody but the owner may.
        f"REVOKE ALL ON SCHEMA {sch} FROM PUBLIC",
    ]


def team_server_script(
    database: str = DATABASE, owner: str = OWNER_ROLE, app: str = APP_ROLE
) -> str:
    """The psql script for a database administrator (docs/team-server.sql)."""
    lines = [
        "-- Followup team server: roles and database, for a PostgreSQL administrator.",
        "-- Generated by followup.protection.team_server.team_server_script(); run with psql as a superuser:",
        "--     psql -U postgres -f team-server.sql",
        f"-- {owner} owns the schema and is used only by `followup init`;",
        f"-- {app} is what the desktop app connects as: it reads and writes case data but",
        "-- cannot change the schema, cannot change or delete audit rows and cannot delete",
        "-- people except through the retention purge (the SECURITY DEFINER function",
        f"-- {PURGE_FUNCTION}, owned by {owner}).",
        "",
        "\\set ON_ERROR_STOP on",
        "",
    ]
    lines += [s + ";" for s in server_setup_statements(database, owner, app)]
    lines += [
        "",
        "-- Passwords are typed, not stored in this file.",
        f"\\password {owner}",
        f"\\password {app}",
        "",
        f"\\connect {database}",
    ]
    lines += [s + ";" for s in database_setup_statements(owner)]
    lines += [
        "",
        "-- Then, as the owner, create the schema and grant the app role its rights:",
        f"--     followup init --db postgresql://{owner}@HOST:5432/{database} "
        f"--grant-app-role {app}",
        "-- (run the same command after every Followup upgrade). It runs these grants:",
        "--",
    ]
    for statement in app_grant_statements(app):
        lines += [f"--   {line}" for line in (statement + ";").splitlines()]
    lines += [
        "--",
        "-- Everyone's app then uses:",
        f"--     FOLLOWUP_DB=postgresql://{app}@HOST:5432/{database}",
        "",
    ]
    return "\n".join(lines)
