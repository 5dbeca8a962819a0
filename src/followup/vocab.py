"""The fixed vocabularies of DESIGN.md: roles, statuses, methods, outcomes and reasons.

Each vocabulary is a ``StrEnum`` whose members are the values stored in the database, so a
member compares equal to its stored string and no data migration is needed. Members are listed
in a sensible display order, and ``label`` turns any of them into text for the UI. The
database enforces them with check constraints built from the same enums (the tuples below).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

__all__ = [
    "AUDIT_ACTIONS",
    "CASE_STATUSES",
    "CLOSURE_REASONS",
    "CONSENT_METHODS",
    "CONSENT_SCOPES",
    "CONSENT_STATES",
    "CONTACT_MADE_OUTCOMES",
    "CONTACT_METHODS",
    "CONTACT_OUTCOMES",
    "GENDERS",
    "KIT_RECIPIENTS",
    "KIT_TYPES",
    "LETTER_STATES",
    "QUARANTINE_STATES",
    "LETTER_TEMPLATES",
    "MATCH_OUTCOMES",
    "MATCH_REVIEW_STATES",
    "OPEN_STATUSES",
    "RESUPPLY_REASONS",
    "ROLES",
    "SCENE_CONSENT",
    "SERVICE_TYPES",
    "SUPPLY_TYPES",
    "TREATMENT_EXIT_REASONS",
    "AuditAction",
    "CaseStatus",
    "ClosureReason",
    "ConsentMethod",
    "ConsentScope",
    "ConsentState",
    "ContactMethod",
    "ContactOutcome",
    "Gender",
    "KitRecipient",
    "KitType",
    "LetterState",
    "QuarantineState",
    "LetterTemplate",
    "MatchOutcome",
    "MatchReviewState",
    "ResupplyReason",
    "Role",
    "SceneConsent",
    "ServiceType",
    "SupplyType",
    "TreatmentExitReason",
    "label",
    "NO_CONTACT_REASONS",
    "NO_TRACE_REASONS",
    "TRACEABILITY",
    "UNTRACEABLE",
    "NoContactReason",
    "Traceability",
]


class Role(StrEnum):
    WORKER = "worker"
    LEAD = "lead"
    ADMIN = "admin"


class CaseStatus(StrEnum):
    NEW = "new"
    CONTACTING = "contacting"
    ENGAGED = "engaged"
    REFERRED = "referred"
    IN_TREATMENT = "in_treatment"
    CLOSED = "closed"


class ClosureReason(StrEnum):
    ENGAGED_IN_TREATMENT = "engaged_in_treatment"
    DECLINED = "declined"
    UNABLE_TO_CONTACT = "unable_to_contact"
    ALREADY_IN_TREATMENT = "already_in_treatment"
    MOVED_AWAY = "moved_away"
    IN_CUSTODY = "in_custody"
    DECEASED = "deceased"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    INAPPROPRIATE_REFERRAL = "inappropriate_referral"
    OTHER = "other"


class ConsentScope(StrEnum):
    CONTACT_PHONE = "contact_phone"
    CONTACT_SMS = "contact_sms"
    CONTACT_LETTER = "contact_letter"
    HOME_VISIT = "home_visit"
    SHARE_WITH_TREATMENT = "share_with_treatment"
    SHARE_WITH_GP = "share_with_gp"
    # Reporting the person's treatment episode to NDTMS (docs/ndtms_extract.md; migration 0025).
    NDTMS_REPORTING = "ndtms_reporting"


class ConsentState(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentMethod(StrEnum):
    VERBAL_AT_SCENE_VIA_POLICE = "verbal_at_scene_via_police"
    VERBAL_BY_PHONE = "verbal_by_phone"
    IN_PERSON = "in_person"
    WRITTEN = "written"


class SceneConsent(StrEnum):
    """What the police recorded about consent at the scene."""

    YES = "Y"
    NO = "N"
    UNKNOWN = "unknown"


class ContactMethod(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    LETTER = "letter"
    HOME_VISIT = "home_visit"
    OUTREACH = "outreach"
    VIA_PARTNER = "via_partner"
    EMAIL = "email"
    # Contact made through the person's family or friends, not with the person themselves
    # (reported as "engaged through their network"; see reports.network).
    VIA_FAMILY = "via_family"


class ContactOutcome(StrEnum):
    NO_ANSWER = "no_answer"
    VOICEMAIL_LEFT = "voicemail_left"
    MESSAGE_SENT = "message_sent"
    SPOKE_ENGAGED = "spoke_engaged"
    SPOKE_DECLINED = "spoke_declined"
    WRONG_NUMBER = "wrong_number"
    NOT_AT_ADDRESS = "not_at_address"
    LETTER_SENT = "letter_sent"
    RETURNED_MAIL = "returned_mail"
    OTHER = "other"


class KitType(StrEnum):
    NASAL = "nasal"
    INJECTABLE = "injectable"


class KitRecipient(StrEnum):
    PERSON = "person"
    FAMILY = "family"
    FRIEND = "friend"
    OTHER = "other"


class SupplyType(StrEnum):
    NEW = "new"
    RESUPPLY = "resupply"


class ResupplyReason(StrEnum):
    USED_ON_SELF = "used_on_self"
    USED_ON_SOMEONE_ELSE = "used_on_someone_else"
    LOST = "lost"
    EXPIRED = "expired"
    CONFISCATED = "confiscated"
    OTHER = "other"


class TreatmentExitReason(StrEnum):
    """Discharge reasons in the style of the national drug treatment monitoring dataset."""

    TREATMENT_COMPLETED_DRUG_FREE = "treatment_completed_drug_free"
    TREATMENT_COMPLETED_OCCASIONAL_USER = "treatment_completed_occasional_user"
    TRANSFERRED_NOT_IN_CUSTODY = "transferred_not_in_custody"
    TRANSFERRED_IN_CUSTODY = "transferred_in_custody"
    INCOMPLETE_DROPPED_OUT = "incomplete_dropped_out"
    INCOMPLETE_TREATMENT_WITHDRAWN = "incomplete_treatment_withdrawn"
    INCOMPLETE_RETAINED_IN_CUSTODY = "incomplete_retained_in_custody"
    INCOMPLETE_DECLINED = "incomplete_declined"
    DIED = "died"
    OTHER = "other"


class ServiceType(StrEnum):
    TREATMENT = "treatment"
    HARM_REDUCTION = "harm_reduction"
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"
    GP = "gp"
    OTHER = "other"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    NOT_KNOWN = "not_known"


class LetterTemplate(StrEnum):
    APPOINTMENT = "appointment"
    UNABLE_TO_CONTACT = "unable_to_contact"
    TREATMENT_REFERRAL = "treatment_referral"
    GP_NOTIFICATION = "gp_notification"


class AuditAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PRINT = "print"
    EXPORT = "export"
    IMPORT = "import"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ASSIGN = "assign"
    MERGE = "merge"
    UNMERGE = "unmerge"
    PURGE = "purge"
    BACKUP = "backup"
    RESTORE = "restore"


class MatchReviewState(StrEnum):
    """Where a person-match review stands: waiting, or decided one way or the other."""

    PENDING = "pending"
    SAME_PERSON = "same_person"
    DIFFERENT_PEOPLE = "different_people"


class MatchOutcome(StrEnum):
    """What intake's person matching decided about one incoming referral."""

    NEW = "new"  # nobody like them is known: a new person
    LINKED = "linked"  # certainly someone already known: linked to them
    REVIEW = "review"  # perhaps someone known: a person decides in the inbox


