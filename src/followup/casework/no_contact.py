"""Closing a case without contact: the worker says why the person was never reached.

A case "never had contact" when none of its attempts (not voided, in any round) has an
outcome where the worker spoke with the person (``vocab.CONTACT_MADE_OUTCOMES``). Closing such
a case needs a no-contact reason (``vocab.NoContactReason``), and Other needs the closure note
to say what happened. The reason is kept on the case (``case_file.no_contact_reason``) and
cleared when the case is reopened; the traceability report counts closed cases by it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import vocab
from followup.db.models import ContactAttempt, not_voided
from followup.errors import RuleViolation
from followup.vocab import NoContactReason

__all__ = ["had_contact", "require_reason"]


def had_contact(session: Session, case_id: int) -> bool:
    """Whether the worker ever spoke with the person on this case (an attempt not voided)."""
    found = session.scalar(
        select(ContactAttempt.id)
        .where(
            ContactAttempt.case_id == case_id,
            ContactAttempt.outcome.in_(vocab.CONTACT_MADE_OUTCOMES),
            not_voided(ContactAttempt),
        )
        .limit(1)
    )
    return found is not None


def require_reason(
    session: Session, case_id: int, reason: str | None, note: str | None
) -> NoContactReason | None:
    """The no-contact reason to keep when closing this case (None when there was contact),
    or a refusal saying what is missing."""
    if had_contact(session, case_id):
        return None
    if not reason:
        raise RuleViolation(
            "Nobody has spoken with the person on this case; choose why contact was never "
            "made (the no-contact reason) before closing it."
        )
    if reason not in vocab.NO_CONTACT_REASONS:
        raise RuleViolation("Choose a no-contact reason from the list.")
    chosen = NoContactReason(reason)
    if chosen == NoContactReason.OTHER and not (note or "").strip():
        raise RuleViolation("Say why in a note when the no-contact reason is Other.")
    return chosen
