"""Intake in the app: importing files, the import folder, the inbox and the match comparison.

- ``folder_watcher``: Watching the import folder from the app, and choosing it.
- ``import_dialog``: Importing a police referral file from the app: choose it, preview it, import it, read what landed.
- ``import_preview``: The preview of an import, row by row, before anything is written; and what landed, after.
- ``import_menu``: The Import menu of the main window: import a file by hand, and the import folder.
- ``inbox_data``: What the inbox shows, fetched on a pool thread and formatted as plain display-ready rows.
- ``inbox_view``: The intake inbox: new unassigned cases and possible matches waiting for a person to decide.
- ``match_dialog``: The side-by-side comparison of an uncertain match: same person, or different people.
- ``rejected_view``: Rejected referrals, for team leads: correct and import each, or dismiss it with a reason.
"""

__all__ = [
    "folder_watcher",
    "import_dialog",
    "import_preview",
    "import_menu",
    "inbox_data",
    "inbox_view",
    "match_dialog",
    "rejected_view",
]
