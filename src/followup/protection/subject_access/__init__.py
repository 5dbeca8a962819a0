"""Subject access: everything held about one person, as a PDF and a JSON file.

- ``pack``: Subject access: everything held about one person, as a readable PDF and a JSON file.
- ``pdf``: The readable PDF of a subject access pack: a cover with the dates, then one section per
"""

__all__ = ["pack", "pdf"]
