"""The administrator's Services view: add, change, switch off, with refusals and conflicts."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.casework import directory, treatment
from followup.ui.admin.services_view import ServicesView
from followup.ui.shell.main_window import VIEWS

WAIT = 10_000


def make_view(qtbot, db, actor) -> ServicesView:
    view = ServicesView(db, actor)
    qtbot.addWidget(view)
    view.resize(1100, 650)
    view.show()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view


def settled(qtbot, view) -> None:
    qtbot.waitUntil(lambda: not view.busy and not view.loading, timeout=WAIT)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_only_administrators_get_the_view(team):
    spec = next(v for v in VIEWS if v.title == "Services")
    assert spec.allowed(team["admin"]) and not spec.allowed(team["lead"])


def test_add_refused_then_added_changed_and_switched_off(ui_any_db, team, qtbot):
    db = ui_any_db
    view = make_view(qtbot, db, team["admin"])
    assert view.form_title.text() == "A new service"
    qtbot.keyClicks(view.name, "Synthetic Recovery Service")
    qtbot.keyClicks(view.phone, "12345")
    click(qtbot, view.save_button)
    settled(qtbot, view)
    assert "not a UK phone number" in view.message.text()
    assert view.name.text() == "Synthetic Recovery Service"  # what was typed stays
    view.phone.setText("0121 496 0777")
    click(qtbot, view.save_button)
    settled(qtbot, view)
    assert view.message.text().startswith("Added to the directory")
    assert [view.list.item(i).text() for i in range(view.list.count())] == [
        "Synthetic Recovery Service"
    ]
    with db.session() as s:
        assert [c.name for c in treatment.services(s)] == ["Synthetic Recovery Service"]

    view.notes.setPlainText("Refer by secure email.")
    click(qtbot, view.save_button)
    settled(qtbot, view)
    assert view.message.text() == "Saved."
    click(qtbot, view.active_button)
    settled(qtbot, view)
    assert view.list.item(0).text() == "Synthetic Recovery Service (switched off)"
    assert view.active_button.text() == "Switch &on"
    with db.session() as s:
        assert treatment.services(s) == []


def test_a_change_saved_meanwhile_meets_the_conflict_bar(ui_any_db, team, qtbot):
    db = ui_any_db
    with db.session() as s:
        entry = directory.add_service(s, team["admin"], name="Synthetic Service", service_type="gp")
    view = make_view(qtbot, db, team["admin"])
    view.choose("Synthetic Service")
    view.address.setPlainText("My Yard")
    with db.session() as s:  # another administrator
        directory.update_service(s, team["admin"], entry.id, entry.version, phone="0121 496 0001")
    click(qtbot, view.save_button)
    qtbot.waitUntil(lambda: view.conflict.isVisible(), timeout=WAIT)
    assert view.conflict.message.text().startswith("Someone else changed this service")
    click(qtbot, view.conflict.reload)
    settled(qtbot, view)
    assert view.address.toPlainText() == "My Yard"  # kept
    assert view.phone.text() == "0121 496 0001"  # theirs shows
    click(qtbot, view.save_button)
    settled(qtbot, view)
    assert view.message.text() == "Saved."
    with db.session() as s:
        now = directory.directory(s, team["admin"])[0]
    assert (now.address, now.phone) == ("My Yard", "0121 496 0001")  # both changes kept
