"""What every PDF Followup makes shares: the embedded fonts.

- ``fonts``: DejaVu Sans for letters: registered once per process, embedded in every PDF, and fast.
"""

__all__ = ["fonts"]
