"""The readable PDF of a subject access pack: a cover with the dates, then one section per
kind of record, as tables.

Everything is drawn as literal text in DejaVu Sans (embedded), wrapped by
``followup.pdf.text.wrap``: no text from the database ever passes through ReportLab's
paragraph markup, so a note reading ``<b>`` prints as typed. Every page carries
"page N of M", so the person can see that nothing is missing. A very long cell (a long note)
continues on further rows rather than overflowing the page.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from followup import vocab
from followup.pdf.fonts import FONT, FONT_BOLD, RENDER_LOCK, register_fonts
from followup.pdf.text import clean, visual, wrap
from followup.protection.subject_access.model import SECTIONS, SubjectAccessPack
from followup.uktime import short_date, short_date_time
from followup.validation import display_phone

__all__ = ["field_label", "fields_table", "render_subject_access_pdf", "show", "story", "table"]

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
SIZE, LEADING, PAD = 8.0, 10.0, 3.0
MAX_CELL_LINES = 40  # a cell longer than this continues on the next row

# Stored values shown with their vocabulary label ("in_treatment" → "In treatment").
VOCAB_KEYS = frozenset(
    {
        "status",
        "from_status",
        "to_status",
        "closure_reason",
        "gender",
        "scope",
        "state",
        "method",
        "outcome",
        "template",
        "kit_type",
        "recipient",
        "supply_type",
        "resupply_reason",
        "exit_reason",
        "consent_at_scene",
        "action",
        "traceability",
        "no_contact_reason",
    }
)
FIELD_LABELS = {
    "nhs_number": "NHS number",
    "gp_practice": "GP practice",
    "id": "Record number",
    "person_id": "Person number",
    "case_id": "Case number",
    "merged_into_id": "Merged into",
    "no_fixed_abode": "No fixed abode",
    "officer_id": "Officer number",
    "sha256": "SHA-256 of the PDF",
}


def show(key: str, value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return short_date_time(value)
    if isinstance(value, date):
        return short_date(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if key == "phone":
        shown = display_phone(str(value))
        return f"{shown} ({value})" if shown != value else str(value)
    if key in VOCAB_KEYS:
        return vocab.label(str(value))
    return str(value)


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


class Text(Flowable):  # type: ignore[misc]  # ReportLab has no type hints
    """Literal text, wrapped to the frame; never parsed as markup."""

    def __init__(self, text: str, size: float = SIZE, bold: bool = False, after: float = 2.0):
        super().__init__()
        self.text, self.size, self.bold, self.after = clean(text), size, bold, after
        self.lines: list[str] = []

    @property
    def font(self) -> str:
        return FONT_BOLD if self.bold else FONT

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.lines = [
            line
            for part in self.text.split("\n")
            for line in wrap(part, self.font, self.size, avail_width)
        ]
        return avail_width, len(self.lines) * self.size * 1.25 + self.after

    def draw(self) -> None:
        self.canv.setFont(self.font, self.size)
        y = len(self.lines) * self.size * 1.25 - self.size
        for line in self.lines:
            self.canv.drawString(0, y + self.after, visual(line))
            y -= self.size * 1.25


def _cell_lines(text: str, width: float, font: str = FONT) -> list[str]:
    return [
        visual(line)
        for part in clean(text).split("\n")
        for line in wrap(part, font, SIZE, width - 2 * PAD)
    ]


def table(
    headers: Sequence[str] | None, rows: Sequence[Sequence[str]], widths_mm: Sequence[float]
) -> Table:
    """A table of literal text (with a header row unless None); long cells continue on
    following rows."""
    widths = [w * mm for w in widths_mm]
    data: list[list[str]] = []
    if headers:
        data.append(
            ["\n".join(_cell_lines(h, w, FONT_BOLD)) for h, w in zip(headers, widths, strict=True)]
        )
    for row in rows:
        cells = [_cell_lines(text, w) for text, w in zip(row, widths, strict=True)]
        height = max(len(c) for c in cells)
        for start in range(0, max(height, 1), MAX_CELL_LINES):
            data.append(["\n".join(c[start : start + MAX_CELL_LINES]) for c in cells])
    t = Table(data, colWidths=widths, repeatRows=1 if headers else 0, hAlign="LEFT")
    header_style = (
        [
            ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
        ]
        if headers
        else []
    )
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                *header_style,
                ("FONTSIZE", (0, 0), (-1, -1), SIZE),
                ("LEADING", (0, 0), (-1, -1), LEADING),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    return t


def fields_table(record: dict[str, Any], skip: tuple[str, ...] = ()) -> Table:
    """One record as two columns: field and value."""
    rows = [(field_label(k), show(k, v)) for k, v in record.items() if k not in skip]
    return table(("Field", "Value"), rows, (50, 130))


Column = tuple[str, Callable[[dict[str, Any]], str], float]


def _col(header: str, key: str, width: float) -> Column:
    return header, lambda r: show(key, r.get(key)), width


COLUMNS: dict[str, tuple[Column, ...]] = {
    "status_changes": (
        _col("When", "changed_at", 28),
        _col("Case", "case_id", 14),
        _col("From", "from_status", 24),
        _col("To", "to_status", 24),
        _col("By", "changed_by", 34),
        _col("Reason", "reason", 56),
    ),
    "consents": (
        _col("Recorded", "recorded_at", 26),
        _col("Scope", "scope", 28),
        _col("State", "state", 18),
        _col("How", "method", 28),
        ("By", lambda r: show("", r.get("recorded_by") or r.get("source")), 30),
        _col("Expires", "expires_on", 18),
        _col("Evidence", "evidence", 32),
    ),
    "contact_attempts": (
        _col("When", "attempted_at", 26),
        _col("Case", "case_id", 12),
        _col("Method", "method", 26),
        _col("Outcome", "outcome", 28),
        _col("Worker", "worker", 30),
        _col("Notes", "notes", 58),
    ),
    "treatment_referrals": (
        _col("Service", "service", 36),
        _col("Referred", "referred_on", 19),
        _col("Assessment booked", "assessment_booked_for", 27),
        _col("Attended", "assessment_attended", 17),
        _col("Started", "treatment_started_on", 19),
        _col("Left", "exit_on", 19),
        _col("Reason for leaving", "exit_reason", 43),
    ),
    "naloxone_kits": (
        _col("Supplied", "supplied_on", 19),
        _col("Kit", "kit_type", 19),
        _col("Qty", "quantity", 10),
        _col("To", "recipient", 19),
        _col("New or resupply", "supply_type", 20),
        _col("Resupply reason", "resupply_reason", 24),
        _col("Training", "training_given", 17),
        _col("Batch", "batch_number", 30),
        _col("Expires", "expires_on", 22),
    ),
    "case_notes": (
        _col("Written", "written_at", 26),
        _col("Case", "case_id", 12),
        _col("By", "author", 30),
        _col("Note", "text", 112),
    ),
    "person_changes": (
        _col("When", "changed_at", 26),
        ("Detail", lambda r: field_label(str(r.get("field") or "")), 30),
        ("From", lambda r: _stored(r, "before"), 46),
        ("To", lambda r: _stored(r, "after"), 46),
        _col("By", "changed_by", 32),
    ),
    "letters": (
        _col("Created", "created_at", 26),
        _col("Case", "case_id", 12),
        _col("Letter", "template", 30),
        _col("Author", "author", 28),
        _col("SHA-256 of the PDF", "sha256", 36),
        (
            "Printed",
            lambda r: (
                "\n".join(
                    f"{show('', p.get('printed_at'))} by {p.get('printed_by') or '-'}"
                    for p in r.get("prints", ())
                )
                or "Not printed"
            ),
            26,
        ),
        _col("File", "file", 22),
    ),
    "record_views": (
        _col("When", "at", 32),
        _col("Who", "user", 50),
        _col("Login name", "username", 35),
        ("What was viewed", lambda r: f"{r.get('entity') or ''} {r.get('entity_id') or ''}", 63),
    ),
    "other_audit_events": (
        _col("When", "at", 26),
        _col("Who", "user", 32),
        _col("Action", "action", 18),
        ("Record", lambda r: f"{r.get('entity') or ''} {r.get('entity_id') or ''}", 30),
        _col("Details", "details", 74),
    ),
}

INTRO = {
    "referrals": "Each incident passed on by the police, as received.",
    "cases": "Each follow-up episode opened for you.",
    "letters": "A copy of each letter is supplied as a PDF file with this pack; the SHA-256 "
    "fingerprint shows the copy is the letter that was stored.",
    "record_views": "Every time a member of staff opened your record or one of your letters.",
    "other_audit_events": "Everything else recorded in the audit trail about your record: "
    "what was created, changed, printed or exported, by whom and when.",
}


def _stored(record: dict[str, Any], key: str) -> str:
    """A person's detail as a change kept it (JSON text), as a person reads it."""
    raw = record.get(key)
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        value = raw
    return show(str(record.get("field") or ""), value)


