"""Start the desktop app on a database, sign in as soon as the dialog can be used, and time
what the user meets while the start-up maintenance (integrity check and daily backup) runs.

Used by bench/maintenance.py in a fresh interpreter. A 10 ms QTimer heartbeat measures the UI
thread's longest stall. Prints one JSON line: ``sign_in_to_my_work_s`` (the sign-in submitted
until My work shows its list), ``maintenance_s`` (from the database open until the guard says
it is done; null with ``--without``), ``longest_stall_s`` (while the maintenance ran after My
work was shown), ``longest_stall_to_my_work_s`` (from sign-in until My work was shown).

    python bench/maintenance_probe.py DB USER PASSWORD [--without]
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QTimer

from followup.ui.caseload import my_work
from followup.ui.shell import app as shell_app
from followup.ui.shell import backup_guard
from followup.ui.shell.app import application, start

HEARTBEAT_MS = 10


def main() -> int:
    db_path, user, password = sys.argv[1:4]
    without = "--without" in sys.argv
    marks: dict[str, float] = {}
    stalls = {"before": 0.0, "after": 0.0}
    qapp = application()

    if without:
        shell_app.AppFlow._watch = lambda self, db, paths: None  # type: ignore[method-assign]

    shown = my_work.MyWorkView._show

    def show_and_mark(view: my_work.MyWorkView, items: list[my_work.WorkItem]) -> None:
        shown(view, items)
        marks.setdefault("my_work", time.perf_counter())
        finish_if_done()

    my_work.MyWorkView._show = show_and_mark  # type: ignore[method-assign]

    flow = start(db_path)
    if isinstance(flow, int):
        return flow
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        if "submitted" in marks:
            key = "after" if "my_work" in marks else "before"
            stalls[key] = max(stalls[key], now - last[0] - HEARTBEAT_MS / 1000)
        last[0] = now

    heart = QTimer()
    heart.setInterval(HEARTBEAT_MS)
    heart.timeout.connect(beat)
    heart.start()

    def finish_if_done() -> None:
        if "my_work" in marks and (without or "maintained" in marks):
            QTimer.singleShot(50, qapp.quit)  # a few more beats after the end

    backed_up = backup_guard.DatabaseGuard._backed_up

    def backed_up_and_mark(guard: backup_guard.DatabaseGuard, info: object) -> None:
        backed_up(guard, info)
        maintained()

    backup_guard.DatabaseGuard._backed_up = backed_up_and_mark  # type: ignore[method-assign]

    def ready() -> None:
        marks["ready"] = time.perf_counter()
        dialog = flow.dialog
        dialog.username.setText(user)
        dialog.password.setText(password)
        marks["submitted"] = time.perf_counter()
        last[0] = marks["submitted"]
        dialog.submit()

    def maintained() -> None:
        marks["maintained"] = time.perf_counter()
        finish_if_done()

    flow.ready.connect(ready)
    QTimer.singleShot(600_000, qapp.quit)
    code = qapp.exec()
    from followup.ui.tasks import wait_for_tasks

    wait_for_tasks()
    if flow.guard is not None:
        flow.guard.stop()
    flow.close()
    if flow.db is not None:
        flow.db.dispose()
    print(
        json.dumps(
            {
                "sign_in_to_my_work_s": marks["my_work"] - marks["submitted"],
                "maintenance_s": marks["maintained"] - marks["ready"] if not without else None,
                "longest_stall_s": stalls["after"],
                "longest_stall_to_my_work_s": stalls["before"],
                "warnings": flow.guard.warnings if flow.guard is not None else [],
            }
        ),
        flush=True,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
