"""`followup report timeliness`: text and --json from the same service as the dashboard, a
worker's own cases, and bad input as one sentence."""

from __future__ import annotations

import io
import json
import sys

import pytest

from followup.cli import main
from followup.reports.timeliness import timeliness_report
from tests.reports.timeliness_data import MARCH_2026, build_timeliness


@pytest.fixture
def cli(monkeypatch, capsys, sqlite_database, sqlite_url, team):
    build_timeliness(sqlite_database, team)
    db_file = sqlite_url.removeprefix("sqlite:///")

    def run(*args: str, user: str = "lead"):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        monkeypatch.setenv("FOLLOWUP_USER", user)
        monkeypatch.setenv("FOLLOWUP_PASSWORD", f"pass-{user}")
        code = main([*args, "--db", db_file])
        out, err = capsys.readouterr()
        return code, out, err

    return run


MARCH_ARGS = ("report", "timeliness", "--from", "2026-03-01", "--to", "31/03/2026")


def test_json_is_the_service_report(cli, sqlite_database, team):
    code, out, err = cli(*MARCH_ARGS, "--by", "weekday", "--json")
    assert code == 0, err
    with sqlite_database.session() as s:
        want = json.loads(
            json.dumps(timeliness_report(s, team["lead"], MARCH_2026, by="weekday").as_json())
        )
    got = json.loads(out)
    got.pop("made_at"), want.pop("made_at")
    assert got == want
    assert got["totals"]["first_attempt"] == {
        "under_24h": 2,
        "24_48h": 2,
        "48_72h": 1,
        "3_7d": 2,
        "7d_plus": 1,
        "not_yet": 2,
    }
    monday = next(r for r in got["by"]["weekday"] if r["label"] == "Monday")
    assert monday["received"] == 2  # A1 and A9 (Sunday 23:30 UTC, Monday in BST)


def test_text_tables(cli):
    code, out, err = cli(*MARCH_ARGS, "--by", "area")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Time from receipt, cases received 01/03/2026 to 31/03/2026 (whole team)."
    first = lines.index("First attempt")
    contact = lines.index("First contact")
    assert lines[first + 1].split() == [
        "Area", "recv", "<24", "h", "24-48", "h", "48-72", "h", "3-7", "d", "7", "d+", "not", "yet"
    ]  # fmt: skip
    attempt_rows = {ln[:24].strip(): ln[24:].split() for ln in lines[first + 2 : contact - 1]}
    assert attempt_rows["B5"] == ["6", "2", "1", "1", "1", "1", "0"]
    assert attempt_rows["Whole team"] == ["10", "2", "2", "1", "2", "1", "2"]
    contact_rows = {ln[:24].strip(): ln[24:].split() for ln in lines[contact + 2 :]}
    assert contact_rows["Whole team"] == ["10", "1", "1", "1", "2", "1", "4"]


def test_a_worker_gets_their_own_cases(cli):
    code, out, err = cli(*MARCH_ARGS, "--json", user="worker2")
    assert code == 0, err
    got = json.loads(out)
    assert got["own_cases_only"] is True
    assert got["totals"]["received"] == 4  # A3, A4, A6, A9
    code, out, err = cli(*MARCH_ARGS, user="worker2")
    assert "(your cases)" in out.splitlines()[0] and "Your cases" in out


def test_bad_input_is_one_sentence(cli):
    code, _, err = cli("report", "timeliness", "--from", "31/02/2026")
    assert code == 2 and "is not a date" in err and "Traceback" not in err
    code, _, err = cli("report", "timeliness", "--by", "month")
    assert code == 2 and "Traceback" not in err
    code, _, err = cli("report", "timeliness", user="admin")
    assert code == 2 and "does not allow you" in err
