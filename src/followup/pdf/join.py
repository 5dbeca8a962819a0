"""Many small PDFs joined into one, fast, with the objects they share written once.

The letters of a batch are drawn once, each into its own PDF (the stored record of what was
sent), and the print job is those PDFs joined. A general joiner (pypdf) parses every object of
every file into Python objects and takes longer than drawing the letters did; and copied as
they are, 500 letters carry 500 copies of the same font subsets and logo (about 40 MB instead
of 1 MB). The PDFs ReportLab writes are plain: a classic cross-reference table, one flat page
tree, references only in dictionaries, streams with their length. This joiner reads just that
structure: each object is taken as its bytes, its references renumbered, and an object whose
bytes (after renumbering) are the same as one already written is written once and shared.
Page content streams are copied byte for byte, so each page shows exactly what it showed.

Anything else (compressed cross-reference streams, object streams, encryption, an inherited
page attribute, a reference cycle outside the page tree) raises ``Unsupported``, and the caller
joins those files with a general library instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Joined", "Unsupported", "join_pdfs"]

_REF = re.compile(rb"(\d+) 0 R\b")
_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")
_CATALOG, _PAGES, _INFO = 1, 2, 3


class Unsupported(ValueError):
    """A PDF this joiner does not read; join it with a general PDF library."""


@dataclass(frozen=True)
class Joined:
    """The joined PDF, its number of pages, and the page each input starts on (1-based)."""

    pdf: bytes
    pages: int
    starts: tuple[int, ...]


_KEYS = {key: re.compile(re.escape(key) + rb"\s+(\d+) 0 R") for key in (b"/Root", b"/Pages")}
_ONE_SECTION = re.compile(rb"\s*0 (\d+)[ \t]*\r?\n")


def _ref(body: bytes, key: bytes) -> int:
    found = _KEYS[key].search(body)
    if found is None:
        raise Unsupported(f"no {key.decode()} reference")
    return int(found.group(1))


def _offsets(table: bytes) -> dict[int, int]:
    """Each object's offset by number, from a classic cross-reference table's rows."""
    one = _ONE_SECTION.match(table)
    if one is not None:  # one section from object 0, as ReportLab writes it: rows in order
        rows = _XREF_ROW.findall(table, one.end())
        if len(rows) == int(one.group(1)) and not _XREF_ROW.sub(b"", table[one.end() :]).strip():
            offsets = {}
            for number, (offset, generation, kind) in enumerate(rows):
                if kind == b"n":
                    if generation != b"00000":
                        raise Unsupported("an object of a later generation")
                    offsets[number] = int(offset)
            return offsets
    offsets = {}
    number = 0
    for line in table.split(b"\n"):
        line = line.strip()
        if not line:
            continue
        row = _XREF_ROW.match(line)
        if row is None:
            try:
                first, _count = line.split()
                number = int(first)
            except ValueError as exc:
                raise Unsupported("a cross-reference table this joiner does not read") from exc
            continue
        if row.group(3) == b"n":
            if row.group(2) != b"00000":
                raise Unsupported("an object of a later generation")
            offsets[number] = int(row.group(1))
        number += 1
    return offsets


def _objects(pdf: bytes) -> tuple[dict[int, bytes], int]:
    """Each object's bytes (without ``n 0 obj`` and ``endobj``) by number, and the root's."""
    at = pdf.rfind(b"startxref")
    if at < 0 or not pdf.startswith(b"%PDF-"):
        raise Unsupported("not a PDF")
    try:
        xref = int(pdf[at + 9 :].split(None, 1)[0])
    except (ValueError, IndexError) as exc:
        raise Unsupported("no cross-reference offset") from exc
    if not pdf.startswith(b"xref", xref):
        raise Unsupported("a cross-reference stream")
    trailer_at = pdf.find(b"trailer", xref)
    if trailer_at < 0:
        raise Unsupported("no trailer")
    trailer = pdf[trailer_at:at]
    if b"/Encrypt" in trailer or b"/Prev" in trailer:
        raise Unsupported("encrypted or updated")
    ordered = sorted(_offsets(pdf[xref + 4 : trailer_at]).items(), key=lambda item: item[1])
    objects: dict[int, bytes] = {}
    for i, (num, start) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else xref
        head = b"%d 0 obj" % num
        if not pdf.startswith(head, start):
            raise Unsupported("an offset that misses its object")
        body_at = start + len(head)
        close = pdf.rfind(b"endobj", body_at, end)
        if close < 0 or pdf[close + 6 : end].strip():
            raise Unsupported("an object that does not end")
        objects[num] = pdf[body_at:close]  # the one copy of the object's bytes
    return objects, _ref(trailer, b"/Root")


class _Writer:
    def __init__(self) -> None:
        self.bodies: list[bytes] = [b"", b"", b""]  # the catalog, page tree and info
        self.shared: dict[bytes, int] = {}
        self.kids: list[int] = []

    def add(self, body: bytes, *, share: bool = True) -> int:
        if share:
            known = self.shared.get(body)
            if known is not None:
                return known
        self.bodies.append(body)
        number = len(self.bodies)
        if share:
            self.shared[body] = number
        return number

    def join(self, pdf: bytes) -> int:
        """Add the pages of one PDF; returns how many."""
        objects, root = _objects(pdf)
        tree = _ref(objects[root], b"/Pages")
        pages_body = objects[tree]
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", pages_body)
        if kids is None or any(key in pages_body for key in _INHERITED):
            raise Unsupported("a page tree this joiner does not read")
        pages = [int(n) for n in _REF.findall(kids.group(1))]
        numbers: dict[int, int] = {tree: _PAGES}
        busy = set(pages) | {root}

        def renumber(match: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % number_of(int(match.group(1)))

        def number_of(old: int) -> int:
            known = numbers.get(old)
            if known is not None:
                return known
            if old in busy or old not in objects:
                raise Unsupported("a reference cycle or a missing object")
            busy.add(old)
            body = objects[old]
            split = body.find(b"\nstream")
            head = body if split < 0 else body[:split]
            if b" R" in head:  # a stream's own bytes are never renumbered
                head = _REF.sub(renumber, head)
                body = head if split < 0 else head + body[split:]
            new = self.add(body)
            numbers[old] = new
            return new

        for page in pages:
            body = objects.get(page)
            if body is None or b"/Type /Pages" in body or b"/Type /Page" not in body:
                raise Unsupported("a nested page tree")
            self.kids.append(self.add(_REF.sub(renumber, body), share=False))
        return len(pages)

    def blank(self, width: float, height: float) -> None:
        self.kids.append(
            self.add(
                b"\n<< /Type /Page /Parent %d 0 R /MediaBox [ 0 0 %s %s ] /Resources << >> >>\n"
                % (_PAGES, _number(width), _number(height)),
                share=False,
            )
        )

    def output(self, title: str, creator: str, keywords: str = "") -> bytes:
        self.bodies[_CATALOG - 1] = b"\n<< /Type /Catalog /Pages %d 0 R >>\n" % _PAGES
        self.bodies[_PAGES - 1] = b"\n<< /Type /Pages /Count %d /Kids [ %s ] >>\n" % (
            len(self.kids),
            b" ".join(b"%d 0 R" % k for k in self.kids),
        )
        self.bodies[_INFO - 1] = b"\n<< /Title %s /Creator %s /Producer %s%s >>\n" % (
            _string(title),
            _string(creator),
            _string(creator),
            b" /Keywords " + _string(keywords) if keywords else b"",
        )
        parts = [b"%PDF-1.4\n%\x93\x8c\x8b\x9e\n"]
        size = len(parts[0])
        offsets = []
        for number, body in enumerate(self.bodies, start=1):
            offsets.append(size)
            chunk = b"%d 0 obj%sendobj\n" % (number, body)
            parts.append(chunk)
            size += len(chunk)
        parts.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.bodies) + 1))
        parts.append(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        parts.append(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.bodies) + 1, _CATALOG, _INFO, size)
        )
        return b"".join(parts)


def _number(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def _string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def join_pdfs(
    pdfs: Sequence[bytes],
    *,
    blank_after_odd: tuple[float, float] | None = None,
    title: str = "",
    creator: str = "",
    keywords: str = "",
) -> Joined:
    """The pages of ``pdfs`` in order, in one PDF; objects the same in several written once.

    With ``blank_after_odd`` (a page's width and height, in points) an input with an odd
    number of pages is followed by a blank page of that size, so each input starts on the
    front of a sheet when printed double-sided. Raises ``Unsupported`` for a PDF it does not
    read (see the module docstring).
    """
    writer = _Writer()
    starts = []
    for pdf in pdfs:
        starts.append(len(writer.kids) + 1)
        writer.join(pdf)
        if blank_after_odd is not None and len(writer.kids) % 2:
            writer.blank(*blank_after_odd)
    return Joined(writer.output(title, creator, keywords), len(writer.kids), tuple(starts))
