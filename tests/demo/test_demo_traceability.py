"""The demonstration data carries traceability (issue 17): each referral's class from its
person's details as drawn, and a no-contact reason on every case closed without contact."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from followup import vocab
from followup.db.models import Case, Person, Referral, table_of
from followup.db.traceability import traceability_sql
from followup.demo.populate import populate

NOW = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)


def test_demo_referrals_and_closures_carry_traceability(database) -> None:
    populate(database, 150, seed=5, now=NOW)
    with database.session() as s:
        people = table_of(Person)
        classes = {
            c: n
            for c, n in s.execute(
                select(Referral.traceability, func.count()).group_by(Referral.traceability)
            )
        }
        # The class stored is the one the person's details give (the demo's referrals give
        # the person's details as drawn), by the rules of the backfill in SQL.
        differ = s.scalar(
            select(func.count())
            .select_from(Referral)
            .join(people, people.c.id == Referral.person_id)
            .where(Referral.traceability != traceability_sql(people))
        )
        closed = s.execute(
            select(Case.first_contact_at.is_(None), Case.no_contact_reason).where(
                Case.status == "closed"
            )
        ).all()
    assert differ == 0
    assert set(classes) <= set(vocab.TRACEABILITY)
    assert {"full", "description_only"} <= set(classes) and len(classes) >= 3
    never_reached = [reason for no_contact, reason in closed if no_contact]
    assert never_reached and all(r in vocab.NO_CONTACT_REASONS for r in never_reached)
    assert all(reason is None for no_contact, reason in closed if not no_contact)
