"""The naloxone panel says when to offer a replacement kit, and a resupply recorded there
clears it."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from followup.db import models as m
from followup.uktime import short_date
from tests.casework.kit_helpers import TODAY, kit
from tests.ui.case.helpers import choose, make_case, open_view, settle


def test_the_panel_offers_a_replacement_until_a_resupply_is_recorded(ui_any_db, team, qtbot):
    case_id = make_case(ui_any_db, team, status="contacting")
    with ui_any_db.session() as s:
        kit(s, s.get(m.Case, case_id), expires_in=30, batch="TST-OLD")
    view = open_view(qtbot, ui_any_db, team["worker1"], case_id)
    panel = view.naloxone
    expected = f"Offer a replacement kit (expires {short_date(TODAY + timedelta(days=30))})"
    assert panel.replacement.text() == expected and not panel.replacement.isHidden()
    assert view.detail.kit_prompt == expected

    choose(panel.resupply_reason, "expired")
    qtbot.keyClicks(panel.batch, "TST-NEW")
    panel.expires.check.setChecked(True)
    panel.expires.edit.setDate(TODAY + timedelta(days=700))
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.confirm_yes, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    qtbot.waitUntil(lambda: panel.message.text() == "Supply recorded.", timeout=5000)
    qtbot.waitUntil(lambda: view.detail.kit_prompt == "", timeout=5000)
    assert panel.replacement.isHidden()
