"""`followup alerts [--json]`: the spike alerts as the signed-in user may see them."""

from __future__ import annotations

import json

import pytest

from followup.cli import main
from followup.intake import inbox
from followup.intake.importer import import_file
from tests.intake.helpers import NOW, nhs, row, write_csv


@pytest.fixture
def cli(database, team, monkeypatch, capsys):
    def run(*args: str, user: str = "worker1"):
        monkeypatch.setenv("FOLLOWUP_PASSWORD", f"pass-{user}")
        code = main(["alerts", *args, "--db", database.url, "--user", user])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def spike(database, team, tmp_path) -> list[int]:
    rows = [
        row(
            first_name="Testperson",
            last_name=f"Cli{n}",
            nhs_number=nhs(500 + n),
            incident_postcode=f"B5 {n}AA",
            incident_datetime=f"20/11/2026 0{n}:15",
            substances="heroin; nitazene" if n == 1 else "heroin",
        )
        for n in (1, 2, 3)
    ]
    summary = import_file(database, team["lead"], write_csv(tmp_path / "s.csv", rows), now=NOW)
    with database.session(write=True) as s:
        inbox.take_case(s, team["worker1"], summary.cases_created[0])
    return summary.cases_created


def test_alerts_lists_the_spike_with_only_the_users_own_cases(cli, spike):
    code, out, err = cli()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split(None, 1)[1] == (
        "Spike in B5: 3 overdoses from 20/11/2026 01:15 to 20/11/2026 03:15 (incident "
        "times); substances: heroin (3), nitazene (1)  [NEW]"
    )
    assert lines[1].strip() == f"cases: {spike[0]}, 2 not yours"
    assert lines[-1] == "1 spike alert."


def test_alerts_json_for_a_lead_names_every_case(cli, spike):
    code, out, err = cli("--json", user="lead")
    assert (code, err) == (0, "")
    [alert] = json.loads(out)["spike_alerts"]
    assert alert["district"] == "B5"
    assert alert["referrals"] == 3
    assert alert["window_start"] == "2026-11-20T01:15:00+00:00"
    assert alert["substances"] == "heroin (3), nitazene (1)"
    assert alert["cases"] == spike and alert["other_cases"] == 0
    assert alert["acknowledged_at"] is None


def test_alerts_with_none_says_so(cli):
    code, out, _ = cli()
    assert (code, out) == (0, "0 spike alerts.\n")
