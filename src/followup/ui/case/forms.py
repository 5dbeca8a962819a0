"""Small building blocks shared by the sections of the case view.

Plain-text labels (names and notes may contain markup, never rendered), an optional date field,
combo boxes filled from the vocabularies, and the ``CaseAction`` a section hands to the case view
to save in the background. The message a form shows is ``ui.widgets.messages.InlineMessage``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from followup import vocab
from followup.access import Actor
from followup.casework.detail import CaseDetail
from followup.ui.widgets.dates import (
    date_of,
    on_uk_clock,
    qdate_of,
    qdatetime_of,
    uk_now_for_editor,
    uk_time_of,
    uk_today_for_editor,
)
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import (
    QT_DATE_FORMAT,
    QT_DATE_TIME_FORMAT,
    now_utc,
    to_uk,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "CaseAction",
    "CaseSection",
    "NowEdit",
    "OptionalDate",
    "edit_block_reason",
    "fill_table",
    "form_grid",
    "plain_label",
    "plain_tip",
    "read_only_table",
    "select_data",
    "table_text",
    "vocab_combo",
]


@dataclass(frozen=True)
class CaseAction:
    """One save a section asks for: ``apply(session, actor, case_id, version)`` runs in the
    background; ``done`` or ``failed`` (with the sentence to show) run on the UI thread."""

    name: str  # for the log: never personal data
    apply: Callable[[Session, Actor, int, int], object]
    done: Callable[[], None]
    failed: Callable[[str], None]


def plain_tip(text: str) -> str:
    """Tooltip text that Qt will not read as markup (tooltips guess rich text otherwise)."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>" if text else ""


def plain_label(text: str = "", *, selectable: bool = True, wrap: bool = True) -> QLabel:
    """A label that shows data as typed: never as rich text."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def vocab_combo(values: Iterable[str], name: str, *, blank: str | None = None) -> QComboBox:
    """A combo of vocabulary values with their labels; the stored value is the item data."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    if blank is not None:
        combo.addItem(blank, None)
    for value in values:
        combo.addItem(vocab.label(value), value)
    return combo


def select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


