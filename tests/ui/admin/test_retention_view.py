"""The administrator's Retention view: the due list, a dry run, confirmed destruction, period."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from followup.access import actor_of
from followup.db import models as m
from followup.ui.admin import retention_view
from followup.ui.admin.retention_view import RetentionView
from followup.ui.shell.main_window import VIEWS
from tests.protection.retention_helpers import add_person

WAIT = 10_000


def _years_ago(years: int) -> datetime:
    now = datetime.now(UTC)
    return now.replace(year=now.year - years)


def make_view(qtbot, db, actor) -> RetentionView:
    view = RetentionView(db, actor)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view


def _people(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Person))


def test_only_admins_get_the_view():
    spec = next(v for v in VIEWS if v.title == "Retention")
    assert spec.allowed(
        actor_of(
            m.User(
                id=1, username="a", display_name="A", role="admin", active=True, password_hash="x"
            )
        )
    )
    assert not spec.allowed(
        actor_of(
            m.User(
                id=2, username="l", display_name="L", role="lead", active=True, password_hash="x"
            )
        )
    )


def test_review_dry_run_and_destroy(qtbot, ui_db, team, monkeypatch):
    old, _ = add_person(ui_db, team, [_years_ago(9)])
    add_person(
        ui_db, team, [_years_ago(2)], ref="KEEP", name=("Ann", "Recent"), phone="+447700900333"
    )
    view = make_view(qtbot, ui_db, team["admin"])
    assert view.table.rowCount() == 1
    assert view.table.item(0, 0).text() == str(old)
    assert view.table.item(0, 1).text() == "QZ"
    shown = " ".join(view.table.item(0, c).text() for c in range(view.table.columnCount()))
    assert "Zorbwhistle" not in shown

    qtbot.mouseClick(view.dry_run_button, Qt.MouseButton.LeftButton)
    assert view.message.text() == "Select the people to check first."
    view.table.selectRow(0)
    qtbot.mouseClick(view.dry_run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text().startswith("Dry run"), timeout=WAIT)
    assert "Would destroy 1 person record(s)" in view.message.text()
    assert _people(ui_db) == 2

    asked = []
    monkeypatch.setattr(
        retention_view, "confirm_destruction", lambda _parent, report: asked.append(report) or False
    )
    qtbot.mouseClick(view.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text() == "Nothing was destroyed.", timeout=WAIT)
    assert asked[0].dry_run and asked[0].destroyed == (old,)
    assert _people(ui_db) == 2

    monkeypatch.setattr(retention_view, "confirm_destruction", lambda _parent, _report: True)
    view.table.selectRow(0)
    qtbot.mouseClick(view.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text().startswith("Destroyed 1"), timeout=WAIT)
    qtbot.waitUntil(lambda: not view.loading and view.table.rowCount() == 0, timeout=WAIT)
    assert _people(ui_db) == 1
    with ui_db.session() as s:
        assert s.scalar(select(m.DestructionLog.person_id)) == old


def test_the_period_is_changed_there(qtbot, ui_db, team):
    add_person(ui_db, team, [_years_ago(3)])
    view = make_view(qtbot, ui_db, team["admin"])
    assert view.years.value() == 8 and view.table.rowCount() == 0
    view.years.setValue(2)
    qtbot.mouseClick(view.save_years, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "kept for 2 years" in view.message.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: not view.loading and view.table.rowCount() == 1, timeout=WAIT)
