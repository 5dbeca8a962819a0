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
names no cell values (the first row might be personal data, not a header). A problem within
one record rejects that record only (``RawRow.problems``), and the rest of the file is read:

- a quoted cell that runs across a line break where the field cannot hold one (anything but
  notes, address and description), or a quote never closed: the record from the line where
  the quote opened is rejected, and the lines it swallowed are read again one by one (a line
  that closes the runaway quote is rejected too, so that nothing is invented from a fragment);
- a NUL character, a cell longer than ``MAX_CELL`` characters, a line longer than
  ``MAX_LINE``;
- in JSON: a field given twice (after matching names), NaN or Infinity, a name or
  description that is not text.

Each record keeps its physical line and original text, so that a rejected one can be kept in
quarantine and corrected there (``read_record`` reads the corrected text the same way).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from followup.errors import FollowupError

__all__ = [
    "KNOWN_FIELDS",
    "NAME_COLUMNS",
    "REQUIRED_COLUMNS",
    "LINE_BREAK_FIELDS",
    "MAX_CELL",
    "MAX_LINE",
    "RawRow",
    "ReferralFile",
    "clean_cell",
    "header_key",
    "open_referral_file",
    "read_record",
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
# The only fields whose text may run across lines (a quoted cell with a line break).
LINE_BREAK_FIELDS = frozenset({"notes", "address", "description"})
# A cell longer than this is not a referral's (the csv module's own limit, kept explicit).
MAX_CELL = 131_072
# A physical line longer than this is cut when read (and its record rejected).
MAX_LINE = 4 * MAX_CELL

_CHUNK = 1 << 16
# A single JSON object larger than this is not a referral; stop rather than buffer the file.
_MAX_JSON_OBJECT = 1 << 20
_HELP = "save it from the spreadsheet as CSV (UTF-8 or the default) and try again"


def header_key(name: str) -> str:
    """A column name as matched: lower case, runs of spaces, hyphens, underscores as one '_'."""
    return re.sub(r"[\s\-_]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")


def clean_cell(value: str) -> str:
    # PostgreSQL cannot store NUL characters; a cell holding one rejects its row (see above).
    return value.replace("\x00", "").strip()


def _storable(text: str) -> str:
    """The original text as it can be stored and shown: a NUL becomes U+FFFD."""
    return text.replace("\x00", "\ufffd")


@dataclass
class RawRow:
    """One record as read: known fields by name, unknown non-empty columns as (name, value).

    ``problems`` are (field, reason) pairs that reject the record; ``broken`` means its cells
    cannot be trusted at all (a quote out of place), so no rule is applied to them. ``line``
    is the physical line the record starts on (for JSON, the object's position) and ``text``
    the record as it stood in the file.
    """

    row: int
    fields: dict[str, str]
    extras: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    broken: bool = False
    line: int = 0
    text: str = ""


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
                        # One stray NUL rejects its row only; many mean binary data.
                        if chunk.count(b"\x00") * 100 > len(chunk):
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
    """An open referral file; iterate ``rows()`` once, inside a ``with`` block.

    ``header`` is the header line as it stood in a CSV file ("" for JSON), kept with a
    rejected record so that its corrected text can be read with the same columns.
    """

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
        self.header = ""
        try:
            first = self._peek_first_char()
            if first is None:
                raise FollowupError(f"{path.name} is empty; there is nothing to import.")
            suffix = path.suffix.lower()
            if suffix == ".json" or (suffix not in (".csv", ".txt", ".tsv") and first in "[{"):
                self.format = "json"
                self._rows = _json_rows(self._text, path.name)
            else:
                self.format = "csv"
                self.header, self._rows = _csv_rows(self._text, path.name)
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


# ---------------------------------------------------------------------------------- CSV


class _Lines:
    """The physical lines of a text, numbered, remembering those of the current record."""

    def __init__(self, text: TextIO, lines_before: int) -> None:
        self._text = text
        self.number = lines_before  # lines read so far
        self.kept: list[str] = []
        self.cut: list[int] = []  # lines longer than MAX_LINE, cut when read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_LINE)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
            while (more := self._text.readline(MAX_LINE)) and not more.endswith(("\n", "\r")):
                pass
            self.cut.append(self.number)
            line += "\n"
        self.kept.append(line)
        return line

    def start_record(self) -> int:
        self.kept = []
        self.cut = []
        return self.number + 1


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _csv_rows(text: TextIO, file_name: str) -> tuple[str, Iterator[RawRow]]:
    """Read the header now; return it as it stood and an iterator over the records."""
    lines_before = 0
    first_line = ""
    while not first_line.strip():
        first_line = text.readline(MAX_LINE)
        lines_before += 1
        if not first_line:
            break
    delimiter = _pick_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    columns = _map_header(file_name, header)
    reader = _CsvRecords(_Lines(text, lines_before), delimiter, columns, lines_before)
    return first_line, iter(reader)


class _CsvRecords:
    """CSV records with the checks of the module docstring; one bad record rejects itself."""

    def __init__(
        self, lines: _Lines, delimiter: str, columns: list[tuple[str, bool]], header_row: int
    ) -> None:
        self.lines = lines
        self.delimiter = delimiter
        self.columns = columns
        self.row_number = header_row
        self.reader = csv.reader(lines, delimiter=delimiter)
        # Lines swallowed by a runaway quote, read again one at a time: (line, text, opened).
        self.again: deque[tuple[int, str, int]] = deque()

    def __iter__(self) -> Iterator[RawRow]:
        while True:
            if self.again:
                yield from self._read_again()
                continue
            start = self.lines.start_record()
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error:
                yield from self._too_long(start)
                continue
            end = self.lines.number
            if not any(c.strip() for c in cells):
                self.row_number += 1  # a blank row counts, and holds nothing to lose
                continue
            if self.lines.cut:
                yield self._rejected(
                    start,
                    "line",
                    f"line {self.lines.cut[0]} is longer than {MAX_LINE:,} characters, so the "
                    "row is not read",
                )
                continue
            if end > start or (
                '"' in self.lines.kept[0] and not self._well_formed(cells)  # closed nowhere
            ):
                crossing = self._crossing(cells, start)
                if not self._well_formed(cells):
                    # A quote out of place swallowed the lines after it: read them again.
                    if crossing is None:
                        yield from self._split(
                            start,
                            end,
                            start,
                            "quotes",
                            f"the quotes from line {start} do not pair up (a quote is never "
                            "closed, or text follows a closing quote); the row is not read",
                        )
                    else:
                        opened, name = crossing
                        yield from self._split(
                            start,
                            end,
                            opened,
                            name,
                            f"a quote opened on line {opened} is not closed on that line, so "
                            f"{name} would run across line breaks (only notes, address and "
                            "description may); the row is not read",
                        )
                    continue
                if crossing is not None:
                    opened, name = crossing
                    yield self._rejected(
                        start,
                        name,
                        f"the quote opened on line {opened} holds a line break in {name} (only "
                        "notes, address and description may run across lines); the row is not "
                        "read",
                    )
                    continue
            self.row_number += 1
            yield self._record(cells, start, "".join(self.lines.kept))

    def _crossing(self, cells: list[str], start: int) -> tuple[int, str] | None:
        """(line its quote opened on, field) of the first cell that cannot hold a line break
        and does."""
        line = start
        for index, value in enumerate(cells):
            breaks = _line_breaks(value)
            if breaks and self._column(index) not in LINE_BREAK_FIELDS:
                return line, self._column(index)
            line += breaks
        return None

    def _well_formed(self, cells: list[str]) -> bool:
        """Whether a record over several lines is quoted as a writer would quote it: every
        quote closed where a cell ends. A quote out of place (or never closed) is not."""
        try:
            again = list(
                csv.reader(
                    io.StringIO("".join(self.lines.kept), newline=""),
                    delimiter=self.delimiter,
                    strict=True,
                )
            )
        except csv.Error:
            return False
        return again == [cells]

    def _column(self, index: int) -> str:
        if index < len(self.columns):
            return self.columns[index][0]
        return f"column {index + 1}"

    def _split(self, start: int, end: int, opened: int, name: str, reason: str) -> Iterator[RawRow]:
        """Reject the lines up to where the quote opened; read the rest again one by one."""
        kept = self.lines.kept
        head = opened - start + 1
        yield self._rejected(start, name, reason, text="".join(kept[:head]))
        self.again.extend(
            (start + offset, kept[offset], opened) for offset in range(head, end - start + 1)
        )

    def _too_long(self, start: int) -> Iterator[RawRow]:
        end = self.lines.number
        if end > start:
            # Runaway quote, caught by the cell limit: the rest of its lines are read again.
            yield from self._split(
                start,
                end,
                start,
                "quotes",
                f"a quoted cell opened on line {start} runs on past {MAX_CELL:,} characters "
                "(its quote is probably never closed); the row is not read",
            )
            return
        yield self._rejected(
            start,
            "cell",
            f"a cell is longer than {MAX_CELL:,} characters, so the row is not read",
        )

    def _read_again(self) -> Iterator[RawRow]:
        line, text, opened = self.again.popleft()
        self.row_number += 1
        cells = next(csv.reader([text], delimiter=self.delimiter), [])
        if text.count('"') % 2:
            self.row_number -= 1
            yield self._rejected(
                line,
                "line",
                f"this line was inside a quote opened on line {opened}, and its own quotes do "
                "not pair up; the row is not read",
                text=text,
            )
            return
        if any(c.strip() for c in cells):
            yield self._record(cells, line, text)

    def _rejected(self, line: int, name: str, reason: str, *, text: str | None = None) -> RawRow:
        self.row_number += 1
        original = "".join(self.lines.kept) if text is None else text
        return RawRow(
            self.row_number,
            {},
            problems=[(name, reason)],
            broken=True,
            line=line,
            text=_storable(original),
        )

    def _record(self, cells: list[str], line: int, original: str) -> RawRow:
        if "\x00" not in original and len(cells) <= len(self.columns):
            return self._plain_record(cells, line, original)
        fields: dict[str, str] = {}
        extras: list[tuple[str, str]] = []
        problems: list[tuple[str, str]] = []
        for index, value in enumerate(cells):
            name = self._column(index)
            if "\x00" in value:
                problems.append(
                    (name, "holds a NUL character (a byte of binary data), so the row is not read")
                )
            text = clean_cell(value)
            if index < len(self.columns):
                known = self.columns[index][1]
                if known:
                    fields[name] = text
                elif text:
                    extras.append((name, text))
            elif text:
                extras.append((name, text))
        return RawRow(
            self.row_number,
            fields,
            extras,
            problems=problems,
            line=line,
            text=_storable(original),
        )

    def _plain_record(self, cells: list[str], line: int, original: str) -> RawRow:
        """``_record`` for the usual record: no NUL anywhere, no cell beyond the header."""
        fields: dict[str, str] = {}
        extras: list[tuple[str, str]] = []
        for (name, known), value in zip(self.columns, cells, strict=False):
            text = value.strip()
            if known:
                fields[name] = text
            elif text:
                extras.append((name, text))
        return RawRow(self.row_number, fields, extras, problems=[], line=line, text=original)


# --------------------------------------------------------------------------------- JSON


class _Constant:
    """NaN, Infinity or -Infinity in a JSON file: refused wherever it stands."""

    def __init__(self, name: str) -> None:
        self.name = name


class _Object(dict[str, Any]):
    """A JSON object that remembers every key as given, duplicates included."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _refuse_constant(obj: object) -> Any:
    raise ValueError("NaN or Infinity")


def _json_rows(text: TextIO, name: str) -> Iterator[RawRow]:
    decoder = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=_Constant, strict=False)
    buf, pos, eof = "", 0, False

    def fill() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = text.read(_CHUNK)
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
        original = buf[pos:end]
        pos = end
        index += 1
        yield _json_record(index + 1, obj, index, original)


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
    return json.dumps(value, ensure_ascii=False, default=_refuse_constant)


def _json_record(row: int, obj: _Object, position: int, original: str) -> RawRow:
    fields: dict[str, str] = {}
    extras: list[tuple[str, str]] = []
    problems: list[tuple[str, str]] = []
    given: dict[str, int] = {}
    for key, _ in obj.pairs:
        given[header_key(key)] = given.get(header_key(key), 0) + 1
    reported: set[str] = set()
    for key, value in obj.pairs:
        name = header_key(key)
        shown = name if name in KNOWN_FIELDS else (clean_cell(key) or "unnamed field")
        if given[name] > 1:
            if name not in reported:
                reported.add(name)
                problems.append(
                    (shown, f"{shown} is given {given[name]} times in this object; keep one")
                )
            continue
        if isinstance(value, _Constant):
            problems.append((shown, f"{value.name} is not a value; give text or a number"))
            continue
        if name in NAME_COLUMNS and value is not None and not isinstance(value, str):
            problems.append((shown, "must be text in quotes, not a number, true/false or a list"))
            continue
        try:
            raw = _json_value(value)
        except ValueError:
            problems.append((shown, "holds NaN or Infinity, which is not a value"))
            continue
        if "\x00" in raw:
            problems.append(
                (shown, "holds a NUL character (a byte of binary data), so the row is not read")
            )
        if len(raw) > MAX_CELL:
            problems.append(
                (shown, f"is longer than {MAX_CELL:,} characters, so the row is not read")
            )
            continue
        text = clean_cell(raw)
        if name in KNOWN_FIELDS:
            fields[name] = text
        elif text:
            extras.append((shown, text))
    return RawRow(row, fields, extras, problems=problems, line=position, text=_storable(original))


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


def read_record(file_format: str, header: str, text: str, row: int, file_name: str) -> RawRow:
    """One record from its (corrected) text, read as the file was: same columns, same checks.

    Raises ``FollowupError`` when the text is not one record.
    """
    if file_format == "json":
        records = list(_json_rows(io.StringIO("[" + text + "]"), file_name))
    else:
        body = text if text.endswith(("\n", "\r")) else text + "\n"
        _, rows = _csv_rows(io.StringIO(header + body, newline=""), file_name)
        records = list(rows)
    if len(records) != 1:
        raise FollowupError(
            "The corrected text must hold exactly one referral; "
            + ("it holds none." if not records else f"it holds {len(records)}.")
        )
    record = records[0]
    record.row = row
    return record


def open_referral_file(path: str | Path) -> ReferralFile:
    """Open a referral file for reading; raises ``FollowupError`` when it cannot be used."""
    return ReferralFile(Path(path))