class NowEdit(QDateTimeEdit):
    """A date and time that means "now" until the user changes it (then it means what they set)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        on_uk_clock(self)
        self.setDateTime(uk_now_for_editor())
        self.setDisplayFormat(QT_DATE_TIME_FORMAT)
        self.setCalendarPopup(True)
        self.setAccessibleName(name)
        self.touched = False
        self.dateTimeChanged.connect(self._touch)

    def _touch(self) -> None:
        self.touched = True

    def reset(self) -> None:
        """Back to now, following the clock again."""
        self.blockSignals(True)
        self.setDateTime(uk_now_for_editor())
        self.blockSignals(False)
        self.touched = False

    def value(self) -> datetime:
        """An aware UTC time: the moment of asking, or the UK time the user set."""
        if not self.touched:
            return now_utc()
        return uk_time_of(self.dateTime())


class OptionalDate(QWidget):
    """A date (or date and time) that may be left unrecorded: a tick box switches it on."""

    changed = Signal()

    def __init__(
        self, text: str, name: str, parent: QWidget | None = None, *, with_time: bool = False
    ) -> None:
        super().__init__(parent)
        self._with_time = with_time
        self.check = QCheckBox(text)
        self.check.setAccessibleName(f"{name} recorded")
        self.edit: QDateTimeEdit = on_uk_clock(QDateTimeEdit() if with_time else QDateEdit())
        if with_time:
            self.edit.setDateTime(uk_now_for_editor())
        else:
            self.edit.setDate(uk_today_for_editor())
        self.edit.setDisplayFormat(QT_DATE_TIME_FORMAT if with_time else QT_DATE_FORMAT)
        self.edit.setCalendarPopup(True)
        self.edit.setAccessibleName(name)
        self.edit.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit)
        layout.addStretch(1)
        self._chosen = False  # the editor holds a value set or typed, not the opening time
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(self._ticked)
        self.check.toggled.connect(self.changed)
        self.edit.dateTimeChanged.connect(self._typed)
        self.edit.dateTimeChanged.connect(self.changed)
        self.setFocusProxy(self.check)

    def _typed(self) -> None:
        if self.check.isChecked():
            self._chosen = True

    def _ticked(self, on: bool) -> None:
        """Ticked with nothing chosen yet: start from now, not from when the form opened."""
        if on and not self._chosen:
            self.edit.blockSignals(True)
            if self._with_time:
                self.edit.setDateTime(uk_now_for_editor())
            else:
                self.edit.setDate(uk_today_for_editor())
            self.edit.blockSignals(False)

    def value(self) -> date | datetime | None:
        """None when not ticked; a date, or an aware UTC datetime ``with_time``."""
        if not self.check.isChecked():
            return None
        if self._with_time:
            return uk_time_of(self.edit.dateTime())
        return date_of(self.edit.date())

    def set_value(self, value: date | datetime | None) -> None:
        self._chosen = value is not None
        self.check.setChecked(value is not None)
        if isinstance(value, datetime):
            self.edit.setDateTime(qdatetime_of(to_uk(value).replace(tzinfo=None)))
        elif value is not None:
            self.edit.setDate(qdate_of(value))
        else:
            self.edit.setDateTime(uk_now_for_editor())


def read_only_table(headers: Iterable[str], name: str) -> QTableWidget:
    """A compact table for a handful of rows: no editing, whole-row selection."""
    headers = list(headers)
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    _compact(table, name)
    return table


def _compact(table: QTableView, name: str) -> None:
    """The read-only look every case-view table shares: whole rows, no editing, fixed rows."""
    table.setAccessibleName(name)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setHighlightSections(False)


class RowsModel(QAbstractTableModel):
    """Rows of plain text for a read-only table: no item objects, only the rows in view are
    asked for. A struck row (a corrected entry) is drawn struck through, with a note.

    ``set_lazy_rows`` gives the number of rows and how to make one: a row's text is made the
    first time it is shown, so a case with hundreds of attempts formats only the screenful
    in view when it opens."""

    def __init__(self, headers: Iterable[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self._rows: list[tuple[str, ...] | None] = []
        self._row_of: Callable[[int], tuple[str, ...]] | None = None
        self.struck: list[bool] = []
        self._struck_font = QFont()
        self._struck_font.setStrikeOut(True)

    @property
    def rows(self) -> list[tuple[str, ...]]:
        """Every row's text (made now for the rows not yet shown)."""
        return [self.row(i) for i in range(len(self._rows))]

    def row(self, index: int) -> tuple[str, ...]:
        made = self._rows[index]
        if made is None:
            assert self._row_of is not None
            made = self._rows[index] = tuple(self._row_of(index))
        return made

    def set_rows(self, rows: Iterable[Iterable[str]], struck: Iterable[bool] | None = None) -> None:
        self.beginResetModel()
        self._rows = [tuple(r) for r in rows]
        self._row_of = None
        self.struck = list(struck) if struck is not None else [False] * len(self._rows)
        self.endResetModel()

    def set_lazy_rows(
        self,
        count: int,
        row_of: Callable[[int], Iterable[str]],
        struck: Iterable[bool] | None = None,
    ) -> None:
        """``count`` rows, row ``i`` being ``row_of(i)``, made when first asked for."""
        self.beginResetModel()
        self._rows = [None] * count
        self._row_of = lambda i: tuple(row_of(i))
        self.struck = list(struck) if struck is not None else [False] * count
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        # Asked for many roles per cell each paint: compare with plain ints, not enum members.
        if role == _DISPLAY:
            return self.row(index.row())[index.column()]
        if role == _TOOLTIP:
            text = self.row(index.row())[index.column()]
            if self.struck[index.row()]:
                text = f"{text}\n(corrected: no longer counts)"
            return plain_tip(text)
        if role == _FONT and self.struck[index.row()]:
            return self._struck_font
        return None

    def multiData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,
        /,
    ) -> None:
        """The roles a view asks for to paint one cell, in one call (not one call per role)."""
        r = index.row()
        # A sequence of QModelRoleData (the stubs leave its length and items out).
        span: Any = [roleDataSpan] if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for i in range(len(span)):
            wanted = span[i]
            role = wanted.role()
            if role == _DISPLAY:
                wanted.setData(self.row(r)[index.column()])
            elif role == _FONT:
                if self.struck[r]:
                    wanted.setData(self._struck_font)
            elif role == _TOOLTIP:
                wanted.setData(self.data(index, role))


_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)


def rows_table(headers: Iterable[str], name: str) -> QTableView:
    """A read-only table of many rows (attempts, the timeline) through a ``RowsModel``."""
    table = QTableView()
    table.setModel(RowsModel(headers, table))
    _compact(table, name)
    return table


def rows_model(table: QTableView) -> RowsModel:
    model = table.model()
    assert isinstance(model, RowsModel)
    return model


def fill_table(table: QTableWidget, rows: Iterable[Iterable[str]]) -> None:
    """Replace the rows; item text is never interpreted as markup. Full text in the tooltip."""
    rows = [list(r) for r in rows]
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(plain_tip(text))
            table.setItem(r, c, item)


def table_text(table: QTableWidget | QTableView) -> list[list[str]]:
    """The table's cells (for tests and screen readers)."""
    if not isinstance(table, QTableWidget):
        return [list(r) for r in rows_model(table).rows]

    def text(r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text() if item is not None else ""

    return [[text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


class CaseSection(QWidget):
    """A section of the case view: shows a ``CaseDetail`` and asks for saves as ``CaseAction``s."""

    action_requested = Signal(object)  # CaseAction

    def show_detail(self, detail: CaseDetail) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def request(
        self,
        name: str,
        apply: Callable[[Session, Actor, int, int], object],
        message: InlineMessage,
        done: Callable[[], None],
    ) -> None:
        """Ask the case view to save; the refusal sentence lands in ``message``."""
        message.clear_message()
        self.action_requested.emit(CaseAction(name, apply, done, message.warn))


def edit_block_reason(detail: CaseDetail) -> str | None:
    """Why nothing on this case can be changed by this user now, or None."""
    if not detail.can_edit:
        return (
            "You can read this case but not change it: only the assigned worker or a team lead can."
        )
    return None


def form_grid() -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(10)
    grid.setVerticalSpacing(6)
    return grid
