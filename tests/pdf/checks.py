"""The checks every PDF Followup makes must pass, as one function a test applies to each kind.

- every font is embedded (a font program in its descriptor; the PDF base fonts are not);
- `qpdf --check` finds nothing wrong (when qpdf is installed; CI installs it);
- nothing is drawn outside the page: every character lies at least ``EDGE_MM`` inside it, so
  no table column runs off the edge;
- the metadata (the document information and any XMP) holds none of the given personal values.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTComponent, LTContainer
from pypdf import PdfReader
from reportlab.lib.units import mm

EDGE_MM = 5


def qpdf_program() -> str | None:
    """The qpdf program, or a skip with the reason; CI (FOLLOWUP_REQUIRE_QPDF) must have it."""
    program = shutil.which("qpdf")
    if program is None:
        if os.environ.get("FOLLOWUP_REQUIRE_QPDF"):
            pytest.fail("FOLLOWUP_REQUIRE_QPDF is set but qpdf is not installed")
        return None
    return program


def unembedded_fonts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    missing: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font", {}) if resources else {}
        for ref in fonts.values():
            font = ref.get_object()
            faces = [font]
            if font.get("/Subtype") == "/Type0":
                faces = [d.get_object() for d in font["/DescendantFonts"]]
            for face in faces:
                descriptor = face.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(font.get("/BaseFont")))
    return sorted(missing)


def qpdf_problems(pdf: bytes) -> list[str]:
    program = qpdf_program()
    if program is None:
        return []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "check.pdf"
        path.write_bytes(pdf)
        run = subprocess.run(
            [program, "--check", str(path)], capture_output=True, text=True, check=False
        )
    if run.returncode != 0 or "No syntax or stream encoding errors" not in run.stdout:
        return [f"qpdf --check: exit {run.returncode}: {run.stdout[-400:]}{run.stderr[-400:]}"]
    return []


def _chars(item: LTComponent) -> Iterable[LTChar]:
    if isinstance(item, LTChar):
        yield item
    elif isinstance(item, LTContainer):
        for child in item:
            yield from _chars(child)


def off_page_text(pdf: bytes) -> list[str]:
    """Characters drawn within EDGE_MM of a page's edge or beyond it: 'page N: text'."""
    found = []
    for number, page in enumerate(extract_pages(io.BytesIO(pdf)), start=1):
        edge = EDGE_MM * mm
        x0, y0, x1, y1 = page.bbox
        outside = [
            c.get_text()
            for c in _chars(page)
            if c.get_text().strip()
            and (c.x0 < x0 + edge or c.x1 > x1 - edge or c.y0 < y0 + edge or c.y1 > y1 - edge)
        ]
        if outside:
            found.append(f"page {number}: {''.join(outside)[:80]!r}")
    return found


def personal_metadata(pdf: bytes, personal: Iterable[str]) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    values = [str(v) for v in (reader.metadata or {}).values()]
    xmp = reader.trailer["/Root"].get("/Metadata")
    if xmp is not None:
        values.append(xmp.get_object().get_data().decode("utf-8", "replace"))
    text = "\n".join(values).casefold()
    return [p for p in personal if p and p.casefold() in text]


def pdf_problems(pdf: bytes, personal: Iterable[str] = ()) -> list[str]:
    """Every way ``pdf`` fails the checks above, as sentences; empty when it passes."""
    problems = [f"font not embedded: {f}" for f in unembedded_fonts(pdf)]
    problems += qpdf_problems(pdf)
    problems += [f"drawn off the page: {t}" for t in off_page_text(pdf)]
    problems += [f"personal data in the metadata: {p}" for p in personal_metadata(pdf, personal)]
    return problems
