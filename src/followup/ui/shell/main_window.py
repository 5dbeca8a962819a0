"""The main window: a sidebar of views, the chosen view, and the cases the user has opened.

It only composes: each view owns its widgets and talks to the services itself. Adding a view
is one line in ``VIEWS``: a title, who may see it, and how to build it from a ``ViewContext``.

A view is built (its module imported, its first query started) when it is first shown or
asked for (``views[title]``), not when the window opens: sign-in reaches My work without
waiting for the letters, the inbox and the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.settings import load_local_settings, save_local_settings
from followup.ui import shortcuts as keys
from followup.ui.tasks import RefreshWhenShown, refresher, wait_for_tasks
from followup.ui.widgets.screens import geometry_text, restore_geometry

if TYPE_CHECKING:
    from followup.db.engine import Database
    from followup.ui.case.view import CaseView
    from followup.ui.shell.idle_lock import IdleLock

__all__ = [
    "GEOMETRY_KEY",
    "PREFERRED_SIZE",
    "VIEWS",
    "CaseTabs",
    "MainWindow",
    "ViewContext",
    "ViewSpec",
    "window_title",
]


log = logging.getLogger(__name__)

# The size the window opens at the first time, where the screen has room; later it opens as
# the user left it (kept in the local settings file under GEOMETRY_KEY).
PREFERRED_SIZE = (1360, 820)
GEOMETRY_KEY = "main_window_geometry"


@dataclass(frozen=True)
class ViewContext:
    """What a view may be given: the database, the signed-in user, and a way to open a case."""

    db: Database
    actor: Actor
    open_case: Callable[[int], None]


def _caseload(ctx: ViewContext) -> QWidget:
    from followup.ui.caseload.view import CaseloadView

    return CaseloadView(ctx.db, ctx.actor, ctx.open_case)


def _my_work(ctx: ViewContext) -> QWidget:
    from followup.ui.caseload.my_work import MyWorkView

    return MyWorkView(ctx.db, ctx.actor, ctx.open_case)


def _inbox(ctx: ViewContext) -> QWidget:
    from followup.ui.intake.inbox_view import InboxView

    return InboxView(ctx.db, ctx.actor, ctx.open_case)


def _rejected(ctx: ViewContext) -> QWidget:
    from followup.ui.intake.rejected_view import RejectedView

    return RejectedView(ctx.db, ctx.actor)


def _dashboard(ctx: ViewContext) -> QWidget:
    from followup.ui.dashboard.view import DashboardView

    return DashboardView(ctx.db, ctx.actor, ctx.open_case)


def _audit_trail(ctx: ViewContext) -> QWidget:
    from followup.ui.admin.audit_view import AuditView

    return AuditView(ctx.db, ctx.actor)


def _letters(ctx: ViewContext) -> QWidget:
    from followup.ui.letters.due_view import LettersView

    return LettersView(ctx.db, ctx.actor, ctx.open_case)


def _letter_templates(ctx: ViewContext) -> QWidget:
    from followup.ui.letters.settings_view import LetterSettingsView

    return LetterSettingsView(ctx.db, ctx.actor)


def _retention(ctx: ViewContext) -> QWidget:
    from followup.ui.admin.retention_view import RetentionView

    return RetentionView(ctx.db, ctx.actor)


def _services(ctx: ViewContext) -> QWidget:
    from followup.ui.admin.services_view import ServicesView

    return ServicesView(ctx.db, ctx.actor)


def _users(ctx: ViewContext) -> QWidget:
    from followup.ui.admin.users_view import UsersView

    return UsersView(ctx.db, ctx.actor)


@dataclass(frozen=True)
class ViewSpec:
    title: str
    allowed: Callable[[Actor], bool]
    build: Callable[[ViewContext], QWidget]


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("My work", lambda a: a.can("view_own_cases"), _my_work),
    ViewSpec("Caseload", lambda a: a.can("view_own_cases"), _caseload),
    ViewSpec("Inbox", lambda a: a.can("view_inbox"), _inbox),
    ViewSpec("Rejected referrals", lambda a: a.can("view_all_cases"), _rejected),
    ViewSpec("Letters", lambda a: a.can("print_letters"), _letters),
    ViewSpec("Dashboard", lambda a: a.can("reports"), _dashboard),
    ViewSpec("Users", lambda a: a.can("manage_users"), _users),
    ViewSpec("Letter templates", lambda a: a.can("manage_templates"), _letter_templates),
    ViewSpec("Services", lambda a: a.can("manage_services"), _services),
    ViewSpec("Audit trail", lambda a: a.can("view_audit"), _audit_trail),
    ViewSpec("Retention", lambda a: a.can("retention"), _retention),
)


def window_title(actor: Actor, demo: bool) -> str:
    title = f"Followup — {actor.display_name} ({actor.role})"
    return title + " — DEMONSTRATION DATA" if demo else title


class CaseTabs(QTabWidget):
    """The cases opened in this window, one closable tab each; hidden when there are none."""

    case_changed = Signal(int)  # a case was saved in one of the tabs
    all_closed = Signal()

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self.setTabsClosable(True)
        self.setDocumentMode(True)
        self.setMovable(True)
        self.tabCloseRequested.connect(self.close_tab)
        self.hide()

    def open_case(self, case_id: int) -> QWidget:
        from followup.ui.case.view import CaseView

        for i in range(self.count()):
            page = self.widget(i)
            if isinstance(page, CaseView) and page.case_id == case_id:
                self.setCurrentIndex(i)
                self.show()
                return page
        page = CaseView(self._db, self._actor, case_id)
        index = self.addTab(page, page.title)
        page.loaded.connect(lambda _s, p=page: self._retitle(p))
        page.case_changed.connect(self.case_changed)
        self.setCurrentIndex(index)
        self.show()
        return page

    def _retitle(self, page: CaseView) -> None:
        index = self.indexOf(page)
        if index >= 0:
            self.setTabText(index, page.title)
            self.setTabToolTip(index, page.title)

    def close_tab(self, index: int) -> None:
        page = self.widget(index)
        self.removeTab(index)
        if page is not None:
            page.deleteLater()
        if self.count() == 0:
            self.hide()
            self.all_closed.emit()


class LazyViews(Mapping[str, QWidget]):
    """The window's views by title, in sidebar order; a view is built when first looked up."""

    def __init__(self, titles: list[str], build: Callable[[str], QWidget]) -> None:
        self._titles = titles
        self._build = build
        self.built: dict[str, QWidget] = {}

    def __getitem__(self, title: str) -> QWidget:
        if title not in self._titles:
            raise KeyError(title)
        if title not in self.built:
            self.built[title] = self._build(title)
        return self.built[title]

    def __iter__(self) -> Iterator[str]:
        return iter(self._titles)

    def __len__(self) -> int:
        return len(self._titles)


