"""Date and time editors on the UK clock, whatever the computer's own time zone.

Qt's editors hold naive wall-clock times; Followup's are UK times (``followup.uktime``), so a
Citrix session set to UTC offers the same "now" as a laptop in London.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QTime

from followup.uktime import now_utc, to_uk, uk_local_to_utc, uk_today

__all__ = [
    "date_of",
    "qdate_of",
    "qdatetime_of",
    "uk_now_for_editor",
    "uk_time_of",
    "uk_today_for_editor",
    "wall_clock_of",
]


def qdate_of(value: date) -> QDate:
    """A Python date as Qt's date (built from its parts: not every PySide6 types the shortcut)."""
    return QDate(value.year, value.month, value.day)


def qdatetime_of(value: datetime) -> QDateTime:
    """A naive wall-clock datetime as Qt's, to the second, as an editor holds it."""
    return QDateTime(qdate_of(value.date()), QTime(value.hour, value.minute, value.second))


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
    """What a date-and-time editor holds, as a naive Python datetime on the UK clock."""
    result = value.toPython()
    assert isinstance(result, datetime)  # PySide6 types toPython() as object
    return result


def uk_time_of(value: QDateTime) -> datetime:
    """What a date-and-time editor holds (UK time), as an aware UTC time to store."""
    return uk_local_to_utc(wall_clock_of(value))
