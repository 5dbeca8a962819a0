"""Data protection: backups, integrity, retention, subject access, team-server roles.

- ``integrity``: Guarding the database file: the start-up integrity check, setting a damaged file aside,
- ``retention``: Retention: finding the people whose records are past their keeping time, and destroying them.
- ``team_server``: Least-privilege roles for a team's PostgreSQL server, and the one way to delete a person.
- ``backup``: TODO package docstring.
- ``subject_access``: TODO package docstring.
"""

__all__ = ["integrity", "retention", "team_server", "backup", "subject_access"]
