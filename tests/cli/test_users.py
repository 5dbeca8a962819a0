"""`followup users …`: adding, listing, switching off and on, new passwords and unlocking."""

from __future__ import annotations

import json

import pytest

ADMIN_PW = "ada-harbour-lantern"
WORKER_PW = "wendy-kettle-orbit"
AS_ADMIN = {"FOLLOWUP_USER": "ada", "FOLLOWUP_PASSWORD": ADMIN_PW}


@pytest.fixture
def users(run, db_file):
    """Runs `followup users ARGS --db FILE` as the administrator ada, with wendy a worker."""
    code, _, err = run("users", "add", "ada", "--role", "admin", "--db", db_file, stdin=ADMIN_PW)
    assert code == 0, err
    code, _, err = run(
        "users", "add", "wendy", "--role", "worker", "--display-name", "Wendy Worker",
        "--db", db_file, env={**AS_ADMIN, "FOLLOWUP_NEW_PASSWORD": WORKER_PW},
    )  # fmt: skip
    assert code == 0, err

    def _users(*args: str, env: dict[str, str] | None = None, stdin: str = ""):
        return run("users", *args, "--db", db_file, env=env or AS_ADMIN, stdin=stdin)

    return _users


def _one_plain_sentence(code: int, err: str) -> None:
    assert code == 2
    assert err.startswith("followup: ") and err.count("\n") == 1 and "Traceback" not in err


def _as_wendy(run, db_file, password: str = WORKER_PW):
    return run(
        "cases", "--db", db_file, env={"FOLLOWUP_USER": "wendy", "FOLLOWUP_PASSWORD": password}
    )


def test_a_new_password_must_meet_the_rule(run, db_file):
    code, _, err = run("users", "add", "ada", "--role", "admin", "--db", db_file, stdin="ab\n")
    _one_plain_sentence(code, err)
    assert "at least 12 characters" in err and "three random words" in err
    code, _, err = run(
        "users", "add", "ada", "--role", "admin", "--db", db_file, stdin="QWERTY123456\n"
    )
    _one_plain_sentence(code, err)
    assert "most common" in err
    code, out, err = run(
        "users", "add", "ada", "--role", "admin", "--db", db_file,
        env={"FOLLOWUP_NEW_PASSWORD": ADMIN_PW},
    )  # fmt: skip
    assert code == 0, err
    assert "Added ada as admin" in out


def test_list_shows_every_user_to_admins_only(users):
    code, out, err = users("list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "DISPLAY", "NAME", "ROLE"]
    assert lines[1].split()[:4] == ["ada", "ada", "admin", "on"]
    assert "never" not in lines[1]  # ada signed in to list them
    assert lines[2].split() == ["wendy", "Wendy", "Worker", "worker", "on", "never"]
    assert lines[-1] == "2 users."
    code, out, _ = users("list", "--json")
    assert json.loads(out)[1] == {
        "name": "wendy",
        "display_name": "Wendy Worker",
        "role": "worker",
        "active": True,
        "locked_until": None,
        "last_sign_in_at": None,
        "password_must_change": False,
    }
    code, _, err = users("list", env={"FOLLOWUP_USER": "wendy", "FOLLOWUP_PASSWORD": WORKER_PW})
    _one_plain_sentence(code, err)
    assert "does not allow you to manage users" in err


def test_five_wrong_passwords_lock_until_an_admin_unlocks(run, db_file, users):
    for _ in range(4):
        code, _, err = _as_wendy(run, db_file, "not-her-password")
        _one_plain_sentence(code, err)
        assert "user name or password is wrong" in err
    code, _, err = _as_wendy(run, db_file, "not-her-password")
    _one_plain_sentence(code, err)
    assert "locked after too many failed sign-ins until" in err and "(UK time)" in err
    assert "ask an administrator" in err
    code, _, locked = _as_wendy(run, db_file)  # the right password, refused while locked
    assert code == 2 and locked == err

    code, out, _ = users("list")
    assert "locked until" in out.splitlines()[2]
    assert json.loads(users("list", "--json")[1])[1]["locked_until"].endswith("+00:00")

    code, out, err = users("unlock", "wendy")
    assert code == 0, err
    assert "wendy is unlocked" in out
    code, _, err = _as_wendy(run, db_file)
    assert code == 0, err


def test_disable_and_enable(run, db_file, users):
    code, out, err = users("disable", "wendy")
    assert code == 0, err
    assert "switched off" in out
    code, _, err = _as_wendy(run, db_file)
    _one_plain_sentence(code, err)
    assert "switched off" in err
    code, _, err = users("disable", "ada")
    _one_plain_sentence(code, err)
    assert "your own account" in err
    code, out, err = users("enable", "wendy")
    assert code == 0, err
    assert _as_wendy(run, db_file)[0] == 0


def test_reset_password_applies_the_rule(run, db_file, users):
    new = "copper-lantern-umbrella"
    code, _, err = users("reset-password", "wendy", env={**AS_ADMIN, "FOLLOWUP_NEW_PASSWORD": "x"})
    _one_plain_sentence(code, err)
    assert "at least 12 characters" in err
    code, out, err = users("reset-password", "wendy", stdin=new + "\n")
    assert code == 0, err
    assert "one-time password" in out and new not in out
    assert "choose their own when they next sign in" in out
    assert _as_wendy(run, db_file, new)[0] == 0
    assert _as_wendy(run, db_file)[0] == 2
    listed = json.loads(users("list", "--json")[1])[1]
    assert listed["password_must_change"] is True
    assert listed["last_sign_in_at"].endswith("+00:00")


def test_set_role_and_the_last_admin_keeps_the_role(run, db_file, users):
    code, out, err = users("set-role", "wendy", "lead")
    assert code == 0, err
    assert out.strip() == "wendy's role is now lead."
    assert json.loads(users("list", "--json")[1])[1]["role"] == "lead"
    code, _, err = users("set-role", "ada", "worker")
    _one_plain_sentence(code, err)
    assert "ada is the only active administrator" in err
    code, _, err = users("set-role", "wendy", "boss")
    assert code == 2 and "invalid choice" in err
    code, out, err = users("set-role", "wendy", "admin")
    assert code == 0, err
    code, out, err = users("set-role", "ada", "lead")  # another admin exists now
    assert code == 0, err


@pytest.mark.parametrize("command", ["disable", "enable", "unlock", "reset-password"])
def test_an_unknown_name_is_one_sentence(users, command):
    code, _, err = users(command, "ghost", env={**AS_ADMIN, "FOLLOWUP_NEW_PASSWORD": ADMIN_PW})
    _one_plain_sentence(code, err)
    assert "There is no user called ghost" in err


@pytest.mark.parametrize("command", ["disable", "enable", "unlock", "reset-password"])
def test_workers_cannot_manage_users(users, command):
    code, _, err = users(
        command,
        "ada",
        env={"FOLLOWUP_USER": "wendy", "FOLLOWUP_PASSWORD": WORKER_PW},
        stdin="should-not-be-read-at-all\n",
    )
    _one_plain_sentence(code, err)
    assert "does not allow you to manage users" in err
