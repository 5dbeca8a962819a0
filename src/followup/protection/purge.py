"""The retention purge: the one way a person leaves the database, with all that is theirs.

Everyone merged into the person goes too (a merged record is the same human being), then
every row that belongs to them, in foreign-key order. On a team server no login may delete
people: the retention review calls the SECURITY DEFINER function ``followup_destroy_person``
(made by ``team_server`` from these same statements), which checks the caller and the rule
itself; elsewhere Followup runs the statements itself. Only ``retention`` (permission
``retention``) purges, and each purge is audited by the person's id alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import BindParameter, CursorResult, bindparam, text
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.engine import enforced_by_server
from followup.errors import PermissionDenied
from followup.vocab import AuditAction

__all__ = [
    "PURGE_DELETES",
    "PURGE_FUNCTION",
    "PURGE_SETS",
    "PURGE_SET_NAMES",
    "on_server",
    "purge_counts",
    "purge_person",
    "purge_scope",
]

log = logging.getLogger(__name__)

PURGE_FUNCTION = "followup_destroy_person"

# The retention purge. First the sets of rows that belong to the person (everyone merged into
# them goes too: a merged record is the same human being), then the deletes in foreign-key
# order. "{people}" and the like stand for membership of a set: "= ANY(v_people)" in the
# server's function, "IN :people" when Followup runs the statements itself.
PURGE_SETS: tuple[tuple[str, str], ...] = (
    (
        "people",
        "WITH RECURSIVE purged(id) AS (SELECT id FROM person WHERE id = {person} "
        "UNION SELECT p.id FROM person p JOIN purged ON p.merged_into_id = purged.id) "
        "SELECT id FROM purged",
    ),
    ("cases", "SELECT id FROM case_file WHERE person_id {people}"),
    ("referrals", "SELECT id FROM referral WHERE person_id {people} OR case_id {cases}"),
    ("letters", "SELECT id FROM letter WHERE case_id {cases}"),
)
PURGE_DELETES: tuple[tuple[str, str], ...] = (
    ("audit_private_value", "person_id {people}"),  # the audit event itself stays
    ("letter_print", "letter_id {letters}"),
    ("letter", "id {letters}"),
    ("contact_attempt", "case_id {cases}"),
    ("treatment_referral", "case_id {cases}"),
    ("naloxone_supply", "case_id {cases} OR person_id {people}"),
    ("consent_entry", "case_id {cases} OR person_id {people}"),
    ("case_note", "case_id {cases} OR person_id {people}"),
    ("person_change", "case_id {cases} OR person_id {people}"),
    ("case_status_change", "case_id {cases}"),
    ("referral_warning", "referral_id {referrals}"),
    # A rejected row corrected into one of their referrals still holds its original text.
    ("quarantined_row", "referral_id {referrals}"),
    (
        "match_review",
        "referral_id {referrals} OR incoming_person_id {people} OR candidate_person_id {people}",
    ),
    ("person_merge", "kept_person_id {people} OR merged_person_id {people}"),
    # The alert itself stays: a count for a district, no person's details.
    ("spike_alert_case", "referral_id {referrals}"),
    ("referral", "id {referrals}"),
    ("case_file", "id {cases}"),
    ("person", "id {people}"),  # last: its row count is the function's answer
)
PURGE_SET_NAMES = tuple(name for name, _ in PURGE_SETS)


def on_server(template: str) -> str:
    """A purge statement as the server's function writes it (sets are plpgsql arrays)."""
    return template.format(person="p_person_id", **{n: f"= ANY(v_{n})" for n in PURGE_SET_NAMES})


def _in_app(template: str) -> str:
    return template.format(person=":person_id", **{n: f"IN :{n}" for n in PURGE_SET_NAMES})


def _runner(session: Session, values: dict[str, Any]) -> Callable[[str], CursorResult[Any]]:
    def run(sql: str) -> CursorResult[Any]:
        names = [n for n in ("person_id", *PURGE_SET_NAMES) if f":{n}" in sql]
        lists: list[BindParameter[Any]] = [
            bindparam(n, expanding=True) for n in names if n != "person_id"
        ]
        # Plain SQL text always gives a cursor result (with a row count for the deletes).
        return cast(
            CursorResult[Any],
            session.execute(text(sql).bindparams(*lists), {n: values[n] for n in names}),
        )

    return run


def purge_scope(session: Session, person_id: int) -> dict[str, list[int]]:
    """The ids the purge of one person would take: people, cases, referrals, letters."""
    values: dict[str, Any] = {"person_id": person_id}
    run = _runner(session, values)
    for name, query in PURGE_SETS:
        values[name] = sorted(run(_in_app(query)).scalars())
    return {name: values[name] for name in PURGE_SET_NAMES}


def purge_counts(session: Session, person_id: int) -> dict[str, int]:
    """How many rows of each table the purge of one person would delete; changes nothing."""
    values: dict[str, Any] = {"person_id": person_id, **purge_scope(session, person_id)}
    run = _runner(session, values)
    return {
        table: int(run(f"SELECT count(*) FROM {table} WHERE {_in_app(where)}").scalar() or 0)
        for table, where in PURGE_DELETES
    }


def _purge_here(session: Session, person_id: int) -> int:
    """The purge run by Followup itself (SQLite, or a server where the owner connects)."""
    values: dict[str, Any] = {"person_id": person_id, **purge_scope(session, person_id)}
    run = _runner(session, values)
    deleted = 0
    for table, where in PURGE_DELETES:
        deleted = run(f"DELETE FROM {table} WHERE {_in_app(where)}").rowcount
    return deleted


def purge_person(session: Session, actor: Actor, person_id: int) -> int:
    """Delete a person, everyone merged into them and everything of theirs; audited.

    Returns how many person records went. This is the retention purge's only way to delete a
    person: on a team server it calls the SECURITY DEFINER function, since the app role itself
    may not delete people. The audit row names the person's id, never their details.
    """
    require(actor, "retention")
    if enforced_by_server(session):
        raise PermissionDenied(
            "On the team server records are destroyed only through the retention review "
            "(`followup retention`), which the server checks itself."
        )
    deleted = _purge_here(session, person_id)
    session.expire_all()
    audit.record(
        session, actor.id, AuditAction.PURGE, "person", person_id, {"people": int(deleted or 0)}
    )
    log.info("Purged %d person record(s)", deleted or 0)
    return int(deleted or 0)
