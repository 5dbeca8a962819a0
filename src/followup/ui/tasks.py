"""Background work for the UI: run a function on a pool thread, deliver its result on the UI thread.

The pattern of Anki's ``QueryOp`` and Picard's ``run_task``: the function runs on a
``QThreadPool`` worker with its own short database session and returns plain data; the
success or failure callback runs on the UI thread; widgets are never touched from the worker.
A ``TaskRunner`` belongs to the widget that uses it, so when the widget goes, pending results
are dropped instead of reaching a deleted widget. Tests can swap in ``SyncTaskRunner``, as
Picard's ``FakeThreadPool`` does.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from followup.errors import FollowupError

log = logging.getLogger(__name__)

# What the user reads when something unexpected fails in the background.
UNEXPECTED = (
    "Something unexpected went wrong ({name}); try again. If it keeps happening, the log in "
    "the Followup log folder has the details for support."
)

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


class _Job(QRunnable):
    def __init__(self, runner: TaskRunner, task_id: int, fn: Callable[[], Any], name: str) -> None:
        super().__init__()
        self._runner = runner
        self._id = task_id
        self._fn = fn
        self._name = name

    def run(self) -> None:  # on a pool thread
        started = time.perf_counter()
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the UI
            if not isinstance(exc, FollowupError):
                log.exception("Background task %s failed", self._name)
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        log.debug("Task %s took %.3f s", self._name, time.perf_counter() - started)
        # RuntimeError: the widget that asked is gone, and nobody wants the answer.
        with contextlib.suppress(RuntimeError):
            self._runner.task_done.emit(self._id, outcome)


class TaskRunner(QObject):
    """Runs functions on the pool; callbacks arrive on the UI thread in a queued signal."""

    task_done = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[int, tuple[Callable[[Any], None], Callable[[str], None] | None]] = {}
        self.task_done.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
        *,
        name: str = "task",
    ) -> int:
        """Start ``fn`` in the background; returns an id for the task."""
        task_id = next(_ids)
        self._pending[task_id] = (on_done, on_error)
        pool().start(_Job(self, task_id, fn, name))
        return task_id

    @Slot(int, object)
    def _deliver(self, task_id: int, outcome: tuple[bool, Any]) -> None:
        callbacks = self._pending.pop(task_id, None)
        if callbacks is None:
            return
        on_done, on_error = callbacks
        ok, value = outcome
        if ok:
            on_done(value)
        elif on_error is not None:
            on_error(plain_message(value))
        else:
            log.warning("Background task failed with nobody to tell: %s", type(value).__name__)


class SyncTaskRunner(TaskRunner):
    """Runs each function at once on the calling thread: for tests that need no waiting."""

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
        *,
        name: str = "task",
    ) -> int:
        task_id = next(_ids)
        self._pending[task_id] = (on_done, on_error)
        try:
            outcome: tuple[bool, Any] = (True, fn())
        except BaseException as exc:  # noqa: BLE001
            outcome = (False, exc)
        self._deliver(task_id, outcome)
        return task_id
