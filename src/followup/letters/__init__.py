"""Referral letters: templates and wording, what a letter says, drawing it, batches.

- ``batch``: The letters due, and batch printing: many letters in one PDF, stored all together or not at all.
- ``content``: What a letter says: the case's details turned into the plain text of one letter.
- ``making``: Referral letters: make, store, reopen and print them, for one case or in a batch.
- ``notify_check``: GOV.UK Notify's printable format for precompiled letters, and the check every letter passes.
- ``printing``: Sending letters to a CUPS print queue as the PDF itself, and knowing whether it was taken.
- ``render``: Drawing letters as A4 PDF pages with ReportLab: letterhead, envelope window, body, footer.
- ``settings``: The letterhead and the wording of each letter template, kept in the ``setting`` table.
- ``states``: Where each stored letter is: due, printed, posted or returned, and the user's word on it.
- ``templates``: The four letter templates: who each goes to, the consent it rests on, its default wording
"""

__all__ = [
    "batch",
    "content",
    "making",
    "notify_check",
    "printing",
    "render",
    "settings",
    "states",
    "templates",
]
