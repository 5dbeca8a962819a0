"""The case screen's read model reads each table once: its statements do not grow with the
case's attempts, notes, kits or referrals, and what it shows is the same as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from followup.casework.detail import case_detail
from followup.db import models as m

# Case and person, names, referrals (the case's and the person's), kits (the case's and the
# person's), attempts, treatment, consent, letters, the team rules, import warnings, notes,
# changes of details, status changes; and the transaction's start.
MOST_STATEMENTS = 14


def _busy_case(s, team, attempts: int) -> int:
    now = datetime.now(UTC)
    person = m.Person(first_name="Busy", last_name="Testcase", date_of_birth=date(1985, 3, 4))
    s.add(person)
    s.flush()
    case = m.Case(
        person_id=person.id,
        police_reference=f"TST-BUSY-{attempts}",
        area="B5",
        status="contacting",
        referred_at=now - timedelta(days=400),
        assigned_worker_id=team["worker1"].id,
    )
    s.add(case)
    s.flush()
    for i in range(attempts):
        s.add(
            m.ContactAttempt(
                case_id=case.id,
                method=("phone", "sms")[i % 2],
                outcome=("no_answer", "message_sent")[i % 2],
                attempted_at=case.referred_at + timedelta(hours=18 * i + 1),
                worker_id=team["worker1"].id,
                notes=f"Try {i}" if i % 3 == 0 else None,
            )
        )
    for i in range(min(attempts, 5)):
        s.add(
            m.CaseNote(
                case_id=case.id,
                person_id=person.id,
                author_id=team["worker1"].id,
                text=f"Test note {i}.",
                written_at=case.referred_at + timedelta(days=i + 1),
            )
        )
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=person.id,
                police_reference=f"TST-BUSY-{attempts}-{i}",
                force="Test Force",
                incident_at=case.referred_at - timedelta(days=i),
            )
        )
    s.flush()
    return case.id


def _statements(database, actor, case_id: int) -> tuple[int, object]:
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, many):
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.session() as s:
            detail = case_detail(s, actor, case_id, audit_view=False)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(seen), detail


def test_reading_a_case_costs_the_same_statements_for_one_attempt_or_three_hundred(database, team):
    with database.session() as s:
        small = _busy_case(s, team, 1)
        big = _busy_case(s, team, 300)
    few, _ = _statements(database, team["lead"], small)
    many, detail = _statements(database, team["lead"], big)
    assert many == few <= MOST_STATEMENTS
    # Everything is there all the same: every attempt newest first, each referral, each note.
    assert len(detail.attempts) == 300
    assert [a.at for a in detail.attempts] == sorted((a.at for a in detail.attempts), reverse=True)
    assert len(detail.referrals) == detail.overdose_count == 5
    assert len(detail.timeline) == 300 + 5 + 5
    kinds = [detail.timeline.kind(i) for i in range(len(detail.timeline))]
    assert kinds == [e.kind for e in detail.timeline]
    assert kinds.count("attempt") == 300 and kinds.count("note") == 5
    assert [e.at for e in detail.timeline] == sorted((e.at for e in detail.timeline), reverse=True)


def test_an_attempt_entry_made_when_shown_says_what_an_entry_always_said(database, team):
    """The timeline makes an attempt's entry when it is first asked for: its text, who logged
    it, whether this user may correct it, and what an amendment starts from."""
    with database.session() as s:
        case_id = _busy_case(s, team, 4)
        first = s.query(m.ContactAttempt).filter_by(case_id=case_id).order_by(m.ContactAttempt.id)
        wrong = first.first()
        wrong.voided_at = datetime.now(UTC)
        wrong.voided_by_id = team["lead"].id
        wrong.void_reason = "Logged on the wrong case"
    with database.session() as s:
        worker = case_detail(s, team["worker1"], case_id, audit_view=False).timeline
        lead = case_detail(s, team["lead"], case_id, audit_view=False).timeline
    attempts = worker.of_kind("attempt")
    assert [e.text for e in attempts] == [
        "Text message (SMS): message sent — Try 3",
        "Phone: no answer",
        "Text message (SMS): message sent",
        "Phone: no answer — Try 0",
    ]
    assert attempts[0].by == team["worker1"].display_name
    assert attempts[0].values["outcome"] == "message_sent"
    # Logged over a year ago: past the author's 7 days; a lead may correct it.
    assert "for 7 days" in (attempts[0].correct_problem or "")
    assert lead.of_kind("attempt")[0].correct_problem is None
    struck = attempts[3]
    assert struck.voided and struck.correction.startswith(
        f"Entered in error by {team['lead'].display_name}"
    )
    assert worker.voided(worker.index(struck)) and not worker.voided(worker.index(attempts[0]))
    assert "already corrected" in (struck.correct_problem or "")
