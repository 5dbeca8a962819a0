"""Rejected referrals in the app: leads find them in the sidebar, correct and import them, or
dismiss them with a reason. SQLite and PostgreSQL (``ui_any_db``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.db import models as m
from followup.intake.importer import import_file
from followup.ui.intake.rejected_view import RejectedView
from followup.ui.shell.main_window import MainWindow
from followup.vocab import QuarantineState
from tests.intake.helpers import NOW

WAIT = 10_000
HEAD = "police_reference,force,incident_datetime,first_name,last_name\n"


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "november.csv"
    path.write_text(
        HEAD
        + 'TST-U1,Test Constabulary,20/11/2026 14:30,"Testy,Testperson\n'  # quote not closed
        + "TST-U2,Test Constabulary,20/11/2026 14:30,Ann,Testperson\n"
        + "TST-U3,Test Constabulary,31/02/2026 10:00,Bea,Testperson\n",  # no such date
        encoding="utf-8",
    )
    return path


def _window(qtbot, db, actor) -> MainWindow:
    window = MainWindow(db, actor)
    qtbot.addWidget(window)
    window.show()
    return window


def _open_rejected(qtbot, window: MainWindow) -> RejectedView:
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    window.sidebar.setCurrentRow(titles.index("Rejected referrals"))
    view = window.views["Rejected referrals"]
    assert isinstance(view, RejectedView) and view.isVisible()
    try:
        qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=WAIT)
    except Exception:
        raise AssertionError(view.message.text()) from None
    return view


def _cells(view: RejectedView) -> list[list[str]]:
    model = view.model
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_only_leads_get_rejected_referrals_in_the_sidebar(ui_any_db, team, qtbot):
    for who, expected in (("lead", True), ("worker1", False), ("admin", False)):
        window = _window(qtbot, ui_any_db, team[who])
        titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
        assert ("Rejected referrals" in titles) is expected, who
        window.close()


def test_a_lead_corrects_and_imports_a_rejected_referral(ui_any_db, team, qtbot, tmp_path):
    import_file(ui_any_db, team["worker1"], _file(tmp_path), now=NOW)
    view = _open_rejected(qtbot, _window(qtbot, ui_any_db, team["lead"]))
    rows = _cells(view)
    assert [r[1:4] for r in rows] == [["november.csv", "2", "2"], ["november.csv", "4", "4"]]
    assert "quote opened on line 2" in rows[0][4]
    assert view.title.text() == "Rejected referrals waiting for a decision: 2"

    view.select(1)
    assert "not a real date and time" in view.reasons.text()
    assert view.columns.text() == f"Columns of the file: {HEAD.strip()}"
    assert view.editor.toPlainText() == "TST-U3,Test Constabulary,31/02/2026 10:00,Bea,Testperson"
    view.editor.setPlainText("TST-U3,Test Constabulary,30/02/2026 10:00,Bea,Testperson")
    qtbot.mouseClick(view.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not imported" in view.message.text(), timeout=WAIT)
    assert "not a real date and time" in view.message.text()

    view.editor.setPlainText("TST-U3,Test Constabulary,20/11/2026 10:00,Bea,Testperson")
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        qtbot.mouseClick(view.import_button, Qt.MouseButton.LeftButton)
    assert view.message.text().startswith("Imported")
    assert [r[2] for r in _cells(view)] == ["2"]
    with ui_any_db.session() as s:
        refs = set(s.scalars(select(m.Referral.police_reference)))
    assert refs == {"TST-U2", "TST-U3"}


def test_a_lead_dismisses_a_rejected_referral_with_a_reason(ui_any_db, team, qtbot, tmp_path):
    import_file(ui_any_db, team["worker1"], _file(tmp_path), now=NOW)
    view = _open_rejected(qtbot, _window(qtbot, ui_any_db, team["lead"]))
    view.select(0)
    assert not view.dismiss_button.isEnabled()  # a reason first
    qtbot.keyClicks(view.dismiss_reason, "Sent again in a later file")
    assert view.dismiss_button.isEnabled()
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        qtbot.mouseClick(view.dismiss_button, Qt.MouseButton.LeftButton)
    assert view.message.text() == "Dismissed row 2 of november.csv."
    assert [r[2] for r in _cells(view)] == ["4"]
    with ui_any_db.session() as s:
        kept = s.scalars(select(m.QuarantinedRow).where(m.QuarantinedRow.row_number == 2)).one()
        assert (kept.state, kept.dismiss_reason) == (
            QuarantineState.DISMISSED,
            "Sent again in a later file",
        )
