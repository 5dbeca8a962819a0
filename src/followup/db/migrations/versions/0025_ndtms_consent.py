"""Consent to NDTMS reporting: a consent scope of its own, ``ndtms_reporting``.

The NDTMS extract (docs/ndtms_extract.md) needs the person's consent to their episode being
reported to the national drug treatment monitoring system, given or refused. This revision
widens the check on ``consent_entry.scope`` to allow it. PostgreSQL drops and recreates the
named check; SQLite rebuilds the table in a batch (its rows and ids are kept). The downgrade
refuses while any entry uses the scope, rather than delete consent history.

Revision ID: 0025
Revises: 0019_report_facts
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0025"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "contact_phone",
    "contact_sms",
    "contact_letter",
    "home_visit",
    "share_with_treatment",
    "share_with_gp",
)
AFTER = (*BEFORE, "ndtms_reporting")
NAME = "scope"  # ck_consent_entry_scope by the naming convention


def _check(values: tuple[str, ...]) -> str:
    return "scope IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with warnings.catch_warnings():
            # Reflecting the foreign keys looks at person, whose expression indexes
            # SQLAlchemy cannot reflect; they are person's, untouched by this rebuild.
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
            with op.batch_alter_table("consent_entry", recreate="always") as batch:
                batch.drop_constraint(NAME, type_="check")
                batch.create_check_constraint(NAME, _check(values))
    else:
        op.drop_constraint(NAME, "consent_entry", type_="check")
        op.create_check_constraint(NAME, "consent_entry", _check(values))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    used = op.get_bind().execute(
        text("SELECT count(*) FROM consent_entry WHERE scope = 'ndtms_reporting'")
    )
    if used.scalar():
        raise RuntimeError(
            "Consent entries use the scope ndtms_reporting; they are kept, so this "
            "revision cannot be undone."
        )
    _replace(BEFORE)
