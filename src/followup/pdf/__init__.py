"""What every PDF Followup makes shares: the embedded fonts and the way text is drawn.

- ``fonts``: DejaVu Sans for letters: registered once per process, embedded in every PDF, and fast.
- ``text``: Text cleaned, put in visual order (Arabic, Hebrew) and wrapped, as every PDF draws it.
"""

__all__ = ["fonts", "text"]
