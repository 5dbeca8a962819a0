"""Police referral intake: read, validate, match and store files; the inbox; merging people.

- ``folder``: The import folder: referral files dropped into a folder are imported, then filed away.
- ``importer``: Intake of police referral files: read, validate, match and store them, all or nothing.
- ``inbox``: The intake inbox: new, unassigned cases and uncertain person matches waiting for a decision.
- ``matching``: Matching incoming referrals to known people, so that a repeat overdose is seen as one.
- ``merging``: Deciding uncertain person matches: "same person" merges two records, and can be undone.
- ``quarantine``: Rejected referrals kept in quarantine: a team lead corrects and imports them, or dismisses them.
- ``read``: Reading police referral files: CSV or JSON, streamed row by row with bounded memory.
- ``rules``: The row rules of police referral intake: what rejects a row and what is left out with a warning.
- ``store``: Writing accepted referrals: people, cases, referrals, warnings, match reviews, scene consent.
- ``traceability``: How traceable a referral is, from what the police gave with it (issue 17).
"""

__all__ = [
    "folder",
    "importer",
    "inbox",
    "matching",
    "merging",
    "quarantine",
    "read",
    "rules",
    "store",
    "traceability",
]
