"""Kit lifecycle: a batch recall and each person's latest kit read from indexes.

``ix_naloxone_supply_batch_lower`` finds every supply of a batch whatever its upper and lower
case (``casework.kits.recall`` compares ``lower(batch_number)``); ``ix_naloxone_supply_person_latest``
gives a person's supplies newest first, so the kit they hold (their latest supply that counts)
is the first entry of an index range for the next steps of a page of cases.

Revision ID: 0023
Revises: 0019_report_facts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_naloxone_supply_batch_lower", "naloxone_supply", [sa.text("lower(batch_number)")]
    )
    op.create_index(
        "ix_naloxone_supply_person_latest",
        "naloxone_supply",
        ["person_id", "supplied_on", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_naloxone_supply_person_latest", table_name="naloxone_supply")
    op.drop_index("ix_naloxone_supply_batch_lower", table_name="naloxone_supply")
