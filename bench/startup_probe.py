"""Start the desktop app as `followup` does; report when the sign-in dialog is on screen and
when it can be used (the database is open), then quit.

Used by bench/startup.py in a fresh interpreter. Prints ``shown <s> <dialog>`` and then
``ready <s>``, the seconds measured inside the process from the first line of this script.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import sys  # noqa: E402

from PySide6.QtCore import QTimer  # noqa: E402

from followup.ui.shell.app import application, start  # noqa: E402


def main() -> int:
    app = application()
    flow = start(sys.argv[1] if len(sys.argv) > 1 else None)
    if isinstance(flow, int):
        return flow

    def shown() -> None:
        # Runs once the event loop has handled the dialog's show and expose events.
        print(f"shown {time.perf_counter() - STARTED:.4f} {type(flow.dialog).__name__}", flush=True)

    def ready() -> None:
        print(f"ready {time.perf_counter() - STARTED:.4f}", flush=True)
        app.quit()

    QTimer.singleShot(0, shown)
    flow.ready.connect(ready)
    code = app.exec()
    from followup.ui.tasks import wait_for_tasks

    wait_for_tasks()
    flow.close()
    if flow.db is not None:
        flow.db.dispose()
    return code


if __name__ == "__main__":
    sys.exit(main())
