"""Caseload speed with 100,000 demonstration cases: first rows, search, filter, sort, UI blocking, memory.

Runs the real ``CaseloadView`` offscreen, through the real background path, as the team lead
(who sees every case). The 100k database is generated once with ``followup.demo.populate.populate``
and cached under the temporary folder. Each workload runs several times; one JSON object per
line: ``{"name": ..., "median_s": ..., "target_s": ...}`` (rss_mb is in megabytes).

Search times are measured from the moment the query is sent, i.e. after the 150 ms pause
the search box waits for the typist to stop; ``search_after_typing`` includes that pause.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/caseload.py [--runs 5] [--cases 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from followup.accounts import actor_of
from followup.db.models import User

sys.path.insert(0, str(Path(__file__).parent))
from common import cached_database

SEARCHES = ("smi", "john", "jones, s", "WMP-202505", "07700 900123", "sarah w")
FILTERS = (
    ("status", "New"),
    ("status", "Engaged"),
    ("status", "All statuses"),
    ("overdue", True),
    ("worker", "Unassigned"),
)
TIMEOUT_S = 30


class BlockMeter:
    """The longest time the event loop went without turning, from a 5 ms heartbeat."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._clock = QElapsedTimer()
        self._timer = QTimer(interval=5)
        self._timer.timeout.connect(self._beat)

    def start(self) -> None:
        self.longest = 0.0
        self._clock.start()
        self._timer.start()

    def _beat(self) -> None:
        gap = self._clock.restart() / 1000
        self.longest = max(self.longest, gap)

    def stop(self) -> float:
        self._timer.stop()
        return self.longest


def wait_until(app: QApplication, condition) -> None:
    deadline = time.perf_counter() + TIMEOUT_S
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the caseload did not answer in time")
        app.processEvents()
        time.sleep(0.0005)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from followup.ui.caseload.view import CaseloadView
    from followup.ui.tasks import wait_for_tasks

    db = cached_database(args.cases)
    with db.session() as s:
        lead = actor_of(s.scalar(select(User).where(User.username == "lead")))

    results: dict[str, list[float]] = {
        k: []
        for k in (
            "first_rows",
            "search",
            "search_after_typing",
            "filter",
            "sort",
            "max_ui_block",
            "rss_mb",
        )
    }
    meter = BlockMeter()

    def answered(view: CaseloadView) -> bool:
        return not view.model.loading

    for _ in range(args.runs):
        meter.start()
        started = time.perf_counter()
        view = CaseloadView(db, lead, lambda _id: None)
        view.resize(1200, 800)
        view.show()
        wait_until(app, lambda v=view: v.model.rowCount() > 0)
        app.processEvents()  # the rows are painted
        results["first_rows"].append(time.perf_counter() - started)
        wait_until(app, lambda v=view: v.model.total is not None)

        timings = []
        for term in SEARCHES:
            view.search.setText(term)
            started = time.perf_counter()
            view.apply_filters()  # what the pause timer does when it fires
            wait_until(app, lambda v=view: answered(v))
            timings.append(time.perf_counter() - started)
        results["search"].append(statistics.median(timings))

        view.search.clear()
        view.apply_filters()
        wait_until(app, lambda v=view: answered(v))
        typed = []
        for term in SEARCHES[:3]:
            view.search.clear()
            started = time.perf_counter()
            view.search.setText(term)  # as if typed: the pause timer starts
            wait_until(app, lambda v=view: v.model.loading)
            wait_until(app, lambda v=view: answered(v))
            typed.append(time.perf_counter() - started)
        results["search_after_typing"].append(statistics.median(typed))
        view.search.clear()
        view.apply_filters()
        wait_until(app, lambda v=view: answered(v))

        timings = []
        for kind, value in FILTERS:
            started = time.perf_counter()
            if kind == "status":
                view.status_filter.setCurrentIndex(view.status_filter.findText(value))
            elif kind == "overdue":
                view.overdue_only.setChecked(value)
            else:
                wait_until(app, lambda v=view: v.worker_filter.count() > 2)
                view.worker_filter.setCurrentIndex(view.worker_filter.findText(value))
            wait_until(app, lambda v=view: answered(v))
            timings.append(time.perf_counter() - started)
        view.overdue_only.setChecked(False)
        view.worker_filter.setCurrentIndex(0)
        view.status_filter.setCurrentIndex(0)
        wait_until(app, lambda v=view: answered(v))
        results["filter"].append(statistics.median(timings))

        timings = []
        header = view.table.horizontalHeader()
        for column in range(view.model.columnCount()):
            for _click in range(2):  # ascending, then descending
                started = time.perf_counter()
                # What a click on the header does: the same column flips its order.
                flip = (
                    header.sortIndicatorSection() == column
                    and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
                )
                view.table.sortByColumn(
                    column, Qt.SortOrder.DescendingOrder if flip else Qt.SortOrder.AscendingOrder
                )
                wait_until(app, lambda v=view: answered(v))
                timings.append(time.perf_counter() - started)
        results["sort"].append(statistics.median(timings))

        # Scroll through ten pages, as a user paging down the list would.
        for _page in range(10):
            view.table.scrollToBottom()
            wait_until(app, lambda v=view: not v.model._fetching)
        results["max_ui_block"].append(meter.stop())
        results["rss_mb"].append(rss_mb())
        view.close()
        view.deleteLater()
        wait_for_tasks()
        app.processEvents()

    targets = {
        "first_rows": 0.3,
        "search": 0.1,
        "search_after_typing": 0.25,
        "filter": 0.1,
        "sort": 0.1,
        "max_ui_block": 0.1,
        "rss_mb": 300,
    }
    for name, values in results.items():
        print(
            json.dumps(
                {
                    "name": name,
                    "median_s": round(statistics.median(values), 4),
                    "target_s": targets[name],
                    "runs": len(values),
                }
            )
        )
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
