"""The main actions' keys work wherever the focus is, a case included: Ctrl+N or Alt+N goes to
the contact attempt form of the case in front, Ctrl+F to the caseload's search box, Alt+digit
to a view, F5 reads the case again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from followup.ui.case.view import CaseView
from followup.ui.shell.main_window import MainWindow

WAIT = 10_000
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def make_window(qtbot, db, actor) -> MainWindow:
    window = MainWindow(db, actor)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    return window


def opened(qtbot, window: MainWindow, case_id: int) -> CaseView:
    page = window.open_case(case_id)
    assert isinstance(page, CaseView)
    qtbot.waitUntil(lambda: page.detail is not None and not page.busy, timeout=WAIT)
    # Offscreen, a lead's case leaves the window inactive once loaded (no window manager
    # gives it back): activate it again, as the user's click would.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    return page


def press(qtbot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    """A key pressed where the focus is, as the user would."""
    focus = QApplication.focusWidget()
    assert focus is not None and window.isAncestorOf(focus)
    qtbot.keyClick(focus, key, modifier)


def test_alt_n_and_ctrl_n_go_to_the_attempt_form_from_any_tab(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["worker1"])
    page = opened(qtbot, window, caseload["TST-0001"])
    for tab, key, modifier in (
        ("Person", Qt.Key.Key_N, ALT),
        ("Notes", Qt.Key.Key_N, CTRL),
        ("Consent", Qt.Key.Key_L, CTRL),
    ):
        page.tabs.setCurrentIndex(
            [page.tabs.tabText(i) for i in range(page.tabs.count())].index(tab)
        )
        panel = page.tabs.currentWidget()
        panel.setFocus()
        qtbot.keyClick(panel, Qt.Key.Key_Tab)  # the cursor in a field of that tab
        assert page.isAncestorOf(QApplication.focusWidget())
        press(qtbot, window, key, modifier)
        qtbot.waitUntil(lambda: page.attempts.method.hasFocus(), timeout=WAIT)
        assert page.tabs.currentIndex() == 0


def test_alt_n_from_the_timeline_and_with_two_cases_open(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    first = opened(qtbot, window, caseload["TST-0001"])
    second = opened(qtbot, window, caseload["TST-0002"])
    second.timeline.table.setFocus()
    press(qtbot, window, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: second.attempts.method.hasFocus(), timeout=WAIT)
    assert not first.attempts.method.hasFocus()  # the case in front, not the other


def test_ctrl_n_without_a_case_says_what_to_do(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["worker1"])
    press(qtbot, window, Qt.Key.Key_N, CTRL)
    assert window.statusBar().currentMessage() == "Open a case first, then log a contact attempt."


def test_ctrl_f_from_a_case_goes_to_the_caseload_search(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    page = opened(qtbot, window, caseload["TST-0001"])
    page.attempts.note.setFocus()
    press(qtbot, window, Qt.Key.Key_F, CTRL)
    caseload_view = window.views["Caseload"]
    qtbot.waitUntil(caseload_view.search.hasFocus, timeout=WAIT)
    assert window.current_view() is caseload_view
    assert window.stack.isVisible()


def test_alt_digit_goes_to_a_view(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    press(qtbot, window, Qt.Key.Key_3, ALT)
    qtbot.waitUntil(lambda: window.sidebar.currentItem().text() == "Inbox", timeout=WAIT)


def test_f5_reads_the_case_in_front_again(ui_db, team, caseload, qtbot):
    from followup.db import models as m

    window = make_window(qtbot, ui_db, team["lead"])
    page = opened(qtbot, window, caseload["TST-0001"])
    page.attempts.note.setFocus()
    with ui_db.session() as s:
        s.get(m.Person, page.detail.person_id).first_name = "Renamed"
    press(qtbot, window, Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: "Renamed McTestface" in page.header.text(), timeout=WAIT)


def test_behind_the_lock_screen_the_keys_do_nothing(ui_db, team, caseload, qtbot):
    from followup.ui.shell.idle_lock import IdleLock

    window = make_window(qtbot, ui_db, team["lead"])
    window.idle_lock = IdleLock(window, ui_db, team["lead"])
    window.idle_lock.lock()
    for name in ("User guide", "Find a case", "Go to Inbox"):
        window.actions_by_name[name].trigger()
    assert window.help.dialog is None
    assert window.sidebar.currentItem().text() == "My work"
