"""Traceability: each referral's class at intake, and why a case closed without contact.

``referral.traceability`` (not null) says how traceable the referral was at intake: full
(name, address and phone), name_address, name_phone, name_only or description_only (the rules
are in ``followup.intake.traceability``). Existing referrals are classed here by the same rules
in SQL, from their person's record, since a referral did not keep its own address and phone:
named when a first or last name is on record; a usable address when not no fixed abode and a
postcode is on record or an address line of at least five characters that is not a
placeholder; a usable phone when a number is on record (stored numbers are checked UK ones).

``case_file.no_contact_reason`` says why a case was closed without the worker ever speaking
with the person; earlier closed cases have none (the reports count them as "not recorded").

Both columns come with their check constraint as one ``ADD COLUMN`` on both backends, so SQLite
needs no table rebuild (which would drop the referral triggers of 0019). SQLite cannot add a
NOT NULL column without a default, so there the column keeps a default (description_only)
that the app never relies on: every writer gives the class.

Revision ID: 0022
Revises: 0019_report_facts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLASSES = ("full", "name_address", "name_phone", "name_only", "description_only")
_REASONS = (
    "no_usable_address",
    "no_usable_phone",
    "no_usable_details",
    "wrong_number",
    "not_at_address",
    "no_response_to_attempts",
    "declined_via_third_party",
    "moved_away",
    "in_custody",
    "deceased",
    "other",
)
_PLACEHOLDERS = (
    "unknown",
    "not known",
    "no fixed abode",
    "homeless",
    "not given",
    "refused",
    "no address",
    "not stated",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_NAMED = "(trim(coalesce(p.first_name, '')) <> '' OR trim(coalesce(p.last_name, '')) <> '')"
_LINE = "trim(coalesce(p.address, ''))"
_ADDRESS = (
    f"(NOT coalesce(p.no_fixed_abode, false) AND (coalesce(p.postcode, '') <> '' OR "
    f"(length({_LINE}) >= 5 AND NOT {_in(f'lower({_LINE})', _PLACEHOLDERS)})))"
)
_PHONE = "(coalesce(p.phone, '') <> '')"
_BACKFILL = (
    "UPDATE referral SET traceability = coalesce((SELECT CASE "
    f"WHEN NOT {_NAMED} THEN 'description_only' "
    f"WHEN {_ADDRESS} AND {_PHONE} THEN 'full' "
    f"WHEN {_ADDRESS} THEN 'name_address' "
    f"WHEN {_PHONE} THEN 'name_phone' "
    "ELSE 'name_only' END FROM person p WHERE p.id = referral.person_id), 'description_only')"
)


def upgrade() -> None:
    check = f"CONSTRAINT ck_referral_traceability CHECK ({_in('traceability', _CLASSES)})"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE referral ADD COLUMN traceability VARCHAR(20) NOT NULL "
            f"DEFAULT 'description_only' {check}"
        )
        op.execute(_BACKFILL)
    else:
        op.execute(f"ALTER TABLE referral ADD COLUMN traceability VARCHAR(20) {check}")
        op.execute(_BACKFILL)
        op.execute("ALTER TABLE referral ALTER COLUMN traceability SET NOT NULL")
    op.execute(
        "ALTER TABLE case_file ADD COLUMN no_contact_reason VARCHAR(32) "
        "CONSTRAINT ck_case_file_no_contact_reason "
        f"CHECK ({_in('no_contact_reason', _REASONS)})"
    )


def downgrade() -> None:
    # As 0016: a plain DROP COLUMN (SQLite 3.35+), so SQLite needs no table rebuild.
    op.execute("ALTER TABLE case_file DROP COLUMN no_contact_reason")
    op.execute("ALTER TABLE referral DROP COLUMN traceability")
