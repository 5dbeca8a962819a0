"""One person, two cases, two workers with the case view open: neither undoes the other.

The person's details are shared by both cases. The second save meets the conflict bar; Reload
keeps what that worker typed, shows the first worker's change in the fields they did not touch,
and their next save keeps both.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from followup.db import models as m
from tests.ui.case.helpers import make_case, open_view, settle


def _second_case(db, team, case_id: int) -> int:
    with db.session() as s:
        first = s.get(m.Case, case_id)
        case = m.Case(
            person_id=first.person_id,
            police_reference=f"{first.police_reference}-2",
            area="B5",
            status="contacting",
            referred_at=datetime.now(UTC),
            assigned_worker_id=team["worker2"].id,
        )
        s.add(case)
        s.flush()
        return case.id


def test_two_workers_edit_one_person_through_two_cases(ui_any_db, team, qtbot):
    db = ui_any_db
    case_a = make_case(db, team, status="contacting")
    case_b = _second_case(db, team, case_a)
    one = open_view(qtbot, db, team["worker1"], case_a)
    two = open_view(qtbot, db, team["worker2"], case_b)

    qtbot.keyClicks(one.person.fields["gp_practice"], "Alpha Surgery")
    qtbot.keyClicks(two.person.fields["email"], "beta@example.invalid")
    qtbot.mouseClick(one.person.save, Qt.MouseButton.LeftButton)
    settle(qtbot, one)
    assert one.person.message.text() == "Details saved."

    qtbot.mouseClick(two.person.save, Qt.MouseButton.LeftButton)
    settle(qtbot, two)
    assert two.conflict.isVisible()
    assert two.conflict.message.text().startswith("Someone else changed this person's details")
    assert two.person.fields["email"].text() == "beta@example.invalid"

    qtbot.mouseClick(two.conflict.reload, Qt.MouseButton.LeftButton)
    settle(qtbot, two)
    assert two.conflict.isHidden()
    assert two.person.fields["gp_practice"].text() == "Alpha Surgery"  # theirs shows
    assert two.person.fields["email"].text() == "beta@example.invalid"  # mine is kept
    qtbot.mouseClick(two.person.save, Qt.MouseButton.LeftButton)
    settle(qtbot, two)
    assert two.person.message.text() == "Details saved."
    with db.session() as s:
        person = s.get(m.Person, s.get(m.Case, case_a).person_id)
        assert (person.gp_practice, person.email) == ("Alpha Surgery", "beta@example.invalid")
