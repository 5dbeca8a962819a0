"""What every PDF Followup makes shares: the embedded fonts and the way text is drawn.

- ``fonts``: DejaVu Sans for every PDF: registered once per process, embedded, and fast.
- ``join``: Stored letters joined into one print job, their shared fonts and logo written once.
- ``text``: Text cleaned, put in visual order (Arabic, Hebrew) and wrapped, as every PDF draws it.
"""

__all__ = ["fonts", "join", "text"]
