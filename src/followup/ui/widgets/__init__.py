"""Widgets shared by every screen: messages, tables, the PDF preview.

- ``pdf_preview``: Letters on screen and on paper: a QtPdf preview with Print… and Save as PDF….
- ``row_table``: A read-only table of rows that asks for the current row to be opened on Enter or a double-click.
"""

__all__ = ["pdf_preview", "row_table"]
