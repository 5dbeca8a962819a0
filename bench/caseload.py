"""Caseload speed with the demo database: first rows, scroll to the end, sort, search, memory.

Runs the real ``CaseloadView`` (and its model) offscreen, through the real background path, as
the team lead (who sees every case), on the cached demo database (``bench/common.py``) of
``--cases`` cases, and on PostgreSQL too with ``FOLLOWUP_BENCH_PG_URL`` (or ``--pg-url``, a
database that already holds the demo). Each figure has its floor, measured in the same run:
the same rows read by the bare driver (sqlite3 / psycopg) and shown by a bare ``QTableView``
over a ``QStandardItemModel`` (first rows, sort) or a minimal fetch-more
``QAbstractTableModel`` (scroll).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/caseload.py [--runs 3] [--cases 100000]
        [--sqlite FILE] [--pg-url URL] [--no-sqlite]

Figures (one JSON object a line, ``bench/common.emit``), named ``caseload_<what>_<size>``
with ``_pg`` on PostgreSQL: ``first_rows``, ``scroll_all`` (every case, all statuses, top to
bottom; at most 100,000 rows), ``sort`` (median over every sortable column, both ways),
``search_phone_part`` ("07700 900"), ``search_nhs`` / ``search_nhs_part``, ``search_name``
(until the rows and the count are shown; ``rows_shown_s`` beside it: until the rows are),
``first_rows`` (``steps_known_s`` beside it: until the first row's next step is known),
``max_ui_block`` (while scrolling) and ``rss_open_mb`` (megabytes with the caseload open; its floor
is the process before the caseload opened).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QAbstractTableModel, QElapsedTimer, QModelIndex, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView
from sqlalchemy import select

from followup.accounts import actor_of
from followup.db.engine import Database
from followup.db.migrate import open_database
from followup.db.models import User

sys.path.insert(0, str(Path(__file__).parent))
from common import cached_postgres, cached_sqlite, emit, pg_admin_url, rss_mb

TIMEOUT_S = 60
SCROLL_LIMIT_S = 90  # the old OFFSET paging took 88 s for 100k rows: extrapolated past this
PAGE = 200
SORTS = {  # the caseload's sort keys as bare SQL, for the floor
    "reference": "c.police_reference",
    "person": "lower(p.last_name)",
    "age": "p.date_of_birth",
    "area": "c.area",
    "status": "c.status",
    "worker": "u.display_name",
    "days": "c.incident_at",
    "due": "c.next_action_due_at",
}
BARE_COLUMNS = (
    "c.id, c.police_reference, p.first_name, p.last_name, p.date_of_birth, c.area, c.status,"
    " u.display_name, c.next_action_due_at, c.incident_at"
)
BARE_FROM = (
    "FROM case_file c JOIN person p ON p.id = c.person_id"
    " LEFT JOIN user_account u ON u.id = c.assigned_worker_id"
)


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
        self.longest = max(self.longest, self._clock.restart() / 1000)

    def stop(self) -> float:
        self._timer.stop()
        return self.longest


def wait_until(
    app: QApplication, condition: Callable[[], bool], timeout: float = TIMEOUT_S
) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the caseload did not answer in time")
        app.processEvents()
        time.sleep(0.0002)


class Bare:
    """The bare driver on the same database, with ``?`` placeholders on both."""

    def __init__(self, db: Database) -> None:
        self.pg = not db.is_sqlite
        if self.pg:
            import psycopg

            url = db.engine.url.set(drivername="postgresql")
            self.conn: Any = psycopg.connect(url.render_as_string(hide_password=False))
        else:
            import sqlite3

            self.conn = sqlite3.connect(db.engine.url.database)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.pg:
            sql = sql.replace("?", "%s")
        cur = self.conn.cursor()
        cur.execute(sql, params)
        out = cur.fetchall()
        if self.pg:
            self.conn.rollback()
        return out

    def has_table(self, name: str) -> bool:
        if self.pg:
            return False
        return bool(self.rows("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))


def show_bare(app: QApplication, rows: list[tuple[Any, ...]]) -> None:
    """The floor of showing rows: a QStandardItemModel in a bare QTableView, painted."""
    model = QStandardItemModel(len(rows), len(rows[0]) if rows else 0)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            model.setItem(r, c, QStandardItem("" if value is None else str(value)))
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    view.close()
    view.deleteLater()


class FetchMoreModel(QAbstractTableModel):
    """The floor of scrolling: rows handed out a page at a time, as the caseload model does."""

    def __init__(self, fetch: Callable[[Any], tuple[list[tuple[Any, ...]], Any]]) -> None:
        super().__init__()
        self._fetch = fetch
        self.rows: list[tuple[Any, ...]] = []
        self._after: Any = None
        self._done = False

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 10

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.rows[index.row()][index.column()]
            return "" if value is None else str(value)
        return None

    def canFetchMore(self, parent: Any = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._done

    def fetchMore(self, parent: Any = QModelIndex()) -> None:  # noqa: B008
        page, self._after = self._fetch(self._after)
        self._done = len(page) < PAGE
        if page:
            n = len(self.rows)
            self.beginInsertRows(QModelIndex(), n, n + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()


def scroll_to_end(app: QApplication, view: QTableView, rows: Callable[[], int], total: int) -> int:
    deadline = time.perf_counter() + SCROLL_LIMIT_S
    while rows() < total and time.perf_counter() < deadline:
        before = rows()
        view.scrollToBottom()
        wait_until(app, lambda n=before: rows() > n or time.perf_counter() > deadline)
    return rows()


def bench_backend(app: QApplication, db: Database, size: str, suffix: str, runs: int) -> None:
    from followup.ui.caseload.view import CaseloadView
    from followup.ui.tasks import wait_for_tasks

    def name(what: str) -> str:
        return f"caseload_{what}_{size}{suffix}"

    bare = Bare(db)
    with db.session() as s:
        lead = actor_of(s.scalar(select(User).where(User.username == "lead")))
    (total_all,) = bare.rows("SELECT count(*) FROM case_file")[0]
    nhs = bare.rows("SELECT nhs_number FROM person WHERE nhs_number IS NOT NULL LIMIT 1 OFFSET 777")
    nhs_number = nhs[0][0] if nhs else "9990000018"
    searches = {
        "search_phone_part": "07700 900",
        "search_nhs": f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}",
        "search_nhs_part": nhs_number[2:8],
        "search_name": "smi",
    }
    fts = bare.has_table("person_search")

    def bare_first(order: str, desc: bool = False) -> list[tuple[Any, ...]]:
        way = "DESC" if desc else "ASC"
        return bare.rows(
            f"SELECT {BARE_COLUMNS} {BARE_FROM} WHERE c.status <> 'closed'"
            f" ORDER BY {order} {way}, c.id {way} LIMIT {PAGE}"
        )

    def bare_search(what: str, text: str) -> int:
        digits = "".join(ch for ch in text if ch.isdigit())
        if what == "search_name":
            sql = (
                "SELECT count(*) FROM case_file c JOIN person p ON p.id = c.person_id"
                " WHERE c.status <> 'closed' AND (lower(p.last_name) >= ? AND lower(p.last_name)"
                " < ? OR lower(p.first_name) >= ? AND lower(p.first_name) < ?)"
            )
            return bare.rows(sql, (text, text + "\uffff", text, text + "\uffff"))[0][0]
        if what == "search_phone_part":  # the start of a phone number: the phone index
            start = "+44" + digits[1:]
            people = "SELECT id FROM person WHERE phone >= ? AND phone < ?"
            sql = f"SELECT count(*) FROM case_file c WHERE c.status <> 'closed' AND c.person_id IN ({people})"
            return bare.rows(sql, (start, start + "\uffff"))[0][0]
        column, needle = "nhs_number", digits
        if fts:
            people = f"SELECT rowid FROM person_search WHERE {column} MATCH ?"
            param = f'"{needle}"'
        else:
            people = f"SELECT id FROM person WHERE {column} LIKE ?"
            param = f"%{needle}%"
        sql = f"SELECT count(*) FROM case_file c WHERE c.status <> 'closed' AND c.person_id IN ({people})"
        return bare.rows(sql, (param,))[0][0]

    results: dict[str, list[float]] = {}
    floors: dict[str, list[float]] = {}
    rows_shown: dict[str, list[float]] = {}  # a search: until its rows are on screen

    def add(kind: dict[str, list[float]], key: str, value: float) -> None:
        kind.setdefault(key, []).append(value)

    meter = BlockMeter()
    for run in range(runs):
        rss_before = rss_mb()
        started = time.perf_counter()
        view = CaseloadView(db, lead, lambda _id: None)
        view.resize(1200, 800)
        view.show()
        wait_until(app, lambda v=view: v.model.rowCount() > 0)
        app.processEvents()  # the rows are painted
        add(results, "first_rows", time.perf_counter() - started)
        # Their next steps (read after the rows): until the first row's is known.
        wait_until(app, lambda v=view: v.model.line(0).row.steps_known)
        add(rows_shown, "first_rows_steps", time.perf_counter() - started)
        started = time.perf_counter()
        show_bare(app, bare_first(SORTS["due"]))
        add(floors, "first_rows", time.perf_counter() - started)
        wait_until(app, lambda v=view: v.model.total is not None)
        if run == 0:  # later runs start from what earlier ones left allocated
            add(results, "rss_open_mb", rss_mb())
            add(floors, "rss_open_mb", rss_before)

        for what, term in searches.items():
            view.search.setText(term)
            started = time.perf_counter()
            view.apply_filters()  # what the pause timer does when it fires
            wait_until(app, lambda v=view: not v.model.loading)
            app.processEvents()  # the found rows are painted
            add(rows_shown, what, time.perf_counter() - started)
            wait_until(app, lambda v=view: not v.model.loading and v.model.total is not None)
            add(results, what, time.perf_counter() - started)
            # Settled, next steps too, before the floor and the next search.
            wait_until(
                app, lambda v=view: not v.model.rowCount() or v.model.line(0).row.steps_known
            )
            started = time.perf_counter()
            bare_search(what, term)
            add(floors, what, time.perf_counter() - started)
        view.search.clear()
        view.apply_filters()
        wait_until(app, lambda v=view: not v.model.loading)

        timings, bare_timings = [], []
        header = view.table.horizontalHeader()
        keys = list(SORTS)
        for column, key in enumerate(keys):
            for desc in (False, True):
                started = time.perf_counter()
                flip = (
                    header.sortIndicatorSection() == column
                    and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
                )
                order = Qt.SortOrder.DescendingOrder if flip else Qt.SortOrder.AscendingOrder
                view.table.sortByColumn(column, order)
                wait_until(app, lambda v=view: not v.model.loading)
                app.processEvents()
                timings.append(time.perf_counter() - started)
                wait_until(
                    app, lambda v=view: not v.model.rowCount() or v.model.line(0).row.steps_known
                )
                started = time.perf_counter()
                show_bare(app, bare_first(SORTS[key], desc))
                bare_timings.append(time.perf_counter() - started)
        add(results, "sort", statistics.median(timings))
        add(floors, "sort", statistics.median(bare_timings))
        view.table.sortByColumn(7, Qt.SortOrder.AscendingOrder)
        wait_until(app, lambda v=view: not v.model.loading)

        if run == 0:  # once: the slow old paging took minutes
            want = min(total_all, 100_000)
            view.status_filter.setCurrentIndex(view.status_filter.findText("All statuses"))
            wait_until(app, lambda v=view: not v.model.loading and v.model.total is not None)
            meter.start()
            started = time.perf_counter()
            got = scroll_to_end(app, view.table, view.model.rowCount, want)
            took = time.perf_counter() - started
            add(results, "max_ui_block", meter.stop())
            extrapolated = got < want
            add(results, "scroll_all", took * want / max(got, 1))

            def page(after: Any) -> tuple[list[tuple[Any, ...]], Any]:
                last = after if after is not None else 0
                rows = bare.rows(
                    f"SELECT {BARE_COLUMNS} {BARE_FROM} WHERE c.id > ? ORDER BY c.id LIMIT {PAGE}",
                    (last,),
                )
                return rows, rows[-1][0] if rows else last

            floor_model = FetchMoreModel(page)
            floor_view = QTableView()
            floor_view.setModel(floor_model)
            floor_view.resize(1200, 800)
            floor_view.show()
            started = time.perf_counter()
            scroll_to_end(app, floor_view, floor_model.rowCount, want)
            add(floors, "scroll_all", time.perf_counter() - started)
            floor_view.close()
            floor_view.deleteLater()
            add(results, "rss_scrolled_mb", rss_mb())
        view.close()
        view.deleteLater()
        wait_for_tasks()
        app.processEvents()

    targets = {
        "first_rows": None,  # ≤ 1.5× its floor (at 1M)
        "scroll_all": 2.0,
        "sort": 0.1,
        "search_phone_part": 0.05,
        "search_nhs": 0.05,
        "search_nhs_part": 0.05,
        "search_name": 0.05,
        "max_ui_block": 0.1,
        "rss_open_mb": 250,
        "rss_scrolled_mb": None,
    }
    for key, values in results.items():
        extra: dict[str, Any] = {"runs": len(values)}
        if key == "scroll_all":
            extra["rows"] = min(total_all, 100_000)
            if extrapolated:
                extra["extrapolated_from_rows"] = got
        if key in rows_shown:
            extra["rows_shown_s"] = round(statistics.median(rows_shown[key]), 4)
        if key == "first_rows":
            extra["steps_known_s"] = round(statistics.median(rows_shown["first_rows_steps"]), 4)
        floor = statistics.median(floors[key]) if key in floors else None
        emit(name(key), statistics.median(values), targets.get(key), floor, **extra)
    bare.conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sqlite", help="a demo SQLite file to use instead of the cached one")
    parser.add_argument("--pg-url", help="a PostgreSQL database that holds the demo already")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    size = f"{args.cases // 1000}k" if args.cases < 1_000_000 else f"{args.cases // 1_000_000}m"
    if not args.no_sqlite:
        path = Path(args.sqlite) if args.sqlite else cached_sqlite(args.cases)
        db = open_database("sqlite:///" + str(path))
        bench_backend(app, db, size, "", args.runs)
        db.dispose()
    pg: Database | None = None
    if args.pg_url:
        pg = open_database(args.pg_url)
    elif pg_admin_url():
        pg = cached_postgres(args.cases)
    if pg is not None:
        bench_backend(app, pg, size, "_pg", args.runs)
        pg.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
