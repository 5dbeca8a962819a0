"""Background work for the UI: run a function on a pool thread, deliver its result on the UI thread.

The pattern of Anki's ``QueryOp`` and Picard's ``run_task``: the function runs on a
``QThreadPool`` worker with its own short database session and returns plain data; the
success or failure callback runs on the UI thread; widgets are never touched from the worker.
A failure reaches its callback as the exception itself, so a view can tell a conflict
(``StaleEdit``) from a refusal; ``plain_message`` gives the sentence to show for any failure.
A ``TaskRunner`` belongs to the widget that uses it, so when the widget goes, pending results
are dropped instead of reaching a deleted widget. A worker never touches the runner itself: it
hands its outcome to one relay object that lives as long as the app, and the relay, on the UI
thread, gives it to the runner if the runner is still there. (A worker that signalled through
the runner raced the widget's deletion: a view closed while its read ran crashed the app.) Tests can swap in ``SyncTaskRunner``, as
Picard's ``FakeThreadPool`` does.

Two helpers keep views honest about what they show: ``LatestOnly`` drops the answer to a
request that a newer one has replaced, and ``RefreshWhenShown`` re-reads a view when it is on
screen, or marks it to be re-read when it is next shown.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from followup.errors import FollowupError

__all__ = [
    "UNEXPECTED",
    "Failure",
    "LatestOnly",
    "RefreshWhenShown",
    "SyncTaskRunner",
    "TaskRunner",
    "Ticket",
    "message_to",
    "plain_message",
    "pool",
    "refresher",
    "wait_for_tasks",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# What the user reads when something unexpected fails in the background.
UNEXPECTED = (
    "Something unexpected went wrong ({name}); try again. If it keeps happening, the log in "
    "the Followup log folder has the details for support."
)

Failure = Callable[[BaseException], None]
"""A failure callback: it receives the exception raised by the background function."""

_ids = itertools.count(1)
_pool: QThreadPool | None = None


def pool() -> QThreadPool:
    """The app's thread pool for database work (Qt's global pool)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool.globalInstance()
    return _pool


def wait_for_tasks(timeout_ms: int = 10_000) -> bool:
    """Wait until no background task runs (before the database is closed)."""
    return pool().waitForDone(timeout_ms)


def plain_message(exc: BaseException) -> str:
    """The sentence to show for a failure: ours as written, anything else without details."""
    if isinstance(exc, FollowupError):
        return str(exc)
    return UNEXPECTED.format(name=type(exc).__name__)


def message_to(show: Callable[[str], None]) -> Failure:
    """A failure callback that shows the failure's plain sentence with ``show``."""

    def tell(exc: BaseException) -> None:
        show(plain_message(exc))

    return tell


class _Relay(QObject):
    """Carries finished tasks' outcomes to the UI thread; made there, and never deleted."""

    task_done = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.task_done.connect(self._deliver)

    @Slot(int, object)
    def _deliver(self, task_id: int, outcome: tuple[bool, Any]) -> None:
        runner = _asked_by.pop(task_id, None)
        if runner is not None and shiboken6.isValid(runner):
            runner._deliver(task_id, outcome)


_relay: _Relay | None = None
_asked_by: dict[int, TaskRunner] = {}  # each running task's runner, until its outcome is in


class _Job(QRunnable):
    def __init__(self, relay: _Relay, task_id: int, fn: Callable[[], Any], name: str) -> None:
        super().__init__()
        self._relay = relay
        self._id = task_id
        self._fn = fn
        self._name = name

    def run(self) -> None:  # on a pool thread
        started = time.perf_counter()
        try:
            result = self._fn()
        except BaseException as exc:  # every failure goes back to the UI
            if not isinstance(exc, FollowupError):
                log.exception("Background task %s failed", self._name)
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        log.debug("Task %s took %.3f s", self._name, time.perf_counter() - started)
        self._relay.task_done.emit(self._id, outcome)


