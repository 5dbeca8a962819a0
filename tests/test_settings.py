"""Choosing the database and keeping its password out of files."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends import fail

from followup.errors import FollowupError
from followup.settings import (
    keyring_status,
    resolve_database_url,
    save_local_settings,
    store_database_password,
)


def test_precedence_cli_then_environment_then_settings_then_local_file(app_paths, monkeypatch):
    assert resolve_database_url(None, app_paths) == "sqlite:///" + str(app_paths.default_database)
    save_local_settings({"database_url": "postgresql://app@settings.invalid/followup"}, app_paths)
    assert (
        resolve_database_url(None, app_paths)
        == "postgresql+psycopg://app@settings.invalid/followup"
    )
    monkeypatch.setenv("FOLLOWUP_DB", "postgresql://app@env.invalid/followup")
    assert "env.invalid" in resolve_database_url(None, app_paths)
    assert resolve_database_url("/tmp/x.sqlite", app_paths) == "sqlite:////tmp/x.sqlite"


def test_a_password_in_the_settings_file_is_refused(app_paths):
    save_local_settings({"database_url": "postgresql://app:hunter2@db.invalid/followup"}, app_paths)
    with pytest.raises(FollowupError, match="holds a database password") as info:
        resolve_database_url(None, app_paths)
    assert "hunter2" not in str(info.value)


def test_a_broken_settings_file_is_explained(app_paths):
    app_paths.config_dir.mkdir(parents=True)
    app_paths.settings_file.write_text("{not json")
    with pytest.raises(FollowupError, match="not valid JSON"):
        resolve_database_url(None, app_paths)
    app_paths.settings_file.write_text(json.dumps({"database_url": ""}))
    assert resolve_database_url(None, app_paths).startswith("sqlite:///")


def test_keyring_backend_is_named_and_its_absence_explained():
    status = keyring_status()
    assert status.usable and "MemoryKeyring" in status.backend
    keyring.set_keyring(fail.Keyring())
    status = keyring_status()
    assert not status.usable
    assert "No system keyring is available" in status.advice
    with pytest.raises(FollowupError, match="No system keyring"):
        store_database_password("postgresql+psycopg://u@h/db", "pw")
