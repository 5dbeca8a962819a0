"""Consent from a police file is the officer's, not the importing worker's.

An import records a referral's "consent to share: Y" as consent given at the scene through the
officer named in the referral. Imports before this revision recorded the worker who clicked
Import as the one who recorded it. This revision corrects those entries: recorded by no user,
method ``verbal_at_scene_via_police``, source the officer as ``intake.rules.officer_source``
writes it ("PC Name (collar 1234), Station, Force").

An entry is an import's when everything the importer wrote matches a referral of the same
person on the same case: state ``given``, one of the three contact scopes, the referral's
consent at the scene ``Y``, the importer's evidence text ("Police referral <reference>:
consent_to_share Y") and the time recorded either the incident's or the referral's receipt.
Entries a worker recorded by hand never carry that evidence, so they are left alone. Plain SQL
that SQLite and PostgreSQL both run (``||`` with NULL is NULL on both, so absent parts drop
out). The downgrade leaves the corrected entries as they are: who clicked Import is in the
audit trail, and putting the worker back as the one who took consent would be the error again.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MATCH = (
    "r.person_id = consent_entry.person_id AND r.case_id = consent_entry.case_id "
    "AND r.consent_at_scene = 'Y' "
    "AND consent_entry.evidence = SUBSTR('Police referral ' || r.police_reference "
    "|| ': consent_to_share Y', 1, 1000) "
    "AND (consent_entry.recorded_at = r.incident_at OR consent_entry.recorded_at = r.received_at)"
)


def _part(column: str) -> str:
    return f"NULLIF(TRIM(r.{column}), '')"


# officer_source in SQL: "name (collar id)", station and force, joined by ", " when present.
_WHO = (
    f"CASE WHEN {_part('officer_name')} IS NULL AND {_part('officer_id')} IS NULL THEN NULL "
    f"ELSE LTRIM(COALESCE({_part('officer_name')}, '') "
    f"|| COALESCE(' (collar ' || {_part('officer_id')} || ')', '')) END"
)
_SOURCE = (
    "COALESCE(NULLIF(SUBSTR("
    f"COALESCE(', ' || {_WHO}, '') || COALESCE(', ' || {_part('station')}, '') "
    f"|| COALESCE(', ' || {_part('force')}, ''), 3, 200), ''), 'police officer at the scene')"
)


def upgrade() -> None:
    op.execute(
        "UPDATE consent_entry SET recorded_by_id = NULL, "
        "method = 'verbal_at_scene_via_police', "
        f"source = (SELECT {_SOURCE} FROM referral r WHERE {_MATCH} ORDER BY r.id LIMIT 1) "
        "WHERE consent_entry.state = 'given' "
        "AND consent_entry.scope IN ('contact_phone', 'contact_sms', 'contact_letter') "
        f"AND EXISTS (SELECT 1 FROM referral r WHERE {_MATCH})"
    )


def downgrade() -> None:
    # Nothing to undo: see the module's docstring.
    pass
