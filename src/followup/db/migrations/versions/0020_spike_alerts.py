"""Spike alerts: several referrals for incidents in one postcode district within a window.

``spike_alert`` holds one alert per district and window (extended as more referrals come),
``spike_alert_case`` the referrals behind it (and so their cases), ``spike_alert_ack`` who has seen it
(``casework.spikes``). Alerts are shown in the app and listed by ``followup alerts``; they
never reach a letter.

Revision ID: 0020
Revises: 0019_report_facts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import followup.db.types

revision: str = "0020"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, followup.db.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    # Spike detection reads the referrals of a few days by incident time.
    op.create_index(op.f("ix_referral_incident_at"), "referral", ["incident_at"])
    op.create_table(
        "spike_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=8), nullable=False),
        _when("window_start"),
        _when("window_end"),
        sa.Column("referral_count", sa.Integer(), nullable=False),
        sa.Column("substances", sa.Text(), nullable=True),
        _when("raised_at"),
        _when("extended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alert")),
    )
    op.create_index("ix_spike_alert_district_window", "spike_alert", ["district", "window_end"])
    op.create_index(op.f("ix_spike_alert_raised_at"), "spike_alert", ["raised_at"])
    op.create_table(
        "spike_alert_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["spike_alert.id"], name=op.f("fk_spike_alert_case_alert_id_spike_alert")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_spike_alert_case_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alert_case")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_spike_alert_case_referral_id")),
    )
    op.create_index(op.f("ix_spike_alert_case_alert_id"), "spike_alert_case", ["alert_id"])
    op.create_table(
        "spike_alert_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("acknowledged_at"),
        sa.Column("referral_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["spike_alert.id"], name=op.f("fk_spike_alert_ack_alert_id_spike_alert")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_spike_alert_ack_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alert_ack")),
    )
    op.create_index("ix_spike_alert_ack_alert_user", "spike_alert_ack", ["alert_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_spike_alert_ack_alert_user", table_name="spike_alert_ack")
    op.drop_table("spike_alert_ack")
    op.drop_index(op.f("ix_spike_alert_case_alert_id"), table_name="spike_alert_case")
    op.drop_table("spike_alert_case")
    op.drop_index(op.f("ix_spike_alert_raised_at"), table_name="spike_alert")
    op.drop_index("ix_spike_alert_district_window", table_name="spike_alert")
    op.drop_table("spike_alert")
    op.drop_index(op.f("ix_referral_incident_at"), table_name="referral")
