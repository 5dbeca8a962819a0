"""Tables a person takes away: a CSV file for machines, an Excel workbook for people.

An export describes its columns once (``Column``: a key, a heading, a kind, a width) and yields
rows of plain Python values (text, whole numbers, dates, aware times); the same rows become
either file:

- **CSV, for machines** (Power Query, pandas, mail merge): the header is the first line, keys
  as headings; dates ``dd/mm/yyyy``; times ISO 8601 in UK time with their offset
  (``2026-07-14T14:30+01:00``); yes/no as ``yes``/``no``. A cell gets an apostrophe in front
  only when it would otherwise run as a formula (see ``files.safe_cell``).
- **XLSX, for people**, written with XlsxWriter: typed cells, so text is text (written with
  ``write_string``, never read as a formula or a number, so nothing needs a visible quote and
  leading zeros stay), dates are dates shown ``dd/mm/yyyy``, times are UK wall-clock times
  shown ``dd/mm/yyyy hh:mm``, numbers are numbers; headings in bold, the header row frozen and
  filtered, column widths set. An "About" sheet says what the file is, its period and when it
  was made (UK time).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from followup.errors import FollowupError
from followup.files import safe_cell, write_atomically
from followup.uktime import DATE_FORMAT, to_uk

__all__ = [
    "XLSX_DATE_FORMAT",
    "XLSX_ROW_LIMIT",
    "XLSX_TIME_FORMAT",
    "CellKind",
    "Column",
    "Sheet",
    "csv_time",
    "write_csv",
    "write_xlsx",
]

# Excel's notation for the UK's way of writing a date and a time.
XLSX_DATE_FORMAT = "dd/mm/yyyy"
XLSX_TIME_FORMAT = "dd/mm/yyyy hh:mm"
_SHEET_NAME_LIMIT = 31  # Excel refuses a longer sheet name
XLSX_ROW_LIMIT = 1_048_575  # rows below the header that Excel and LibreOffice can open


class CellKind(StrEnum):
    TEXT = "text"
    WHOLE = "whole"  # a count or an id
    HOURS = "hours"  # a number of hours, shown to 0.1
    RATE = "rate"  # a fraction, shown as a percentage
    DATE = "date"
    TIME = "time"  # an aware time, written as UK wall-clock time
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Column:
    """One column of an export: its CSV key, its heading for people, its kind and width."""

    key: str
    heading: str
    kind: CellKind = CellKind.TEXT
    width: float = 14  # in characters, as a spreadsheet measures a column


@dataclass(frozen=True)
class Sheet:
    """One table of a workbook: its name (at most 31 characters), columns and rows."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def csv_time(value: datetime | None) -> str:
    """An aware time for a machine: UK time with its offset, ``2026-07-14T14:30+01:00``."""
    return to_uk(value).isoformat(timespec="minutes") if value else ""


def _csv_cell(kind: CellKind, value: Any) -> str:
    if value is None or value == "":
        return ""
    if kind == CellKind.TIME:
        return csv_time(value)
    if kind == CellKind.DATE:
        return (to_uk(value) if isinstance(value, datetime) else value).strftime(DATE_FORMAT)
    if kind == CellKind.YES_NO:
        return "yes" if value else "no"
    return safe_cell(value)


def write_csv(target: Path, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> int:
    """The header (the columns' keys), then the rows; written whole or not at all. Returns the
    number of rows."""
    count = 0
    kinds = [c.kind for c in columns]

    def write(fh: IO[str]) -> None:
        nonlocal count
        out = csv.writer(fh)
        out.writerow([c.key for c in columns])
        for row in rows:
            out.writerow([_csv_cell(k, v) for k, v in zip(kinds, row, strict=True)])
            count += 1

    write_atomically(target, write)
    return count


class _Formats:
    def __init__(self, book: Any) -> None:
        self.heading = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.date = book.add_format({"num_format": XLSX_DATE_FORMAT, "align": "left"})
        self.time = book.add_format({"num_format": XLSX_TIME_FORMAT, "align": "left"})
        self.hours = book.add_format({"num_format": "0.0"})
        self.rate = book.add_format({"num_format": "0.0%"})
        self.label = book.add_format({"bold": True})


def _write_cell(sheet: Any, row: int, col: int, kind: CellKind, value: Any, f: _Formats) -> None:
    if value is None or value == "":
        return  # an empty cell, not an empty string
    if kind == CellKind.TIME:
        sheet.write_datetime(row, col, to_uk(value).replace(tzinfo=None), f.time)
    elif kind == CellKind.DATE:
        day = to_uk(value).date() if isinstance(value, datetime) else value
        sheet.write_datetime(row, col, datetime(day.year, day.month, day.day), f.date)
    elif kind == CellKind.WHOLE:
        sheet.write_number(row, col, int(value))
    elif kind == CellKind.HOURS:
        sheet.write_number(row, col, float(value), f.hours)
    elif kind == CellKind.RATE:
        sheet.write_number(row, col, float(value), f.rate)
    elif kind == CellKind.YES_NO:
        sheet.write_boolean(row, col, bool(value))
    else:
        sheet.write_string(row, col, value if isinstance(value, str) else str(value))


def _fill(
    book: Any, sheets: Sequence[Sheet], about: Sequence[tuple[str, str]], counts: list[int]
) -> None:
    """Write every table, then the "About" sheet; ``counts`` gets each table's row count."""
    title = dict(about).get("What", "Followup export")
    book.set_properties({"title": title, "comments": "; ".join(f"{k}: {v}" for k, v in about)})
    f = _Formats(book)
    for table in sheets:
        sheet = book.add_worksheet(table.name[:_SHEET_NAME_LIMIT])
        kinds = [c.kind for c in table.columns]
        for col, column in enumerate(table.columns):
            sheet.set_column(col, col, column.width)
            sheet.write_string(0, col, column.heading, f.heading)
        count = 0
        for count, values in enumerate(table.rows, start=1):
            if count > XLSX_ROW_LIMIT:
                raise FollowupError(
                    f"More than {XLSX_ROW_LIMIT:,} rows will not fit in a spreadsheet; "
                    "choose a shorter period, or export CSV for another program."
                )
            for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
                _write_cell(sheet, count, col, kind, value, f)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(count, 1), len(table.columns) - 1)
        counts.append(count)
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 70)
    for row, (label, text) in enumerate(about):
        sheet.write_string(row, 0, label, f.label)
        sheet.write_string(row, 1, text)


def write_xlsx(target: Path, sheets: Sequence[Sheet], about: Sequence[tuple[str, str]]) -> int:
    """A workbook of typed cells, one worksheet per table and an "About" sheet last; written
    whole or not at all. Returns the number of rows in the first table."""
    counts: list[int] = []

    def write(fh: IO[bytes]) -> None:
        book = xlsxwriter.Workbook(
            fh,
            {
                # Rows are written in order and never held: a 100,000-case list stays small.
                "constant_memory": True,
                # Belt and braces: every text cell is written with write_string anyway.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        try:
            _fill(book, sheets, about, counts)
        finally:
            book.close()  # also on a refusal: its temporary files are closed, the file dropped

    write_atomically(target, write, binary=True)
    return counts[0] if counts else 0
