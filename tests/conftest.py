"""Test set-up: no real screen, keyring, home or data folders; a fresh database per test.

Runs before any QApplication exists: Qt goes offscreen, every standard folder points into a
temporary one, and the keyring is an in-memory backend. Database tests run on SQLite always
and on PostgreSQL when FOLLOWUP_TEST_PG_URL names a server (CI starts one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="followup-tests-"))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
for _var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    (_ROOT / _var).mkdir()
    os.environ[_var] = str(_ROOT / _var)
(_ROOT / "runtime").mkdir(mode=0o700)
os.environ["XDG_RUNTIME_DIR"] = str(_ROOT / "runtime")
for _var in ("FOLLOWUP_DB", "FOLLOWUP_USER", "FOLLOWUP_PASSWORD"):
    os.environ.pop(_var, None)
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.memory_keyring.MemoryKeyring"

import keyring  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from followup import passwords  # noqa: E402
from followup.access import Actor  # noqa: E402
from followup.accounts import actor_of, create_user  # noqa: E402
from followup.db.engine import Database, sqlite_path  # noqa: E402
from followup.db.migrate import open_database  # noqa: E402
from followup.settings import AppPaths  # noqa: E402
from tests.memory_keyring import MemoryKeyring  # noqa: E402

PG_ENV = "FOLLOWUP_TEST_PG_URL"
PG_URL = os.environ.get(PG_ENV)
PG_SKIP_REASON = (
    f"PostgreSQL tests need a server: set {PG_ENV} to an admin URL such as "
    "postgresql://postgres@127.0.0.1:5432/postgres (.ci/run starts one)"
)


# The throwaway team server (``server_team``), for the team-server and sign-in tests.
pytest_plugins = ["tests.protection.team_helpers"]


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def memory_keyring():
    """Every test starts with an empty in-memory keyring."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


# scrypt at OWASP's cost takes a few tenths of a second a hash; tests make hundreds.
CHEAP_SCRYPT = passwords.ScryptCost(n=2**8, r=8, p=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Hash at a low cost; tests/test_accounts.py checks the real one."""
    monkeypatch.setattr(passwords, "SCRYPT_COST", CHEAP_SCRYPT)


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """Data, config and log folders of this test; AppPaths.default() points here too."""
    paths = AppPaths(tmp_path / "data", tmp_path / "config", tmp_path / "log")
    os.environ["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    os.environ["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    return paths


def _new_pg_database(template: str | None = None) -> tuple[str, str]:
    """Create an empty database on the test server (a copy of ``template`` if given); returns
    (url, name)."""
    assert PG_URL
    name = "followup_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1), name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["UTC", "America/New_York"])
def machine_zone(request):
    """The computer's own time zone for one test (``TZ`` and ``time.tzset()``), put back after:
    Followup must show UK time on a host set to UTC (Citrix) or anywhere else."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path: Path):
    """The URL of an empty database: a SQLite file, and a PostgreSQL database when configured."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "followup.sqlite")
        return
    if not PG_URL:
        if os.environ.get("FOLLOWUP_REQUIRE_PG"):
            pytest.fail(f"FOLLOWUP_REQUIRE_PG is set but {PG_ENV} is not")
        pytest.skip(PG_SKIP_REASON)
    # A test that wants a migrated database gets the template's copy at once (``database``).
    wants_migrated = "database" in request.fixturenames
    url, name = _new_pg_database(_pg_template() if wants_migrated else None)
    if wants_migrated:
        _FROM_TEMPLATE.add(url)
    yield url
    _drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "followup.sqlite")


# Migrating an empty database from nothing takes a second or two, and most tests want one:
# each test process migrates one template per backend the first time a test asks, and every
# test then gets its own copy (a file copy on SQLite, CREATE DATABASE … TEMPLATE on
# PostgreSQL). The template holds only what the migrations write; tests of migrating itself
# call open_database on an empty URL (``db_url``), which still migrates from nothing.
_TEMPLATES: dict[str, str] = {}
# The PostgreSQL URLs ``db_url`` made as copies of the template.
_FROM_TEMPLATE: set[str] = set()


def _sqlite_template() -> Path:
    path = _ROOT / f"template-{os.getpid()}.sqlite"
    if "sqlite" not in _TEMPLATES:
        db = open_database("sqlite:///" + str(path), create=True)
        db.dispose()  # the last connection closing checkpoints the WAL into the file
        _TEMPLATES["sqlite"] = str(path)
    return path


def _pg_template() -> str:
    if "postgresql" not in _TEMPLATES:
        url, name = _new_pg_database()
        open_database(url, create=True).dispose()
        _TEMPLATES["postgresql"] = name
    return _TEMPLATES["postgresql"]


def _migrated_copy(db_url: str) -> str:
    """The migrated copy at ``db_url``: on SQLite the template's file copied over the empty
    one; on PostgreSQL ``db_url`` already made it from the template (one CREATE DATABASE)."""
    path = sqlite_path(db_url)
    if path is not None:
        shutil.copyfile(_sqlite_template(), path)
        return db_url
    assert db_url in _FROM_TEMPLATE, "db_url copies the template for tests that use database"
    return db_url


def pytest_unconfigure(config):
    if PG_URL and "postgresql" in _TEMPLATES:
        _drop_pg_database(_TEMPLATES.pop("postgresql"))


@pytest.fixture
def database(db_url: str, tmp_path: Path):
    """A migrated, empty database on each backend."""
    db = open_database(_migrated_copy(db_url), create=True, backup_dir=tmp_path / "backups")
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(sqlite_url: str, tmp_path: Path):
    """A migrated, empty SQLite database, for tests that need only one backend."""
    db = open_database(_migrated_copy(sqlite_url), create=True, backup_dir=tmp_path / "backups")
    yield db
    db.dispose()


@pytest.fixture
def team(request) -> dict[str, Actor]:
    """Users admin, lead, worker1 and worker2 (password 'pass-<name>') in ``database``.

    The passwords are shorter than the password rule allows (``policy=False``): many tests
    sign in with them."""
    name = "database" if "database" in request.fixturenames else "sqlite_database"
    db: Database = request.getfixturevalue(name)
    actors: dict[str, Actor] = {}
    with db.session() as s:
        admin = actor_of(
            create_user(s, None, "admin", "admin", "pass-admin", "Ada Admin", policy=False)
        )
        actors["admin"] = admin
        for username, role, display in (
            ("lead", "lead", "Lee Lead"),
            ("worker1", "worker", "Wendy Worker"),
            ("worker2", "worker", "Walt Worker"),
        ):
            actors[username] = actor_of(
                create_user(s, admin, username, role, f"pass-{username}", display, policy=False)
            )
    return actors
