"""Import from the app with a preview: every row and what will happen to it, "Import N
referrals", then what landed, each opening its case in the main window; a file that changed
since its preview is previewed again, not imported."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from followup.db import models as m
from followup.intake.importer import import_file
from followup.ui.intake import import_dialog
from followup.ui.shell.main_window import MainWindow
from tests.intake.helpers import nhs, row, write_csv

WAIT = 10_000


def _referrals(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Referral))


def _shown(table) -> list[list[str]]:
    model = table.model()
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


@pytest.fixture
def window(ui_db, team, qtbot, monkeypatch):
    window = MainWindow(ui_db, team["lead"])
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def choose_file(monkeypatch):
    chosen: list[str] = []
    monkeypatch.setattr(import_dialog, "ask_referral_file", lambda _parent: chosen.pop(0))
    return lambda path: chosen.append(str(path))


@pytest.fixture
def known(ui_db, team, tmp_path) -> int:
    """Testy Knownperson, with an open case; returns that case's id."""
    import_file(ui_db, team["lead"], write_csv(tmp_path / "earlier.csv", [
        row(police_reference="TST-KNOWN", first_name="Testy", last_name="Knownperson",
            nhs_number=nhs(3)),
    ]))  # fmt: skip
    with ui_db.session() as s:
        return s.scalar(select(m.Referral.case_id))


def test_preview_then_import_then_open_a_landed_case(
    ui_db, team, window, known, choose_file, qtbot, tmp_path
):
    path = write_csv(tmp_path / "december.csv", [
        row(police_reference="TST-P-1", first_name="Newton", last_name="Testperson",
            date_of_birth="03/03/1990"),
        row(police_reference="TST-P-2", first_name="Testy", last_name="Knownperson",
            nhs_number=nhs(3)),
        row(police_reference="TST-KNOWN"),
        row(police_reference="TST-P-3", incident_datetime="", first_name="", last_name=""),
        row(police_reference="TST-P-4", first_name="Nova", last_name="Testperson",
            date_of_birth="04/04/1994"),
    ])  # fmt: skip
    choose_file(path)
    window.imports.import_action.trigger()
    flow = window.imports.flow
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)
    preview = flow.preview_dialog
    assert preview.isVisible() and _referrals(ui_db) == 1  # nothing written yet
    rows = _shown(preview.table)
    assert [r[:4] for r in rows] == [
        ["2", "TST-P-1", "Newton Testperson", "New person: a new case opens"],
        ["3", "TST-P-2", "Testy Knownperson", "Known person with an open case: joins that case"],
        ["4", "TST-KNOWN", "Testy McTestface", "Skipped: already imported"],
        ["5", "TST-P-3", "Unnamed", "Rejected: kept for a team lead to correct"],
        ["6", "TST-P-4", "Nova Testperson", "New person: a new case opens"],
    ]
    assert rows[2][4] == "police reference TST-KNOWN was imported before"
    reasons = rows[3][4].split("; ")  # every reason of the rejected row
    assert len(reasons) == 2 and reasons[0].startswith("incident_datetime: ")
    assert reasons[1].startswith("first_name/last_name/description: ")
    preview.table.selectRow(3)  # the chosen row, in full below the list
    assert preview.detail.text() == "Row 5 (TST-P-3): Rejected: kept for a team lead to " + (
        f"correct — {rows[3][4]}"
    )
    assert preview.heading.text() == (
        "december.csv: 5 rows read. 3 referrals will be imported (2 new people, 1 known "
        "(1 open case)); 1 already imported (skipped); 1 row rejected."
    )
    assert preview.import_button.text() == "Import 3 referrals"

    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flow.summary_dialog is not None, timeout=WAIT)
    summary = flow.summary_dialog
    assert _referrals(ui_db) == 4
    landed = summary.landed_table
    assert summary.tabs.currentWidget() is landed
    shown = _shown(landed)
    assert [(r[1], r[4]) for r in shown] == [
        ("TST-P-1", "New person: opened a new case"),
        ("TST-P-2", "Known person: added to their open case"),
        ("TST-P-4", "New person: opened a new case"),
    ]
    assert shown[1][3] == f"Case {known}"
    assert [r[1] for r in _shown(summary.skipped_table)] == ["TST-KNOWN"]
    assert summary.rejected_table.model().rowCount() == 2  # one line per reason

    # Enter on a landed row opens its case in the main window ...
    landed.setFocus()
    landed.selectRow(1)
    qtbot.keyClick(landed, Qt.Key.Key_Return)
    page = window.cases.currentWidget()
    qtbot.waitUntil(lambda: page.detail is not None and not page.busy, timeout=WAIT)
    assert page.case_id == known
    # ... and so does a double-click, or "Open case".
    with ui_db.session() as s:
        nova = s.scalar(select(m.Referral.case_id).where(m.Referral.police_reference == "TST-P-4"))
    rect = landed.visualRect(landed.model().index(2, 1))
    qtbot.mouseClick(landed.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(landed.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.cases.currentWidget().case_id == nova, timeout=WAIT)
    landed.selectRow(0)
    qtbot.mouseClick(summary.open_button, Qt.MouseButton.LeftButton)
    first = window.cases.currentWidget()
    assert first.case_id not in (known, nova)
    qtbot.waitUntil(lambda: first.detail is not None and not first.busy, timeout=WAIT)
    qtbot.waitUntil(lambda: not window.cases.currentWidget().busy, timeout=WAIT)
    summary.close()


def test_a_file_changed_after_its_preview_is_previewed_again_not_imported(
    ui_db, team, window, choose_file, qtbot, tmp_path
):
    path = write_csv(tmp_path / "moving.csv", [row(police_reference="TST-V-1")])
    choose_file(path)
    flow = window.imports.flow
    assert flow.start()
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)
    first = flow.preview_dialog
    assert first.import_button.text() == "Import 1 referral"
    write_csv(path, [row(police_reference="TST-V-1"), row(police_reference="TST-V-2")])

    qtbot.mouseClick(first.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: flow.preview_dialog is not None and flow.preview_dialog is not first,
        timeout=WAIT,
    )
    again = flow.preview_dialog
    assert again.message.text() == (
        "moving.csv has changed since it was previewed; nothing was imported. Check the new "
        "preview before importing."
    )
    assert [r[1] for r in _shown(again.table)] == ["TST-V-1", "TST-V-2"]
    assert again.import_button.text() == "Import 2 referrals"
    assert _referrals(ui_db) == 0 and flow.summary_dialog is None

    cancel = again.buttons.button(import_dialog.QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert flow.preview_dialog is None and _referrals(ui_db) == 0
    assert window.statusBar().currentMessage() == "Nothing was imported from moving.csv."
