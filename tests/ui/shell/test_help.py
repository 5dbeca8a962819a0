"""Help menu, driven as a user would: About names the version, the database and the licences;
the user guide has a section for workers, leads and administrators; Keyboard shortcuts lists
exactly the keys the window's actions answer to."""

from __future__ import annotations

from importlib import metadata, resources
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu

from followup.db.engine import sqlite_path, where_it_is
from followup.ui.help.about import AboutDialog
from followup.ui.help.guide import GuideDialog
from followup.ui.help.keys_dialog import ShortcutsDialog
from followup.ui.shell.main_window import MainWindow
from followup.ui.shortcuts import Scope

WAIT = 10_000


def make_window(qtbot, db, actor) -> MainWindow:
    window = MainWindow(db, actor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def help_menu(window: MainWindow) -> QMenu:
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert "&Help" in menus
    return menus["&Help"]


def trigger(window: MainWindow, text: str):
    """Choose ``text`` in the Help menu; returns the dialog it opened."""
    action = next(a for a in help_menu(window).actions() if a.text() == text)
    action.trigger()
    dialog = window.help.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_help_menu_offers_the_guide_the_shortcuts_and_about(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["worker1"])
    texts = [a.text() for a in help_menu(window).actions() if not a.isSeparator()]
    assert texts == ["User guide", "Keyboard shortcuts", "About Followup"]


def test_about_names_the_version_the_database_file_and_the_licences(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["worker1"])
    dialog = trigger(window, "About Followup")
    assert isinstance(dialog, AboutDialog)
    assert dialog.windowTitle() == "About Followup"
    text = dialog.text.toPlainText()
    assert f"Followup {metadata.version('followup')}" in text
    path = sqlite_path(ui_db.url)
    assert path is not None
    assert f"SQLite file: {path}" in text
    fonts = resources.files("followup") / "resources" / "fonts"
    for font in (p.name for p in fonts.iterdir() if p.name.endswith(".ttf")):
        assert font in text, font
    assert "DejaVu Sans" in text and "Bitstream Vera Fonts licence" in text
    for library, licence in (
        ("Qt for Python (PySide6)", "LGPL-3.0"),
        ("SQLAlchemy", "MIT"),
        ("ReportLab", "BSD-3-Clause"),
        ("psycopg", "LGPL-3.0"),
    ):
        line = next(line for line in text.splitlines() if line.startswith(library))
        assert licence in line, line
    assert metadata.version("SQLAlchemy") in text


def test_about_shows_a_team_server_without_its_password(qtbot):
    url = "postgresql+psycopg://wendy:s3cret-Pa55@db.example:5432/team"
    server = SimpleNamespace(location=where_it_is(url))  # the server's Database says this
    dialog = AboutDialog(server)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert "Server: postgresql+psycopg://wendy:***@db.example:5432/team" in text
    assert "s3cret" not in text


def test_f1_opens_the_guide_with_a_section_for_each_role(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: isinstance(window.help.dialog, GuideDialog), timeout=WAIT)
    guide = window.help.dialog
    assert guide.windowTitle() == "Followup user guide"
    titles = [guide.contents.item(i).text() for i in range(guide.contents.count())]
    assert titles == [
        "Getting started",
        "For referral workers",
        "For team leads",
        "For administrators",
    ]
    # Each section describes the real screens: the words on their buttons and views.
    expected = {
        "Getting started": ["Sign out", "Keyboard shortcuts", "Ctrl+N", "UK time"],
        "For referral workers": ["My work", "Take case", "Log attempt", "Record consent"],
        "For team leads": ["Reassign…", "Rejected referrals", "Dashboard", "Ctrl+I"],
        "For administrators": ["Add user…", "Letter templates", "Services", "Dry run"],
    }
    for title, words in expected.items():
        guide.contents.setCurrentRow(titles.index(title))
        shown = guide.text.toPlainText()
        assert shown.startswith(title)
        for word in words:
            assert word in shown, (title, word)


def test_the_guide_ships_as_package_data():
    folder = resources.files("followup") / "resources" / "guide"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01-start.html", "02-workers.html", "03-leads.html", "04-admins.html"]


def _keys(action: QAction) -> str:
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts())


def test_every_shortcut_listed_is_a_real_action_and_every_action_is_listed(
    ui_db, team, caseload, qtbot
):
    window = make_window(qtbot, ui_db, team["lead"])
    page = window.open_case(caseload["TST-0001"])
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    _ = page.notes  # the notes form, with its own Ctrl+Enter
    dialog = trigger(window, "Keyboard shortcuts")
    assert isinstance(dialog, ShortcutsDialog)
    rows = dialog.rows()
    actions = [a for a in window.findChildren(QAction) if a.shortcuts()]
    by_name: dict[str, list[QAction]] = {}
    for action in actions:
        by_name.setdefault(action.text().replace("&", ""), []).append(action)

    for keys, name, _where in rows:
        assert name in by_name, name
        assert all(_keys(a) == keys for a in by_name[name]), (name, keys)
    listed = {name for _keys_, name, _where in rows}
    assert {a.text().replace("&", "") for a in actions} == listed  # nothing left unlisted
    assert window.findChildren(QShortcut) == []  # no key hides outside the list
    assert ("Ctrl+N, Alt+N, Ctrl+L", "New contact attempt") in [(k, n) for k, n, _ in rows]
    assert ("Alt+2", "Go to Caseload") in [(k, n) for k, n, _ in rows]
    # The form's keys are the form's actions: they save only the form they are pressed in.
    saves = by_name["Save the form"]
    assert {a.parent() for a in saves} == {page.attempts, page.notes}
    assert [s.scope for s in dialog.shortcuts if s.name == "Save the form"] == [Scope.FORM]


def test_the_window_lists_only_what_its_user_may_use(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["admin"])
    dialog = trigger(window, "Keyboard shortcuts")
    names = [name for _k, name, _w in dialog.rows()]
    assert "Import referrals…" not in names  # an administrator imports nothing
    assert "Go to Users" in names


def test_about_names_the_database_on_each_backend(ui_any_db, team, qtbot):
    window = make_window(qtbot, ui_any_db, team["worker1"])
    text = trigger(window, "About Followup").text.toPlainText()
    assert ui_any_db.location in text
    if not ui_any_db.is_sqlite:
        assert ui_any_db.location.startswith("Server: postgresql")
