"""The inbox service: new cases, assignment, taking a case, and deciding uncertain matches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from followup.casework.my_work import my_work
from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.intake import inbox, merging
from followup.uktime import short_date_time

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _case(s, person, ref, *, status="new", worker=None, hours_ago=1):
    case = m.Case(
        person_id=person.id,
        status=status,
        police_reference=ref,
        referred_at=NOW - timedelta(hours=hours_ago),
        area="B5",
        assigned_worker_id=worker,
    )
    s.add(case)
    s.flush()
    referral = m.Referral(
        case_id=case.id,
        person_id=person.id,
        police_reference=ref,
        force="Test Force",
        incident_at=case.referred_at,
        received_at=case.referred_at,
    )
    s.add(referral)
    s.add(m.CaseStatusChange(case_id=case.id, to_status="new", changed_at=case.referred_at))
    s.flush()
    return case, referral


@pytest.fixture
def intake(database, team):
    """A known person with an open case, and an incoming referral uncertainly matched to them."""
    with database.session() as s:
        known = m.Person(first_name="Testy", last_name="McTestface", date_of_birth=date(1980, 1, 2))
        incoming = m.Person(
            first_name="Testie", last_name="McTestface", date_of_birth=date(1980, 1, 2)
        )
        other = m.Person(first_name="Sample", last_name="Person", date_of_birth=date(1990, 5, 5))
        s.add_all([known, incoming, other])
        s.flush()
        open_case, _ = _case(
            s, known, "TST-1", status="contacting", worker=team["worker1"].id, hours_ago=200
        )
        new_case, referral = _case(s, incoming, "TST-2", hours_ago=2)
        plain_case, _ = _case(s, other, "TST-3", hours_ago=5)
        s.add(
            m.ConsentEntry(
                person_id=incoming.id,
                case_id=new_case.id,
                scope="contact_phone",
                state="given",
                method="verbal_at_scene_via_police",
                source="PC Test",
            )
        )
        review = m.MatchReview(
            referral_id=referral.id,
            incoming_person_id=incoming.id,
            candidate_person_id=known.id,
            score=82.0,
        )
        s.add(review)
        s.flush()
        return {
            "known": known.id,
            "incoming": incoming.id,
            "open_case": open_case.id,
            "new_case": new_case.id,
            "plain_case": plain_case.id,
            "referral": referral.id,
            "review": review.id,
        }


def test_inbox_lists_new_unassigned_cases_newest_first_with_review_flag(database, team, intake):
    with database.session() as s:
        rows = inbox.new_cases(s, team["worker1"])
        matches = inbox.pending_matches(s, team["worker1"])
    assert [r.police_reference for r in rows] == ["TST-2", "TST-3"]
    assert [r.needs_review for r in rows] == [True, False]
    assert [(p.incoming, p.candidate) for p in matches] == [
        ("Testie McTestface", "Testy McTestface")
    ]
    with pytest.raises(PermissionDenied), database.session() as s:
        inbox.new_cases(s, team["admin"])


def test_lead_assigns_many_and_worker_cannot(database, team, intake):
    ids = [intake["new_case"], intake["plain_case"]]
    with pytest.raises(PermissionDenied), database.session() as s:
        inbox.assign_cases(s, team["worker1"], ids, team["worker1"].id)
    with database.session() as s:
        assert inbox.assign_cases(s, team["lead"], ids, team["worker2"].id) == 2
    with database.session() as s:
        assert inbox.new_cases(s, team["lead"]) == []
        workers = s.scalars(select(m.Case.assigned_worker_id).where(m.Case.id.in_(ids))).all()
        assigns = s.scalar(select(func.count()).where(m.AuditEvent.action == "assign"))
    assert workers == [team["worker2"].id] * 2 and assigns == 2
    with pytest.raises(FollowupError, match="active worker or lead"), database.session() as s:
        inbox.assign_cases(s, team["lead"], ids, team["admin"].id)


def test_a_worker_takes_a_case_once(database, team, intake):
    with database.session() as s:
        inbox.take_case(s, team["worker1"], intake["plain_case"])
    with pytest.raises(FollowupError, match="already been taken"), database.session() as s:
        inbox.take_case(s, team["worker2"], intake["plain_case"])
    with database.session() as s:
        assert s.get(m.Case, intake["plain_case"]).assigned_worker_id == team["worker1"].id


def test_same_person_merges_into_the_open_case_and_undo_restores_everything(database, team, intake):
    with database.session() as s:
        comparison = merging.compare(s, team["lead"], intake["review"])
    assert comparison.incoming.name == "Testie McTestface"
    assert comparison.candidate.referrals[0][0] == "TST-1"
    with pytest.raises(PermissionDenied), database.session() as s:
        merging.merge(s, team["worker1"], intake["review"])

    with database.session() as s:
        merge_id = merging.merge(s, team["lead"], intake["review"])
    with database.session() as s:
        referral = s.get(m.Referral, intake["referral"])
        assert referral.case_id == intake["open_case"]
        assert referral.person_id == intake["known"]
        assert s.get(m.Case, intake["new_case"]) is None
        assert s.get(m.Person, intake["incoming"]).merged_into_id == intake["known"]
        consent = s.scalar(select(m.ConsentEntry))
        assert (consent.person_id, consent.case_id) == (intake["known"], intake["open_case"])
        assert [r.police_reference for r in inbox.new_cases(s, team["lead"])] == ["TST-3"]
        assert inbox.pending_matches(s, team["lead"]) == []
        # The merged referral is a new overdose on the open case: its worker is alerted and
        # the first attempt is due again from that referral's receipt.
        (work,) = my_work(s, team["worker1"], now=NOW)
        assert work.alert == f"New overdose on {short_date_time(referral.incident_at)}"
        assert work.next_action_due_at == referral.received_at + timedelta(hours=72)

    with database.session() as s:
        merging.undo_merge(s, team["lead"], merge_id)
    with database.session() as s:
        case = s.get(m.Case, intake["new_case"])
        assert case is not None and case.police_reference == "TST-2" and case.status == "new"
        assert case.referred_at == NOW - timedelta(hours=2)
        referral = s.get(m.Referral, intake["referral"])
        assert (referral.case_id, referral.person_id) == (intake["new_case"], intake["incoming"])
        consent = s.scalar(select(m.ConsentEntry))
        assert (consent.person_id, consent.case_id) == (intake["incoming"], intake["new_case"])
        assert s.get(m.Person, intake["incoming"]).merged_into_id is None
        assert s.get(m.MatchReview, intake["review"]).state == "pending"
        open_case = s.get(m.Case, intake["open_case"])
        assert (open_case.reoverdose_at, open_case.round_started_at) == (None, None)
        actions = s.scalars(
            select(m.AuditEvent.action)
            .where(m.AuditEvent.action.in_(("merge", "unmerge")))
            .order_by(m.AuditEvent.id)
        ).all()
    assert actions == ["merge", "unmerge"]
    with pytest.raises(FollowupError, match="already been undone"), database.session() as s:
        merging.undo_merge(s, team["lead"], merge_id)


def test_different_people_keeps_both_records(database, team, intake):
    with database.session() as s:
        merging.keep_separate(s, team["lead"], intake["review"])
    with database.session() as s:
        assert s.get(m.MatchReview, intake["review"]).state == "different_people"
        assert s.get(m.Person, intake["incoming"]).merged_into_id is None
        assert s.get(m.Case, intake["new_case"]) is not None
    with pytest.raises(FollowupError, match="already decided"), database.session() as s:
        merging.merge(s, team["lead"], intake["review"])
