"""Widgets shared by every screen: messages, tables, the PDF preview, and the look.

- ``conflict``: The "someone else changed this" bar (Reload, Keep my entry) every editor shows.
- ``dates``: Date and time editors on the UK clock, whatever the computer's own time zone.
- ``look``: The style sheet in resources/, widget roles, and the colours models and charts paint.
- ``messages``: The one message widget (``InlineMessage``) for refusals, failures and confirmations.
- ``named``: Names a screen reader says: a visible label that names the control beside it.
- ``pdf_preview``: Letters on screen and on paper: a QtPdf preview with Print… and Save as PDF….
- ``print_dialog``: Choosing a CUPS print queue for letters: the printer and the number of copies, no page range.
- ``screens``: Windows that fit the screen they open on, and the main window's remembered size and place.
- ``row_table``: A read-only table of rows that asks for the current row to be opened on Enter or a double-click.
"""

__all__ = [
    "conflict",
    "dates",
    "look",
    "messages",
    "named",
    "pdf_preview",
    "print_dialog",
    "row_table",
    "screens",
]
