"""Rejected referrals kept in quarantine: a team lead corrects and imports them, or dismisses them.

Every row an import rejects is kept (``quarantined_row``) with its original text, the file
it came from, its row and line, and every reason. It stays until a lead either corrects the
text and imports it, through the same reading and rules as a file (``read.read_record``,
``importer.import_rows``), or dismisses it with a reason. Both are audited, and so is each
look at the list (it shows the original text, which is personal data). The retention run
removes quarantined rows once the retention period has passed since they were received or
decided (``protection.retention.forget_old_quarantine``).

Leads only: a worker's import adds rows here, but only a lead may read them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.engine import Database
from followup.db.models import QuarantinedRow, Referral, table_of
from followup.errors import NotFound, RuleViolation
from followup.intake.importer import ImportSummary, import_rows
from followup.intake.read import read_record
from followup.vocab import AuditAction, QuarantineState

__all__ = [
    "ENTITY",
    "PERMISSION",
    "CorrectionResult",
    "QuarantineItem",
    "dismiss",
    "import_corrected",
    "load_pending",
    "pending",
]

log = logging.getLogger(__name__)

ENTITY = "quarantined_row"
# Who may read, correct, import and dismiss rejected referrals: team leads.
PERMISSION = "view_all_cases"
MAX_REASON = 1000


@dataclass(frozen=True)
class QuarantineItem:
    """One rejected referral as a lead sees it."""

    id: int
    source_file: str
    file_format: str
    row_number: int
    line_number: int
    header: str
    original: str
    reasons: tuple[tuple[str, str], ...]  # (field, reason)
    received_at: datetime
    state: str

    @property
    def reasons_text(self) -> str:
        return "; ".join(f"{name}: {reason}" for name, reason in self.reasons)


@dataclass(frozen=True)
class CorrectionResult:
    """What importing a corrected row did: imported, still rejected, or already stored."""

    summary: ImportSummary
    referral_id: int | None = None

    @property
    def imported(self) -> bool:
        return self.referral_id is not None

    def describe(self) -> str:
        s = self.summary
        if self.imported:
            return "Imported: the corrected referral is stored and its case is in the inbox."
        if s.duplicates:
            return (
                "Not imported: a referral with this force and police reference is already "
                "stored. Dismiss this row if it is the same referral."
            )
        reasons = "; ".join(f"{p.field}: {p.reason}" for p in s.rejected)
        return f"Not imported; still to correct: {reasons}."


def _item(row: QuarantinedRow) -> QuarantineItem:
    try:
        reasons = tuple((str(r["field"]), str(r["reason"])) for r in json.loads(row.reasons))
    except (ValueError, TypeError, KeyError):
        reasons = (("row", "rejected"),)
    return QuarantineItem(
        id=row.id,
        source_file=row.source_file,
        file_format=row.file_format,
        row_number=row.row_number,
        line_number=row.line_number,
        header=row.header,
        original=row.original,
        reasons=reasons,
        received_at=row.received_at,
        state=row.state,
    )


def pending(session: Session, actor: Actor) -> list[QuarantineItem]:
    """Rejected referrals waiting for a decision, oldest first (``load_pending`` audits it)."""
    require(actor, PERMISSION)
    rows = session.scalars(
        select(QuarantinedRow)
        .where(QuarantinedRow.state == QuarantineState.PENDING)
        .order_by(QuarantinedRow.received_at, QuarantinedRow.id)
    ).all()
    return [_item(r) for r in rows]


def load_pending(db: Database, actor: Actor) -> list[QuarantineItem]:
    """The rejected referrals a lead looks at, and the look audited, in two transactions.

    The audit is written in a transaction of its own that starts with the write: on SQLite a
    transaction that reads and then writes cannot wait for another writer.
    """
    with db.session() as s:
        items = pending(s, actor)
    with db.session() as s:
        audit.record(s, actor.id, AuditAction.VIEW, ENTITY, None, {"rows": len(items)})
    return items


def _claim(session: Session, item_id: int, values: dict[str, Any]) -> QuarantinedRow:
    """Decide a pending row, starting the transaction with the write (on SQLite one that
    starts by reading could not wait for another writer); refuses a row no longer pending."""
    t = table_of(QuarantinedRow)
    done = session.execute(
        update(t).where(t.c.id == item_id, t.c.state == QuarantineState.PENDING).values(**values)
    )
    row = session.get(QuarantinedRow, item_id)
    if row is None:
        raise NotFound("That rejected referral is no longer kept (removed by retention).")
    if not getattr(done, "rowcount", 0):
        raise RuleViolation(f"That rejected referral was {row.state} already; nothing changed.")
    session.refresh(row)
    return row


def import_corrected(
    session: Session, actor: Actor, item_id: int, text: str, now: datetime | None = None
) -> CorrectionResult:
    """Read the corrected text as its file was read and import it; the row is then marked
    imported. When the text is still rejected (or already stored) nothing is written."""
    require(actor, PERMISSION)
    require(actor, "import")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    row = _claim(
        session,
        item_id,
        {"state": QuarantineState.IMPORTED, "decided_at": now, "decided_by_id": actor.id},
    )
    try:
        raw = read_record(row.file_format, row.header, text, row.row_number, row.source_file)
        summary = import_rows(session, actor, row.source_file, [raw], now)
    except BaseException:
        session.rollback()
        raise
    if summary.imported != 1:
        session.rollback()  # still rejected, or already stored: nothing is written
        return CorrectionResult(summary)
    case_ids = summary.cases_created or summary.cases_attached
    referral_id = session.scalar(
        select(func.max(Referral.id)).where(Referral.case_id.in_(case_ids))
    )
    t = table_of(QuarantinedRow)
    session.execute(update(t).where(t.c.id == item_id).values(referral_id=referral_id))
    audit.record(
        session,
        actor.id,
        AuditAction.IMPORT,
        ENTITY,
        item_id,
        {
            "file": row.source_file,
            "row": row.row_number,
            "referral_id": referral_id,
            "corrected": text.strip() != row.original.strip(),
            "state": [QuarantineState.PENDING, QuarantineState.IMPORTED],
        },
    )
    log.info("A quarantined referral row was corrected and imported")
    return CorrectionResult(summary, referral_id)


def dismiss(
    session: Session, actor: Actor, item_id: int, reason: str, now: datetime | None = None
) -> None:
    """Set a rejected referral aside for good, saying why; audited (the reason stays on the
    row, which retention removes, not in the audit trail)."""
    require(actor, PERMISSION)
    why = " ".join(reason.split())
    if not why:
        raise RuleViolation("Say why this rejected referral is dismissed.")
    if len(why) > MAX_REASON:
        raise RuleViolation(f"Keep the reason to {MAX_REASON} characters.")
    row = _claim(
        session,
        item_id,
        {
            "state": QuarantineState.DISMISSED,
            "decided_at": (now or datetime.now(UTC)).astimezone(UTC),
            "decided_by_id": actor.id,
            "dismiss_reason": why,
        },
    )
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        ENTITY,
        item_id,
        {
            "file": row.source_file,
            "row": row.row_number,
            "state": [QuarantineState.PENDING, QuarantineState.DISMISSED],
        },
    )
    log.info("A quarantined referral row was dismissed")
