"""Re-overdose alerts and the incident time on the case.

``case_file.incident_at`` is the latest incident time among the case's referrals (filled here
from the referrals already stored), so the caseload can show and sort by days since the
overdose. ``round_started_at`` is when the current round of contact attempts began: a new
overdose on an open case, or one that reopens a recently closed case, restarts the schedule
from its referral. ``reoverdose_*`` hold the alert the case's worker sees in My work until
they acknowledge it.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = ("incident_at", "round_started_at", "reoverdose_at", "reoverdose_acknowledged_at")
_IDS = ("reoverdose_referral_id", "reoverdose_acknowledged_by_id")


def upgrade() -> None:
    for name in _WHEN:
        op.add_column("case_file", sa.Column(name, followup.db.types.UTCDateTime(), nullable=True))
    for name in _IDS:
        op.add_column("case_file", sa.Column(name, sa.Integer(), nullable=True))
    op.create_index("ix_case_file_incident_at", "case_file", ["incident_at"])
    op.create_index("ix_case_file_reoverdose_at", "case_file", ["reoverdose_at"])
    op.execute(
        "UPDATE case_file SET incident_at = "
        "(SELECT max(r.incident_at) FROM referral r WHERE r.case_id = case_file.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_case_file_reoverdose_at", table_name="case_file")
    op.drop_index("ix_case_file_incident_at", table_name="case_file")
    for name in (*_IDS, *reversed(_WHEN)):
        op.execute(f"ALTER TABLE case_file DROP COLUMN {name}")