# The stored values of each vocabulary, in display order: for check constraints, choices and
# loops. Each is the enum's members, so ``"closed" in CASE_STATUSES`` still holds.
ROLES: tuple[Role, ...] = tuple(Role)
CASE_STATUSES: tuple[CaseStatus, ...] = tuple(CaseStatus)
OPEN_STATUSES: tuple[CaseStatus, ...] = CASE_STATUSES[:-1]
CLOSURE_REASONS: tuple[ClosureReason, ...] = tuple(ClosureReason)
CONSENT_SCOPES: tuple[ConsentScope, ...] = tuple(ConsentScope)
CONSENT_STATES: tuple[ConsentState, ...] = tuple(ConsentState)
CONSENT_METHODS: tuple[ConsentMethod, ...] = tuple(ConsentMethod)
SCENE_CONSENT: tuple[SceneConsent, ...] = tuple(SceneConsent)
CONTACT_METHODS: tuple[ContactMethod, ...] = tuple(ContactMethod)
CONTACT_OUTCOMES: tuple[ContactOutcome, ...] = tuple(ContactOutcome)
# Outcomes where the worker actually spoke with the person.
CONTACT_MADE_OUTCOMES: tuple[ContactOutcome, ...] = (
    ContactOutcome.SPOKE_ENGAGED,
    ContactOutcome.SPOKE_DECLINED,
)
KIT_TYPES: tuple[KitType, ...] = tuple(KitType)
KIT_RECIPIENTS: tuple[KitRecipient, ...] = tuple(KitRecipient)
SUPPLY_TYPES: tuple[SupplyType, ...] = tuple(SupplyType)
RESUPPLY_REASONS: tuple[ResupplyReason, ...] = tuple(ResupplyReason)
TREATMENT_EXIT_REASONS: tuple[TreatmentExitReason, ...] = tuple(TreatmentExitReason)
SERVICE_TYPES: tuple[ServiceType, ...] = tuple(ServiceType)
GENDERS: tuple[Gender, ...] = tuple(Gender)
LETTER_TEMPLATES: tuple[LetterTemplate, ...] = tuple(LetterTemplate)
AUDIT_ACTIONS: tuple[AuditAction, ...] = tuple(AuditAction)
MATCH_REVIEW_STATES: tuple[MatchReviewState, ...] = tuple(MatchReviewState)
MATCH_OUTCOMES: tuple[MatchOutcome, ...] = tuple(MatchOutcome)

