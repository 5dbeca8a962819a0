"""Covering indexes for the team-lead report queries.

First attempt and first contact read (case_id, attempted_at, outcome) from the index alone;
stages reached read (case_id, to_status); repeat overdoses read (person_id, received_at).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_contact_attempt_case_time_outcome",
        "contact_attempt",
        ["case_id", "attempted_at", "outcome"],
    )
    op.drop_index("ix_contact_attempt_case_time", table_name="contact_attempt")
    op.create_index(
        "ix_case_status_change_case_status", "case_status_change", ["case_id", "to_status"]
    )
    op.drop_index("ix_case_status_change_case_id", table_name="case_status_change")
    op.create_index("ix_referral_person_received", "referral", ["person_id", "received_at"])
    op.drop_index("ix_referral_person_id", table_name="referral")


def downgrade() -> None:
    op.create_index("ix_referral_person_id", "referral", ["person_id"])
    op.drop_index("ix_referral_person_received", table_name="referral")
    op.create_index("ix_case_status_change_case_id", "case_status_change", ["case_id"])
    op.drop_index("ix_case_status_change_case_status", table_name="case_status_change")
    op.create_index("ix_contact_attempt_case_time", "contact_attempt", ["case_id", "attempted_at"])
    op.drop_index("ix_contact_attempt_case_time_outcome", table_name="contact_attempt")
