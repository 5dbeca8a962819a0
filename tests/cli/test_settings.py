"""`followup settings show|set` and `followup services list|add`, through the command line."""

from __future__ import annotations

import json

import pytest

from followup.cli.settings import SETTINGS
from followup.settings import load_local_settings

ADMIN_PW = "ada-harbour-lantern"
AS_ADMIN = {"FOLLOWUP_USER": "ada", "FOLLOWUP_PASSWORD": ADMIN_PW}


@pytest.fixture
def cli(run, db_file):
    code, _, err = run("users", "add", "ada", "--role", "admin", "--db", db_file, stdin=ADMIN_PW)
    assert code == 0, err

    def _cli(*args: str, env: dict[str, str] | None = None):
        return run(*args, "--db", db_file, env=env or AS_ADMIN)

    return _cli


def _one_sentence(code: int, err: str) -> None:
    assert code == 2
    assert err.startswith("followup: ") and err.count("\n") == 1 and "Traceback" not in err


def test_show_lists_every_setting_with_its_value(cli):
    code, out, err = cli("settings", "show", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert list(values) == list(SETTINGS)
    assert values["schedule.follow_up_days"] == "1,3,7,14"
    assert values["idle_lock.minutes"] == "10"
    code, out, _ = cli("settings", "show")
    assert out.splitlines()[0].split()[0] == "letterhead.name"


def test_set_checks_each_value_as_the_app_does(cli):
    for name, value in [
        ("letterhead.phone", "0121 496 0000"),
        ("letterhead.address", "1 Example Yard\\nBirmingham"),
        ("intake.default_force", "Test Constabulary"),
        ("retention.years", "9"),
        ("schedule.follow_up_days", "1, 2, 5"),
        ("unable_to_contact.min_attempts", "4"),
        ("idle_lock.minutes", "15"),
    ]:
        code, out, err = cli("settings", "set", name, value)
        assert code == 0, (name, err)
        assert out.strip() == f"{name} is set."
    values = json.loads(cli("settings", "show", "--json")[1])
    assert values["letterhead.address"] == "1 Example Yard\nBirmingham"
    assert values["schedule.follow_up_days"] == "1,2,5"
    assert values["retention.years"] == "9"
    assert load_local_settings()["idle_lock_minutes"] == 15

    for name, value, message in [
        ("letterhead.colour", "blue", "There is no setting called letterhead.colour"),
        ("retention.years", "soon", "whole number of years"),
        ("schedule.follow_up_days", "7,3", "rising"),
        ("unable_to_contact.min_methods", "9", "from 1 to 4"),
        ("idle_lock.minutes", "0", "from 1 to 240"),
        ("letterhead.name", "Overdose Team", "overdose"),
    ]:
        code, _, err = cli("settings", "set", name, value)
        _one_sentence(code, err)
        assert message in err, err


def test_services_list_and_add(cli):
    code, out, err = cli(
        "services", "add", "Synthetic Recovery Service", "--kind", "treatment",
        "--phone", "0121 496 0777", "--email", "referrals@synthetic.example",
    )  # fmt: skip
    assert code == 0, err
    assert "Added Synthetic Recovery Service" in out
    code, out, _ = cli("services", "list", "--json")
    listed = json.loads(out)
    assert [(e["name"], e["phone"]) for e in listed] == [
        ("Synthetic Recovery Service", "0121 496 0777")
    ]
    code, _, err = cli("services", "add", "Synthetic Recovery Service", "--kind", "treatment")
    _one_sentence(code, err)
    assert "already has a service" in err


def test_only_administrators_change_settings(cli, run, db_file):
    code, _, err = run(
        "users", "add", "wendy", "--role", "worker", "--db", db_file,
        env={**AS_ADMIN, "FOLLOWUP_NEW_PASSWORD": "wendy-kettle-orbit"},
    )  # fmt: skip
    assert code == 0, err
    as_wendy = {"FOLLOWUP_USER": "wendy", "FOLLOWUP_PASSWORD": "wendy-kettle-orbit"}
    code, _, err = cli("settings", "set", "retention.years", "9", env=as_wendy)
    _one_sentence(code, err)
    assert "does not allow you to change settings" in err


def test_the_ndtms_agency_code_is_a_setting_checked_as_it_is_stored(cli):
    """An administrator sets the NDTMS agency code once (the extract's AGNCY); a code with
    spaces or punctuation is one sentence, and the stored code is kept."""
    code, out, err = cli("settings", "set", "ndtms.agency_code", "n1234")
    assert code == 0, err
    code, _, err = cli("settings", "set", "ndtms.agency_code", "N 12;34")
    _one_sentence(code, err)
    assert "letters and digits only" in err
    assert json.loads(cli("settings", "show", "--json")[1])["ndtms.agency_code"] == "N1234"
