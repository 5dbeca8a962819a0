"""Case milestones for the reports, and the indexes that make a report cost its period.

``case_file`` gains the per-case facts the team-lead report used to derive with a subquery per
case: the first attempt and the first contact (attempts not voided), and when the case first
reached Engaged, Referred and In treatment (or beyond, from its status history). They are
filled here from the attempts and the status history, set-based (one grouped pass over each
table), and kept from now on by ``casework.milestones`` in the same transaction as the change.

``ix_case_file_report_cohort`` covers a period's cases with every column the figures read;
``ix_case_file_overdue`` (open cases only) gives "overdue now" from an index.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MILESTONES = (
    "first_attempt_at",
    "first_contact_at",
    "engaged_at",
    "treatment_referred_at",
    "in_treatment_at",
)
# As they stood at this revision (vocab.CONTACT_MADE_OUTCOMES and the statuses).
_CONTACT_MADE = "'spoke_engaged', 'spoke_declined'"
_ENGAGED = "'engaged', 'referred', 'in_treatment'"
_REFERRED = "'referred', 'in_treatment'"

_BACKFILL = (
    "UPDATE case_file SET first_attempt_at = f.first_attempt, first_contact_at = f.first_contact "
    "FROM (SELECT case_id, min(attempted_at) AS first_attempt, "
    f"min(CASE WHEN outcome IN ({_CONTACT_MADE}) THEN attempted_at END) AS first_contact "
    "FROM contact_attempt WHERE voided_at IS NULL GROUP BY case_id) AS f "
    "WHERE case_file.id = f.case_id",
    "UPDATE case_file SET engaged_at = f.engaged, treatment_referred_at = f.referred, "
    "in_treatment_at = f.treatment "
    "FROM (SELECT case_id, min(changed_at) AS engaged, "
    f"min(CASE WHEN to_status IN ({_REFERRED}) THEN changed_at END) AS referred, "
    "min(CASE WHEN to_status = 'in_treatment' THEN changed_at END) AS treatment "
    f"FROM case_status_change WHERE to_status IN ({_ENGAGED}) GROUP BY case_id) AS f "
    "WHERE case_file.id = f.case_id",
)


def upgrade() -> None:
    for name in _MILESTONES:
        op.add_column("case_file", sa.Column(name, followup.db.types.UTCDateTime(), nullable=True))
    for sql in _BACKFILL:
        op.execute(sql)
    op.create_index(
        "ix_case_file_report_cohort",
        "case_file",
        [
            "referred_at",
            "assigned_worker_id",
            "area",
            *_MILESTONES,
            "closure_reason",
        ],
    )
    op.create_index(
        "ix_case_file_overdue",
        "case_file",
        ["next_action_due_at", "assigned_worker_id", "area"],
        sqlite_where=sa.text("status <> 'closed'"),
        postgresql_where=sa.text("status <> 'closed'"),
    )
    # The planner's statistics for the new indexes (both backends spell it the same).
    op.execute("ANALYZE case_file")


def downgrade() -> None:
    op.drop_index("ix_case_file_overdue", table_name="case_file")
    op.drop_index("ix_case_file_report_cohort", table_name="case_file")
    for name in reversed(_MILESTONES):
        op.execute(f"ALTER TABLE case_file DROP COLUMN {name}")
