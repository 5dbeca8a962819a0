"""Which letters a case can have now: each template with the reason it would be refused.

Plain data for the "New letter" dialog, read on a pool thread. The consent check is the same
gate the letter services apply (``consent.require_in_force``), so the reason shown is the
sentence the service would refuse with; other refusals (a missing treatment referral or GP
practice, say) come from the service itself when the letter is previewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from followup.access import Actor
from followup.letters.batch import letter_problem, letterhead_gaps
from followup.letters.making import case_for_letters
from followup.letters.templates import TEMPLATES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["LetterCase", "TemplateChoice", "load_letter_case"]


@dataclass(frozen=True)
class TemplateChoice:
    """One template for this case; ``problem`` is why it would be refused now, or None."""

    name: str
    label: str
    to_person: bool
    problem: str | None


@dataclass(frozen=True)
class LetterCase:
    case_id: int
    reference: str
    person: str
    choices: tuple[TemplateChoice, ...]


def load_letter_case(session: Session, actor: Actor, case_id: int) -> LetterCase:
    """The case's templates and why any of them would be refused (checks the user may)."""
    case = case_for_letters(session, actor, case_id)
    person = case.person
    choices = []
    gaps = letterhead_gaps(session)  # read once for every template
    for spec in TEMPLATES.values():
        problem = letter_problem(session, person, spec.name, gaps)
        choices.append(TemplateChoice(spec.name, spec.label, spec.to_person, problem))
    return LetterCase(
        case.id, case.police_reference or f"case {case.id}", person.display_name, tuple(choices)
    )
