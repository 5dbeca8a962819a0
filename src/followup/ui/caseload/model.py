"""The caseload as a lazy Qt table model: only loaded rows are held, pages arrive in the background.

Follows Qt's Fetch More example and Anki's browser model: the first page and the total count
are fetched on pool threads when the query changes, later pages through ``canFetchMore`` /
``fetchMore``. Rows reach the model as display-ready plain data. Each query takes a ticket of
a ``LatestOnly``; answers to a superseded query are dropped, so a fast typist never sees stale
rows. Sorting and filtering happen in SQL (``followup.casework.caseload``), never in the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from followup import vocab
from followup.access import Actor
from followup.casework import caseload
from followup.casework.caseload import SORT_KEYS, CaseQuery, CaseRecord, CaseRow, Seek
from followup.casework.next_step import risk_text
from followup.ui.tasks import LatestOnly, TaskRunner, message_to
from followup.ui.widgets.look import ERROR_COLOUR
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CASE_ID_ROLE",
    "COLUMNS",
    "DUE_COLUMN",
    "OVERDUE_COLOUR",
    "OVERDUE_ROLE",
    "PAGE_SIZE",
    "STEP_BLOCK",
    "CaseLine",
    "CaseloadModel",
    "Column",
    "case_line",
    "load_count",
    "load_page",
    "load_steps",
]

PAGE_SIZE = 100  # three screenfuls
# The next step, last contact and overdoses are read after the rows (the first page's at once,
# later pages' for the rows Qt shows), this many at a time: scrolling to the end then reads them
# for a screenful, not every case.
STEP_BLOCK = 100
SHOWN_BLOCKS = 3
STEPS_PAUSE_MS = 100  # scrolling that pauses this long has stopped on the rows shown
MAX_PAGE_GROWTH = 50
STEP_COLUMNS = frozenset((8, 10, 11))
OVERDUE_COLOUR = ERROR_COLOUR  # and the row says "Overdue": never colour alone
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex
_AFTER_PAINT = QEvent.Type(QEvent.registerEventType())  # ``CaseloadModel._first_page``
# The roles ``data`` answers, as ints: looking an enum member up costs more than the answer.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_LOOK_ROLES = frozenset((_TOOLTIP, _FOREGROUND, _FONT, _DECORATION))
_CASE_ID = int(getattr(CASE_ID_ROLE, "value", CASE_ID_ROLE))
_OVERDUE = int(getattr(OVERDUE_ROLE, "value", OVERDUE_ROLE))
# Every role ``data`` answers other than the text: Qt asks each cell for seven roles a paint
# (background and check state too), and the rest are answered None at the first test.
_ANSWERED = frozenset((_ALIGNMENT, _CASE_ID, _OVERDUE, *_LOOK_ROLES))
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


@dataclass(frozen=True)
class Column:
    title: str
    sort_key: str  # "" for a column the database cannot sort by (worked out per page)
    width: int
    numeric: bool = False
    tip: str = ""


# One column per sort key of SORT_KEYS, in the same order, then the columns that do not sort.
COLUMNS: tuple[Column, ...] = (
    Column("Police ref.", "reference", 150, tip="Police reference of the referral"),
    Column("Person", "person", 200),
    Column("Age", "age", 44, numeric=True),
    Column("Area", "area", 56, tip="Postcode district"),
    Column("Status", "status", 100),
    Column("Worker", "worker", 130, tip="Assigned worker"),
    Column("Days", "days", 48, numeric=True, tip="Days since the overdose (the latest incident)"),
    Column("Next action due", "due", 170),
    Column("Next step", "", 290, tip="The next step, from the schedule and consent in force"),
    Column("Incident", "", 120, tip="When the latest overdose happened (UK time)"),
    Column("Last contact", "", 210, tip="The latest contact attempt: when, how, outcome"),
    Column("Risk", "", 190, tip="Overdoses known, the last one, no fixed abode"),
)
DUE_COLUMN = 7
NUMERIC_COLUMNS = frozenset(i for i, c in enumerate(COLUMNS) if c.numeric)
assert tuple(c.sort_key for c in COLUMNS if c.sort_key) == SORT_KEYS


class CaseLine:
    """One caseload row, formatted for the screen when Qt first asks for it, and then kept: a
    scrolled caseload holds many rows, the screen shows a few dozen. A row of a later page
    arrives as the driver's record and becomes a ``CaseRow`` only once it is shown.

    ``texts`` are its formatted cells (None until first shown); ``waiting`` says that its
    next step, last contact and overdoses are still to be read (``load_steps``)."""

    __slots__ = ("_now", "_record", "_row", "texts", "waiting")

    def __init__(self, row: CaseRow | CaseRecord, now: datetime) -> None:
        self._row: CaseRow | None = row if isinstance(row, CaseRow) else None
        self._record: CaseRecord | None = None if isinstance(row, CaseRow) else row
        self._now = now
        self.texts: tuple[str, ...] | None = None
        self.waiting = True

    @property
    def row(self) -> CaseRow:
        if self._row is None:
            assert self._record is not None
            self._row = caseload.case_row(self._record, self._now)
            self._record = None
        return self._row

    @property
    def case_id(self) -> int:
        return self._row.id if self._row is not None else int(self._record[0])  # type: ignore[index]

    @property
    def overdue(self) -> bool:
        return self.row.overdue

    @property
    def person(self) -> str:
        return self.row.person

    @property
    def cells(self) -> tuple[str, ...]:
        return self.texts or self.format()

    def cell(self, column: int) -> str:
        return self.cells[column]

    def format(self) -> tuple[str, ...]:
        """Its cells as the screen shows them, kept in ``texts``."""
        self.waiting = not self.row.steps_known
        self.texts = tuple(self._cell(c) for c in range(len(COLUMNS)))
        return self.texts

    def steps_changed(self) -> None:
        """Its next step and last contact have arrived: format it again when next shown."""
        self.texts = None

    def _cell(self, column: int) -> str:
        row = self.row
        if column == 0:
            return row.police_reference
        if column == 1:
            return row.person
        if column == 2:
            return "" if row.age is None else str(row.age)
        if column == 3:
            return row.area
        if column == 4:
            return vocab.label(row.status)
        if column == 5:
            return row.worker or "Unassigned"
        if column == 6:
            days = row.days_since_incident(self._now)
            return "" if days is None else str(days)
        if column == DUE_COLUMN:
            due = short_date_time(row.next_action_due_at)
            return f"Overdue: {due}" if row.overdue else due
        if column == 8:
            return row.next_step
        if column == 9:
            return short_date_time(row.incident_at)
        if column == 10:
            last = row.last_contact
            if row.last_contact_at is not None:
                last = f"{short_date_time(row.last_contact_at)} {last}"
            return last or "None yet"
        return risk_text(row.overdoses, row.last_overdose_at, row.no_fixed_abode)


def case_line(row: CaseRow, now: datetime) -> CaseLine:
    return CaseLine(row, now)


def load_page(
    db: Database,
    actor: Actor,
    query: CaseQuery,
    after: Seek | None,
    limit: int,
    *,
    steps: bool = True,
) -> tuple[list[CaseLine], Seek | None]:
    """One page of the caseload after ``after``, on a pool thread with its own session; with
    ``steps`` False the next steps and last contacts are left for ``load_steps``, and each
    row is made only when it is shown."""
    with db.session() as s:
        if steps:
            rows, seek = caseload.list_page(s, actor, query, after, limit)
            return [CaseLine(r, query.now) for r in rows], seek
        records, seek = caseload.list_records(s, actor, query, after, limit)
    now = query.now
    return [CaseLine(r, now) for r in records], seek


def load_steps(db: Database, rows: list[CaseRow]) -> dict[int, caseload.RowDetails]:
    """The next steps, last contacts and overdoses of these rows, on a pool thread."""
    with db.session() as s:
        return caseload.row_details(s, rows)


def load_count(db: Database, actor: Actor, query: CaseQuery, found: int | None = None) -> int:
    """The count, and for a search its audit event (``caseload.count_and_record``); a search
    counts up to ``caseload.SEARCH_COUNT`` and one more. With ``found`` (a search whose first
    page held every case it finds) nothing is counted: only the audit event is written."""
    return caseload.count_and_record(db, actor, query, caseload.SEARCH_COUNT, found=found)


class CaseloadModel(QAbstractTableModel):
    """Holds only the loaded rows of the current query; asks for more as the view scrolls."""

    total_changed = Signal(int)  # -1 while counting
    failed = Signal(str)
    loading_changed = Signal(bool)
    page_loaded = Signal(int)  # rows now held

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner | None = None,
        parent: Any = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self._page_size = page_size
        self._lines: list[CaseLine] = []
        self._seek: Seek | None = None  # where the next page starts
        # Blocks of STEP_BLOCK rows asked for their steps: how many of each block's rows (a
        # block asked for while its rows were still arriving is asked again for the rest).
        self._step_blocks: dict[int, int] = {}
        # Blocks shown since the last pause in scrolling, the latest last: someone scrolling
        # through a long caseload passes many blocks, and only those left on screen are read.
        self._shown_blocks: dict[int, None] = {}
        self._steps_timer = QTimer(self, singleShot=True, interval=STEPS_PAUSE_MS)
        self._steps_timer.timeout.connect(self._read_shown_steps)
        self._query = CaseQuery(statuses=vocab.OPEN_STATUSES)
        self._answers = LatestOnly()
        self._total: int | None = None
        self._exhausted = True  # nothing to fetch until a first page has arrived
        self._fetching = False
        self._loading = False
        self._bold = QFont()
        self._bold.setBold(True)
        self._warning_icon: QIcon | None = None
        self._after_paint: Callable[[], None] | None = None

    # ------------------------------------------------------------------ querying

    @property
    def query(self) -> CaseQuery:
        return self._query

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def more_than(self) -> int | None:
        """When the count stopped short (a search finding very many): the count it passed."""
        total, most = self._total, caseload.SEARCH_COUNT
        if total is not None and total > most and self._query.search.strip():
            return most
        return None

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def busy(self) -> bool:
        """Still reading: a page, or the next steps and count that follow the first paint."""
        return self._loading or self._after_paint is not None or self._runner.busy

    def set_query(self, query: CaseQuery) -> None:
        """Ask for a new caseload; the rows on screen stay until the new ones arrive."""
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Run the current query again (with a fresh 'now' for overdue and days).

        The first page comes without its next steps, last contacts and overdoses, which are
        read as soon as it has arrived (``load_steps``): the rows are on screen a few dozen
        milliseconds sooner at a million cases. A search is counted only once its first page
        is in: a page that holds every case the search finds is its count."""
        self._query = replace(self._query, now=datetime.now(self._query.now.tzinfo))
        ticket, query = self._answers.ticket(), self._query
        self._exhausted = True
        self._fetching = False
        self._total = None
        self._set_loading(True)
        self.total_changed.emit(-1)
        db, actor, size = self._db, self._actor, self._page_size
        self._runner.run(
            lambda: load_page(db, actor, query, None, size, steps=False),
            ticket.only(self._first_page),
            ticket.only(message_to(self._failed)),
            name="caseload first page",
        )
        if not query.search.strip():
            self._count(query)

    def _count(self, query: CaseQuery, found: int | None = None) -> None:
        db, actor, ticket = self._db, self._actor, self._answers.current
        self._runner.run(
            lambda: load_count(db, actor, query, found),
            ticket.only(self._counted),
            ticket.only(message_to(self._failed)),
            name="caseload count",
        )

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    def _first_page(self, page: tuple[list[CaseLine], Seek | None]) -> None:
        lines, self._seek = page
        self.beginResetModel()
        self._lines = list(lines)
        self._step_blocks = {}
        self._shown_blocks.clear()
        self._exhausted = self._seek is None
        self.endResetModel()
        self._set_loading(False)
        self.page_loaded.emit(len(self._lines))
        searching = bool(self._query.search.strip())
        if searching and self._seek is None:  # every case the search finds: its count
            self._total = len(self._lines)
            self.total_changed.emit(self._total)
        # The next steps (and a search's count or audit event) once the rows are painted:
        # work on a pool thread while Qt paints would hold up each cell's ``data`` call.
        ticket, query, found = self._answers.current, self._query, self._total

        def after_paint() -> None:
            if not ticket.latest:
                return
            for block in range(min(SHOWN_BLOCKS, -(-len(self._lines) // STEP_BLOCK))):
                self._read_steps(block)
            if searching:
                self._count(query, found)  # with ``found``, only its audit event

        # Qt posts a repaint at low priority: an event posted after it at that priority comes
        # after the paint (a zero timer would come before it).
        self._after_paint = after_paint
        QCoreApplication.postEvent(
            self, QEvent(_AFTER_PAINT), Qt.EventPriority.LowEventPriority.value
        )

    def event(self, event: QEvent) -> bool:
        if event.type() == _AFTER_PAINT:
            run, self._after_paint = self._after_paint, None
            if run is not None:
                run()
            return True
        return super().event(event)

    def _counted(self, total: int) -> None:
        self._total = total
        self.total_changed.emit(total)

    def _failed(self, message: str) -> None:
        self._fetching = False
        self._set_loading(False)
        self.failed.emit(message)

    # ------------------------------------------------------------------ fetch more

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._fetching

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        ticket, query, offset = self._answers.current, self._query, len(self._lines)
        # Pages grow as the user scrolls on (up to MAX_PAGE_GROWTH pages at once): someone
        # paging far down a long caseload costs fewer round trips.
        growth = min(MAX_PAGE_GROWTH, max(1, offset // (self._page_size * 4)))
        db, actor, size, after = self._db, self._actor, self._page_size * growth, self._seek
        self._runner.run(
            lambda: load_page(db, actor, query, after, size, steps=False),
            ticket.only(lambda page: self._more(offset, page)),
            ticket.only(message_to(self._failed)),
            name="caseload next page",
        )

    def _more(self, offset: int, page: tuple[list[CaseLine], Seek | None]) -> None:
        if offset != len(self._lines):
            return  # the rows changed under this page: it no longer fits
        lines, self._seek = page
        self._fetching = False
        self._exhausted = self._seek is None
        if lines:
            self.beginInsertRows(QModelIndex(), offset, offset + len(lines) - 1)
            self._lines.extend(lines)
            self.endInsertRows()
        self.page_loaded.emit(len(self._lines))

    def _want_steps(self, row: int) -> None:
        """Read the next steps of the block of rows around ``row`` in the background, once
        the scrolling pauses with it on screen."""
        block = row // STEP_BLOCK
        if self._block_asked(block) or block in self._shown_blocks:
            return  # read, or waiting for the pause
        self._shown_blocks[block] = None
        self._steps_timer.start()

    def _read_shown_steps(self) -> None:
        if self._fetching:  # still scrolling on: the next page first
            self._steps_timer.start()
            return
        # A screenful spans at most SHOWN_BLOCKS blocks: the ones asked for last.
        for block in list(self._shown_blocks)[-SHOWN_BLOCKS:]:
            self._read_steps(block)
        self._shown_blocks.clear()

    def _block_asked(self, block: int) -> bool:
        """Whether every row of the block that is held has been asked for its steps."""
        held = min(STEP_BLOCK, len(self._lines) - block * STEP_BLOCK)
        return self._step_blocks.get(block, 0) >= held

    def _read_steps(self, block: int) -> None:
        if self._block_asked(block):
            return
        asked = self._step_blocks.get(block, 0)
        first = block * STEP_BLOCK + asked
        lines = self._lines[first : (block + 1) * STEP_BLOCK]
        self._step_blocks[block] = asked + len(lines)
        rows = [line.row for line in lines if not line.row.steps_known]
        if not rows:
            return
        db = self._db
        self._runner.run(
            lambda: load_steps(db, rows),
            self._answers.current.only(lambda infos: self._stepped(first, lines, infos)),
            self._answers.current.only(message_to(self._failed)),
            name="caseload next steps",
        )

    def _stepped(self, first: int, lines: list[CaseLine], infos: dict[int, Any]) -> None:
        for line in lines:
            info = infos.get(line.case_id)
            if info is not None:
                caseload.apply_details(line.row, info)
                line.steps_changed()
        if first < len(self._lines) and self._lines[first] is lines[0]:
            last = first + len(lines) - 1
            self.dataChanged.emit(
                self.index(first, min(STEP_COLUMNS)), self.index(last, max(STEP_COLUMNS))
            )

    # ------------------------------------------------------------------ sorting

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column].sort_key
        if not key:
            return  # worked out per page: the view puts the sort indicator back
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort and descending == self._query.descending:
            return
        self.set_query(replace(self._query, sort=key, descending=descending))

    # ------------------------------------------------------------------ table model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def case_id(self, row: int) -> int | None:
        return self._lines[row].case_id if 0 <= row < len(self._lines) else None

    def line(self, row: int) -> CaseLine:
        return self._lines[row]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip or None
        return None

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # Qt asks each cell on screen for half a dozen roles at every paint: the text comes
        # first, formatted once a row (``CaseLine.texts``), and roles are compared as ints.
        if role == _DISPLAY:
            row = index.row()
            if row < 0:
                return None
            line = self._lines[row]
            texts = line.texts or line.format()
            col = index.column()
            if line.waiting and col in STEP_COLUMNS:
                self._want_steps(row)
                return ""
            return texts[col]
        if role not in _ANSWERED:
            return None
        if role == _ALIGNMENT:
            return _RIGHT if index.column() in NUMERIC_COLUMNS else None
        if role in _LOOK_ROLES:
            row, col = index.row(), index.column()
            if row < 0:
                return None
            if col == 1 and role == _TOOLTIP:
                return self._lines[row].person
            if col != DUE_COLUMN or not self._lines[row].overdue:
                return None
            if role == _FOREGROUND:
                return QBrush(OVERDUE_COLOUR)
            if role == _FONT:
                return self._bold
            if role == _DECORATION:
                return self._overdue_icon()
            return "The next action on this case is overdue."
        row = index.row()
        if row < 0:
            return None
        line = self._lines[row]
        return line.case_id if role == _CASE_ID else line.overdue

    def _overdue_icon(self) -> QIcon:
        if self._warning_icon is None:
            style = QApplication.style()
            self._warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._warning_icon
