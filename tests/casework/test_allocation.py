"""Lead allocation: worker loads, moving a selection or a whole caseload, with a reason audited.

Each database test runs on SQLite and on the PostgreSQL server; the last one runs on a team
server, where each user is a login of their own and row-level security has the last word.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from followup.access import Actor
from followup.audit.search import search_audit
from followup.casework import allocation
from followup.db import models as m
from followup.db.migrate import open_database
from followup.errors import FollowupError, PermissionDenied, RuleViolation
from followup.intake import inbox
from followup.vocab import Role

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def add_cases(s, worker_id: int | None, n: int, *, overdue: int = 0, ref: str = "AL", **kw):
    """``n`` cases for ``worker_id``, the first ``overdue`` of them overdue; returns their ids."""
    ids = []
    for i in range(n):
        person = m.Person(first_name="Testperson", last_name=f"{ref}{i}")
        s.add(person)
        s.flush()
        due = NOW - timedelta(hours=3) if i < overdue else NOW + timedelta(days=2)
        case = m.Case(
            person_id=person.id,
            status=kw.get("status", "contacting" if worker_id else "new"),
            police_reference=f"{ref}-{i + 1}",
            referred_at=NOW - timedelta(days=5, minutes=i),
            assigned_worker_id=worker_id,
            next_action_due_at=due,
            closure_reason="declined" if kw.get("status") == "closed" else None,
        )
        s.add(case)
        s.flush()
        ids.append(case.id)
    return ids


def loads(database, actor) -> dict[str, tuple[int, int]]:
    with database.session() as s:
        return {w.display_name: (w.open, w.overdue) for w in allocation.worker_loads(s, actor, NOW)}


def assign_events(database) -> list[tuple[int, dict, list[dict]]]:
    """(case id, public details, private values) of every assign event, oldest first."""
    with database.session() as s:
        events = s.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "assign").order_by(m.AuditEvent.id)
        ).all()
        out = []
        for e in events:
            private = s.scalars(
                select(m.AuditPrivateValue.details).where(
                    m.AuditPrivateValue.audit_event_id == e.id
                )
            ).all()
            out.append((e.entity_id, json.loads(e.details), [json.loads(p) for p in private]))
        return out


def test_loads_count_each_workers_open_and_overdue_cases(database, team):
    with database.session() as s:
        add_cases(s, team["worker1"].id, 3, overdue=2, ref="W1")
        add_cases(s, team["worker1"].id, 2, ref="W1C", status="closed")  # not counted
        add_cases(s, team["worker2"].id, 1, ref="W2")
        add_cases(s, None, 2, ref="IN")  # the inbox's
    assert loads(database, team["lead"]) == {
        "Lee Lead": (0, 0),
        "Walt Worker": (1, 0),
        "Wendy Worker": (3, 2),
    }  # every active worker and lead, by name; the admin holds no cases
    with database.session() as s:
        labels = [w.label for w in allocation.worker_loads(s, team["lead"], NOW)]
    assert labels == [
        "Lee Lead (lead) — 0 open, 0 overdue",
        "Walt Worker — 1 open, 0 overdue",
        "Wendy Worker — 3 open, 2 overdue",
    ]
    for who in ("worker1", "admin"):
        with pytest.raises(PermissionDenied), database.session() as s:
            allocation.worker_loads(s, team[who], NOW)


def test_a_selection_moves_with_its_reason_audited_privately(database, team):
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        held = add_cases(s, w1, 2, ref="SEL")
        new = add_cases(s, None, 1, ref="NEW")
    ids = [*held, *new]
    with database.session() as s:
        seen = {c.case_id: c.version for c in allocation.cases_to_move(s, team["lead"], ids)}
    # Without a reason nothing moves: two of the cases already have a worker.
    with pytest.raises(RuleViolation, match="Say why"), database.session() as s:
        allocation.reassign_cases(s, team["lead"], seen, w2, "   ")
    assert loads(database, team["lead"])["Walt Worker"] == (0, 0)
    with database.session() as s:
        summary = allocation.reassign_cases(
            s, team["lead"], seen, w2, "Wendy is off sick this week"
        )
    assert summary.text == "Moved 3 cases to Walt Worker from Wendy Worker and the inbox."
    assert loads(database, team["lead"])["Walt Worker"] == (3, 0)
    events = assign_events(database)
    assert [(case, details["assigned_worker_id"]) for case, details, _ in events] == [
        (held[0], [w1, w2]),
        (held[1], [w1, w2]),
        (new[0], [None, w2]),
    ]
    for _case, details, private in events:
        # The reason is free text: kept apart, for the retention purge, never in the event.
        assert "Wendy is off sick" not in json.dumps(details)
        assert details["private_values"] is True
        assert private == [{"reason": "Wendy is off sick this week"}]
    # A lead searching the audit trail reads who moved the case, from whom, to whom and why.
    with database.session() as s:
        (row,) = search_audit(s, team["lead"], case_id=held[0], action="assign")
    assert json.loads(row.details) == {
        "assigned_worker_id": [w1, w2],
        "reason": "Wendy is off sick this week",
    }
    # Again: every case is already there, and nothing more is audited.
    with database.session() as s:
        seen = {c.case_id: c.version for c in allocation.cases_to_move(s, team["lead"], ids)}
        again = allocation.reassign_cases(s, team["lead"], seen, w2, "")
    assert again.text == "No case was moved; 3 cases were already with Walt Worker."
    assert len(assign_events(database)) == 3


def test_a_case_changed_meanwhile_is_reported_and_the_rest_move(database, team):
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        ids = add_cases(s, w1, 3, ref="ST")
        closed = add_cases(s, w1, 1, ref="CL", status="closed")
    with database.session() as s:
        seen = {
            c.case_id: c.version for c in allocation.cases_to_move(s, team["lead"], [*ids, *closed])
        }
    with database.session() as s:  # meanwhile someone else changes the second case
        s.get(m.Case, ids[1]).area = "ZZ9"
    with database.session() as s:
        summary = allocation.reassign_cases(s, team["lead"], seen, w2, "Balancing caseloads")
    assert summary.text == (
        "Moved 2 cases from Wendy Worker to Walt Worker; 2 could not be moved: "
        "ST-2 (changed by someone else since you chose it; refresh and try again), "
        "CL-1 (closed; reopen it first)."
    )
    with database.session() as s:
        held = dict(
            s.execute(select(m.Case.id, m.Case.assigned_worker_id).where(m.Case.id.in_(ids))).all()
        )
    assert held == {ids[0]: w2, ids[1]: w1, ids[2]: w2}


def test_a_whole_caseload_moves_at_once(database, team):
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        add_cases(s, w1, 14, overdue=3, ref="SICK")
        add_cases(s, w1, 1, ref="OLD", status="closed")  # closed cases stay with their worker
        add_cases(s, w2, 1, ref="W2")
    with pytest.raises(RuleViolation, match="Say why"), database.session() as s:
        allocation.move_caseload(s, team["lead"], w1, w2, "")
    with pytest.raises(RuleViolation, match="two different workers"), database.session() as s:
        allocation.move_caseload(s, team["lead"], w1, w1, "Off sick")
    with pytest.raises(FollowupError, match="active worker or lead"), database.session() as s:
        allocation.move_caseload(s, team["lead"], w1, team["admin"].id, "Off sick")
    with database.session() as s:
        summary = allocation.move_caseload(s, team["lead"], w1, w2, "Wendy is off sick")
    assert summary.text == "Moved 14 cases from Wendy Worker to Walt Worker."
    assert loads(database, team["lead"]) == {
        "Lee Lead": (0, 0),
        "Walt Worker": (15, 3),
        "Wendy Worker": (0, 0),
    }
    assert len(assign_events(database)) == 14


def test_a_worker_may_not_move_cases(database, team):
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        ids = add_cases(s, w1, 2, ref="WK")
    worker = team["worker1"]
    with pytest.raises(PermissionDenied), database.session() as s:
        allocation.reassign_cases(s, worker, dict.fromkeys(ids), w2, "Swap")
    with pytest.raises(PermissionDenied), database.session() as s:
        allocation.move_caseload(s, worker, w1, w2, "Swap")
    with pytest.raises(PermissionDenied), database.session() as s:
        allocation.cases_to_move(s, worker, ids)
    assert loads(database, team["lead"])["Wendy Worker"] == (2, 0)
    assert assign_events(database) == []


def test_reassigning_one_case_from_the_case_needs_a_reason(database, team):
    w1, w2 = team["worker1"].id, team["worker2"].id
    with database.session() as s:
        (case_id,) = add_cases(s, w1, 1, ref="ONE")
    with pytest.raises(RuleViolation, match="Say why"), database.session() as s:
        inbox.assign_cases(s, team["lead"], [case_id], w2)
    with database.session() as s:
        assert inbox.assign_cases(s, team["lead"], [case_id], w2, reason="Closer to home") == 1
    ((_, details, private),) = assign_events(database)
    assert details["assigned_worker_id"] == [w1, w2] and private == [{"reason": "Closer to home"}]


# ------------------------------------------------------------------------- the team server


@pytest.mark.postgres
def test_on_a_team_server_a_lead_moves_cases_and_a_worker_cannot(server_team):
    owner = open_database(server_team.owner_url)
    try:
        with owner.session() as s:
            ids = dict(s.execute(select(m.User.username, m.User.id)).all())
            wa, wb = ids[server_team.worker_a], ids[server_team.worker_b]
            cases = add_cases(s, wa, 3, overdue=1, ref="TSA")
    finally:
        owner.dispose()
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            before = {w.id: (w.open, w.overdue) for w in allocation.worker_loads(s, lead, NOW)}
            assert before[wa][0] >= 3 and before[wa][1] >= 1
            seen = {c.case_id: c.version for c in allocation.cases_to_move(s, lead, cases[:1])}
        with db.session() as s:
            summary = allocation.reassign_cases(s, lead, seen, wb, "Testing on the server")
        assert summary.moved == (cases[0],)
        with db.session() as s:
            moved = allocation.move_caseload(s, lead, wa, wb, "Worker A is off sick")
        assert set(cases[1:]) <= set(moved.moved)
        with db.session() as s:
            after = {w.id: w.open for w in allocation.worker_loads(s, lead, NOW)}
            private = s.scalars(
                select(m.AuditPrivateValue.details)
                .join(m.AuditEvent, m.AuditEvent.id == m.AuditPrivateValue.audit_event_id)
                .where(m.AuditEvent.action == "assign", m.AuditEvent.entity_id == cases[0])
            ).all()
        assert after[wa] == 0
        assert [json.loads(p) for p in private] == [{"reason": "Testing on the server"}]
    finally:
        db.dispose()
    db, worker = server_team.sign_in(server_team.worker_b)
    try:
        with pytest.raises(PermissionDenied), db.session() as s:
            allocation.move_caseload(s, worker, wb, wa, "Handing them back")
        # Pretending to be a lead gets no further: the server's rules refuse the change.
        forged = Actor(worker.id, worker.username, worker.display_name, Role.LEAD)
        with pytest.raises(Exception, match="row-level security"), db.session() as s:
            allocation.reassign_cases(s, forged, {cases[0]: None}, wa, "Handing it back")
    finally:
        db.dispose()
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            assert s.get(m.Case, cases[0]).assigned_worker_id == wb
    finally:
        db.dispose()
