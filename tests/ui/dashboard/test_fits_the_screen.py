"""The dashboard fits a full-HD screen: the tabs under the charts are on screen without
scrolling, and on a small screen the page scrolls rather than squeezing them away."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea

from followup.ui.dashboard.view import TABLES_MIN_HEIGHT, DashboardView

WAIT = 10_000


def _on_a_page(ui_db, lead, qtbot, width: int, height: int) -> tuple[QScrollArea, DashboardView]:
    """The dashboard in a page as the main window shows every view: a resizable scroll area."""
    page = QScrollArea()
    page.setWidgetResizable(True)
    page.setFrameShape(QFrame.Shape.NoFrame)
    view = DashboardView(ui_db, lead, lambda _id: None)
    page.setWidget(view)
    qtbot.addWidget(page)
    page.resize(width, height)
    page.show()
    qtbot.waitUntil(lambda: view.report is not None and not view.loading, timeout=WAIT)
    return page, view


def test_the_tables_are_on_a_full_hd_screen_without_scrolling(ui_db, team, qtbot):
    page, view = _on_a_page(ui_db, team["lead"], qtbot, 1780, 1000)
    qtbot.waitUntil(lambda: view.height() <= page.viewport().height() + 1, timeout=WAIT)
    assert not page.verticalScrollBar().isVisible()
    tabs = view.tables
    bottom = tabs.mapTo(view, tabs.rect().bottomLeft()).y()
    assert bottom <= page.viewport().height() and tabs.height() >= TABLES_MIN_HEIGHT


def test_on_a_small_screen_the_page_scrolls_and_keeps_the_tables_whole(ui_db, team, qtbot):
    page, view = _on_a_page(ui_db, team["lead"], qtbot, 1210, 680)
    qtbot.waitUntil(lambda: page.verticalScrollBar().maximum() > 0, timeout=WAIT)
    assert view.tables.height() >= TABLES_MIN_HEIGHT
