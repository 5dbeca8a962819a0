"""The team database password comes from the keyring; wrong or missing ones are explained."""

from __future__ import annotations

import uuid

import keyring
import pytest
from sqlalchemy import create_engine, text

from followup.db.migrate import open_database
from followup.errors import DatabaseUnavailable
from followup.settings import (
    KEYRING_SERVICE,
    keyring_key,
    store_database_password,
    with_stored_password,
)
from tests.conftest import PG_SKIP_REASON, PG_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def password_role():
    """A login role with a password and its own database; yields the URL without password."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    role = "fu_pw_" + uuid.uuid4().hex[:8]
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'right-password'"))
        conn.execute(text(f"CREATE DATABASE {role} OWNER {role}"))
    base = PG_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql://{role}@{base}/{role}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {role} WITH (FORCE)"))
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
    admin.dispose()


def test_missing_wrong_and_right_password(password_role):
    with pytest.raises(DatabaseUnavailable, match="refused the password .*followup set-password"):
        open_database(with_stored_password(password_role), create=True)
    store_database_password(password_role, "wrong-password")
    with pytest.raises(DatabaseUnavailable, match="refused the password") as info:
        open_database(with_stored_password(password_role), create=True)
    assert "wrong-password" not in str(info.value)
    store_database_password(password_role, "right-password")
    assert keyring.get_password(KEYRING_SERVICE, keyring_key(password_role)) == "right-password"
    db = open_database(with_stored_password(password_role), create=True)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar().startswith("fu_pw_")
    finally:
        db.dispose()
