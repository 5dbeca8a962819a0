"""The command line through its real entry point: exit codes, plain errors, permissions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_init_creates_the_database_and_check_reports_the_revision(run, db_file):
    code, out, err = run("init", "--db", db_file)
    assert code == 0, err
    assert "is ready" in out and Path(db_file).exists()
    code, out, _ = run("check", "--db", db_file, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["schema_revision"] == report["app_revision"]


def test_first_user_is_an_admin_read_from_stdin_then_admins_add_users(run, db_file):
    code, _, err = run(
        "users", "add", "wendy", "--role", "worker", "--db", db_file, stdin="wendy-kettle-orbit\n"
    )
    assert code == 2 and "first user must be an administrator" in err
    code, out, err = run(
        "users", "add", "ada", "--role", "admin", "--db", db_file, stdin="ada-harbour-lantern\n"
    )
    assert code == 0, err
    assert "Added ada as admin" in out
    # From now on only a signed-in administrator may add users.
    code, _, err = run(
        "users", "add", "wendy", "--role", "worker", "--db", db_file, stdin="wendy-kettle-orbit\n"
    )
    assert code == 2 and "--user NAME" in err
    code, _, err = run(
        "users",
        "add",
        "wendy",
        "--role",
        "worker",
        "--db",
        db_file,
        "--user",
        "ada",
        stdin="wendy-kettle-orbit\n",
        env={"FOLLOWUP_PASSWORD": "wrong"},
    )
    assert code == 2 and "user name or password is wrong" in err
    code, out, err = run(
        "users",
        "add",
        "wendy",
        "--role",
        "worker",
        "--db",
        db_file,
        "--user",
        "ada",
        stdin="wendy-kettle-orbit\n",
        env={"FOLLOWUP_PASSWORD": "ada-harbour-lantern"},
    )
    assert code == 0, err
    code, _, err = run(
        "users",
        "add",
        "walt",
        "--role",
        "worker",
        "--db",
        db_file,
        "--user",
        "wendy",
        stdin="walt-cobble-meadow\n",
        env={"FOLLOWUP_PASSWORD": "wendy-kettle-orbit"},
    )
    assert code == 2 and "does not allow you to manage users" in err


def test_cases_needs_a_user_and_lists_as_json(run, db_file):
    run("users", "add", "ada", "--role", "admin", "--db", db_file, stdin="ada-harbour-lantern\n")
    run(
        "users",
        "add",
        "lee",
        "--role",
        "lead",
        "--db",
        db_file,
        "--user",
        "ada",
        stdin="lee-violet-thimble\n",
        env={"FOLLOWUP_PASSWORD": "ada-harbour-lantern"},
    )
    code, _, err = run("cases", "--db", db_file)
    assert code == 2 and "--user NAME" in err
    code, out, err = run(
        "cases",
        "--db",
        db_file,
        "--json",
        env={"FOLLOWUP_USER": "lee", "FOLLOWUP_PASSWORD": "lee-violet-thimble"},
    )
    assert code == 0, err
    assert json.loads(out) == {"total": 0, "cases": []}
    code, _, err = run(
        "cases", "--db", db_file, "--user", "ada", env={"FOLLOWUP_PASSWORD": "ada-harbour-lantern"}
    )
    assert code == 2 and "does not allow you to see cases" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cases", "--db", "{missing}", "--user", "x"], "no database file"),
        (["check", "--db", "{notdb}"], "not a Followup database"),
        (["cases", "--status", "lost", "--db", "{missing}", "--user", "x"], "Unknown status"),
        (["users", "add", "x"], "required: --role"),
        (["frobnicate"], "invalid choice"),
        (["check", "--db", "mysql://u@h/db"], "SQLite and PostgreSQL"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_code_2(run, tmp_path, args, message):
    notdb = tmp_path / "notdb.sqlite"
    notdb.write_text("hello, I am a text file\n")
    args = [a.format(missing=tmp_path / "missing.sqlite", notdb=notdb) for a in args]
    code, out, err = run(*args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "missing.sqlite").exists()
    assert notdb.read_text() == "hello, I am a text file\n"


def test_set_password_refuses_sqlite(run, db_file):
    code, _, err = run("set-password", "--db", db_file, stdin="s3cret\n")
    assert code == 2 and "Only a PostgreSQL team database has a password" in err


def test_set_password_tries_the_password_before_keeping_it(run, memory_keyring):
    """A wrong password is refused by the real server and never kept; the right one is."""
    import uuid

    from tests.conftest import PG_SKIP_REASON, PG_URL

    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    from tests.protection.team_helpers import superuser_engine

    name = f"sp_{uuid.uuid4().hex[:8]}"
    su = superuser_engine()
    with su.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD 'right-synthetic-phrase'")
    host = PG_URL.split("@", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql://{name}@{host}/postgres"
    key = f"{name}@{host}/postgres"
    try:
        code, _, err = run("set-password", "--db", url, stdin="wrong-synthetic-phrase\n")
        assert code == 2 and "refused that password" in err and "not stored" in err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert memory_keyring.get_password("Followup", key) is None
        code, out, err = run("set-password", "--db", url, stdin="right-synthetic-phrase\n")
        assert code == 0, err
        assert "The server accepted the password" in out and "MemoryKeyring" in out
        assert memory_keyring.get_password("Followup", key) == "right-synthetic-phrase"
    finally:
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        su.dispose()


def test_the_installed_entry_point_runs_without_a_traceback(tmp_path):
    env = dict(os.environ)
    exe = Path(sys.executable).with_name("followup")
    proc = subprocess.run(
        [str(exe), "check", "--db", str(tmp_path / "absent.sqlite")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("followup: There is no database file")
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "followup", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("followup ")


def test_the_database_may_be_named_before_the_command(run, db_file):
    # `followup --db FILE check` used the local file instead: the subcommand's own --db, not
    # given, overwrote the one given before its name.
    code, out, err = run("--db", db_file, "init")
    assert code == 0, err
    assert Path(db_file).exists()
    code, out, err = run("--db", db_file, "check", "--json")
    assert code == 0, err
    assert json.loads(out)["ok"] is True
    code, out, err = run("--db", db_file, "check", "--db", db_file, "--json")
    assert code == 0, err