def _marked(record: dict[str, Any], cell: str) -> str:
    """The first cell of a corrected entry, marked so that nobody reads it as current."""
    if not record.get("voided_at"):
        return cell
    return f"[CORRECTED] {cell}"


def _corrections(key: str, records: tuple[dict[str, Any], ...]) -> list[Flowable]:
    """One sentence per corrected entry of a section: who, when, why, and what replaced it."""
    by_amends = {r.get("amends_id"): r.get("id") for r in records if r.get("amends_id")}
    lines: list[Flowable] = []
    for r in records:
        if not r.get("voided_at"):
            continue
        who = r.get("voided_by") or "a member of staff"
        on = show("", r.get("voided_at"))
        replacement = by_amends.get(r.get("id"))
        what = (
            f"amended by {who} on {on} (replaced by record {replacement})"
            if replacement
            else f"marked entered in error by {who} on {on}"
        )
        lines.append(
            Text(f"Record {r.get('id')} was {what}: {r.get('void_reason') or ''}", after=1)
        )
    if lines:
        lines.insert(
            0,
            Text(
                "Entries marked [CORRECTED] were later found wrong; they are kept, as they "
                "were, and no longer count:",
                after=2,
            ),
        )
    return lines


def _section(key: str, title: str, pack: SubjectAccessPack) -> list[Flowable]:
    records = pack.sections.get(key, ())
    story: list[Flowable] = [
        CondPageBreak(45 * mm),
        Spacer(1, 4 * mm),
        Text(f"{title} ({len(records)})", 12, True, 4),
    ]
    if key in INTRO:
        story.append(Text(INTRO[key], after=4))
    if not records:
        story.append(Text("None recorded."))
        return story
    if key in COLUMNS:
        cols = COLUMNS[key]
        story.append(
            table(
                [c[0] for c in cols],
                [
                    [_marked(r, c[1](r)) if i == 0 else c[1](r) for i, c in enumerate(cols)]
                    for r in records
                ],
                [c[2] for c in cols],
            )
        )
        story += _corrections(key, records)
        return story
    for r in records:  # referrals and cases: too many fields for columns
        heading = (
            f"Police referral {r.get('police_reference', '')}"
            if key == "referrals"
            else f"Case {r.get('id')}, police reference {r.get('police_reference', '')}"
        )
        story.append(KeepTogether([Text(heading, 9, True, 3), fields_table(r, skip=("warnings",))]))
        for w in r.get("warnings", ()):
            story.append(Text(f"Left out at intake: {w['field']} (row {w['row']}): {w['reason']}"))
        story.append(Spacer(1, 3 * mm))
    return story


