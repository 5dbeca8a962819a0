"""`followup import FILE [--dry-run] [--json]`: summaries, exit codes and plain errors."""

from __future__ import annotations

import json

import pytest

from followup.cli import main
from tests.intake.helpers import row, write_csv


@pytest.fixture
def cli(sqlite_database, team, monkeypatch, capsys):
    """Run `followup import …` as worker1 on the test database; returns (code, out, err)."""
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-worker1")

    def run(*args: str, user: str = "worker1"):
        code = main(["import", *args, "--db", sqlite_database.url, "--user", user])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_clean_file_exits_0_with_the_json_summary(cli, tmp_path):
    path = write_csv(
        tmp_path / "ok.csv", [row(), row(first_name="Other", date_of_birth="02/03/1990")]
    )
    code, out, err = cli(str(path), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "rows_read": 2,
        "imported": 2,
        "duplicates": 0,
        "linked_repeat": 0,
        "needs_review": 0,
        "rejected": [],
        "warnings": [],
    }
    code, out, _ = cli(str(path), "--json")
    assert code == 0 and json.loads(out)["duplicates"] == 2


def test_rejected_rows_or_left_out_fields_exit_1(cli, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            row(police_reference=""),
            row(first_name="Other", date_of_birth="02/03/1990", naloxone_doses="12"),
        ],
    )
    code, out, err = cli(str(path), "--json")
    summary = json.loads(out)
    assert code == 1 and err == ""
    assert summary["imported"] == 1
    assert summary["rejected"] == [
        {"row": 2, "field": "police_reference", "reason": "the police reference is missing"}
    ]
    assert [(w["row"], w["field"]) for w in summary["warnings"]] == [(3, "naloxone_doses")]


def test_dry_run_and_human_summary(cli, tmp_path):
    path = write_csv(tmp_path / "dry.csv", [row(phone="not a phone")])
    code, out, _ = cli(str(path), "--dry-run")
    assert code == 1
    assert "1 referral would be imported" in out and "row 2: phone" in out
    assert "Dry run: nothing was written." in out
    code, out, _ = cli(str(path), "--json")
    assert json.loads(out)["imported"] == 1


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.csv", None, "no file"),
        ("", None, "folder"),
        ("e.csv", b"", "empty"),
        ("j.json", b"{}", "array"),
        ("h.csv", b"name,age\nTesty,40\n", "no column for police_reference"),
    ],
)
def test_unusable_file_exits_2_with_one_sentence(cli, tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = cli(str(path), "--json")
    assert code == 2 and out == ""
    assert err.startswith("followup: ") and needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_wrong_role_and_missing_user_exit_2(cli, tmp_path, monkeypatch, sqlite_database, capsys):
    path = write_csv(tmp_path / "r.csv", [row()])
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-admin")
    code, _, err = cli(str(path), user="admin")
    assert code == 2 and "does not allow you to import" in err
    code = main(["import", str(path), "--db", sqlite_database.url])
    assert code == 2 and "--user" in capsys.readouterr().err


def test_a_header_without_records_exits_1_saying_the_file_holds_no_referrals(cli, tmp_path):
    path = write_csv(tmp_path / "empty.csv", [])
    code, out, err = cli(str(path))
    assert (code, err) == (1, "")
    assert out.strip() == (
        "empty.csv: the file holds no referrals (a header and no records); nothing was imported."
    )
    code, out, err = cli(str(path), "--json")
    assert code == 1 and json.loads(out)["rows_read"] == 0
    assert err == "followup: empty.csv: the file holds no referrals.\n"


def test_every_reason_of_a_rejected_row_is_listed_and_the_row_kept(cli, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text(
        "police_reference,incident_datetime,first_name\n"
        'TST-C1,20/11/2026 14:30,"Testy\n'
        "TST-C2,20/11/2026 14:30,Ann\n"
        ",,\x00\n",
        encoding="utf-8",
    )
    code, out, _ = cli(str(path), "--json")
    summary = json.loads(out)
    assert code == 1 and summary["rows_read"] == 3 and summary["imported"] == 1
    assert [(p["row"], p["field"]) for p in summary["rejected"]] == [
        (2, "first_name"),
        (4, "first_name"),
        (4, "police_reference"),
        (4, "incident_datetime"),
        (4, "first_name/last_name/description"),
    ]
    assert "line 2" in summary["rejected"][0]["reason"]
    code, out, _ = cli(str(path))
    assert "2 rows rejected (nothing from them was imported; kept for a team lead" in out
