"""Report facts: a referral says whether it is a repeat overdose, and kits are read by date.

``referral.repeat_overdose`` is true when the person already had an earlier referral (received
before it, or at the same time with a lower id): the team-lead report's "Repeat overdoses"
used to find that with a correlated subquery per referral of the period. It is filled here
set-based (one window over the referrals, on both backends) and kept from now on by triggers
of the database itself, in the same statement as the change, whichever path writes a
referral (intake's set-based inserts, merges and their undo, the purge, a team server's
functions): the triggers recompute the flags of every referral of the person whose referrals
changed. On PostgreSQL the trigger function is SECURITY DEFINER, so that a worker's import on
a team server sees the person's earlier referrals on cases that worker may not read.

``ix_referral_repeat`` gives a period's repeat referrals as one index range, with the case
each belongs to; ``ix_naloxone_supply_report`` gives a period's kits (not voided) with their
case and quantity from the index alone; ``ix_case_file_slice`` gives each of those rows' case
worker and area from a small index instead of the wide case row (SQLite is told to use it).

Revision ID: 0019_report_facts
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_report_facts"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The whole table at once: each referral's place among its person's referrals.
_BACKFILL = (
    "UPDATE referral SET repeat_overdose = (f.n > 1) FROM ("
    "SELECT id, row_number() OVER (PARTITION BY person_id ORDER BY received_at, id) AS n "
    "FROM referral) AS f WHERE referral.id = f.id"
)
# One person's referrals (``{person}``: new.person_id or old.person_id), written only where
# the flag changes: for a removed referral or one moved to another person or time.
_EARLIER = (
    "EXISTS (SELECT 1 FROM referral e WHERE e.person_id = referral.person_id "
    "AND (e.received_at < referral.received_at "
    "OR (e.received_at = referral.received_at AND e.id < referral.id)))"
)
_SQLITE_PERSON = (
    f"UPDATE referral SET repeat_overdose = {_EARLIER} "
    f"WHERE person_id = {{person}} AND repeat_overdose IS NOT {_EARLIER};"
)
# A new referral (intake's every row): two index probes of the person's referrals, and a write
# only where a flag changes (the new one is a repeat; the rare later-received ones become one).
_NEW_EARLIER = (
    "EXISTS (SELECT 1 FROM referral e WHERE e.person_id = new.person_id "
    "AND (e.received_at < new.received_at "
    "OR (e.received_at = new.received_at AND e.id < new.id)))"
)
_LATER_THAN_NEW = (
    "person_id = new.person_id AND (received_at > new.received_at "
    "OR (received_at = new.received_at AND id > new.id))"
)
# The unary plus keeps SQLite off ix_referral_repeat for the later-received ones: an import's
# rows share one time received, so that index's range (not a repeat, received at or after the
# new one) holds every row the import has written so far, and each insert walked it all. The
# person's own referrals (ix_referral_person_received) are a handful.
_SQLITE_LATER_THAN_NEW = (
    "person_id = new.person_id AND +repeat_overdose = 0 AND (+received_at > new.received_at "
    "OR (+received_at = new.received_at AND id > new.id))"
)
_SQLITE_INSERT = (
    f"UPDATE referral SET repeat_overdose = {_NEW_EARLIER} "
    f"WHERE id = new.id AND repeat_overdose IS NOT {_NEW_EARLIER}; "
    f"UPDATE referral SET repeat_overdose = 1 WHERE {_SQLITE_LATER_THAN_NEW};"
)
_SQLITE_TRIGGERS = (
    ("referral_repeat_insert", "AFTER INSERT ON referral", _SQLITE_INSERT),
    (
        "referral_repeat_delete",
        "AFTER DELETE ON referral",
        _SQLITE_PERSON.format(person="old.person_id"),
    ),
    (
        "referral_repeat_update",
        "AFTER UPDATE OF person_id, received_at ON referral",
        _SQLITE_PERSON.format(person="old.person_id")
        + " "
        + _SQLITE_PERSON.format(person="new.person_id"),
    ),
)
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION followup_referral_repeats() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    v_people integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE referral SET repeat_overdose = {_NEW_EARLIER}
        WHERE id = NEW.id AND repeat_overdose IS DISTINCT FROM {_NEW_EARLIER};
        UPDATE referral SET repeat_overdose = true
        WHERE {_LATER_THAN_NEW} AND NOT repeat_overdose;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        v_people := ARRAY[OLD.person_id];
    ELSE
        v_people := ARRAY[OLD.person_id, NEW.person_id];
    END IF;
    UPDATE referral SET repeat_overdose = {_EARLIER}
    WHERE person_id = ANY(v_people) AND repeat_overdose IS DISTINCT FROM {_EARLIER};
    RETURN NULL;
END
$fn$
"""
_PG_TRIGGERS = (
    ("referral_repeat_insert", "AFTER INSERT OR DELETE ON referral"),
    ("referral_repeat_update", "AFTER UPDATE OF person_id, received_at ON referral"),
)


def upgrade() -> None:
    op.add_column(
        "referral",
        sa.Column("repeat_overdose", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(_BACKFILL)
    op.create_index("ix_referral_repeat", "referral", ["repeat_overdose", "received_at", "case_id"])
    op.create_index("ix_case_file_slice", "case_file", ["id", "assigned_worker_id", "area"])
    op.create_index(
        "ix_naloxone_supply_report",
        "naloxone_supply",
        ["supplied_on", "voided_at", "case_id", "quantity"],
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, when, body in _SQLITE_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")
    else:
        op.execute(_PG_FUNCTION)
        for name, when in _PG_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH ROW "
                "EXECUTE FUNCTION followup_referral_repeats()"
            )
    op.execute("ANALYZE referral")
    op.execute("ANALYZE naloxone_supply")
    op.execute("ANALYZE case_file")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _when, _body in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, _when in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON referral")
        op.execute("DROP FUNCTION IF EXISTS followup_referral_repeats()")
    op.drop_index("ix_naloxone_supply_report", table_name="naloxone_supply")
    op.drop_index("ix_case_file_slice", table_name="case_file")
    op.drop_index("ix_referral_repeat", table_name="referral")
    op.execute("ALTER TABLE referral DROP COLUMN repeat_overdose")
