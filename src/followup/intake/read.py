"""Reading police referral files: CSV or JSON, streamed row by row with bounded memory.

Encodings: UTF-8 with or without a byte-order mark, else Windows-1252 (Excel's UK default).
The whole file is first checked as strict UTF-8 in chunks; only if that fails is it read as
Windows-1252, so a £, – or ë is never mangled. Column names match case-insensitively, with
spaces, hyphens and underscores treated alike; unknown columns are passed on as extras.

Row numbers are the rows a spreadsheet shows: for CSV the header is row 1 and the first record
row 2 (a record with a quoted line break is still one row; blank rows count but are skipped).
For JSON, the object at 1-based position N of the array is reported as row N + 1, as if the
field names were a header row.

Every problem that makes a file unusable raises ``FollowupError`` with one plain sentence that
names no cell values (the first row might be personal data, not a header).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followup.errors import FollowupError

__all__ = [
    "KNOWN_FIELDS",
    "NAME_COLUMNS",
    "REQUIRED_COLUMNS",
    "RawRow",
    "ReferralFile",
    "clean_cell",
    "header_key",
    "open_referral_file",
]

KNOWN_FIELDS = (
    "police_reference",
    "force",
    "incident_datetime",
    "incident_location",
    "incident_postcode",
    "officer_id",
    "officer_name",
    "station",
    "naloxone_doses",
    "naloxone_product",
    "ambulance_called",
    "conveyed_to_hospital",
    "substances",
    "first_name",
    "last_name",
    "description",
    "date_of_birth",
    "gender",
    "nhs_number",
    "address",
    "postcode",
    "no_fixed_abode",
    "phone",
    "email",
    "consent_to_share",
    "notes",
)
REQUIRED_COLUMNS = ("police_reference", "incident_datetime")
NAME_COLUMNS = ("first_name", "last_name", "description")

_CHUNK = 1 << 16
# A single JSON object larger than this is not a referral; stop rather than buffer the file.
_MAX_JSON_OBJECT = 1 << 20
_HELP = "save it from the spreadsheet as CSV (UTF-8 or the default) and try again"


def header_key(name: str) -> str:
    """A column name as matched: lower case, runs of spaces, hyphens, underscores as one '_'."""
    return re.sub(r"[\s\-_]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")


def clean_cell(value: str) -> str:
    # PostgreSQL cannot store NUL characters; they are never meaningful in a referral.
    return value.replace("\x00", "").strip()


@dataclass
class RawRow:
    """One record as read: known fields by name, unknown non-empty columns as (name, value)."""

    row: int
    fields: dict[str, str]
    extras: list[tuple[str, str]] = field(default_factory=list)


def _check_text(path: Path) -> tuple[str, int]:
    """Decide the encoding (strict UTF-8, else Windows-1252) without holding the file."""
    try:
        size = path.stat().st_size
        for encoding in ("utf-8", "cp1252"):
            decoder = codecs.getincrementaldecoder(encoding)("strict")
            try:
                with path.open("rb") as fh:
                    head = fh.read(4)
                    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
                        raise FollowupError(
                            f"{path.name} is saved as UTF-16 text, which Followup does not read; "
                            f"{_HELP}."
                        )
                    fh.seek(0)
                    while chunk := fh.read(_CHUNK):
                        if b"\x00" in chunk:
                            raise FollowupError(
                                f"{path.name} is not a CSV or JSON text file (it holds binary "
                                f"data); {_HELP}."
                            )
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                return ("utf-8-sig" if encoding == "utf-8" else encoding), size
            except UnicodeDecodeError:
                continue
    except OSError as exc:
        raise FollowupError(
            f"Cannot read {path.name} ({exc.strerror or 'read error'}); check the file and its "
            "permissions."
        ) from None
    raise FollowupError(f"{path.name} is neither UTF-8 nor Windows-1252 text; {_HELP}.")


class ReferralFile:
    """An open referral file; iterate ``rows()`` once, inside a ``with`` block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise FollowupError(f"There is no file at {path}; check the name and folder.")
        if path.is_dir():
            raise FollowupError(f"{path} is a folder; give the referral file inside it.")
        self.encoding, self.size = _check_text(path)
        self._raw = path.open("rb", buffering=0)
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._raw, _CHUNK), encoding=self.encoding, newline=""
        )
        try:
            first = self._peek_first_char()
            if first is None:
                raise FollowupError(f"{path.name} is empty; there is nothing to import.")
            suffix = path.suffix.lower()
            if suffix == ".json" or (suffix not in (".csv", ".txt", ".tsv") and first in "[{"):
                self.format = "json"
                self._rows = self._json_rows()
            else:
                self.format = "csv"
                self._rows = self._csv_rows()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ReferralFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._text.close()

    def fraction_read(self) -> float:
        """How much of the file has been read so far, 0 to 1 (for a progress bar)."""
        if not self.size or self._raw.closed:
            return 1.0
        return min(1.0, self._raw.tell() / self.size)

    def rows(self) -> Iterator[RawRow]:
        return self._rows

    def _peek_first_char(self) -> str | None:
        # TextIOWrapper cannot peek; read a little, then rewind to the start.
        sample = self._text.read(4096)
        while sample and not sample.strip():
            more = self._text.read(4096)
            if not more:
                break
            sample = more
        stripped = sample.strip()
        self._text.seek(0)
        return stripped[0] if stripped else None

    # ------------------------------------------------------------------------------ CSV

    def _csv_rows(self) -> Iterator[RawRow]:
        row_number = 0
        first_line = ""
        while not first_line.strip():
            first_line = self._text.readline()
            row_number += 1
        delimiter = _pick_delimiter(first_line)
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        columns = _map_header(self.path.name, header)
        return self._csv_records(csv.reader(self._text, delimiter=delimiter), columns, row_number)

    def _csv_records(
        self, reader: Iterator[list[str]], columns: list[tuple[str, bool]], header_row: int
    ) -> Iterator[RawRow]:
        row_number = header_row
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise FollowupError(
                    f"{self.path.name} cannot be read as CSV after row {row_number} (a quote "
                    f"may not be closed, or a cell is far too long); {_HELP}."
                ) from None
            row_number += 1
            if not any(c.strip() for c in cells):
                continue
            fields: dict[str, str] = {}
            extras: list[tuple[str, str]] = []
            for index, value in enumerate(cells):
                text = clean_cell(value)
                if index < len(columns):
                    name, known = columns[index]
                    if known:
                        fields[name] = text
                    elif text:
                        extras.append((name, text))
                elif text:
                    extras.append((f"column {index + 1}", text))
            yield RawRow(row_number, fields, extras)

    # ----------------------------------------------------------------------------- JSON

    def _json_rows(self) -> Iterator[RawRow]:
        name = self.path.name
        decoder = json.JSONDecoder()
        buf, pos, eof = "", 0, False

        def fill() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            chunk = self._text.read(_CHUNK)
            if not chunk:
                eof = True
                return False
            buf = buf[pos:] + chunk
            pos = 0
            return True

        def skip_space() -> str | None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not fill():
                    return None

        not_array = f"{name} is not a list of referrals (a JSON array of objects); {_HELP}."
        if skip_space() != "[":
            raise FollowupError(not_array)
        pos += 1
        index = 0
        while True:
            ch = skip_space()
            if ch == "]":
                pos += 1
                if skip_space() is not None:
                    raise FollowupError(f"{name} has text after the end of its JSON array.")
                return
            if index > 0:
                if ch != ",":
                    raise FollowupError(
                        f"{name} is not valid JSON after object {index} (row {index + 1})."
                    )
                pos += 1
                ch = skip_space()
            if ch != "{":
                if ch is None:
                    raise FollowupError(f"{name} ends before its JSON array is closed.")
                raise FollowupError(not_array)
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError:
                    if len(buf) - pos > _MAX_JSON_OBJECT or not fill():
                        raise FollowupError(
                            f"{name} is not valid JSON in object {index + 1} (row {index + 2})."
                        ) from None
                except RecursionError:
                    raise FollowupError(
                        f"{name} nests too deeply in object {index + 1} (row {index + 2})."
                    ) from None
            pos = end
            index += 1
            yield _json_record(index + 1, obj)


