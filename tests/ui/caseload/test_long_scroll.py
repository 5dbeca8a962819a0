"""A long session: a 100,000-case caseload paged from top to bottom in one process.

PySide6 6.12.0 on Python 3.11 dropped a reference to ``None`` each time a model's ``data()``
returned None, and the app aborted ("Fatal Python error: none_dealloc") after 20,000–40,000
rows of scrolling. This test scrolls the real model in a real ``QTableView`` to the last
case and asks every row, through Qt (C++ calling the Python ``data()``), for roles that answer
None, so that a release with that fault fails here instead of in a worker's afternoon.

The cases are bulk-inserted, obviously synthetic rows: building them through casework would
take minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from followup.casework.caseload import CaseQuery
from followup.db.engine import Database
from followup.ui.caseload.model import CaseloadModel

CASES = 100_000
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Roles the caseload answers None for on an ordinary (not overdue) row's cells.
NONE_ROLES = (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ForegroundRole)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def bulk_cases(db: Database, count: int) -> None:
    """``count`` open synthetic cases, one person each, due in order of their number."""
    created = _stamp(NOW - timedelta(days=30))
    people = [
        (i, "Synthetic", f"Testcase{i:06d}", created, created, 1, False)
        for i in range(1, count + 1)
    ]
    cases = [
        (
            i,
            i,
            "contacting",
            f"SYN-{i:06d}",
            _stamp(NOW - timedelta(days=30, minutes=i)),
            _stamp(NOW + timedelta(days=1, minutes=i)),
            created,
            1,
        )
        for i in range(1, count + 1)
    ]
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO person (id, first_name, last_name, created_at, updated_at, version,"
            " no_fixed_abode) VALUES (?, ?, ?, ?, ?, ?, ?)",
            people,
        )
        conn.exec_driver_sql(
            "INSERT INTO case_file (id, person_id, status, police_reference, referred_at,"
            " next_action_due_at, opened_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            cases,
        )


def test_a_100k_caseload_scrolls_to_its_last_case(ui_db, team, qtbot):
    bulk_cases(ui_db, CASES)
    model = CaseloadModel(ui_db, team["lead"], page_size=2000)
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.resize(900, 400)
    table.show()
    model.set_query(CaseQuery(statuses=("contacting",), sort="due", now=NOW))
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading, timeout=10_000)

    asked = 0
    columns = model.columnCount()

    def ask_new_rows() -> int:
        for row in range(asked, model.rowCount()):
            for column in (0, columns - 1):
                index = model.index(row, column)
                for role in NONE_ROLES:
                    assert index.data(role) is None
        return model.rowCount()

    while model.rowCount() < CASES:
        asked = ask_new_rows()
        table.scrollToBottom()  # the view asks for the next page, as a user's scrolling does
        qtbot.waitUntil(lambda n=asked: model.rowCount() > n, timeout=10_000)
    asked = ask_new_rows()

    assert model.rowCount() == CASES
    assert model.line(0).cells[0] == "SYN-000001"
    assert model.line(CASES - 1).cells[0] == f"SYN-{CASES:06d}"
    # Every case once, in the order of the sort (no page skipped or repeated).
    refs = [model.line(r).cells[0] for r in range(0, CASES, 997)]
    assert refs == [f"SYN-{r + 1:06d}" for r in range(0, CASES, 997)]


def test_a_later_page_shows_its_next_steps_once_on_screen(ui_db, team, caseload, qtbot):
    """Pages after the first leave the next step and last contact to be read for the rows Qt
    shows; a row on screen gets them without the user doing anything."""
    model = CaseloadModel(ui_db, team["lead"], page_size=2)
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.resize(900, 400)
    table.show()
    model.set_query(CaseQuery(statuses=("contacting", "engaged", "new"), sort="reference"))
    # The view fetches more pages by itself while it has room: wait for that to settle.
    qtbot.waitUntil(lambda: model.rowCount() >= 4 and not model.loading, timeout=5000)
    # The first page's next steps follow it at once, with no scrolling or pause.
    first = model.index(0, 8)
    qtbot.waitUntil(lambda: first.data() != "", timeout=5000)
    assert first.data() == model.line(0).cells[8]
    last = model.index(3, 8)
    qtbot.waitUntil(lambda: last.data() != "", timeout=5000)
    assert last.data() == model.line(3).cells[8]
    assert model.index(3, 10).data() == "None yet"  # no contact attempt on that case yet
