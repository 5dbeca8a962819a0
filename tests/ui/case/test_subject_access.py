"""The "Subject access…" action of the case view: a lead writes the PDF and JSON pack into the
folder chosen (the request-date and folder questions replaced); a worker has no such button."""

from __future__ import annotations

import json
from datetime import date

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.db import models as m
from followup.ui.case import subject_access
from tests.ui.case.helpers import make_case, open_view, settle


def test_lead_writes_the_pack_from_the_case_view(qtbot, database, team, tmp_path, monkeypatch):
    case_id = make_case(database, team, first="Zebedee", last="Quuxworth")
    out = tmp_path / "pack"
    out.mkdir()
    monkeypatch.setattr(subject_access, "ask_request_date", lambda parent: date(2026, 1, 5))
    monkeypatch.setattr(subject_access, "choose_folder", lambda parent: out)
    view = open_view(qtbot, database, team["lead"], case_id)
    button = view.lifecycle.subject_access
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    qtbot.waitUntil(lambda: "saved" in view.lifecycle.message.text(), timeout=5000)
    assert "05/02/2026" in view.lifecycle.message.text()
    [pdf] = out.glob("*.pdf")
    [data] = out.glob("*.json")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert json.loads(data.read_text(encoding="utf-8"))["person"]["last_name"] == "Quuxworth"
    with database.session() as s:
        kinds = [
            json.loads(d)["kind"]
            for d in s.scalars(select(m.AuditEvent.details).where(m.AuditEvent.action == "export"))
        ]
    assert kinds == ["subject_access"]


def test_cancelling_the_folder_writes_nothing(qtbot, database, team, tmp_path, monkeypatch):
    case_id = make_case(database, team)
    monkeypatch.setattr(subject_access, "ask_request_date", lambda parent: date.today())
    monkeypatch.setattr(subject_access, "choose_folder", lambda parent: None)
    view = open_view(qtbot, database, team["lead"], case_id)
    qtbot.mouseClick(view.lifecycle.subject_access, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    with database.session() as s:
        assert s.scalar(select(m.AuditEvent.id).where(m.AuditEvent.action == "export")) is None


def test_a_worker_has_no_subject_access_button(qtbot, database, team):
    case_id = make_case(database, team)
    view = open_view(qtbot, database, team["worker1"], case_id)
    assert not view.lifecycle.subject_access.isVisible()
