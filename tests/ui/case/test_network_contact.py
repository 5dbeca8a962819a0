"""Logging contact made through the person's family or friends from the case view's attempt
panel, as a worker would: the method is offered with its own outcomes, and the attempt is
shown and counted as engagement through the person's network."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.db import models as m
from followup.ui.case.forms import table_text
from tests.ui.case.helpers import choose, make_case, open_view, settle


def test_a_worker_logs_engagement_through_family_or_friends(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    offered = [panel.method.itemText(i) for i in range(panel.method.count())]
    assert "Through family or friends" in offered
    choose(panel.method, "via_family")
    outcomes = [panel.outcome.itemText(i) for i in range(panel.outcome.count())]
    assert outcomes == ["Message sent", "Spoke engaged", "Spoke declined", "Other"]
    assert panel.number.isHidden()  # no number asked: the family's, not the person's
    choose(panel.outcome, "spoke_engaged")
    qtbot.keyClicks(panel.note, "Spoke with their sister, who passed the message on")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)

    assert panel.message.text() == "Attempt logged."
    assert table_text(panel.table)[0][1:3] == ["Through family or friends", "Spoke engaged"]
    assert view.header.status.text() == "Engaged"
    with ui_db.session() as s:
        attempt = s.scalars(select(m.ContactAttempt).where(m.ContactAttempt.case_id == case_id))
        assert [a.method for a in attempt] == ["via_family"]
