"""Date and time editors on the UK clock, whatever the computer's own time zone.

Qt's editors hold naive wall-clock times; Followup's are UK times (``followup.uktime``), so a
Citrix session set to UTC offers the same "now" as a laptop in London.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime

from followup.uktime import now_utc, to_uk, uk_today

__all__ = ["uk_now_for_editor", "uk_today_for_editor"]


def uk_now_for_editor() -> QDateTime:
    """Now on the UK clock, as a date-and-time editor holds it (naive wall-clock time)."""
    return QDateTime(to_uk(now_utc()).replace(tzinfo=None))


def uk_today_for_editor() -> QDate:
    """Today in the UK, for a date editor."""
    return QDate(uk_today())
