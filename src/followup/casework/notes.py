"""Case notes: free text about a case that is not a contact attempt, timestamped and signed.

A note shows in the case timeline, is found by the caseload search (for whoever may see the
case), goes into the person's subject-access pack and is removed with the person by the
retention purge. It never goes into a letter. A note is corrected like any other entry
(``casework.corrections``): amended or marked entered in error, never deleted. The audit keeps
that a note was written, never its text.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor
from followup.casework.corrections import MAX_NOTE, note_text
from followup.casework.lifecycle import load_case_for_edit, touch
from followup.db.models import CaseNote
from followup.vocab import AuditAction

__all__ = ["MAX_NOTE", "add_note"]


def add_note(
    session: Session, actor: Actor, case_id: int, expected_version: int | None, text: str
) -> CaseNote:
    """Add a note to the case (the assigned worker or a lead); audited without its text."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    note = CaseNote(
        case_id=case.id, person_id=case.person_id, author_id=actor.id, text=note_text(text)
    )
    session.add(note)
    session.flush()
    audit.record(session, actor.id, AuditAction.CREATE, "case_note", note.id, {"case_id": case.id})
    touch(case)
    session.flush()
    return note
