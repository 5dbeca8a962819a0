"""Subject access: everything held about one person, as a PDF and a JSON file.

- ``model``: What a pack holds, as plain data, and its JSON form.
- ``pack``: Gathering a pack (team leads only, audited) and writing its files.
- ``pdf``: The readable PDF of a pack: a cover with the dates, then one section per kind of record.
"""

__all__ = ["model", "pack", "pdf"]
