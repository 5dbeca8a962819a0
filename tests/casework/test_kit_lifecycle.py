"""The kit lifecycle on hand-worked data: which open cases are prompted to offer a replacement
kit, the next step they show, the batch recall with consent, and resupplies by reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.casework import kits, team_rules
from followup.casework.caseload import CaseQuery, list_cases
from followup.casework.detail import open_case
from followup.casework.my_work import my_work
from followup.db import models as m
from followup.errors import PermissionDenied, RuleViolation
from followup.reports.definitions import Period
from followup.reports.resupplies import resupplies_by_reason
from followup.uktime import short_date
from tests.casework.kit_helpers import NOW, TODAY, consent, kit, person_case


@pytest.fixture
def kits_world(database, team):
    """Cases whose expected prompt was worked out by hand (days from today):

    - Sixty: kit expires in 60 days -> prompt (the window's last day)
    - Sixtyone: expires in 61 -> none
    - Expired: expired 10 days ago -> prompt ("expired")
    - Replaced: expired, then a resupply expiring in 400 days -> none
    - Voidnew: expiring in 20, then a newer kit entered in error -> prompt stays (20 days)
    - Closed: expires in 5 but the case is closed -> none
    - Walt: expires in 30, worker2's case -> prompt (a lead sees it; worker1 does not)
    """
    with database.session() as s:
        ids = {}
        c = person_case(s, team, "Sixty")
        kit(s, c, expires_in=60)
        ids["Sixty"] = c.id
        c = person_case(s, team, "Sixtyone")
        kit(s, c, expires_in=61)
        ids["Sixtyone"] = c.id
        c = person_case(s, team, "Expired", status="engaged")
        kit(s, c, expires_in=-10, supplied_days_ago=700)
        ids["Expired"] = c.id
        c = person_case(s, team, "Replaced")
        kit(s, c, expires_in=-5, supplied_days_ago=700)
        kit(s, c, expires_in=400, supplied_days_ago=2, supply_type="resupply", reason="expired")
        ids["Replaced"] = c.id
        c = person_case(s, team, "Voidnew")
        kit(s, c, expires_in=20, batch="TST-OLD")
        kit(s, c, expires_in=500, supplied_days_ago=1, batch="TST-NEW", voided=True)
        ids["Voidnew"] = c.id
        c = person_case(s, team, "Closed", status="closed")
        kit(s, c, expires_in=5)
        ids["Closed"] = c.id
        c = person_case(s, team, "Walt", worker="worker2")
        kit(s, c, expires_in=30, quantity=2, batch="TST-W")
        ids["Walt"] = c.id
    return ids


def _names(found):
    return [k.person for k in found]


def test_the_window_takes_the_kit_held_and_its_expiry(database, team, kits_world):
    with database.session() as s:
        found = kits.expiring_kits(s, team["lead"])
    # Soonest first; expired kits count; 61 days out, replaced, closed: not listed.
    assert _names(found) == [
        "Expired Kitson",
        "Voidnew Kitson",
        "Walt Kitson",
        "Sixty Kitson",
    ]
    assert [k.days_left for k in found] == [-10, 20, 30, 60]
    voidnew = found[1]
    assert (voidnew.batch_number, voidnew.expires_on) == ("TST-OLD", TODAY + timedelta(days=20))
    assert found[2].quantity == 2 and found[2].kit_type == "nasal"
    assert found[0].next_step == (
        f"Offer a replacement kit (expired {short_date(TODAY - timedelta(days=10))})"
    )


def test_a_worker_sees_only_their_own_cases(database, team, kits_world):
    with database.session() as s:
        mine = kits.expiring_kits(s, team["worker1"])
        walts = kits.expiring_kits(s, team["worker2"])
        with pytest.raises(PermissionDenied):
            kits.expiring_kits(s, team["admin"])
    assert "Walt Kitson" not in _names(mine) and len(mine) == 3
    assert _names(walts) == ["Walt Kitson"]


def test_days_ahead_and_the_team_setting(database, team, kits_world):
    with database.session() as s:
        assert _names(kits.expiring_kits(s, team["lead"], days=61))[-1] == "Sixtyone Kitson"
        assert _names(kits.expiring_kits(s, team["lead"], days=0)) == ["Expired Kitson"]
        with pytest.raises(RuleViolation, match="whole number from 0 to 3650"):
            kits.expiring_kits(s, team["lead"], days=-1)
    with database.session(write=True) as s:
        assert kits.warning_days(s) == 60
        with pytest.raises(RuleViolation, match="from 1 to 365"):
            team_rules.set_rule(s, team["admin"], kits.EXPIRY_WARNING_DAYS, "0")
        team_rules.set_rule(s, team["admin"], kits.EXPIRY_WARNING_DAYS, "25")
    with database.session() as s:
        assert kits.warning_days(s) == 25
        assert _names(kits.expiring_kits(s, team["lead"])) == [
            "Expired Kitson",
            "Voidnew Kitson",
        ]


def test_the_next_step_offers_a_replacement_on_the_caseload_my_work_and_the_case(
    database, team, kits_world
):
    in_60 = short_date(TODAY + timedelta(days=60))
    with database.session() as s:
        rows = {r.person: r.next_step for r in list_cases(s, team["lead"], CaseQuery(now=NOW))}
        work = {i.person: i.next_step for i in my_work(s, team["worker1"], now=NOW)}
        sixty = open_case(s, team["worker1"], kits_world["Sixty"])
        later = open_case(s, team["worker1"], kits_world["Sixtyone"])
    for steps in (rows, work):
        assert steps["Sixty Kitson"] == (
            f"1st attempt (within 72 hours): phone or text. Offer a replacement kit (expires {in_60})"
        )
        assert steps["Sixtyone Kitson"] == "1st attempt (within 72 hours): phone or text"
        assert "replacement" not in steps["Replaced Kitson"]
        assert steps["Voidnew Kitson"].endswith(
            f"Offer a replacement kit (expires {short_date(TODAY + timedelta(days=20))})"
        )
    assert rows["Expired Kitson"] == (
        "Refer to a treatment service. Offer a replacement kit "
        f"(expired {short_date(TODAY - timedelta(days=10))})"
    )
    assert rows["Closed Kitson"] == ""
    assert sixty.kit_prompt == f"Offer a replacement kit (expires {in_60})"
    assert later.kit_prompt == ""


def test_a_resupply_clears_the_prompt_and_voiding_it_brings_it_back(database, team):
    with database.session() as s:
        case = person_case(s, team, "Cycle")
        kit(s, case, expires_in=-1, supplied_days_ago=700)
        case_id = case.id
    with database.session() as s:
        assert kits.replacement_prompts(s, [case_id])
        newer = kit(s, s.get(m.Case, case_id), expires_in=700, supplied_days_ago=0)
        newer_id = newer.id
    with database.session() as s:
        assert kits.replacement_prompts(s, [case_id]) == {}
        s.get(m.NaloxoneSupply, newer_id).voided_at = NOW
    with database.session() as s:
        assert list(kits.replacement_prompts(s, [case_id])) == [case_id]


def test_the_kit_held_is_the_persons_latest_on_any_of_their_cases(database, team):
    """A newer kit recorded on the person's other (closed) case replaces the old one."""
    with database.session() as s:
        old = person_case(s, team, "Twocase", status="closed")
        kit(s, old, expires_in=10)
        new = m.Case(
            person_id=old.person_id,
            status="contacting",
            police_reference="TST-Twocase-2",
            assigned_worker_id=team["worker1"].id,
            referred_at=NOW,
            area="B5",
        )
        s.add(new)
        s.flush()
        new_id = new.id
    with database.session() as s:
        assert [k.case_id for k in kits.expiring_kits(s, team["lead"])] == [new_id]
        kit(s, old, expires_in=300, supplied_days_ago=1)
    with database.session() as s:
        assert kits.expiring_kits(s, team["lead"]) == []


@pytest.fixture
def recall_world(database, team):
    """Batch TST-RECALL went to three people (one supply entered in error); another batch to
    a fourth. Consent per person, worked out by hand."""
    with database.session() as s:
        a = person_case(s, team, "Alpha")
        kit(s, a, expires_in=100, batch="TST-RECALL", quantity=2, supplied_days_ago=20)
        consent(s, a, "contact_phone", "given")
        consent(s, a, "contact_letter", "given", hours_ago=72)
        consent(s, a, "contact_letter", "withdrawn", hours_ago=24)  # in force: withdrawn
        b = person_case(s, team, "Bravo", worker="worker2")
        kit(s, b, expires_in=100, batch="tst-recall", recipient="family", supplied_days_ago=10)
        consent(s, b, "contact_sms", "refused", hours_ago=72)
        consent(s, b, "contact_sms", "given", voided=True)  # in error: refused stays
        consent(s, b, "home_visit", "given", voided=True)  # in error: never asked
        c = person_case(s, team, "Charlie")
        kit(s, c, expires_in=100, batch="TST-RECALL", voided=True)
        d = person_case(s, team, "Delta")
        kit(s, d, expires_in=100, batch="TST-RECALLED")
    return {"Alpha": a.id, "Bravo": b.id}


def test_recall_lists_everyone_who_received_the_batch_with_their_consent(
    database, team, recall_world
):
    with database.session(write=True) as s:
        found = kits.recall(s, team["lead"], "  Tst-Recall ")
    assert [(e.person, e.quantity, e.recipient) for e in found] == [
        ("Alpha Kitson", 2, "person"),
        ("Bravo Kitson", 1, "family"),
    ]
    assert [e.case_id for e in found] == [recall_world["Alpha"], recall_world["Bravo"]]
    assert found[0].supplied_on == TODAY - timedelta(days=20)
    alpha, bravo = ({scope: e.consent_text(scope) for scope in kits.CONTACT_SCOPES} for e in found)
    assert alpha == {
        "contact_phone": "Given",
        "contact_sms": "Not asked",
        "contact_letter": "Withdrawn",
        "home_visit": "Not asked",
    }
    assert bravo == {
        "contact_phone": "Not asked",
        "contact_sms": "Refused",
        "contact_letter": "Not asked",
        "home_visit": "Not asked",
    }
    out = found[1].as_json()
    assert out["consent"]["contact_sms"] == {
        "state": "refused",
        "in_force": False,
        "expired": False,
        "text": "Refused",
    }
    json.dumps(out)


def test_recall_is_for_leads_refuses_an_empty_batch_and_is_audited(database, team, recall_world):
    with database.session(write=True) as s:
        with pytest.raises(PermissionDenied):
            kits.recall(s, team["worker1"], "TST-RECALL")
        with pytest.raises(RuleViolation, match="Enter the batch number"):
            kits.recall(s, team["lead"], "   ")
        assert kits.recall(s, team["lead"], "NO-SUCH-BATCH") == []
        kits.recall(s, team["lead"], "TST-RECALL")
    with database.session() as s:
        events = s.scalars(
            select(m.AuditEvent).where(
                m.AuditEvent.action == "view", m.AuditEvent.entity == "search"
            )
        ).all()
    details = [json.loads(e.details) for e in events]
    assert [(d["batch_number"], d["results"], d["people"]) for d in details] == [
        ("NO-SUCH-BATCH", 0, 0),
        ("TST-RECALL", 2, 2),
    ]
    assert all(
        e.user_id == team["lead"].id and d["screen"] == "kit_recall"
        for e, d in zip(events, details, strict=True)
    )
    assert not any("Kitson" in (e.details or "") for e in events)


def test_resupplies_are_counted_by_reason_over_the_period(database, team):
    """Hand-worked: in the period, used on self x2 kits (1 supply), used on someone else 1+3
    (2 supplies), lost 1; outside it, or entered in error, or new supplies: not counted."""
    first = TODAY.replace(day=1) - timedelta(days=40)
    period = Period.custom(first, first + timedelta(days=29))
    inside = first + timedelta(days=3)
    with database.session() as s:
        c = person_case(s, team, "Resup")
        for reason, quantity, day, voided in (
            ("used_on_self", 2, inside, False),
            ("used_on_someone_else", 1, inside, False),
            ("used_on_someone_else", 3, first + timedelta(days=29), False),  # last day
            ("lost", 1, first, False),  # first day
            ("lost", 5, inside, True),  # entered in error
            ("expired", 1, first + timedelta(days=30), False),  # the day after
            ("confiscated", 1, first - timedelta(days=1), False),  # the day before
        ):
            kit(s, c, expires_in=300, supply_type="resupply", reason=reason,
                quantity=quantity, supplied_on=day, voided=voided)  # fmt: skip
        kit(s, c, expires_in=300, quantity=4, supplied_on=inside)  # a new supply
    with database.session() as s:
        report = resupplies_by_reason(s, team["lead"], period)
        with pytest.raises(PermissionDenied):
            resupplies_by_reason(s, team["worker1"], period)
    counts = {r.reason: (r.supplies, r.kits) for r in report.reasons}
    assert counts == {
        "used_on_self": (1, 2),
        "used_on_someone_else": (2, 4),
        "lost": (1, 1),
        "expired": (0, 0),
        "confiscated": (0, 0),
        "other": (0, 0),
    }
    assert (report.supplies, report.kits) == (4, 7)
    assert report.as_json()["total"] == {"supplies": 4, "kits": 7}


def test_the_case_screen_gives_each_case_the_prompt_the_caseload_gives(database, team, kits_world):
    """The case screen works the prompt out from the kits it reads anyway: the same answer as
    the query the caseload and My work use, for every kind of case above."""
    with database.session() as s:
        prompts = kits.replacement_prompts(s, kits_world.values())
        for case_id in kits_world.values():
            shown = open_case(s, team["lead"], case_id).kit_prompt
            assert shown == prompts.get(case_id, "")
    assert set(prompts) == {kits_world[n] for n in ("Sixty", "Expired", "Voidnew", "Walt")}
