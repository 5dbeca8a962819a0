"""The traceability figures (issue 17) on hand-worked data, from the service and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from followup.cli import main as cli_main
from followup.db import models as m
from followup.errors import PermissionDenied
from followup.reports.definitions import TRACEABILITY, TRACEABILITY_DEFS, Period, metrics_markdown
from followup.reports.traceability import traceability_cases, traceability_report

MARCH = Period(date(2025, 3, 1), date(2025, 4, 1))
IN_MARCH = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
IN_APRIL = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)

# (reference, received, traceability, closed with no-contact reason / "contact" / None open)
CASES = [
    ("T-1", IN_MARCH, "full", None),
    ("T-2", IN_MARCH, "full", "contact"),  # closed after speaking with the person
    ("T-3", IN_MARCH, "name_address", "no_response_to_attempts"),
    ("T-4", IN_MARCH, "name_only", "no_usable_details"),
    ("T-5", IN_MARCH, "description_only", "no_usable_details"),
    ("T-6", IN_MARCH, "name_phone", "wrong_number"),
    ("T-7", IN_MARCH, "description_only", "not_recorded"),  # closed before 0022
    ("T-8", IN_MARCH, "name_only", None),
    ("T-9", IN_APRIL, "name_only", "no_usable_details"),  # another period
]


@pytest.fixture
def worked(database):
    return build_cases(database)


def build_cases(database) -> dict[str, int]:
    """The cases above, one referral each, plus a repeat referral on T-1 in March (name only)."""
    ids = {}
    with database.session() as s:
        for n, (ref, received, traced, closed) in enumerate(CASES):
            person = m.Person(first_name="Testperson", last_name=f"Case{n}")
            s.add(person)
            s.flush()
            case = m.Case(person_id=person.id, police_reference=ref, referred_at=received)
            if closed is not None:
                case.status, case.closure_reason = "closed", "unable_to_contact"
                case.closed_at = received + timedelta(days=10)
                if closed == "contact":
                    case.closure_reason = "declined"
                    case.first_contact_at = received + timedelta(days=1)
                elif closed != "not_recorded":
                    case.no_contact_reason = closed
            s.add(case)
            s.flush()
            ids[ref] = case.id
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference=ref,
                    force="Test Force",
                    incident_at=received,
                    received_at=received,
                    traceability=traced,
                )
            )
            if ref == "T-1":
                s.add(
                    m.Referral(
                        case_id=case.id,
                        person_id=person.id,
                        police_reference="T-1-AGAIN",
                        force="Test Force",
                        incident_at=received + timedelta(days=5),
                        received_at=received + timedelta(days=5),
                        traceability="name_only",
                    )
                )
    return ids


def test_counts_by_class_and_by_reason(database, team, worked):
    with database.session() as s:
        r = traceability_report(s, team["lead"], MARCH)
    assert dict(r.by_class) == {
        "full": 2,
        "name_address": 1,
        "name_phone": 1,
        "name_only": 3,  # T-4, T-8 and the repeat referral on T-1
        "description_only": 2,
    }
    assert (r.referrals, r.not_traceable_at_intake) == (9, 5)
    reasons = dict(r.closed_by_reason)
    assert {k: n for k, n in reasons.items() if n} == {
        "no_response_to_attempts": 1,
        "no_usable_details": 2,
        "wrong_number": 1,
        "not_recorded": 1,
    }
    assert list(reasons)[-1] == "not_recorded" and len(reasons) == 12  # every reason listed
    assert (r.closed_without_contact, r.never_traced) == (5, 3)
    with database.session() as s:
        lead = team["lead"]
        assert traceability_cases(s, lead, MARCH, "never_traced") == sorted(
            worked[k] for k in ("T-4", "T-5", "T-6")
        )
        assert traceability_cases(s, lead, MARCH, "not_traceable_at_intake") == sorted(
            worked[k] for k in ("T-1", "T-4", "T-5", "T-7", "T-8")
        )
        assert traceability_cases(s, lead, MARCH, "closed_without_contact", "not_recorded") == [
            worked["T-7"]
        ]


def test_a_worker_may_not_see_the_report(database, team, worked):
    with pytest.raises(PermissionDenied), database.session() as s:
        traceability_report(s, team["worker1"], MARCH)


def test_cli_json_gives_the_same_numbers(database, team, worked, monkeypatch, capsys):
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    args = ["report", "traceability", "--from", "2025-03-01", "--to", "31/03/2025"]
    code = cli_main([*args, "--db", database.url, "--user", "lead", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["figures"] == {
        "referrals": 9,
        "not_traceable_at_intake": 5,
        "closed_without_contact": 5,
        "never_traced": 3,
    }
    assert out["referrals_by_traceability"]["name_only"] == 3
    assert out["closed_without_contact_by_reason"]["no_usable_details"] == 2
    assert set(out["definitions"]) == set(TRACEABILITY)
    code = cli_main([*args, "--db", database.url, "--user", "lead"])
    text = capsys.readouterr().out
    assert code == 0
    assert "Not traceable at intake: 5" in text and "Never traced: 3" in text
    assert "Description only" in text and "No usable address or phone" in text


def test_docs_define_the_traceability_figures():
    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert metrics_markdown(TRACEABILITY_DEFS) in doc
    for d in TRACEABILITY_DEFS:
        assert f"`{d.key}`" in doc
