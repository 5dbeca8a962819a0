"""Letters due, batch printing into one PDF, cancelling, and the `followup letters` command."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from followup.cli import main
from followup.db import models as m
from followup.letters.batch import letters_due, render_batch
from followup.letters.content import LetterRequest
from followup.letters.making import create_letter, record_prints
from tests.letters.helpers import (  # noqa: F401 - fixtures
    NOW,
    add_case,
    letterhead_set_fixture,
    page_count,
    pdf_text,
)


def _attempts(s, case_id, n, outcome="no_answer"):
    for i in range(n):
        s.add(
            m.ContactAttempt(
                case_id=case_id,
                method=("phone", "sms")[i % 2],
                outcome=outcome,
                attempted_at=NOW - timedelta(days=15 - 3 * i),
            )
        )


@pytest.fixture
def due_cases(database, team, letterhead_set):
    """worker1: a case due a 'tried to reach you' letter, one with too few attempts, one that
    reached the person, one due but without letter consent; worker2: one due; and treatment
    and GP letters due on worker1's first case."""
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        ids = {
            "due": add_case(s, w1, reference="T-1"),
            "few": add_case(s, w1, reference="T-2", with_treatment=False, gp=None),
            "spoke": add_case(s, w1, reference="T-3", with_treatment=False, gp=None),
            "no_consent": add_case(
                s, w1, reference="T-4", with_treatment=False, gp=None, scopes=()
            ),
            "other": add_case(s, w2, reference="T-5", with_treatment=False, gp=None),
        }
        _attempts(s, ids["due"], 3)
        _attempts(s, ids["few"], 2)
        _attempts(s, ids["spoke"], 2)
        _attempts(s, ids["spoke"], 1, outcome="spoke_declined")
        _attempts(s, ids["no_consent"], 3)
        _attempts(s, ids["other"], 3)
    return ids


def _due(db, actor, **kw):
    with db.session() as s:
        return letters_due(s, actor, **kw)


def test_letters_due_follow_the_rule(database, team, due_cases):
    ids = due_cases
    due = {(d.case_id, d.template): d for d in _due(database, team["worker1"])}
    assert set(due) == {
        (ids["due"], "unable_to_contact"),
        (ids["due"], "treatment_referral"),
        (ids["due"], "gp_notification"),
        (ids["no_consent"], "unable_to_contact"),
    }
    assert due[(ids["due"], "unable_to_contact")].problem is None
    assert "consent to letters" in due[(ids["no_consent"], "unable_to_contact")].problem
    lead_due = {(d.case_id, d.template) for d in _due(database, team["lead"])}
    assert (ids["other"], "unable_to_contact") in lead_due and set(due) < lead_due
    # Once made, a letter is still due (as the stored letter) until it is printed or saved.
    with database.session() as s:
        made = [
            create_letter(s, team["worker1"], ids["due"], template).id
            for template in ("unable_to_contact", "treatment_referral", "gp_notification")
        ]
    again = _due(database, team["worker1"])
    assert {(d.case_id, d.template, d.letter_id) for d in again} == {
        (ids["no_consent"], "unable_to_contact", None),
        *(
            (ids["due"], t, i)
            for t, i in zip(
                ("unable_to_contact", "treatment_referral", "gp_notification"), made, strict=True
            )
        ),
    }
    assert all(d.state == "due" and "not printed" in d.reason for d in again if d.made)
    with database.session() as s:
        record_prints(s, team["worker1"], made, "Printer test")
    assert {(d.case_id, d.template) for d in _due(database, team["worker1"])} == {
        (ids["no_consent"], "unable_to_contact")
    }


def test_a_batch_makes_one_pdf_and_reports_refusals(database, team, due_cases):
    w = team["worker1"]
    due = _due(database, w)
    seen = []
    result = render_batch(database, w, due, progress=lambda done, total: seen.append(done))
    assert seen == list(range(1, len(due) + 1))
    assert [(x.case_id, x.template) for x in result.skipped] == [
        (due_cases["no_consent"], "unable_to_contact")
    ]
    assert "needs the person's consent to letters" in result.skipped[0].reason
    assert len(result.letters) == 3
    # Each letter starts on a new sheet: after a letter of an odd number of pages, a blank one.
    assert (
        page_count(result.pdf)
        == result.pages
        == sum(page_count(x.pdf) + page_count(x.pdf) % 2 for x in result.letters)
    )
    text = pdf_text(result.pdf)
    assert "Dear Testy," in text and "Dear colleagues at Test Treatment Service" in text
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Letter)) == 3
        assert (
            s.scalar(
                select(func.count())
                .select_from(m.AuditEvent)
                .where(m.AuditEvent.entity == "letter")
            )
            == 3
        )