_SPECIAL_LABELS = {
    "sms": "Text message (SMS)",
    "verbal_at_scene_via_police": "Verbal at scene (via police)",
    "gp": "GP",
    "full": "Name, address and phone",
    "name_address": "Name and address",
    "name_phone": "Name and phone",
    "no_usable_details": "No usable address or phone",
    "Y": "Yes",
    "N": "No",
    "via_family": "Through family or friends",
}


def label(value: str | None) -> str:
    """Turn a stored value such as ``in_treatment`` into display text such as ``In treatment``."""
    if not value:
        return ""
    return _label(str(value))


@lru_cache(maxsize=4096)  # a few hundred stored values, shown again and again (timelines)
def _label(value: str) -> str:
    if value in _SPECIAL_LABELS:
        return _SPECIAL_LABELS[value]
    text = value.replace("_", " ")
    return text[0].upper() + text[1:]


class LetterState(StrEnum):
    """Where a stored letter is: due until printed or saved, then printed, posted, returned."""

    DUE = "due"
    PRINTED = "printed"
    POSTED = "posted"
    RETURNED = "returned"


LETTER_STATES: tuple[LetterState, ...] = tuple(LetterState)


class QuarantineState(StrEnum):
    """Where a rejected referral kept in quarantine stands."""

    PENDING = "pending"  # waiting for a lead to correct and import it, or dismiss it
    IMPORTED = "imported"  # corrected and imported as a referral
    DISMISSED = "dismissed"  # set aside by a lead, with a reason


QUARANTINE_STATES: tuple[QuarantineState, ...] = tuple(QuarantineState)


class Traceability(StrEnum):
    """How traceable a referral was at intake, from what the police gave with it.

    The rules (a usable address, a usable phone) are in ``followup.intake.traceability``.
    """

    FULL = "full"  # a name, a usable address and a usable phone
    NAME_ADDRESS = "name_address"  # a name and a usable address, no usable phone
    NAME_PHONE = "name_phone"  # a name and a usable phone, no usable address
    NAME_ONLY = "name_only"  # a name, but neither a usable address nor a usable phone
    DESCRIPTION_ONLY = "description_only"  # no name: only a description of the person


TRACEABILITY: tuple[Traceability, ...] = tuple(Traceability)
# Classes with no way to reach the person: no usable address and no usable phone.
UNTRACEABLE: tuple[Traceability, ...] = (Traceability.NAME_ONLY, Traceability.DESCRIPTION_ONLY)


class NoContactReason(StrEnum):
    """Why a case was closed without the worker ever speaking with the person."""

    NO_USABLE_ADDRESS = "no_usable_address"
    NO_USABLE_PHONE = "no_usable_phone"
    NO_USABLE_DETAILS = "no_usable_details"  # neither an address nor a phone to try
    WRONG_NUMBER = "wrong_number"
    NOT_AT_ADDRESS = "not_at_address"
    NO_RESPONSE_TO_ATTEMPTS = "no_response_to_attempts"
    DECLINED_VIA_THIRD_PARTY = "declined_via_third_party"
    MOVED_AWAY = "moved_away"
    IN_CUSTODY = "in_custody"
    DECEASED = "deceased"
    OTHER = "other"


NO_CONTACT_REASONS: tuple[NoContactReason, ...] = tuple(NoContactReason)
# The reasons that say the person could never be traced from what the service was given.
NO_TRACE_REASONS: tuple[NoContactReason, ...] = (
    NoContactReason.NO_USABLE_ADDRESS,
    NoContactReason.NO_USABLE_PHONE,
    NoContactReason.NO_USABLE_DETAILS,
    NoContactReason.WRONG_NUMBER,
    NoContactReason.NOT_AT_ADDRESS,
)