def _json_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _json_record(row: int, obj: dict[str, Any]) -> RawRow:
    fields: dict[str, str] = {}
    extras: list[tuple[str, str]] = []
    for key, value in obj.items():
        name = header_key(key)
        text = clean_cell(_json_value(value))
        if name in KNOWN_FIELDS and name not in fields:
            fields[name] = text
        elif text:
            extras.append((clean_cell(key) or "unnamed field", text))
    return RawRow(row, fields, extras)


def _pick_delimiter(line: str) -> str:
    """Comma, unless the header reads better split on ';' or tab (some Excel locales)."""

    def known(delimiter: str) -> int:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(header_key(c) in KNOWN_FIELDS for c in cells)

    return max((",", ";", "\t"), key=known)


def _map_header(file_name: str, header: list[str]) -> list[tuple[str, bool]]:
    """(field name, known?) per column; refuses a header without the required columns."""
    columns: list[tuple[str, bool]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = header_key(raw)
        if key in KNOWN_FIELDS:
            if key in seen:
                raise FollowupError(
                    f"{file_name} has two {key} columns (columns {seen[key] + 1} and "
                    f"{index + 1}); remove one and try again."
                )
            seen[key] = index
            columns.append((key, True))
        else:
            columns.append((clean_cell(raw) or f"column {index + 1}", False))
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if not any(c in seen for c in NAME_COLUMNS):
        missing.append("first_name, last_name or description")
    if missing:
        raise FollowupError(
            f"{file_name} has no column for {' and none for '.join(missing)}; the first row must name the "
            "columns (police_reference, incident_datetime, first_name, last_name, description …)."
        )
    return columns


def open_referral_file(path: str | Path) -> ReferralFile:
    """Open a referral file for reading; raises ``FollowupError`` when it cannot be used."""
    return ReferralFile(Path(path))