def test_a_batch_refuses_a_colleagues_case_and_cancelling_stores_nothing(database, team, due_cases):
    w = team["worker1"]
    requests = [
        LetterRequest(due_cases["other"], "unable_to_contact"),
        LetterRequest(due_cases["due"], "unable_to_contact"),
    ]
    result = render_batch(database, w, requests, cancelled=lambda: False)
    assert [x.case_id for x in result.skipped] == [due_cases["other"]]
    assert "not in your caseload" in result.skipped[0].reason
    calls = iter([False, True])
    result = render_batch(database, w, requests, cancelled=lambda: next(calls, True))
    assert result.cancelled and result.pdf is None and not result.letters
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Letter)) == 1  # the first batch's


# ----------------------------------------------------------------------------- command line


@pytest.fixture
def cli_env(database, team, monkeypatch):
    if not database.is_sqlite:
        pytest.skip("the command line tests use the SQLite file")
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-worker1")
    return ["--db", database.url, "--user", "worker1"]


def test_cli_makes_one_letter(database, team, due_cases, cli_env, tmp_path, capsys):
    out = tmp_path / "letter.pdf"
    code = main(
        [
            "letters",
            "--case",
            str(due_cases["due"]),
            "--template",
            "appointment",
            "--time",
            "01/02/2099 09:15",
            "--place",
            "The Community Centre",
            "-o",
            str(out),
            "--json",
            *cli_env,
        ]
    )
    assert code == 0
    reply = json.loads(capsys.readouterr().out)
    assert "1 February 2099" in pdf_text(out.read_bytes()) and "9:15am" in pdf_text(
        out.read_bytes()
    )
    with database.session() as s:
        letter = s.get(m.Letter, reply["letters"][0]["id"])
        assert letter.pdf == out.read_bytes()
        assert s.scalar(select(func.count()).select_from(m.LetterPrint)) == 1
    if os.name != "nt":  # the letter's PDF is readable by its owner only
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_cli_refusals_and_bad_usage(database, team, due_cases, cli_env, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    code = main(
        [
            "letters",
            "--case",
            str(due_cases["no_consent"]),
            "--template",
            "unable_to_contact",
            "-o",
            str(out),
            *cli_env,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "consent to letters" in err and "Traceback" not in err
    assert err.count("\n") == 1 and not out.exists()
    assert (
        main(
            [
                "letters",
                "--case",
                str(due_cases["other"]),
                "--template",
                "unable_to_contact",
                "-o",
                str(out),
                *cli_env,
            ]
        )
        == 2
    )
    assert "not in your caseload" in capsys.readouterr().err
    assert main(["letters", "--batch", "--case", "1", "-o", str(out), *cli_env]) == 2
    assert (
        main(
            [
                "letters",
                "--case",
                "1",
                "--template",
                "appointment",
                "--time",
                "tomorrow",
                "-o",
                str(out),
                *cli_env,
            ]
        )
        == 2
    )
    assert "dd/mm/yyyy" in capsys.readouterr().err


def test_cli_batch_writes_every_due_letter_and_exits_1_for_refusals(
    database, team, due_cases, cli_env, tmp_path, capsys
):
    out = tmp_path / "batch.pdf"
    code = main(["letters", "--batch", "-o", str(out), "--json", *cli_env])
    reply = json.loads(capsys.readouterr().out)
    assert code == 1
    assert len(reply["letters"]) == 3 and reply["pages"] == page_count(out.read_bytes())
    assert [x["case_id"] for x in reply["skipped"]] == [due_cases["no_consent"]]
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.LetterPrint)) == 3
    code = main(["letters", "--batch", "-o", str(tmp_path / "again.pdf"), *cli_env])
    assert code == 1 and "Not made: case" in capsys.readouterr().out
    assert not (tmp_path / "again.pdf").exists()
