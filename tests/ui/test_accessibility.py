"""A screen reader can name every control: each main screen, every case tab and the dialogs
opened from them are walked through Qt's accessibility tree (``tests/ui/accessibility.py``);
focus is visible; the filter lists are named by what they filter."""

from __future__ import annotations

from datetime import UTC, datetime
from pprint import pformat

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from followup.casework.allocation import CaseToMove
from followup.casework.detail import TimelineEntry
from followup.settings import keyring_status
from followup.ui.case.corrections import CorrectionDialog
from followup.ui.case.dialogs import CloseCaseDialog, ReopenDialog, WorkerDialog
from followup.ui.case.view import TAB_TITLES, CaseView, worker_loads
from followup.ui.caseload.reassign import MoveCaseloadDialog, ReassignDialog
from followup.ui.shell.db_password import DatabasePasswordDialog, PasswordRequest
from followup.ui.shell.main_window import MainWindow
from followup.ui.shell.sign_in import FirstAdminDialog, SignInDialog
from followup.ui.widgets.print_dialog import CupsPrintDialog
from tests.ui.accessibility import accessible_name, unnamed_controls, unreached_controls, walk

WAIT = 10_000


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settled(qtbot, view: QWidget) -> None:
    """Wait for the view's first reading, so the controls it shows once read are there."""
    runner = getattr(view, "_runner", None)
    if runner is not None:
        qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT)


def window_for(qtbot, db, actor) -> MainWindow:
    return shown(qtbot, MainWindow(db, actor))


@pytest.mark.parametrize("who", ["lead", "worker1", "admin"])
def test_every_view_names_every_control(ui_db, team, caseload, qtbot, who):
    window = window_for(qtbot, ui_db, team[who])
    problems = {}
    for n, title in enumerate(window.views):
        window.show_view(n)
        view = window.views[title]
        settled(qtbot, view)
        QApplication.processEvents()
        if unnamed := unnamed_controls(window) + unreached_controls(window):
            problems[title] = unnamed
    assert problems == {}, pformat(problems)


def test_every_case_tab_names_every_control(ui_db, team, caseload, qtbot):
    window = window_for(qtbot, ui_db, team["lead"])
    page = window.open_case(caseload["TST-0001"])
    assert isinstance(page, CaseView)
    qtbot.waitUntil(lambda: page.detail is not None and not page.busy, timeout=WAIT)
    problems = {}
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        settled(qtbot, page)
        QApplication.processEvents()
        if unnamed := unnamed_controls(window) + unreached_controls(window):
            problems[page.tabs.tabText(index)] = unnamed
    assert page.tabs.count() == len(TAB_TITLES)
    assert problems == {}, pformat(problems)


def test_sign_in_and_first_administrator_dialogs(ui_db, qtbot):
    for dialog in (SignInDialog(ui_db), FirstAdminDialog(ui_db)):
        assert unnamed_controls(shown(qtbot, dialog)) == []


def test_dialogs_opened_from_a_case_and_the_caseload(ui_db, team, caseload, qtbot):
    window = window_for(qtbot, ui_db, team["lead"])
    page = window.open_case(caseload["TST-0001"])
    qtbot.waitUntil(lambda: page.detail is not None and not page.busy, timeout=WAIT)
    workers = worker_loads(ui_db, team["lead"])
    case = CaseToMove(caseload["TST-0001"], 1, "TST-0001", "Testy McTestface", None, "", False)
    entry = TimelineEntry(datetime.now(UTC), "attempt", "Phone: no answer", ref="attempt", ref_id=1)
    dialogs = {
        "close": CloseCaseDialog(page.detail),
        "reopen": ReopenDialog(),
        "assign": WorkerDialog(workers, None),
        "reassign": ReassignDialog([case], workers),
        "move caseload": MoveCaseloadDialog(workers),
        "correct": CorrectionDialog(entry, "amend", lambda _a: None),
        "print": CupsPrintDialog(pages=2),
        "database password": DatabasePasswordDialog(
            PasswordRequest(
                "the PostgreSQL database followup on db.example:5432",
                "followup",
                keyring_status(),
                refused=False,
            )
        ),
    }
    problems = {name: unnamed_controls(shown(qtbot, d)) for name, d in dialogs.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, pformat(problems)


def test_dialogs_of_intake_letters_help_and_the_lock(ui_db, team, caseload, qtbot, tmp_path):
    from followup.intake.importer import import_file
    from followup.ui.help.about import AboutDialog
    from followup.ui.help.guide import GuideDialog
    from followup.ui.help.keys_dialog import ShortcutsDialog
    from followup.ui.intake.import_dialog import ImportSummaryDialog
    from followup.ui.intake.import_preview import ImportPreviewDialog
    from followup.ui.letters.dialog import NewLetterDialog
    from followup.ui.shell.idle_lock import LockScreen
    from followup.ui.shell.org_setup import OrgSetupDialog
    from followup.ui.shortcuts import SHORTCUTS
    from tests.intake.helpers import row, write_csv

    lead = team["lead"]
    path = write_csv(
        tmp_path / "police.csv", [row(police_reference="TST-A11Y-1"), row(police_reference="")]
    )
    preview = import_file(ui_db, lead, path, dry_run=True)
    summary = import_file(ui_db, lead, path)
    dialogs = {
        "import preview": ImportPreviewDialog(preview),
        "import summary": ImportSummaryDialog(summary),
        "new letter": NewLetterDialog(ui_db, lead, caseload["TST-0001"]),
        "organisation": OrgSetupDialog(ui_db, team["admin"]),
        "lock screen": LockScreen(),
        "about": AboutDialog(ui_db),
        "guide": GuideDialog(),
        "shortcuts": ShortcutsDialog(SHORTCUTS),
    }
    problems = {}
    for name, dialog in dialogs.items():
        shown(qtbot, dialog)
        settled(qtbot, dialog)
        if unnamed := unnamed_controls(dialog) + unreached_controls(dialog):
            problems[name] = unnamed
    assert problems == {}, pformat(problems)


def test_the_filter_lists_are_named_by_what_they_filter(ui_db, team, caseload, qtbot):
    window = window_for(qtbot, ui_db, team["lead"])
    window.show_view(list(window.views).index("Caseload"))
    view = window.views["Caseload"]
    names = {accessible_name(i): i.role().name for i in walk(view) if i.role().name != "StaticText"}
    assert names["Search cases"] == "EditableText"
    assert names["Status"] == "ComboBox"
    assert names["Worker"] == "ComboBox"
    assert "All open" not in names  # the value is not what the list is called


def test_the_walk_finds_what_a_screen_reader_could_not_name(qtbot):
    from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QPushButton

    from followup.ui.widgets.named import label_for

    root = QWidget()
    form = QFormLayout(root)
    root.search = QLineEdit()  # no label, no name
    root.filter = QComboBox()  # only its value, "All open", would be read
    root.filter.addItem("All open")
    root.filter.setAccessibleName("Status")  # not enough on Linux: no label points at it
    root.icon = QPushButton()  # a button without words
    for widget in (root.search, root.filter, root.icon):
        form.addRow(widget)
    shown(qtbot, root)
    assert sorted(unnamed_controls(root)) == [
        "Button QWidget.icon (QPushButton)",
        "ComboBox QWidget.filter (QComboBox)",
        "EditableText QWidget.search (QLineEdit)",
    ]
    root.search.setAccessibleName("Search cases")
    form.addRow(label_for("Status", root.filter))
    root.icon.setAccessibleName("Refresh")
    assert unnamed_controls(root) == []