def _cover(pack: SubjectAccessPack) -> list[Flowable]:
    made = short_date_time(pack.made_at)
    story: list[Flowable] = [
        Text("Subject access request: the information we hold about you", 16, True, 8),
        Text(f"Person: {pack.person_name}", 12, True, 2),
        Text(f"Our record number: {pack.person_id}", 10, after=8),
        table(
            None,
            [
                ("Request received", short_date(pack.requested_on)),
                ("Response due by", f"{short_date(pack.respond_by)} (one calendar month)"),
                ("This pack made", f"{made} (UK time) by {pack.made_by}"),
            ],
            (50, 130),
        ),
        Spacer(1, 6 * mm),
        Text(
            "This pack contains every record held about you in Followup, the case-management "
            "system of the post-overdose follow-up service. The same information is supplied "
            "as a JSON file for use by a computer, and each letter as a PDF file.",
            9,
            after=4,
        ),
        Text("Contents", 11, True, 3),
        table(
            ("Section", "Records"),
            [
                ("Personal details", "1"),
                *(("Earlier records merged into yours", str(len(pack.merged_records))),),
            ]
            + [(title, str(pack.count(key))) for key, title in SECTIONS],
            (150, 30),
        ),
    ]
    return story


def story(pack: SubjectAccessPack) -> list[Flowable]:
    parts = _cover(pack)
    parts += [
        CondPageBreak(60 * mm),
        Spacer(1, 8 * mm),
        Text("Personal details", 12, True, 4),
        fields_table(pack.person),
    ]
    for record in pack.merged_records:
        parts += [
            Spacer(1, 3 * mm),
            Text(f"Earlier record {record.get('id')}, merged into yours", 9, True, 3),
            fields_table(record),
        ]
    for key, title in SECTIONS:
        parts += _section(key, title, pack)
    return parts


def _numbered_canvas(footer: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type hints
        """Holds each page until the end, to write "page N of M" on every one."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.drawString(MARGIN, 9 * mm, visual(footer))
                self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {number} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def render_subject_access_pdf(pack: SubjectAccessPack) -> bytes:
    """The pack as the bytes of a PDF."""
    register_fonts()
    buffer = io.BytesIO()
    footer = (
        f"Subject access pack, record {pack.person_id}; made {short_date_time(pack.made_at)}; "
        f"response due by {short_date(pack.respond_by)}"
    )
    # Nothing about the person goes in the document's properties.
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=16 * mm,
        title="Subject access pack",
        author="",
        subject="",
        creator="Followup",
        initialFontName=FONT,  # the canvas's first font too: Helvetica would not be embedded
    )
    with RENDER_LOCK:
        doc.build(story(pack), canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()
