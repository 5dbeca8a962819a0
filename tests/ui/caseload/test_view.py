"""The caseload view through the real background path: search, filters, roles, sorting, overdue."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from followup.ui.caseload.model import DUE_COLUMN, OVERDUE_COLOUR, OVERDUE_ROLE, CaseloadModel
from followup.ui.caseload.view import CaseloadView

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


def refs(view: CaseloadView) -> list[str]:
    model = view.model
    return [model.line(r).cells[0] for r in range(model.rowCount())]


def settled(view: CaseloadView) -> bool:
    return not view.model.busy and view.model.total is not None


@pytest.fixture
def make_view(qtbot):
    def make(db, actor):
        opened: list[int] = []
        view = CaseloadView(db, actor, opened.append)
        view.opened = opened
        qtbot.addWidget(view)
        view.resize(1100, 500)
        view.show()
        qtbot.waitUntil(lambda: settled(view), timeout=WAIT)
        return view

    return make


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not a choice"
    combo.setCurrentIndex(index)


def test_search_by_name_shows_only_matching_cases(ui_any_db, team, caseload, make_view, qtbot):
    view = make_view(ui_any_db, team["lead"])
    assert sorted(refs(view)) == ["TST-0001", "TST-0002", "TST-0003", "TST-0004"]
    assert view.count_label.text() == "4 cases"

    qtbot.keyClicks(view.search, "mctestf")
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0001"], timeout=WAIT)
    assert view.count_label.text() == "1 case"
    assert view.model.line(0).cells[1] == "Testy McTestface"

    choose(view.status_filter, "All statuses")  # the closed case shows too
    qtbot.waitUntil(
        lambda: settled(view) and sorted(refs(view)) == ["TST-0001", "TST-0005"], timeout=WAIT
    )

    view.search.clear()
    qtbot.keyClicks(view.search, "07700 900002")  # a phone number, as people write it
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0002"], timeout=WAIT)

    view.search.clear()
    qtbot.keyClicks(view.search, "999 000 0018")  # an NHS number
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0001"], timeout=WAIT)

    view.search.clear()
    qtbot.keyClicks(view.search, "nobody-like-this")
    qtbot.waitUntil(lambda: settled(view) and refs(view) == [], timeout=WAIT)
    assert view.count_label.text() == "0 cases"


def test_status_and_worker_filters_for_a_lead(ui_db, team, caseload, make_view, qtbot):
    view = make_view(ui_db, team["lead"])
    assert view.worker_filter.isVisible()
    qtbot.waitUntil(lambda: view.worker_filter.findText("Walt Worker") >= 0, timeout=WAIT)

    choose(view.status_filter, "New")
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0004"], timeout=WAIT)
    assert view.model.line(0).cells[1] == "Unnamed: tall, grey coat"
    assert view.model.line(0).cells[5] == "Unassigned"

    choose(view.status_filter, "All open")
    choose(view.worker_filter, "Walt Worker")
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0003"], timeout=WAIT)
    choose(view.worker_filter, "Unassigned")
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0004"], timeout=WAIT)
    choose(view.worker_filter, "All workers")
    view.overdue_only.click()
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-0001"], timeout=WAIT)


def test_a_worker_sees_only_their_own_caseload(ui_db, team, caseload, make_view):
    view = make_view(ui_db, team["worker1"])
    assert sorted(refs(view)) == ["TST-0001", "TST-0002"]
    assert not view.worker_filter.isVisible()
    assert view.count_label.text() == "2 cases"


def test_an_administrator_is_told_plainly_instead_of_seeing_cases(ui_db, team, caseload, qtbot):
    view = CaseloadView(ui_db, team["admin"], lambda _id: None)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.message.isVisible(), timeout=WAIT)
    assert "does not allow you to see cases" in view.message.text()
    assert "Traceback" not in view.message.text()
    assert refs(view) == []


def _click_header(qtbot, view: CaseloadView, title: str) -> None:
    header = view.table.horizontalHeader()
    column = next(
        i
        for i in range(view.model.columnCount())
        if view.model.headerData(i, Qt.Orientation.Horizontal) == title
    )
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_sorting_by_clicking_column_headers(ui_db, team, caseload, make_view, qtbot):
    view = make_view(ui_db, team["lead"])
    # Default: next action due first (the overdue case leads).
    assert refs(view) == ["TST-0001", "TST-0002", "TST-0003", "TST-0004"]

    _click_header(qtbot, view, "Days")
    qtbot.waitUntil(lambda: settled(view) and view.model.query.sort == "days", timeout=WAIT)
    assert refs(view) == ["TST-0004", "TST-0003", "TST-0002", "TST-0001"]

    _click_header(qtbot, view, "Police ref.")
    qtbot.waitUntil(lambda: settled(view) and view.model.query.sort == "reference", timeout=WAIT)
    assert refs(view) == ["TST-0001", "TST-0002", "TST-0003", "TST-0004"]
    _click_header(qtbot, view, "Police ref.")
    qtbot.waitUntil(lambda: settled(view) and view.model.query.descending, timeout=WAIT)
    assert refs(view) == ["TST-0004", "TST-0003", "TST-0002", "TST-0001"]
    # "Next step" is worked out per page, not sortable: the list and its indicator stay.
    _click_header(qtbot, view, "Next step")
    header = view.table.horizontalHeader()
    assert view.model.headerData(header.sortIndicatorSection(), Qt.Orientation.Horizontal) == (
        "Police ref."
    )
    assert view.model.query.sort == "reference" and not view.model.loading


def test_overdue_cases_are_marked_in_words_and_colour(ui_db, team, caseload, make_view):
    view = make_view(ui_db, team["lead"])
    model = view.model
    rows = {model.line(r).cells[0]: r for r in range(model.rowCount())}
    overdue = model.index(rows["TST-0001"], DUE_COLUMN)
    assert model.data(overdue).startswith("Overdue: ")
    assert model.data(overdue, Qt.ItemDataRole.ForegroundRole).color() == QColor(OVERDUE_COLOUR)
    assert model.data(overdue, Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(overdue, OVERDUE_ROLE) is True
    on_time = model.index(rows["TST-0002"], DUE_COLUMN)
    assert not model.data(on_time).startswith("Overdue")
    assert model.data(on_time, Qt.ItemDataRole.ForegroundRole) is None


def test_enter_and_double_click_open_the_case(ui_db, team, caseload, make_view, qtbot):
    view = make_view(ui_db, team["lead"])
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(1, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.opened == [caseload["TST-0002"]]
    rect = view.table.visualRect(view.model.index(0, 1))
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.opened == [caseload["TST-0002"], caseload["TST-0001"]]


def test_focus_search_puts_the_cursor_in_the_search_box(ui_db, team, caseload, make_view, qtbot):
    # Ctrl+F is the main window's (it works with a case open): tests/ui/shell/test_shortcuts.py
    view = make_view(ui_db, team["lead"])
    view.activateWindow()
    view.search.setText("Testy")
    view.table.setFocus()
    view.focus_search()
    qtbot.waitUntil(view.search.hasFocus, timeout=WAIT)
    assert view.search.selectedText() == "Testy"


def test_model_is_lazy_and_drops_superseded_answers(ui_db, team, caseload, qtbot):
    model = CaseloadModel(ui_db, team["lead"], page_size=2)
    model.refresh()
    qtbot.waitUntil(lambda: not model.loading and model.total == 4, timeout=WAIT)
    assert model.rowCount() == 2  # one page held, not the whole caseload
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # no second request while one is on its way
    qtbot.waitUntil(lambda: model.rowCount() == 4, timeout=WAIT)
    model.fetchMore()  # a page of two arrives, then an empty one ends the list
    qtbot.waitUntil(lambda: not model.canFetchMore() and not model._fetching, timeout=WAIT)
    assert model.rowCount() == 4

    from dataclasses import replace

    model.set_query(replace(model.query, search="dummyson"))
    model.set_query(replace(model.query, search="examplewood"))
    qtbot.waitUntil(lambda: not model.loading and model.total is not None, timeout=WAIT)
    qtbot.wait(100)  # any answer to the first query arrives by now, and must be ignored
    assert [model.line(r).cells[0] for r in range(model.rowCount())] == ["TST-0002"]


def test_a_search_that_finds_very_many_cases_says_more_than(
    ui_any_db, team, caseload, make_view, qtbot, monkeypatch
):
    """A search counts its cases only so far (a phone prefix every case shares needs its first
    page, not a count of the database); the count says so instead of giving a wrong number."""
    from followup.casework import caseload as service

    monkeypatch.setattr(service, "SEARCH_COUNT", 2)
    view = make_view(ui_any_db, team["lead"])
    assert view.count_label.text() == "4 cases"  # no search: every open case counted
    qtbot.keyClicks(view.search, "TST-000")
    qtbot.waitUntil(lambda: view.count_label.text() == "More than 2 cases", timeout=WAIT)
    assert sorted(refs(view)) == ["TST-0001", "TST-0002", "TST-0003", "TST-0004"]


def test_a_search_held_in_its_first_page_is_counted_from_it(ui_any_db, team, caseload, qtbot):
    """A search whose first page holds every case it finds shows that count without counting
    again (no count statement) and is audited; one that fills its page is counted."""
    from sqlalchemy import event, select

    from followup.casework.caseload import CaseQuery
    from followup.db import models as m

    statements: list[str] = []

    def seen(_conn, _cursor, sql, *_args):
        statements.append(sql)

    model = CaseloadModel(ui_any_db, team["lead"], page_size=2)
    event.listen(ui_any_db.engine, "before_cursor_execute", seen)
    try:
        model.set_query(CaseQuery(statuses=("contacting", "engaged", "new"), search="dummyson"))
        qtbot.waitUntil(lambda: not model.loading and model.total is not None, timeout=WAIT)
        assert model.total == 1
        assert [model.line(r).cells[0] for r in range(model.rowCount())] == ["TST-0003"]

        def audited() -> bool:
            with ui_any_db.session() as s:
                found = select(m.AuditEvent.id).where(m.AuditEvent.entity == "search")
                return s.scalar(found.limit(1)) is not None

        qtbot.waitUntil(audited, timeout=WAIT)
        assert not [sql for sql in statements if sql.lower().startswith("select count(")]

        # Four open cases, a page of two: the search is counted.
        model.set_query(CaseQuery(statuses=("contacting", "engaged", "new"), search="TST-000"))
        qtbot.waitUntil(lambda: not model.loading and model.total is not None, timeout=WAIT)
        assert model.total == 4
        assert model.rowCount() >= 2
    finally:
        event.remove(ui_any_db.engine, "before_cursor_execute", seen)
