"""The report's cohort by slice: an index of the cases by worker, area and referral time.

SQLite has no hash aggregation: every ``GROUP BY`` sorts its rows in a temporary B-tree, and
for the 12-month report (about 70,000 cases of 100,000) that sort was most of the report's
largest statement. ``ix_case_file_report_slices`` holds the same columns as the cohort index
(``ix_case_file_report_cohort``) led by the slice keys, so that the report's per-month
statements (``reports.engagement``) read each month as one range per worker and area (SQLite's
skip-scan, from the statistics ``ANALYZE`` keeps) already in group order, with no sort.
PostgreSQL aggregates by hashing and keeps reading the cohort index; the index is made there
too so that both backends have one schema.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "assigned_worker_id",
    "area",
    "referred_at",
    "first_attempt_at",
    "first_contact_at",
    "engaged_at",
    "treatment_referred_at",
    "in_treatment_at",
    "closure_reason",
    "first_direct_contact_at",
)


def upgrade() -> None:
    op.create_index("ix_case_file_report_slices", "case_file", list(COLUMNS))
    # The planners choose the skip-scan from these statistics.
    op.execute("ANALYZE case_file")


def downgrade() -> None:
    op.drop_index("ix_case_file_report_slices", table_name="case_file")
