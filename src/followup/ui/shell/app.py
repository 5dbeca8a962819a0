"""Starting the desktop app: open the database, sign in, show the main window.

The sign-in dialog appears at once while the database opens in the background (integrity
check, backup and migrations can take seconds on a large file); it can be used as soon as the
database is ready. Blocking dialogs sit behind the module-level functions ``show_error`` and
``ask_database_password`` so that tests can replace them. Views and the main window are
imported only after sign-in, to keep the start-up short.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from followup.errors import FollowupError
from followup.settings import APP_NAME, AppPaths, resolve_database_url
from followup.ui.tasks import TaskRunner, message_to, wait_for_tasks
from followup.ui.widgets.look import apply_look

if TYPE_CHECKING:  # names for the type checker only: start-up imports these late
    from followup.access import Actor
    from followup.db.engine import Database
    from followup.ui.shell.backup_guard import DatabaseGuard
    from followup.ui.shell.db_password import PasswordRequest
    from followup.ui.shell.main_window import MainWindow
    from followup.ui.shell.sign_in import SignedIn

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "AppFlow",
    "Opened",
    "application",
    "ask_database_password",
    "first_run",
    "is_default_database",
    "open_app_database",
    "password_request",
    "remember_password",
    "run_app",
    "settle_memory",
    "show_error",
    "start",
]

EXIT_OK, EXIT_FAILED = 0, 2

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ replaceable dialogs


def settle_memory() -> None:
    """Take what start-up has made so far (modules, classes, windows: some 100,000 objects) out
    of the garbage collector's sight. A full collection holds the interpreter, and so the UI
    thread, while it scans every object: 50-100 ms with all of them, which the start-up
    maintenance's millions of short-lived rows set off now and then; frozen, it scans only
    what came later."""
    gc.freeze()


def show_error(message: str) -> None:
    """Tell the user, in a message box, why the app cannot go on."""
    QMessageBox.critical(None, APP_NAME, message)


def ask_database_password(request: PasswordRequest) -> str | None:
    """Ask for the team database password; None when the user would rather quit."""
    from followup.ui.shell.db_password import DatabasePasswordDialog

    dialog = DatabasePasswordDialog(request)
    try:
        return dialog.password.text() if dialog.exec() else None
    finally:
        dialog.deleteLater()


# ------------------------------------------------------------------ opening the database


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    apply_look(app)
    return app


@dataclass(frozen=True)
class Opened:
    """The outcome of one attempt to open the database (on a pool thread)."""

    db: Database | None  # None when the PostgreSQL password is missing or refused
    needs_first_admin: bool = False


def is_default_database(url: str, paths: AppPaths) -> bool:
    return url == "sqlite:///" + str(paths.default_database)


def open_app_database(url: str, paths: AppPaths, password: str | None = None) -> Opened:
    """Open and upgrade the database and see whether it has users; runs on a pool thread.

    The local default SQLite file is created on first run; any other missing file is an
    error, not a new file. A password typed by the user is kept in the keyring once the server
    accepts it, when there is a usable keyring.
    """
    from followup import startup
    from followup.protection.backup.common import configured_backup_folder

    db = startup.open_app_database(
        url,
        create=is_default_database(url, paths),
        backup_dir=configured_backup_folder(paths),
        password=password,
    )
    if db is None:
        return Opened(None)
    try:
        needs_admin = first_run(db)
    except BaseException:
        db.dispose()
        raise
    if password is not None:
        remember_password(url, password)
    return Opened(db, needs_admin)


def remember_password(url: str, password: str) -> None:
    from followup.settings import keyring_status, store_database_password

    if keyring_status().usable:
        try:
            store_database_password(url, password)
        except FollowupError:
            log.warning("Could not store the database password in the keyring")


def password_request(url: str, refused: bool) -> PasswordRequest:
    from followup.settings import keyring_problem, keyring_status
    from followup.startup import database_username, describe
    from followup.ui.shell.db_password import PasswordRequest

    return PasswordRequest(
        database=describe(url),
        username=database_username(url),
        keyring=keyring_status(),
        refused=refused,
        keyring_problem=None if refused else keyring_problem(),
    )


def first_run(db: Database) -> bool:
    """True when the database has no users yet (never on a team server)."""
    from followup.startup import needs_first_admin

    return needs_first_admin(db)


# ------------------------------------------------------------------ the flow of windows


class AppFlow(QObject):
    """Opening the database, the first administrator, sign in, then the main window."""

    ready = Signal()  # the database is open and the dialog on screen can be used

    def __init__(
        self,
        db: Database | None = None,  # an open Database, when the caller has opened it already
        *,
        on_quit: Callable[[], None] | None = None,
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.dialog: QWidget | None = None
        self.window: QWidget | None = None
        self.runner = TaskRunner(self)
        self._on_quit = on_quit or QApplication.quit
        self._on_exit = on_exit or QApplication.exit
        self.guard: DatabaseGuard | None = None  # once the database is open
        self._where: tuple[str, AppPaths] | None = None
        self.setup: QWidget | None = None  # the organisation set-up, when offered

    def open(self, url: str, paths: AppPaths) -> QWidget:
        """Show the sign-in dialog at once and open the database behind it."""
        from followup.startup import describe

        dialog = self.show_sign_in(database=describe(url))
        self._try_open(url, paths, None)
        return dialog

    def _try_open(self, url: str, paths: AppPaths, password: str | None) -> None:
        self._where = (url, paths)
        self.runner.run(
            lambda: open_app_database(url, paths, password),
            lambda opened: self._opened(url, paths, password, opened),
            message_to(self.fail),
            name="open database",
        )

    def _opened(self, url: str, paths: AppPaths, password: str | None, opened: Opened) -> None:
        if opened.db is None:
            typed = ask_database_password(password_request(url, refused=password is not None))
            if typed is None:
                self._on_exit(EXIT_FAILED)
            else:
                self._try_open(url, paths, typed)
            return
        self.db = opened.db
        self._watch(opened.db, paths)
        if opened.needs_first_admin:
            self.show_first_admin()
        else:
            from followup.ui.shell.sign_in import SignInDialog

            if isinstance(self.dialog, SignInDialog):  # the dialog shown while opening
                self.dialog.set_database(opened.db)
        log.info(
            "Database open; the %s dialog can be used",
            "first-administrator" if opened.needs_first_admin else "sign-in",
        )
        self.ready.emit()

    def fail(self, message: str) -> None:
        """The database cannot be used: say why, and end with exit code 2."""
        if self._recover(message):
            return
        show_error(message)
        self._on_exit(EXIT_FAILED)

    def _watch(self, db: Database, paths: AppPaths) -> None:
        """Integrity check, daily backups and warnings for the database just opened."""
        from followup.protection.backup.common import configured_backup_folder
        from followup.ui.shell.backup_guard import DatabaseGuard

        settle_memory()
        self.guard = guard = DatabaseGuard(db, configured_backup_folder(paths), paths, self)
        guard.damaged.connect(self.fail)  # which offers a backup when the file can be restored
        guard.start()

    def _recover(self, message: str) -> bool:
        """A damaged SQLite file: close it, set it aside, offer the newest good backup."""
        from followup.protection.backup.common import configured_backup_folder
        from followup.protection.integrity import is_damage_message, known_damaged
        from followup.startup import sqlite_path
        from followup.ui.shell.backup_guard import recover_damaged

        if self._where is None or not is_damage_message(message):
            return False
        url, paths = self._where
        path = sqlite_path(url)
        if path is None or not known_damaged(path):
            return False
        if self.guard is not None:
            self.guard.stop()
        self.close()
        self.dialog = self.window = None
        wait_for_tasks()
        if self.db is not None:
            self.db.dispose()
            self.db = None

        def run(
            fn: Callable[[], object],
            done: Callable[[object], None],
            failed: Callable[[str], None],
        ) -> None:
            self.runner.run(fn, done, message_to(failed), name="restore")

        def reopen() -> None:
            self.open(url, paths)

        recover_damaged(
            url,
            configured_backup_folder(paths),
            message,
            show_error=show_error,
            run=run,
            reopen=reopen,
            give_up=lambda: self._on_exit(EXIT_FAILED),
        )
        return True

    def start(self, needs_first_admin: bool) -> QWidget:
        """With a database already open: the first-administrator or the sign-in dialog."""
        return self.show_first_admin() if needs_first_admin else self.show_sign_in()

    def show_first_admin(self) -> QWidget:
        from followup.ui.shell.sign_in import FirstAdminDialog

        dialog = FirstAdminDialog(self.db)
        dialog.created.connect(lambda name: self.show_sign_in(name))
        dialog.rejected.connect(self._on_quit)
        return self._show_dialog(dialog)

    def show_sign_in(self, username: str = "", *, database: str = "") -> QWidget:
        from followup.ui.shell.sign_in import SignInDialog

        dialog = SignInDialog(self.db, username=username, database=database)
        dialog.signed_in.connect(self.show_main_window)
        dialog.rejected.connect(self._on_quit)
        return self._show_dialog(dialog)

    def _show_dialog(self, dialog: QWidget) -> QWidget:
        previous, self.dialog = self.dialog, dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if previous is not None:
            previous.blockSignals(True)  # closing it now is not the user quitting
            previous.close()
            previous.deleteLater()
        return dialog

    def show_main_window(self, signed_in: SignedIn) -> QWidget:
        from followup.ui.shell.main_window import MainWindow

        assert self.db is not None  # nobody signs in before the database is open
        window = MainWindow(self.db, signed_in.actor, demo=signed_in.demo)
        window.show()
        settle_memory()
        self.window = window
        if self.guard is not None:
            self.guard.attach(window)
        self._guard(window, self.db, signed_in.actor)
        self._offer_setup(window, self.db, signed_in.actor)
        return window

    def _offer_setup(self, window: MainWindow, db: Database, actor: Actor) -> None:
        """An administrator on a database never set up is offered the organisation set-up."""
        if not actor.can("manage_services"):
            return
        from followup.ui.shell.org_setup import OrgSetupDialog, setup_wanted

        def show(wanted: bool) -> None:
            if wanted and self.window is window:
                self.setup = OrgSetupDialog(db, actor, window)
                self.setup.open()

        self.runner.run(lambda: setup_wanted(db, actor), show, lambda _exc: None, name="set-up")

    def _guard(self, window: MainWindow, db: Database, actor: Actor) -> None:
        """The idle lock, and the unsaved work kept for this user when last signed out."""
        from followup.ui.shell.idle_lock import IdleLock, restore_drafts

        lock = IdleLock(window, db, actor, on_switch=self._switch_user)
        window.idle_lock = lock
        if restore_drafts(window, lock.drafts, actor):
            window.statusBar().showMessage(
                "Your unsaved work from when you were signed out is back; check it and save it."
            )

    def _switch_user(self, signed_in: SignedIn) -> None:
        """Another user unlocked the idle lock: the first user's window gives way to theirs."""
        old = self.window
        self.show_main_window(signed_in)
        if old is not None:
            old.close()
            old.deleteLater()

    def close(self) -> None:
        if self.guard is not None:  # the maintenance stops before the database is closed
            self.guard.stop()
        for widget in (self.dialog, self.window):
            if widget is not None:
                widget.blockSignals(True)
                widget.close()
                widget.deleteLater()


def start(db_arg: str | None) -> AppFlow | int:
    """Show the sign-in dialog and start opening the database; an exit code on bad settings."""
    application()
    try:
        paths = AppPaths.default()
        url = resolve_database_url(db_arg, paths)
    except FollowupError as exc:
        show_error(str(exc))
        return EXIT_FAILED
    flow = AppFlow()
    flow.open(url, paths)
    return flow


def run_app(db_arg: str | None) -> int:
    """The desktop app; returns the process exit code (2 when the database cannot be used, 1
    when the system lacks the libraries Qt needs to open a window, named in one sentence)."""
    from followup.ui.system_libs import missing_packages, missing_sentence

    missing = missing_packages()
    if missing:
        print(missing_sentence(missing), file=sys.stderr)
        return 1
    app = application()
    flow = start(db_arg)
    if isinstance(flow, int):
        return flow
    try:
        return app.exec()
    finally:
        wait_for_tasks()
        flow.close()
        if flow.db is not None:
            flow.db.dispose()
