"""A team database without a keyring, or with a locked one: the password is asked for (or
taken from PGPASSWORD and ~/.pgpass, as PostgreSQL users expect), never a crash.

These open a real PostgreSQL server with a login that needs a password.
"""

from __future__ import annotations

import os
import uuid

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked

from followup import settings, startup
from tests.conftest import PG_SKIP_REASON, PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason=PG_SKIP_REASON)


class LockedKeyring(KeyringBackend):
    """A keyring that is there but locked, as GNOME Keyring is before it is unlocked."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise KeyringLocked("the collection is locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service, username):
        raise KeyringLocked("the collection is locked")


@pytest.fixture
def team_login(tmp_path):
    """A login with a password and a database of its own; its URL carries no password."""
    from tests.protection.team_helpers import superuser_engine

    name = f"kr_{uuid.uuid4().hex[:8]}"
    secret = "keyringless-synthetic-phrase"
    su = superuser_engine()
    with su.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{secret}'")
        conn.exec_driver_sql(f"CREATE DATABASE {name} OWNER {name}")
    host = PG_URL.split("@", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql://{name}@{host}/{name}", secret
    finally:
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        su.dispose()


def _open(url, tmp_path, password=None):
    return startup.open_app_database(
        url, create=False, backup_dir=tmp_path / "backups", password=password
    )


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring], ids=["none", "locked"])
def test_without_a_usable_keyring_the_app_asks_for_the_password(
    backend, team_login, tmp_path, monkeypatch
):
    url, secret = team_login
    monkeypatch.delenv("PGPASSWORD", raising=False)
    keyring.set_keyring(backend())
    assert _open(url, tmp_path) is None  # no crash: the app shows its password dialog
    if backend is LockedKeyring:
        assert "keyring is locked" in (settings.keyring_problem() or "")
        assert "unlock it" in settings.keyring_problem()
    db = _open(url, tmp_path, password=secret)  # what the user types, for this session
    assert db is not None
    db.dispose()


def test_pgpassword_and_pgpass_are_honoured(team_login, tmp_path, monkeypatch):
    url, secret = team_login
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("PGPASSWORD", secret)
    db = _open(url, tmp_path)
    assert db is not None
    db.dispose()
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{url.split('//', 1)[1].split('@')[0]}:{secret}\n")
    os.chmod(pgpass, 0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    db = _open(url, tmp_path)
    assert db is not None
    db.dispose()


def test_the_keyring_is_named_in_words():
    class Named:
        pass

    for module, words in [
        ("keyring.backends.SecretService", "GNOME Keyring (Secret Service)"),
        ("keyring.backends.kwallet", "KWallet"),
        ("keyring.backends.Windows", "Windows Credential Manager"),
        ("keyring.backends.macOS", "the macOS Keychain"),
    ]:
        Named.__module__ = module
        assert settings.keyring_name(Named()) == words
    assert settings.keyring_name(fail.Keyring()) == "no keyring"
