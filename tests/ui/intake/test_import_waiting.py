"""An import started in the app while another import runs waits for it, says so in its
progress dialog, and then lands (SQLite and PostgreSQL)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from PySide6.QtWidgets import QWidget
from sqlalchemy import func, select

from followup.db import models as m
from followup.db.migrate import open_database
from followup.db.writer_lock import import_turn
from followup.ui.intake import import_dialog
from followup.ui.intake.import_dialog import ImportFlow
from tests.intake.helpers import row, write_csv

WAIT = 30_000


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def test_a_second_import_in_the_app_waits_says_so_and_lands(
    ui_any_db, team, parent, qtbot, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "second.csv", [row(police_reference=f"TST-W-{i}") for i in range(3)]
    )
    monkeypatch.setattr(import_dialog, "ask_referral_file", lambda _parent: str(path))
    flow = ImportFlow(ui_any_db, team["lead"], parent)
    assert flow.start()
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)
    elsewhere = open_database(ui_any_db.url, migrate=False)  # a colleague's import, running
    try:
        with ExitStack() as first:
            first.enter_context(import_turn(elsewhere))
            flow.preview_dialog.import_button.click()
            label = flow.progress_dialog.label
            qtbot.waitUntil(
                lambda: label.text() == "Waiting for another import to finish…", timeout=WAIT
            )
            assert flow.summary_dialog is None
        qtbot.waitUntil(lambda: flow.summary_dialog is not None, timeout=WAIT)
    finally:
        elsewhere.dispose()
    shown = {k: v.text() for k, v in flow.summary_dialog.counts.items()}
    assert shown["Referrals imported"] == "3"
    with ui_any_db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Referral)) == 3
