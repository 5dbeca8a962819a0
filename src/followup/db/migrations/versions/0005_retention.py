"""Retention: personal audit values kept apart, and an append-only destruction log.

``audit_private_value`` holds the personal before/after values of audit events, so that the
retention purge can delete them with the person while ``audit_event`` stays append-only.
Person edits audited before this revision wrote those values into ``audit_event.details``;
they are moved here once (the event keeps the names of the fields that changed), or dropped
when their person has already been purged. That one move is the only change ever made to
existing audit rows: the append-only triggers are lifted for it inside this migration's
transaction and put back before it ends. audit_event is never rebuilt (on SQLite a rebuild
would drop its triggers).

``destruction_log`` records each person destroyed under the retention rule (identifiers,
dates, who approved it), and is append-only like the audit trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_MESSAGE = "audit events are append-only"
LOG_MESSAGE = "the destruction log is append-only"
PRIVATE_MESSAGE = "private audit values are never changed"

PG_LOG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION followup_destruction_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{LOG_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_PRIVATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION followup_audit_private_value_no_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{PRIVATE_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _audit_triggers(enable: bool) -> None:
    """Lift or restore 0003's append-only triggers on audit_event, for the one-off move."""
    if _postgresql():
        verb = "ENABLE" if enable else "DISABLE"
        op.execute(f"ALTER TABLE audit_event {verb} TRIGGER audit_event_append_only")
        return
    if enable:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")


def _is_change_set(data: object) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(v, list) and len(v) == 2 for v in data.values())
    )


def _move_person_values_out_of_audit_events() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, entity_id, details FROM audit_event "
            "WHERE entity = 'person' AND action = 'update' AND details IS NOT NULL"
        )
    ).all()
    legacy = []
    for event_id, person_id, details in rows:
        try:
            data = json.loads(details)
        except ValueError:
            continue
        if _is_change_set(data):
            legacy.append((event_id, person_id, data))
    if not legacy:
        return
    people = set(bind.execute(sa.text("SELECT id FROM person")).scalars())
    _audit_triggers(enable=False)
    for event_id, person_id, data in legacy:
        public = {"fields": sorted(data), "private_values": True}
        if person_id in people:
            bind.execute(
                sa.text(
                    "INSERT INTO audit_private_value (audit_event_id, person_id, details) "
                    "VALUES (:e, :p, :d)"
                ),
                {"e": event_id, "p": person_id, "d": json.dumps(data, sort_keys=True)},
            )
        bind.execute(
            sa.text("UPDATE audit_event SET details = :d WHERE id = :e"),
            {"d": json.dumps(public, sort_keys=True), "e": event_id},
        )
    _audit_triggers(enable=True)


def _move_person_values_back() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT audit_event_id, details FROM audit_private_value")).all()
    if not rows:
        return
    _audit_triggers(enable=False)
    for event_id, details in rows:
        bind.execute(
            sa.text("UPDATE audit_event SET details = :d WHERE id = :e"),
            {"d": details, "e": event_id},
        )
    _audit_triggers(enable=True)


def upgrade() -> None:
    op.create_table(
        "audit_private_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_event.id"],
            name=op.f("fk_audit_private_value_audit_event_id_audit_event"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_audit_private_value_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_private_value")),
    )
    op.create_index(
        op.f("ix_audit_private_value_audit_event_id"), "audit_private_value", ["audit_event_id"]
    )
    op.create_index(op.f("ix_audit_private_value_person_id"), "audit_private_value", ["person_id"])
    op.create_table(
        "destruction_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destroyed_at", followup.db.types.UTCDateTime(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_ids", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("letters_removed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_destruction_log_approved_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_log")),
    )
    op.create_index(op.f("ix_destruction_log_destroyed_at"), "destruction_log", ["destroyed_at"])

    if _postgresql():
        op.execute(PG_LOG_FUNCTION)
        op.execute(
            "CREATE TRIGGER destruction_log_append_only BEFORE UPDATE OR DELETE "
            "ON destruction_log FOR EACH STATEMENT "
            "EXECUTE FUNCTION followup_destruction_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER destruction_log_no_truncate BEFORE TRUNCATE ON destruction_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION followup_destruction_log_append_only()"
        )
        op.execute(PG_PRIVATE_FUNCTION)
        # DELETE stays possible for the purge (the app role has no DELETE right on it).
        op.execute(
            "CREATE TRIGGER audit_private_value_no_update BEFORE UPDATE "
            "ON audit_private_value FOR EACH STATEMENT "
            "EXECUTE FUNCTION followup_audit_private_value_no_update()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER destruction_log_no_{event.lower()} BEFORE {event} "
                f"ON destruction_log BEGIN SELECT RAISE(ABORT, '{LOG_MESSAGE}'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_private_value_no_update BEFORE UPDATE ON audit_private_value "
            f"BEGIN SELECT RAISE(ABORT, '{PRIVATE_MESSAGE}'); END"
        )
    _move_person_values_out_of_audit_events()


def downgrade() -> None:
    _move_person_values_back()
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS audit_private_value_no_update ON audit_private_value")
        op.execute("DROP FUNCTION IF EXISTS followup_audit_private_value_no_update()")
        op.execute("DROP TRIGGER IF EXISTS destruction_log_no_truncate ON destruction_log")
        op.execute("DROP TRIGGER IF EXISTS destruction_log_append_only ON destruction_log")
        op.execute("DROP FUNCTION IF EXISTS followup_destruction_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_private_value_no_update")
        op.execute("DROP TRIGGER IF EXISTS destruction_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS destruction_log_no_update")
    op.drop_index(op.f("ix_destruction_log_destroyed_at"), table_name="destruction_log")
    op.drop_table("destruction_log")
    op.drop_index(op.f("ix_audit_private_value_person_id"), table_name="audit_private_value")
    op.drop_index(op.f("ix_audit_private_value_audit_event_id"), table_name="audit_private_value")
    op.drop_table("audit_private_value")
