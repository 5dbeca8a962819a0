"""UK time, the one way Followup shows, types, prints and exports a date or a time.

Stored times are aware UTC times. Everything a person reads is UK wall-clock time
(Europe/London: GMT in winter, BST in summer), whatever the computer's own time zone, so a
Citrix session set to UTC shows the same 14:30 as the letter. The zone comes from ``zoneinfo``
with the ``tzdata`` package as its database, so it is the same on Windows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "DATE_FORMAT",
    "DATE_TIME_FORMAT",
    "DATE_TIME_SECONDS_FORMAT",
    "LONDON",
    "QT_DATE_FORMAT",
    "QT_DATE_TIME_FORMAT",
    "QT_LONG_DATE_TIME_FORMAT",
    "clock",
    "long_date",
    "now_utc",
    "parse_short_date",
    "short_date",
    "short_date_time",
    "to_uk",
    "uk_local_to_utc",
    "uk_now",
    "uk_today",
]

LONDON = ZoneInfo("Europe/London")

DATE_FORMAT = "%d/%m/%Y"
DATE_TIME_FORMAT = "%d/%m/%Y %H:%M"
DATE_TIME_SECONDS_FORMAT = "%d/%m/%Y %H:%M:%S"  # the audit trail, where seconds tell events apart
# The same, in Qt's own notation, for date and time editors.
QT_DATE_FORMAT = "dd/MM/yyyy"
QT_DATE_TIME_FORMAT = "dd/MM/yyyy HH:mm"
QT_LONG_DATE_TIME_FORMAT = "ddd d MMM yyyy  HH:mm"  # an appointment: the weekday matters


def now_utc() -> datetime:
    """The current time as an aware UTC time, as it is stored."""
    return datetime.now(UTC)


def to_uk(value: datetime) -> datetime:
    """An aware time as the clock on the wall in the UK shows it; a naive one is UK time already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(LONDON)


def uk_local_to_utc(local: datetime) -> datetime:
    """A naive UK wall-clock time as an aware UTC time (GMT or BST, as it was on that day)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=LONDON).astimezone(UTC)


def uk_now() -> datetime:
    """Now on the UK wall clock, naive: for the time stamps in file names (backups)."""
    return to_uk(now_utc()).replace(tzinfo=None)


def uk_today(now: datetime | None = None) -> date:
    """Today's date in the UK (just after midnight BST it is already tomorrow there)."""
    return to_uk(now or now_utc()).date()


def short_date(value: date | datetime | None, missing: str = "") -> str:
    """``07/03/2026``: a date the UK way round; a time is first turned into UK time."""
    if value is None:
        return missing
    if isinstance(value, datetime):
        value = to_uk(value)
    return value.strftime(DATE_FORMAT)


def short_date_time(value: datetime | None, missing: str = "") -> str:
    """``07/03/2026 14:30``: a stored time as UK wall-clock time."""
    if value is None:
        return missing
    return to_uk(value).strftime(DATE_TIME_FORMAT)


def long_date(value: date | datetime) -> str:
    """``7 March 2026``, as a letter writes it."""
    if isinstance(value, datetime):
        value = to_uk(value)
    return f"{value.day} {value:%B %Y}"


def clock(value: datetime) -> str:
    """``2:30pm``, as a letter writes a time of day (in UK time)."""
    value = to_uk(value)
    hour = value.hour % 12 or 12
    return f"{hour}:{value:%M}{'am' if value.hour < 12 else 'pm'}"


def parse_short_date(text: str) -> date:
    """A date typed the UK way (``07/03/2026``); ``ValueError`` when it is not one."""
    return datetime.strptime(text.strip(), DATE_FORMAT).date()