class TaskRunner(QObject):
    """Runs functions on the pool; callbacks arrive on the UI thread in a queued signal."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[int, tuple[Callable[[Any], None], Failure | None]] = {}
        global _relay
        if _relay is None:  # on the UI thread, where runners are made
            _relay = _Relay()
        self._relay = _relay

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Failure | None = None,
        *,
        name: str = "task",
    ) -> int:
        """Start ``fn`` in the background; returns an id for the task.

        ``on_done`` receives what ``fn`` returned, ``on_error`` the exception it raised; both
        run on the UI thread.
        """
        task_id = next(_ids)
        self._pending[task_id] = (on_done, on_error)
        _asked_by[task_id] = self
        pool().start(_Job(self._relay, task_id, fn, name))
        return task_id

    def _deliver(self, task_id: int, outcome: tuple[bool, Any]) -> None:
        callbacks = self._pending.pop(task_id, None)
        if callbacks is None:
            return
        on_done, on_error = callbacks
        ok, value = outcome
        if ok:
            on_done(value)
        elif on_error is not None:
            on_error(value)
        else:
            log.warning("Background task failed with nobody to tell: %s", type(value).__name__)


class SyncTaskRunner(TaskRunner):
    """Runs each function at once on the calling thread: for tests that need no waiting."""

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Failure | None = None,
        *,
        name: str = "task",
    ) -> int:
        task_id = next(_ids)
        self._pending[task_id] = (on_done, on_error)
        try:
            outcome: tuple[bool, Any] = (True, fn())
        except BaseException as exc:  # as on the pool: every failure goes to on_error
            outcome = (False, exc)
        self._deliver(task_id, outcome)
        return task_id


# ------------------------------------------------------------------ stale answers


class LatestOnly:
    """Drops answers to requests that a newer request has replaced.

    A view asks again (new search text, another period) before the last answer has arrived;
    only the answer to the newest request may reach the screen. Each request takes a
    ``ticket()``; its callbacks, wrapped in ``ticket.only``, do nothing once a newer ticket
    has been taken.
    """

    def __init__(self) -> None:
        self._latest = 0

    def ticket(self) -> Ticket:
        """A ticket for a new request; from now on, answers to older tickets are dropped."""
        self._latest += 1
        return Ticket(self, self._latest)

    @property
    def current(self) -> Ticket:
        """The ticket of the newest request (for more answers to that same request)."""
        return Ticket(self, self._latest)

    @property
    def taken(self) -> int:
        """How many tickets were taken so far."""
        return self._latest


@dataclass(frozen=True)
class Ticket:
    """One request of a ``LatestOnly``; see there."""

    owner: LatestOnly
    number: int

    @property
    def latest(self) -> bool:
        """Whether no newer request has been made since this one."""
        return self.number == self.owner.taken

    def only(self, callback: Callable[[T], None]) -> Callable[[T], None]:
        """``callback``, called only while this ticket is still the latest."""

        def deliver(value: T) -> None:
            if self.latest:
                callback(value)

        return deliver


# ------------------------------------------------------------------ refreshing when shown


class RefreshWhenShown(QObject):
    """Re-reads a view now when it is on screen, or the next time it is shown.

    A save in one place may change what other views show; a hidden view need not ask the
    database until someone looks at it. ``request()`` is how anyone asks a view to refresh.
    With ``every_show`` the view is re-read each time it is shown, for lists that other users
    change too (the inbox); ``dirty`` makes the first showing ask.
    """

    def __init__(
        self,
        view: QWidget,
        refresh: Callable[[], None],
        *,
        dirty: bool = False,
        every_show: bool = False,
    ) -> None:
        super().__init__(view)
        self._view = view
        self._refresh = refresh
        self.dirty = dirty
        self.every_show = every_show
        view.installEventFilter(self)

    def request(self) -> None:
        """Refresh the view now if it is on screen; otherwise when it is next shown."""
        if self._view.isVisible():
            self.dirty = False
            self._refresh()
        else:
            self.dirty = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Show, not spontaneous ones (a window coming back from being minimised shows the same).
        if (
            watched is self._view
            and event.type() == QEvent.Type.Show
            and not event.spontaneous()
            and (self.dirty or self.every_show)
        ):
            self.dirty = False
            self._refresh()
        return False


def refresher(view: QWidget) -> RefreshWhenShown | None:
    """The view's own ``RefreshWhenShown``, when it made one."""
    return view.findChild(RefreshWhenShown, "", Qt.FindChildOption.FindDirectChildrenOnly)
