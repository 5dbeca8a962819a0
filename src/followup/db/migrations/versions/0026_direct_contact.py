"""A sixth milestone: the case's first contact made with the person themselves.

``case_file.first_direct_contact_at`` is the first attempt (not entered in error) where the
worker spoke with someone by any method but through family or friends. The figure
"Engaged through their network" (``reports.network``) is then an engaged, contacted case of
the cohort with no direct contact: read from the cohort index alone. Before, that figure
joined every contact attempt of the database and grouped them by case, the report's largest
statement (1.3 s of a 12-month report at 100,000 cases on a loaded machine).

The column is backfilled from the attempts and ``ix_case_file_report_cohort`` is made again
with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0026"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As vocab.CONTACT_MADE_OUTCOMES and vocab.ContactMethod.VIA_FAMILY stood at this revision.
_OUTCOMES = "'spoke_engaged', 'spoke_declined'"
_BACKFILL = (
    "UPDATE case_file SET first_direct_contact_at = f.first_direct "
    "FROM (SELECT case_id, min(attempted_at) AS first_direct FROM contact_attempt "
    f"WHERE voided_at IS NULL AND outcome IN ({_OUTCOMES}) AND method <> 'via_family' "
    "GROUP BY case_id) AS f WHERE case_file.id = f.case_id"
)
_BEFORE = (
    "referred_at",
    "assigned_worker_id",
    "area",
    "first_attempt_at",
    "first_contact_at",
    "engaged_at",
    "treatment_referred_at",
    "in_treatment_at",
    "closure_reason",
)


def upgrade() -> None:
    op.add_column(
        "case_file",
        sa.Column("first_direct_contact_at", followup.db.types.UTCDateTime(), nullable=True),
    )
    op.execute(_BACKFILL)
    op.drop_index("ix_case_file_report_cohort", table_name="case_file")
    op.create_index(
        "ix_case_file_report_cohort", "case_file", [*_BEFORE, "first_direct_contact_at"]
    )
    op.execute("ANALYZE case_file")


def downgrade() -> None:
    op.drop_index("ix_case_file_report_cohort", table_name="case_file")
    op.create_index("ix_case_file_report_cohort", "case_file", list(_BEFORE))
    op.execute("ALTER TABLE case_file DROP COLUMN first_direct_contact_at")
