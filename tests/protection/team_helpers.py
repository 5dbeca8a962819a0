"""A throwaway team server for tests: made as the DBA script and `followup init` make it.

``server_team`` (module-scoped) gives a database with an admin, a lead and two workers, each a login
of their own, and the letterhead set; everything is dropped afterwards. Logins and groups are
server-wide, so every name carries a random tag.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import create_engine

from followup import cli, startup
from followup.access import Actor
from followup.db.engine import Database
from followup.db.migrate import open_database
from followup.letters.settings import set_letterhead
from followup.protection import team_accounts, team_server
from followup.protection.team_server import TeamRoles
from tests.conftest import PG_SKIP_REASON, PG_URL
from tests.letters.helpers import LETTERHEAD, logo_png

__all__ = ["Team", "bare_team", "password_of", "server_team", "superuser_engine"]


def server_address() -> str:
    assert PG_URL
    return PG_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]


def superuser_engine(database: str = "postgres"):
    assert PG_URL
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    return create_engine(f"{url}/{database}", isolation_level="AUTOCOMMIT")


def password_of(name: str) -> str:
    return f"{name}-synthetic-passphrase"


@dataclass
class Team:
    roles: TeamRoles
    database: str
    admin: str
    lead: str
    worker_a: str
    worker_b: str

    def url(self, login: str, password: str | None = None) -> str:
        secret = password if password is not None else password_of(login)
        return f"postgresql://{login}:{secret}@{server_address()}/{self.database}"

    @property
    def owner_url(self) -> str:
        return self.url(self.roles.owner)

    @property
    def gate_url(self) -> str:
        return self.url(self.roles.gate)

    def sign_in(self, login: str, password: str | None = None) -> tuple[Database, Actor]:
        db = open_database(self.gate_url)
        try:
            actor = startup.sign_in(db, login, password or password_of(login))
        except BaseException:
            db.dispose()
            raise
        return db, actor

    def raw(self, login: str) -> psycopg.Connection:
        host, port = server_address().split(":")
        return psycopg.connect(
            host=host,
            port=int(port),
            dbname=self.database,
            user=login,
            password=password_of(login),
            autocommit=True,
        )


@contextmanager
def bare_team(*logins: str) -> Iterator[Team]:
    """A team server with no users yet: roles, database, `followup init` as the owner.

    ``logins`` are dropped with it afterwards, as well as the groups, gate and owner.
    """
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    tag = uuid.uuid4().hex[:8]
    roles = TeamRoles(owner=f"fo_{tag}", gate=f"fg_{tag}", prefix=f"ft_{tag}")
    t = Team(roles, f"fd_{tag}", f"adm_{tag}", f"lead_{tag}", f"wa_{tag}", f"wb_{tag}")
    su = superuser_engine()
    try:
        with su.connect() as conn:
            for statement in team_server.server_setup_statements(t.database, roles):
                conn.exec_driver_sql(statement)
            for login in (roles.owner, roles.gate):
                conn.exec_driver_sql(f"ALTER ROLE {login} PASSWORD '{password_of(login)}'")
        in_db = superuser_engine(t.database)
        with in_db.connect() as conn:
            for statement in team_server.database_setup_statements(roles):
                conn.exec_driver_sql(statement)
        in_db.dispose()
        code = cli.main(
            ["init", "--db", t.owner_url, "--role-prefix", roles.prefix, "--gate-role", roles.gate]
        )
        assert code == 0
        yield t
    finally:
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {t.database} WITH (FORCE)")
            for login in (t.admin, t.lead, t.worker_a, t.worker_b, *logins, *roles.groups):
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {roles.gate}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {roles.owner}")
        su.dispose()


@pytest.fixture(scope="module")
def server_team() -> Iterator[Team]:
    """A team server made as the DBA script and `followup init` make it, with four users."""
    with bare_team() as t:
        owner = open_database(t.owner_url)
        try:
            with owner.session() as s:  # the first administrator, made by the owner
                team_accounts.create_user(
                    s, None, t.admin, "admin", password_of(t.admin), "Ada Admin"
                )
        finally:
            owner.dispose()
        db, admin = t.sign_in(t.admin)
        try:
            for login, role in ((t.lead, "lead"), (t.worker_a, "worker"), (t.worker_b, "worker")):
                with db.session() as s:
                    team_accounts.create_user(
                        s, admin, login, role, password_of(login), login.title()
                    )
            with db.session() as s:  # an admin's work: the letterhead
                set_letterhead(s, admin, logo=logo_png(), **LETTERHEAD)
        finally:
            db.dispose()
        yield t
