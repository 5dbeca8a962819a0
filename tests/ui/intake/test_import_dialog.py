"""Importing a referral file from the app: progress, cancel, the summary, export, failures."""

from __future__ import annotations

import csv
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import func, select

from followup.db import models as m
from followup.intake.importer import CHUNK_ROWS, import_file
from followup.intake.rules import Problem
from followup.ui.intake import import_dialog
from followup.ui.intake.import_dialog import CANCELLED_TEXT, ImportFlow, write_problems_csv
from followup.ui.tasks import SyncTaskRunner
from tests.intake.helpers import nhs, row, write_csv

WAIT = 10_000


def preview_then_import(flow, qtbot) -> None:
    """Wait for the preview, then press its "Import N referrals"."""
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)
    button = flow.preview_dialog.import_button
    assert button.isEnabled() and button.text().startswith("Import ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _referrals(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Referral))


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def choose_file(monkeypatch):
    """Replace the file chooser: the next import 'chooses' the path given."""
    chosen: list[str] = []
    monkeypatch.setattr(import_dialog, "ask_referral_file", lambda _parent: chosen.pop(0))
    return lambda path: chosen.append(str(path))


@pytest.fixture
def mixed_file(ui_db, team, tmp_path):
    """A known person already imported, then a file with every kind of outcome in it."""
    import_file(ui_db, team["lead"], write_csv(tmp_path / "earlier.csv", [
        row(police_reference="TST-EARLY-1", first_name="Testy", last_name="McTestface",
            nhs_number=nhs(1), incident_datetime="01/10/2026 10:00"),
    ]))  # fmt: skip
    return write_csv(tmp_path / "november.csv", [
        row(police_reference="TST-EARLY-1"),  # row 2: imported before
        row(police_reference="TST-NEW-1", first_name="Testy", last_name="McTestface",
            nhs_number=nhs(1)),  # row 3: the same person again: a repeat overdose
        row(police_reference="TST-NEW-2", incident_datetime=""),  # row 4: rejected
        row(police_reference="TST-NEW-3", first_name="Sample", last_name="Personne",
            date_of_birth="03/03/1990", nhs_number="1234567890"),  # row 5: NHS left out
    ])  # fmt: skip


def test_import_shows_the_counts_and_every_rejected_row(
    ui_db, team, mixed_file, parent, choose_file, qtbot, tmp_path, monkeypatch
):
    flow = ImportFlow(ui_db, team["lead"], parent)
    done: list[object] = []
    flow.imported.connect(done.append)
    choose_file(mixed_file)
    assert flow.start()
    assert flow.progress_dialog is not None and flow.progress_dialog.isVisible()
    preview_then_import(flow, qtbot)
    qtbot.waitUntil(lambda: flow.summary_dialog is not None, timeout=WAIT)

    dialog = flow.summary_dialog
    assert flow.progress_dialog is None
    shown = {label: value.text() for label, value in dialog.counts.items()}
    assert shown["Referrals imported"] == "2"
    assert shown["… linked to a person already known (repeat overdose)"] == "1"
    assert shown["… waiting in the inbox for a decision on a possible match"] == "0"
    assert shown["Skipped: already imported before"] == "1"
    assert shown["Rows rejected (kept under Rejected referrals for a team lead)"] == "1"
    assert shown["Fields left out (the referral was still imported)"] == "1"
    rejected = dialog.rejected_table.model()
    assert rejected.rowCount() == 1
    assert [rejected.index(0, c).data() for c in range(2)] == ["4", "incident_datetime"]
    assert rejected.index(0, 2).data()  # a reason in words
    warned = dialog.warnings_table.model()
    assert [warned.index(0, c).data() for c in range(2)] == ["5", "nhs_number"]
    assert dialog.tabs.tabText(0) == "Imported (2)"
    assert dialog.tabs.tabText(1) == "Skipped: already imported (1)"
    assert dialog.tabs.tabText(2) == "Rejected rows (1)"
    assert len(done) == 1 and _referrals(ui_db) == 3

    target = tmp_path / "out" / "rejected.csv"
    target.parent.mkdir()
    monkeypatch.setattr(import_dialog, "ask_save_path", lambda _p, suggested: str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["row", "field", "reason"]
    assert lines[1][:2] == ["4", "incident_datetime"] and len(lines) == 2
    assert "Saved 1 rejected row to" in dialog.message.text()


def test_exported_cells_cannot_run_as_formulas(tmp_path):
    target = tmp_path / "problems.csv"
    write_problems_csv(
        target,
        [Problem(7, "=HYPERLINK(1)", "+44 is not a reason"), Problem(8, "notes", "@risk\tthen")],
    )
    with target.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[1] == ["7", "'=HYPERLINK(1)", "'+44 is not a reason"]
    assert lines[2] == ["8", "notes", "'@risk\tthen"]


def test_cancel_after_the_first_batch_writes_nothing(ui_db, team, parent, choose_file, tmp_path):
    path = write_csv(tmp_path / "big.csv", [row() for _ in range(CHUNK_ROWS * 2 + 1)])
    flow = ImportFlow(ui_db, team["lead"], parent, runner=SyncTaskRunner())
    seen: list[float] = []

    def first_progress(_rows: int, fraction: float) -> None:
        seen.append(fraction)
        flow.cancel()  # what the Cancel button does

    choose_file(path)
    flow.start()
    assert flow.preview_dialog is not None  # the preview ran to its end
    flow._relay.progress.connect(first_progress)
    flow.preview_dialog.import_button.click()
    assert len(seen) == 1 and 0 < seen[0] < 1
    assert flow.summary_dialog is None
    assert flow.message_box is not None and flow.message_box.text() == CANCELLED_TEXT
    assert _referrals(ui_db) == 0


def test_cancel_in_the_background_writes_nothing(
    ui_db, team, parent, choose_file, tmp_path, qtbot, monkeypatch
):
    # Two batches of different people (a date of birth each): one person referred thousands
    # of times over makes every insert walk that person's referrals, and the preview of such a
    # file outlasted the wait on a loaded machine.
    births = (f"{1 + i % 28:02d}/{1 + i // 28 % 12:02d}/{1940 + i // 336}" for i in range(10**4))
    path = write_csv(
        tmp_path / "bigger.csv", [row(date_of_birth=next(births)) for _ in range(CHUNK_ROWS * 2)]
    )
    real_import = import_dialog.import_file

    def held_import(*args, progress, cancelled, **kwargs):
        """The real import, held after each batch of the real run until Cancel is pressed
        (or 10 s pass): a fast machine would otherwise finish before the click lands."""

        def report(rows, fraction):
            progress(rows, fraction)
            if not kwargs.get("dry_run"):
                deadline = time.monotonic() + WAIT / 1000
                while not cancelled() and time.monotonic() < deadline:
                    time.sleep(0.01)

        return real_import(*args, progress=report, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(import_dialog, "import_file", held_import)
    flow = ImportFlow(ui_db, team["lead"], parent)
    choose_file(path)
    flow.start()
    preview_then_import(flow, qtbot)
    bar = flow.progress_dialog.bar
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=WAIT)
    qtbot.mouseClick(flow.progress_dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flow.message_box is not None, timeout=WAIT)
    assert flow.message_box.text() == CANCELLED_TEXT
    assert flow.summary_dialog is None and _referrals(ui_db) == 0


def test_an_unusable_file_is_explained_in_a_sentence(
    ui_db, team, parent, choose_file, tmp_path, qtbot
):
    path = write_csv(tmp_path / "colours.csv", [{"colour": "blue"}], header=["colour"])
    flow = ImportFlow(ui_db, team["worker1"], parent)
    choose_file(path)
    flow.start()
    qtbot.waitUntil(lambda: flow.message_box is not None, timeout=WAIT)
    text = flow.message_box.text()
    assert text.startswith("colours.csv has no column for police_reference")
    assert "Traceback" not in text and flow.summary_dialog is None
    flow.message_box.close()


def test_choosing_no_file_starts_nothing(ui_db, team, parent, monkeypatch):
    monkeypatch.setattr(import_dialog, "ask_referral_file", lambda _parent: None)
    flow = ImportFlow(ui_db, team["lead"], parent)
    assert not flow.start() and flow.progress_dialog is None


def test_the_import_folder_is_chosen_and_saved_in_local_settings(
    app_paths, tmp_path, qtbot, monkeypatch
):
    from followup.settings import load_local_settings
    from followup.ui.intake import folder_watcher
    from followup.ui.intake.folder_watcher import ImportFolderDialog

    folder = tmp_path / "drop"
    folder.mkdir()
    saved: list[object] = []
    monkeypatch.setattr(folder_watcher, "ask_directory", lambda _p, _start: str(folder))
    dialog = ImportFolderDialog(paths=app_paths, on_saved=saved.append)
    qtbot.addWidget(dialog)
    assert dialog.path.text() == "" and not dialog.clear_button.isEnabled()
    dialog.choose()
    dialog.save()
    assert load_local_settings(app_paths)["import_folder"] == str(folder)
    assert saved == [folder]

    again = ImportFolderDialog(paths=app_paths)
    qtbot.addWidget(again)
    assert again.path.text() == str(folder)
    again.clear_button.click()
    again.save()
    assert "import_folder" not in load_local_settings(app_paths)

    missing = ImportFolderDialog(paths=app_paths)
    qtbot.addWidget(missing)
    missing._set(str(tmp_path / "nowhere"))
    missing.save()
    assert "cannot write in" in missing.message.text()
    assert "import_folder" not in load_local_settings(app_paths)


def test_a_file_with_a_header_and_no_records_says_it_holds_no_referrals(
    ui_db, team, parent, choose_file, qtbot, tmp_path
):
    flow = ImportFlow(ui_db, team["lead"], parent)
    choose_file(write_csv(tmp_path / "empty.csv", []))
    assert flow.start()
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)
    assert flow.preview_dialog.heading.text() == (
        "empty.csv: the file holds no referrals (a header and no records); nothing to import."
    )
    button = flow.preview_dialog.import_button
    assert button.text() == "Nothing to import" and not button.isEnabled()
    said: list[str] = []
    flow.finished.connect(said.append)
    flow.preview_dialog.buttons.button(import_dialog.QDialogButtonBox.StandardButton.Cancel).click()
    assert flow.preview_dialog is None and flow.summary_dialog is None
    assert said == ["Nothing was imported from empty.csv."]


def test_the_status_bar_says_when_a_folder_file_held_no_referrals(ui_db, team, tmp_path):
    from followup.intake.folder import FolderResult
    from followup.ui.intake.folder_watcher import results_text

    summary = import_file(ui_db, team["lead"], write_csv(tmp_path / "empty.csv", []))
    result = FolderResult("empty.csv", True, None, None, summary)
    assert results_text([result]) == (
        "Import folder: imported 1 file (0 new referrals); 1 file held no referrals."
    )