class MainWindow(QMainWindow):
    """Sidebar, views and opened cases; the status bar names the database and the user."""

    def __init__(self, db: Database, actor: Actor, *, demo: bool = False) -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self.idle_lock: IdleLock | None = None  # set by the app once the window is shown
        self.setWindowTitle(window_title(actor, demo))
        restore_geometry(self, _saved_geometry(), *PREFERRED_SIZE)

        self.cases = CaseTabs(db, actor)
        ctx = ViewContext(db=db, actor=actor, open_case=self._open_case_from_view)
        self.sidebar = QListWidget()
        self.sidebar.setAccessibleName("Views")
        self.sidebar.setMaximumWidth(160)
        self.stack = QStackedWidget()
        self._ctx = ctx
        self._specs = {spec.title: spec for spec in VIEWS if spec.allowed(actor)}
        self._pages: dict[str, QScrollArea] = {}
        self.views = LazyViews(list(self._specs), self._build_view)
        # After a save, a view on screen reads again at once, a hidden one when next shown.
        self._refreshers: list[RefreshWhenShown] = []
        for title in self._specs:
            # On a narrow screen, with a case open beside it, a view scrolls sideways
            # rather than pushing the window past the screen's edge.
            page = QScrollArea()
            page.setWidgetResizable(True)
            page.setFrameShape(QFrame.Shape.NoFrame)
            self._pages[title] = page
            self.stack.addWidget(page)
            self.sidebar.addItem(title)
        self.sidebar.currentRowChanged.connect(self._build_row)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sidebar.setCurrentRow(0)

        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.cases)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setCollapsible(1, False)
        splitter.setSizes([130, 880, 400])
        from followup.ui.shell.spike_banner import SpikeBanner

        self.spike_banner = SpikeBanner(db, actor, self._open_case_from_view)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.spike_banner)
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.user_label = QLabel(f"Signed in as {actor.display_name} ({actor.role})")
        self.database_label = QLabel(f"Database: {db.description}")
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.database_label)

        self.cases.case_changed.connect(self._refresh_views)
        self.cases.all_closed.connect(self.show_views)
        self.sidebar.itemClicked.connect(self.show_views)
        self.sidebar.currentRowChanged.connect(self.show_views)
        # Every shortcut is an action of this window (made from followup.ui.shortcuts, which
        # Help › Keyboard shortcuts lists), so it works wherever the focus is, a case included.
        self.shortcut_list = keys.window_shortcuts(self._specs, can_import=actor.can("import"))
        self.actions_by_name: dict[str, QAction] = {}
        cases_menu = self.menuBar().addMenu("&Cases")
        for shortcut, slot in (
            (keys.NEW_ATTEMPT, self.new_contact_attempt),
            (keys.FIND_CASE, self.find_case),
            (keys.REFRESH, self.read_again),
            (keys.CLOSE_CASE, self._close_current_case),
        ):
            cases_menu.addAction(self._action(shortcut, slot))
        views_menu = self.menuBar().addMenu("&Views")
        for n, shortcut in enumerate(keys.view_shortcuts(self._specs)):
            views_menu.addAction(self._action(shortcut, partial(self.show_view, n)))
        if actor.can("import"):
            from followup.ui.intake.import_menu import ImportMenu

            self.imports = ImportMenu(self, db, actor)
            self.imports.imported.connect(self._refresh_views)
            self.imports.imported.connect(self.spike_banner.refresh)
            self.actions_by_name[keys.IMPORT_REFERRALS.name] = self.imports.import_action
        account = self.menuBar().addMenu("&Account")
        self.sign_out_action = self._action(keys.SIGN_OUT, self.sign_out)
        self.sign_out_action.setText("&Sign out")
        self.sign_out_action.setStatusTip(
            "Sign out without quitting: your unsaved work is kept, and anyone can sign in"
        )
        account.addAction(self.sign_out_action)
        self.switch_user_action = self._action(keys.SWITCH_USER, self.sign_out)
        self.switch_user_action.setText("S&witch user…")
        self.switch_user_action.setStatusTip("Let someone else sign in; your unsaved work is kept")
        account.addAction(self.switch_user_action)
        from followup.ui.help.menu import HelpMenu

        self.help = HelpMenu(self, self._action)

    def _action(self, shortcut: keys.Shortcut, slot: Callable[[], object]) -> QAction:
        def unless_locked() -> None:
            # Behind the lock screen the keys do nothing: no case, view or dialog shows.
            if self.idle_lock is None or not self.idle_lock.locked:
                slot()

        action = keys.add_action(self, shortcut, unless_locked)
        self.actions_by_name[shortcut.name] = action
        return action

    def case_in_front(self) -> CaseView | None:
        """The opened case the user is looking at, if any."""
        from followup.ui.case.view import CaseView

        page = self.cases.currentWidget()
        return page if self.cases.isVisible() and isinstance(page, CaseView) else None

    def new_contact_attempt(self) -> None:
        case = self.case_in_front()
        if case is None:
            self.statusBar().showMessage("Open a case first, then log a contact attempt.", 10_000)
            return
        case.focus_quick_log()

    def find_case(self) -> None:
        """Show the caseload and put the cursor in its search box."""
        if "Caseload" not in self._specs:
            self.statusBar().showMessage("Your role has no caseload to search.", 10_000)
            return
        self.show_view(list(self._specs).index("Caseload"))
        self.show_views()
        view = self.views["Caseload"]
        focus = getattr(view, "focus_search", None)
        if callable(focus):
            focus()

    def read_again(self) -> None:
        """F5: the case the cursor is in, else the view in front, is read again."""
        case = self.case_in_front()
        focus = self.focusWidget()
        if case is not None and (
            not self.stack.isVisible() or (focus is not None and case.isAncestorOf(focus))
        ):
            case.reload()
            return
        refresh = getattr(self.current_view(), "refresh", None)
        if callable(refresh):
            refresh()

    def _build_view(self, title: str) -> QWidget:
        view = self._specs[title].build(self._ctx)
        self._pages[title].setWidget(view)
        refresh = getattr(view, "refresh", None)
        if callable(refresh):
            self._refreshers.append(refresher(view) or RefreshWhenShown(view, refresh))
        return view

    def _build_row(self, row: int) -> None:
        titles = list(self._specs)
        if 0 <= row < len(titles):
            _ = self.views[titles[row]]  # built now, on its first showing

    def show_view(self, index: int) -> None:
        self.sidebar.setCurrentRow(index)

    def sign_out(self) -> None:
        """Sign out (or let someone else sign in): the window waits at the sign-in screen."""
        if self.idle_lock is not None:
            self.idle_lock.sign_out()

    def current_view(self) -> QWidget | None:
        """The view chosen in the sidebar (each sits in a scroll area of the stack)."""
        page = self.stack.currentWidget()
        return page.widget() if isinstance(page, QScrollArea) else page

    def open_case(self, case_id: int) -> QWidget:
        # A case needs the room: it takes the view's place until a view is chosen again.
        page = self.cases.open_case(case_id)
        self.stack.hide()
        return page

    def _open_case_from_view(self, case_id: int) -> None:
        self.open_case(case_id)

    def show_views(self) -> None:
        """Bring the chosen view back beside the opened cases."""
        self.stack.show()

    def _refresh_views(self) -> None:
        for when_shown in self._refreshers:
            when_shown.request()

    def _close_current_case(self) -> None:
        if self.cases.count():
            self.cases.close_tab(self.cases.currentIndex())

    def closeEvent(self, event: QCloseEvent) -> None:
        # Queries still running need the database; let them finish before it is closed.
        wait_for_tasks()
        if self.idle_lock is not None and self.idle_lock.locked:
            self.idle_lock.keep_drafts()  # closed while locked: the user's work is not lost
        _save_geometry(geometry_text(self))
        super().closeEvent(event)


def _saved_geometry() -> object:
    try:
        return load_local_settings().get(GEOMETRY_KEY)
    except FollowupError:
        return None  # a broken settings file is reported where the database is chosen


def _save_geometry(text: str) -> None:
    try:
        values = load_local_settings()
        values[GEOMETRY_KEY] = text
        save_local_settings(values)
    except (FollowupError, OSError):
        log.info("The window's size and place could not be kept for next time")
