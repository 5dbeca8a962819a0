"""Date and time editors on the UK clock, whatever the computer's own time zone.

Qt's editors hold wall-clock times; Followup's are UK times (``followup.uktime``), so a
Citrix session set to UTC offers the same "now" as a laptop in London. Left to itself a Qt
editor works in the computer's zone: it converts a value given in any other zone, and it moves
a time that does not exist there (02:30 on the morning New York's clocks go forward is a good
UK time). So every editor is put on a fixed clock with no summer time (``on_uk_clock``), its
values are built on that clock, and what it shows is taken as UK wall-clock time and turned
into UTC by ``zoneinfo`` (GMT or BST as it was that day).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone
from PySide6.QtWidgets import QDateTimeEdit

from followup.uktime import now_utc, to_uk, uk_local_to_utc, uk_today

__all__ = [
    "WALL_CLOCK",
    "date_of",
    "on_uk_clock",
    "qdate_of",
    "qdatetime_of",
    "uk_now_for_editor",
    "uk_time_of",
    "uk_today_for_editor",
    "wall_clock_of",
]


# The zone an editor holds UK wall-clock times in: UTC has no gaps or repeats, and the
# computer's own zone never touches it.
WALL_CLOCK = QTimeZone(QTimeZone.Initialization.UTC)
_Edit = TypeVar("_Edit", bound=QDateTimeEdit)


def on_uk_clock(edit: _Edit) -> _Edit:
    """Put a date (and time) editor on the fixed wall clock, before it is given a value."""
    if hasattr(edit, "setTimeZone"):  # Qt 6.7 and later
        edit.setTimeZone(WALL_CLOCK)
    else:
        edit.setTimeSpec(Qt.TimeSpec.UTC)
    return edit


def qdate_of(value: date) -> QDate:
    """A Python date as Qt's date (built from its parts: not every PySide6 types the shortcut)."""
    return QDate(value.year, value.month, value.day)


def qdatetime_of(value: datetime) -> QDateTime:
    """A naive wall-clock datetime as Qt's, to the second, as an editor holds it."""
    return QDateTime(
        qdate_of(value.date()), QTime(value.hour, value.minute, value.second), WALL_CLOCK
    )


def uk_now_for_editor() -> QDateTime:
    """Now on the UK clock, as a date-and-time editor holds it (naive wall-clock time)."""
    return qdatetime_of(to_uk(now_utc()).replace(tzinfo=None))


def uk_today_for_editor() -> QDate:
    """Today in the UK, for a date editor."""
    return qdate_of(uk_today())


def date_of(value: QDate) -> date:
    """What a date editor holds, as a Python date."""
    result = value.toPython()
    assert isinstance(result, date)  # PySide6 types toPython() as object
    return result


def wall_clock_of(value: QDateTime) -> datetime:
    """What a date-and-time editor shows, as a naive Python datetime on the UK clock."""
    day, time = value.date(), value.time()
    return datetime(day.year(), day.month(), day.day(), time.hour(), time.minute(), time.second())


def uk_time_of(value: QDateTime) -> datetime:
    """What a date-and-time editor holds (UK time), as an aware UTC time to store."""
    return uk_local_to_utc(wall_clock_of(value))
