"""The fixed vocabularies of DESIGN.md: roles, statuses, methods, outcomes and reasons.

Each is a tuple of the stored values in a sensible display order, with a label map for the UI.
The database enforces them with check constraints built from these same tuples.
"""

from __future__ import annotations

ROLES = ("worker", "lead", "admin")

CASE_STATUSES = ("new", "contacting", "engaged", "referred", "in_treatment", "closed")
OPEN_STATUSES = CASE_STATUSES[:-1]

CLOSURE_REASONS = (
    "engaged_in_treatment",
    "declined",
    "unable_to_contact",
    "already_in_treatment",
    "moved_away",
    "in_custody",
    "deceased",
    "consent_withdrawn",
    "inappropriate_referral",
    "other",
)

CONSENT_SCOPES = (
    "contact_phone",
    "contact_sms",
    "contact_letter",
    "home_visit",
    "share_with_treatment",
    "share_with_gp",
)
CONSENT_STATES = ("given", "refused", "withdrawn")
CONSENT_METHODS = ("verbal_at_scene_via_police", "verbal_by_phone", "in_person", "written")
SCENE_CONSENT = ("Y", "N", "unknown")

CONTACT_METHODS = ("phone", "sms", "letter", "home_visit", "outreach", "via_partner", "email")
CONTACT_OUTCOMES = (
    "no_answer",
    "voicemail_left",
    "message_sent",
    "spoke_engaged",
    "spoke_declined",
    "wrong_number",
    "not_at_address",
    "letter_sent",
    "returned_mail",
    "other",
)
# Outcomes where the worker actually spoke with the person.
CONTACT_MADE_OUTCOMES = ("spoke_engaged", "spoke_declined")

KIT_TYPES = ("nasal", "injectable")
KIT_RECIPIENTS = ("person", "family", "friend", "other")
SUPPLY_TYPES = ("new", "resupply")
RESUPPLY_REASONS = (
    "used_on_self",
    "used_on_someone_else",
    "lost",
    "expired",
    "confiscated",
    "other",
)

# Discharge reasons in the style of the national drug treatment monitoring dataset.
TREATMENT_EXIT_REASONS = (
    "treatment_completed_drug_free",
    "treatment_completed_occasional_user",
    "transferred_not_in_custody",
    "transferred_in_custody",
    "incomplete_dropped_out",
    "incomplete_treatment_withdrawn",
    "incomplete_retained_in_custody",
    "incomplete_declined",
    "died",
    "other",
)

SERVICE_TYPES = ("treatment", "harm_reduction", "housing", "mental_health", "gp", "other")

GENDERS = ("female", "male", "non_binary", "other", "not_known")

LETTER_TEMPLATES = ("appointment", "unable_to_contact", "treatment_referral", "gp_notification")

AUDIT_ACTIONS = (
    "view",
    "create",
    "update",
    "delete",
    "print",
    "export",
    "import",
    "login",
    "login_failed",
    "logout",
    "assign",
    "merge",
    "unmerge",
    "purge",
    "backup",
    "restore",
)

MATCH_REVIEW_STATES = ("pending", "same_person", "different_people")


def label(value: str | None) -> str:
    """Turn a stored value such as ``in_treatment`` into display text such as ``In treatment``."""
    if not value:
        return ""
    special = {
        "sms": "Text message (SMS)",
        "verbal_at_scene_via_police": "Verbal at scene (via police)",
        "gp": "GP",
        "Y": "Yes",
        "N": "No",
    }
    if value in special:
        return special[value]
    text = value.replace("_", " ")
    return text[0].upper() + text[1:]
