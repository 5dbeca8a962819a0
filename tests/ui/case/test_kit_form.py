"""The kit and treatment forms record nothing by accident: 0 kits is refused with a sentence,
batch and expiry are asked for, new or resupply follows the history, a question names what
will be recorded; a treatment referral has no service chosen for the worker and an assessment
time that starts empty."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from followup.db import models as m
from tests.ui.case.helpers import choose, make_case, open_view, settle

EXPIRY = date(date.today().year + 2, 3, 31)


def _kits(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.NaloxoneSupply)) or 0


def _fill(qtbot, panel, batch="AB123") -> None:
    qtbot.keyClicks(panel.batch, batch)
    panel.expires.check.setChecked(True)
    panel.expires.edit.setDate(EXPIRY)


def test_typing_0_kits_is_refused_not_made_1(ui_db, team, qtbot):
    view = open_view(qtbot, ui_db, team["worker1"], make_case(ui_db, team, status="contacting"))
    panel = view.naloxone
    _fill(qtbot, panel)
    panel.quantity.selectAll()
    qtbot.keyClicks(panel.quantity, "0")
    panel.quantity.clearFocus()  # leaving the field keeps what was typed
    assert panel.quantity.value() == 0 and panel.quantity.text() == "0"
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.message.text() == "Quantity: a supply is 1 to 10 kits; 0 cannot be recorded."
    assert panel.confirm_box.isHidden()
    assert _kits(ui_db) == 0


def test_batch_and_expiry_are_asked_for_and_the_question_names_the_kits(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting", first="Testperson", last="Kit")
    with ui_db.session() as s:
        case = s.get(m.Case, case_id)
        for _ in range(4):
            s.add(
                m.NaloxoneSupply(
                    case_id=case.id,
                    person_id=case.person_id,
                    supplied_on=date.today() - timedelta(days=30),
                    kit_type="nasal",
                    batch_number="OLD1",
                    expires_on=EXPIRY,
                )
            )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.naloxone
    assert panel.supply_type.currentData() == "resupply"  # 4 kits were supplied before
    choose(panel.resupply_reason, "used_on_self")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.message.text() == "Enter the batch number printed on the kit."
    qtbot.keyClicks(panel.batch, "AB123")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.message.text().startswith("Enter the kit's expiry date")
    panel.expires.check.setChecked(True)
    panel.expires.edit.setDate(EXPIRY)
    panel.quantity.setValue(2)
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.confirm_text.text() == (
        f"Record 2 nasal kits, batch AB123, expiring {EXPIRY:%d/%m/%Y}, resupply (used on self) "
        "for Testperson Kit?"
    )
    assert _kits(ui_db) == 4  # nothing yet: the question is asked first
    qtbot.mouseClick(panel.confirm_back, Qt.MouseButton.LeftButton)
    assert panel.confirm_box.isHidden() and _kits(ui_db) == 4
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.confirm_yes, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Supply recorded."
    with ui_db.session() as s:
        kit = s.scalar(select(m.NaloxoneSupply).order_by(m.NaloxoneSupply.id.desc()).limit(1))
        assert (kit.quantity, kit.supply_type, kit.resupply_reason) == (
            2,
            "resupply",
            "used_on_self",
        )


def test_treatment_form_chooses_no_service_and_books_no_time(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="engaged")
    with ui_db.session() as s:
        s.add(
            m.ConsentEntry(
                person_id=s.get(m.Case, case_id).person_id,
                scope="share_with_treatment",
                state="given",
                method="in_person",
            )
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.treatment
    assert panel.service.currentData() is None
    assert panel.service.currentText() == "(choose a service)"
    assert not panel.booked.check.isChecked() and panel.booked.value() is None
    qtbot.mouseClick(panel.refer, Qt.MouseButton.LeftButton)
    assert panel.refer_message.text() == "Choose the service you are referring the person to."

    choose(panel.service, panel.service.itemData(1))
    panel.booked.check.setChecked(True)  # ticked and left at now: already past on saving
    qtbot.mouseClick(panel.refer, Qt.MouseButton.LeftButton)
    assert panel.refer_message.text().startswith("The assessment time has already passed")
    with ui_db.session() as s:
        assert s.scalar(select(m.TreatmentReferral.id)) is None
