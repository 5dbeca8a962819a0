"""`followup kits expiring|recall` and `followup report kits`, text and --json, on both
backends, from the same hand-worked kits as the service tests."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from followup.uktime import short_date
from tests.casework.kit_helpers import TODAY, consent, kit, person_case

AS_LEAD = {"FOLLOWUP_USER": "lead", "FOLLOWUP_PASSWORD": "pass-lead"}
AS_WENDY = {"FOLLOWUP_USER": "worker1", "FOLLOWUP_PASSWORD": "pass-worker1"}


@pytest.fixture
def cli(run, db_url, database, team):
    with database.session() as s:
        soon = person_case(s, team, "Soon")
        kit(s, soon, expires_in=12, batch="TST-B7", quantity=2)
        consent(s, soon, "contact_phone", "given")
        gone = person_case(s, team, "Gone", worker="worker2")
        kit(s, gone, expires_in=-3, batch="tst-b7", supplied_days_ago=500)
        consent(s, gone, "contact_phone", "given", hours_ago=72)
        consent(s, gone, "contact_phone", "withdrawn", hours_ago=24)
        consent(s, gone, "contact_letter", "given", voided=True)
        later = person_case(s, team, "Later")
        kit(s, later, expires_in=90, batch="TST-B8")
        resupply = person_case(s, team, "Resupplied")
        kit(s, resupply, expires_in=300, supplied_days_ago=0, supply_type="resupply",
            reason="used_on_someone_else", quantity=3, batch="TST-B9")  # fmt: skip
    database.dispose()

    def _cli(*args: str, env: dict[str, str] | None = None):
        return run(*args, "--db", db_url, env=env or AS_LEAD)

    return _cli


def test_expiring_lists_the_cases_in_text_and_json(cli):
    code, out, err = cli("kits", "expiring")
    assert code == 0, err
    lines = out.splitlines()
    assert "Gone Kitson" in lines[0] and "expired 3 days ago" in lines[0]
    assert "Soon Kitson" in lines[1] and "TST-B7" in lines[1] and "12 days left" in lines[1]
    assert short_date(TODAY + timedelta(days=12)) in lines[1]
    assert lines[-1] == "2 open cases with a kit expiring within 60 days or expired."
    code, out, err = cli("kits", "expiring", "--days", "90", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["days"] == 90
    assert [(c["person"], c["days_left"]) for c in data["cases"]] == [
        ("Gone Kitson", -3),
        ("Soon Kitson", 12),
        ("Later Kitson", 90),
    ]
    assert data["cases"][1]["next_step"] == (
        f"Offer a replacement kit (expires {short_date(TODAY + timedelta(days=12))})"
    )
    # A worker sees only their own cases.
    code, out, err = cli("kits", "expiring", "--json", env=AS_WENDY)
    assert [c["person"] for c in json.loads(out)["cases"]] == ["Soon Kitson"]
    code, _, err = cli("kits", "expiring", "--days", "-4")
    assert code == 2 and err.startswith("followup: ") and "0 to 3650" in err


def test_recall_lists_the_batch_with_consent_in_text_and_json(cli):
    code, out, err = cli("kits", "recall", "tst-B7")
    assert code == 0, err
    lines = out.splitlines()
    assert "Gone Kitson" in lines[0] and "Phone: withdrawn" in lines[0]
    assert "Letter: not asked" in lines[0]  # the letter consent was entered in error
    assert "Soon Kitson" in lines[1] and "x2" in lines[1] and "Phone: given" in lines[1]
    assert lines[-1] == "2 supplies of batch tst-B7 to 2 people."
    code, out, err = cli("kits", "recall", "TST-B7", "--json")
    data = json.loads(out)
    assert data["batch_number"] == "TST-B7"
    assert [(e["person"], e["quantity"], e["consent"]["contact_phone"]["state"]) for e in
            data["supplies"]] == [("Gone Kitson", 1, "withdrawn"), ("Soon Kitson", 2, "given")]  # fmt: skip
    assert data["supplies"][0]["consent"]["contact_letter"]["state"] is None
    code, _, err = cli("kits", "recall", "TST-B7", env=AS_WENDY)
    assert code == 2 and "does not allow you to see every case" in err
    code, _, err = cli("kits", "recall", " ")
    assert code == 2 and "Enter the batch number" in err


def test_report_kits_counts_resupplies_by_reason(cli):
    code, out, err = cli("report", "kits", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["reasons"]["used_on_someone_else"] == {"supplies": 1, "kits": 3}
    assert data["reasons"]["lost"] == {"supplies": 0, "kits": 0}
    assert data["total"] == {"supplies": 1, "kits": 3}
    code, out, err = cli("report", "kits")
    assert code == 0, err
    assert any(line.split()[:4] == ["Used", "on", "someone", "else"] and line.split()[-2:] ==
               ["1", "3"] for line in out.splitlines())  # fmt: skip
    assert out.splitlines()[-1].split() == ["Total", "1", "3"]
    code, _, err = cli("report", "kits", env=AS_WENDY)
    assert code == 2 and "does not allow you to see team reports" in err
