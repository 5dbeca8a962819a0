"""The repeat-overdose triggers seek instead of walking: one import no longer slows with its size.

Two faults of migration 0019's triggers, both found by importing one file of a few thousand
referrals:

* **SQLite.** A new referral makes each later-received referral of the same person a repeat.
  To find the ones that were not, the trigger walked every referral of that person
  (``ix_referral_person_received``): one person referred thousands of times, as a file from a
  force's test system can hold, took 15 s for 4,000 rows and grew with the square of the rows.
  A person has one referral that is not a repeat, their first, so ``ix_referral_first`` (the
  referrals that are not repeats, by person) finds it in one probe, and the trigger now asks
  for it by that index.
* **PostgreSQL.** PL/pgSQL keeps each statement's plan for the rest of the connection. An
  import into a new or small team database planned the trigger's statements while the table
  was tiny, as sequential scans, and kept them as it grew: 4,000 referrals of different people
  into 2,000 took 15 s, and the time grew with the table. The function now plans each call for
  the table as it is (``plan_cache_mode = force_custom_plan``): 6.7 s, and ``ix_referral_first``
  serves it too.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The referrals that are not repeats: one per person, their first (db.models keeps the same).
FIRST_ONLY = "NOT repeat_overdose"

# As migration 0019 wrote them, less the unary plus that kept the later-received update off
# the flag: it now reads ix_referral_first (a person's referrals that are not repeats).
_NEW_EARLIER = (
    "EXISTS (SELECT 1 FROM referral e WHERE e.person_id = new.person_id "
    "AND (e.received_at < new.received_at "
    "OR (e.received_at = new.received_at AND e.id < new.id)))"
)


def _sqlite_insert(flag_term: str) -> str:
    return (
        f"UPDATE referral SET repeat_overdose = {_NEW_EARLIER} "
        f"WHERE id = new.id AND repeat_overdose IS NOT {_NEW_EARLIER}; "
        "UPDATE referral SET repeat_overdose = 1 WHERE person_id = new.person_id "
        f"AND {flag_term} AND (+received_at > new.received_at "
        "OR (+received_at = new.received_at AND id > new.id));"
    )


def _replace_sqlite_insert_trigger(flag_term: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS referral_repeat_insert")
    op.execute(
        "CREATE TRIGGER referral_repeat_insert AFTER INSERT ON referral FOR EACH ROW "
        f"BEGIN {_sqlite_insert(flag_term)} END"
    )


def upgrade() -> None:
    op.execute(f"CREATE INDEX ix_referral_first ON referral (person_id) WHERE {FIRST_ONLY}")
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_insert_trigger(FIRST_ONLY)
    else:
        op.execute(
            "ALTER FUNCTION followup_referral_repeats() SET plan_cache_mode = force_custom_plan"
        )
    op.execute("ANALYZE referral")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_insert_trigger("+repeat_overdose = 0")
    else:
        op.execute("ALTER FUNCTION followup_referral_repeats() RESET plan_cache_mode")
    op.execute("DROP INDEX ix_referral_first")
