"""The idle lock: after a while without input the window hides all personal data behind a lock.

An application-wide event filter notes every key press, click, wheel turn and mouse move; a
timer checks every few seconds whether the set time has passed (local setting
``idle_lock_minutes``, default 10). The clock is a plain function, so tests move time on
instead of waiting. Locking swaps the main window's content for a lock screen, hides every
other window of the app (open dialogs included), and takes names out of the title bar.

Unlocking needs a password and is audited like any sign-in (``accounts.sign_in``): failures
count towards the account's lockout, and a locked account is said so inline. The same
user carries on where they were. A different user signs the first out: the first user's
unsaved work (every open widget following ``followup.casework.drafts.DraftSource``) is kept for them
in the draft store, their sign-out is audited, their window closes and a new one opens for
the new user (``on_switch``). ``restore_drafts`` gives the drafts back at their next sign-in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from followup import audit
from followup.access import Actor
from followup.casework.drafts import DraftSource, DraftStore
from followup.settings import IDLE_LOCK_LIMITS, IDLE_LOCK_SETTING
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.vocab import AuditAction

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CHECK_INTERVAL_MS",
    "DEFAULT_MINUTES",
    "INPUT_EVENTS",
    "LOCKED_TITLE",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "SETTING",
    "IdleLock",
    "LockScreen",
    "clock",
    "collect_drafts",
    "idle_minutes",
    "restore_drafts",
]

log = logging.getLogger(__name__)

SETTING = IDLE_LOCK_SETTING
DEFAULT_MINUTES, MIN_MINUTES, MAX_MINUTES = IDLE_LOCK_LIMITS
CHECK_INTERVAL_MS = 5_000
LOCKED_TITLE = "Followup — locked"


def clock() -> float:
    """Seconds from a steady clock; tests replace this (or pass ``now``) to move time on."""
    return time.monotonic()


INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


def idle_minutes(settings: dict[str, Any] | None = None) -> float:
    """The set time without input before the lock, from local settings (1 to 240 minutes)."""
    if settings is None:
        from followup.errors import FollowupError
        from followup.settings import load_local_settings

        try:
            settings = load_local_settings()
        except FollowupError:
            settings = {}
    value = settings.get(SETTING, DEFAULT_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int | float):
        log.warning("The %s setting is not a number; using %s", SETTING, DEFAULT_MINUTES)
        return DEFAULT_MINUTES
    return min(max(float(value), MIN_MINUTES), MAX_MINUTES)


def collect_drafts(widgets: list[QWidget]) -> dict[str, dict[str, Any]]:
    """Unsaved work of every widget within ``widgets`` that follows ``DraftSource``."""
    drafts: dict[str, dict[str, Any]] = {}
    for root in widgets:
        for widget in [root, *root.findChildren(QWidget)]:
            if not isinstance(widget, DraftSource):
                continue
            try:
                data = widget.draft()
                key = widget.draft_key()
            except Exception:  # one broken form must not lose the others
                log.exception("A form could not give its draft (%s)", type(widget).__name__)
                continue
            if data:
                drafts[key] = data
    return drafts


def restore_drafts(window: QWidget, store: DraftStore, actor: Actor) -> int:
    """Give the user back the drafts kept for them; returns how many were given back.

    A ``case:<id>`` draft reopens that case (``window.open_case``) and hands the draft to the
    page; any other key goes to the open widget with that ``draft_key``. Drafts with nowhere
    to go stay kept.
    """
    drafts = store.take(actor.id)
    left: dict[str, dict[str, Any]] = {}
    given = 0
    for key, data in drafts.items():
        target: Any = None
        kind, _, ident = key.partition(":")
        if kind == "case" and ident.isdigit() and hasattr(window, "open_case"):
            target = window.open_case(int(ident))
        if not isinstance(target, DraftSource):
            target = next(
                (
                    w
                    for w in window.findChildren(QWidget)
                    if isinstance(w, DraftSource) and w.draft_key() == key
                ),
                None,
            )
        if target is None:
            left[key] = data
            continue
        target.restore_draft(data)
        given += 1
    store.save(actor.id, left)
    return given


class LockScreen(QWidget):
    """What the locked window shows: no personal data, a user name and a password."""

    unlock_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.title = title = QLabel("Followup is locked")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.unlock_button = QPushButton("Unlock")
        self.message = InlineMessage()
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        box = QWidget()
        box.setMaximumWidth(460)
        inner = QVBoxLayout(box)
        inner.addWidget(title)
        inner.addWidget(self.explanation)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.unlock_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.username.returnPressed.connect(self.password.setFocus)

    def prepare(self, username: str, minutes: float, *, signed_out: bool = False) -> None:
        if signed_out:
            self.title.setText("Signed out")
            self.explanation.setText(
                f"{username} has signed out; their unsaved work is kept for them. Sign in to "
                "carry on, or sign in as someone else to switch user."
            )
            self.unlock_button.setText("Sign in")
            self.username.clear()
            focus = self.username
        else:
            self.title.setText("Followup is locked")
            self.explanation.setText(
                f"Locked after {minutes:g} minutes without use, to keep people's details "
                f"private. {username} can unlock it with their password. Someone else can sign "
                f"in here instead: {username} is then signed out, and their unsaved work is "
                "kept for them."
            )
            self.unlock_button.setText("Unlock")
            self.username.setText(username)
            focus = self.password
        self.password.clear()
        self.message.hide()
        self.set_busy(False)
        focus.setFocus()

    def show_problem(self, message: str) -> None:
        self.message.warn(message)
        self.password.clear()
        self.password.setFocus()
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)

    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        name = self.username.text().strip()
        if not name:
            self.show_problem("Type your user name.")
            self.username.setFocus()
            return
        self.set_busy(True)
        self.unlock_requested.emit(name, self.password.text())


def _unlock(db: Database, current: Actor, username: str, password: str) -> Any:
    """Check the password (audited); a different user signs the current one out (audited)."""
    from followup.ui.shell.sign_in import sign_in_and_check_demo

    signed_in = sign_in_and_check_demo(db, username, password)
    if signed_in.actor.id != current.id:
        with db.session(write=True) as s:
            audit.record(
                s,
                current.id,
                AuditAction.LOGOUT,
                "user",
                current.id,
                {"reason": "idle lock: another user signed in"},
            )
    return signed_in


class IdleLock(QObject):
    """Locks ``window`` after ``minutes`` without input; see the module docstring."""

    locked_changed = Signal(bool)

    def __init__(
        self,
        window: QMainWindow,
        db: Database,
        actor: Actor,
        *,
        minutes: float | None = None,
        now: Callable[[], float] | None = None,
        drafts: DraftStore | None = None,
        on_switch: Callable[[Any], None] | None = None,
        runner: TaskRunner | None = None,
        check_interval_ms: int = CHECK_INTERVAL_MS,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self.actor = actor
        self.minutes = idle_minutes() if minutes is None else minutes
        self._now = now or (lambda: clock())
        self.drafts = drafts or DraftStore(db.description)
        self._on_switch = on_switch
        self._runner = runner or TaskRunner(self)
        self._last_input = self._now()
        self.locked = False
        self.signed_out = False  # locked by signing out rather than by time
        self._hidden: list[QWidget] = []
        self._title = ""

        # The window's content goes into a stack, with the lock screen as the other page.
        self.stack = QStackedWidget()
        self.stack.setObjectName("idleLockStack")
        content = window.takeCentralWidget()
        self.content: QWidget = content if content is not None else QWidget()
        self.lock_screen = LockScreen()
        self.stack.addWidget(self.content)
        self.stack.addWidget(self.lock_screen)
        window.setCentralWidget(self.stack)
        self.lock_screen.unlock_requested.connect(self._unlock)

        self.timer = QTimer(self)
        self.timer.setInterval(check_interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def busy(self) -> bool:
        """Whether a sign-in or the sign-out's audit is still running in the background."""
        return self._runner.busy

    # ------------------------------------------------------------------ watching

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS and not self.locked:
            self._last_input = self._now()
        return False

    def idle_seconds(self) -> float:
        return self._now() - self._last_input

    def check(self) -> None:
        """Lock when the set time has passed without input (the timer calls this)."""
        if not self.locked and self.idle_seconds() >= self.minutes * 60:
            self.lock()

    # ------------------------------------------------------------------ locking

    def sign_out(self) -> None:
        """The user signs out (menu or shortcut): their work is kept as drafts at once, and the
        window waits for anyone to sign in (the same user carries on, another switches)."""
        if self.locked:
            return
        self.keep_drafts()
        db, actor = self.db, self.actor

        def record() -> None:
            with db.session(write=True) as s:
                audit.record(
                    s, actor.id, AuditAction.LOGOUT, "user", actor.id, {"reason": "signed out"}
                )

        self.lock(signed_out=True)
        # Nobody signs in until the sign-out is written: two writes at once would make
        # SQLite refuse one of them.
        self.lock_screen.set_busy(True)

        def written(_: object) -> None:
            self.lock_screen.set_busy(False)

        def failed(exc: BaseException) -> None:
            log.error("The sign-out could not be audited (%s)", type(exc).__name__)
            self.lock_screen.set_busy(False)

        self._runner.run(record, written, failed, name="logout")

    def keep_drafts(self) -> int:
        """Keep the user's unsaved work as drafts (before a sign-out, or a window closing)."""
        others = [w for w in QApplication.topLevelWidgets() if w is not self.window]
        kept = collect_drafts([self.content, *others])
        try:
            self.drafts.save(self.actor.id, kept)
        except OSError as exc:
            log.error("Could not keep unsaved work as a draft (%s)", exc.strerror)
        return len(kept)

    def lock(self, *, signed_out: bool = False) -> None:
        if self.locked:
            return
        self.locked = True
        self.signed_out = signed_out
        self._title = self.window.windowTitle()
        self.window.setWindowTitle(LOCKED_TITLE)
        self._hidden = [
            w for w in QApplication.topLevelWidgets() if w is not self.window and w.isVisible()
        ]
        for widget in self._hidden:
            widget.hide()
        for bar in self._bars():
            bar.hide()
        self.stack.setCurrentWidget(self.lock_screen)
        self.lock_screen.prepare(self.actor.username, self.minutes, signed_out=signed_out)
        if signed_out:
            log.info("Signed out; the window waits for a sign-in")
        else:
            log.info("Window locked after %g minutes without input", self.minutes)
        self.locked_changed.emit(True)

    def _still_there(self) -> list[QWidget]:
        # A hidden window may have been deleted meanwhile (closed by its own code).
        return [w for w in self._hidden if shiboken6.isValid(w)]

    def _bars(self) -> list[QWidget]:
        bars: list[QWidget] = [self.window.statusBar()]
        menu = self.window.menuWidget()
        if menu is not None:
            bars.append(menu)
        return bars

    def _unlock(self, username: str, password: str) -> None:
        db, current = self.db, self.actor
        self._runner.run(
            lambda: _unlock(db, current, username, password),
            self._signed_in,
            message_to(self.lock_screen.show_problem),
            name="unlock",
        )

    def _signed_in(self, signed_in: Any) -> None:
        if signed_in.actor.id == self.actor.id:
            self.unlock()
        else:
            self.switch_user(signed_in)

    def unlock(self) -> None:
        """The same user is back: everything as they left it."""
        if self.signed_out:  # their work is on screen again: the kept copy is not needed
            self.drafts.discard(self.actor.id)
        self.locked = self.signed_out = False
        self._last_input = self._now()
        self.lock_screen.password.clear()
        self.stack.setCurrentWidget(self.content)
        for bar in self._bars():
            bar.show()
        for widget in self._still_there():
            widget.show()
        self._hidden = []
        self.window.setWindowTitle(self._title)
        log.info("Window unlocked by the same user")
        self.locked_changed.emit(False)

    def switch_user(self, signed_in: Any) -> None:
        """Another user signed in: keep the first user's unsaved work, then hand over."""
        hidden = self._still_there()
        kept = collect_drafts([self.content, *hidden])
        try:
            self.drafts.save(self.actor.id, kept)
        except OSError as exc:
            log.error("Could not keep unsaved work as a draft (%s)", exc.strerror)
        for widget in hidden:
            if widget.parent() is None:
                widget.close()
        self._hidden = []
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        log.info("Another user signed in at the lock; %d draft(s) kept", len(kept))
        if self._on_switch is not None:
            self._on_switch(signed_in)
