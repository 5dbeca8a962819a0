"""Data protection: backups, integrity, retention and the purge, subject access, team-server roles.

- ``backup``: Backups and restores of the database, SQLite or PostgreSQL, and their rotation.
- ``integrity``: Guarding the database file: the start-up integrity check, setting a damaged file aside.
- ``purge``: The retention purge: the one way a person leaves the database, with all that is theirs.
- ``retention``: Finding the people whose records are past their keeping time, and destroying them.
- ``subject_access``: Everything held about one person, as a readable PDF and a JSON file.
- ``team_accounts``: Users on a team server: each a login role, checked by the server itself.
- ``team_server``: A team's PostgreSQL server that enforces Followup's rules itself: groups,
  rights, row-level security, audit triggers and the definer functions.
"""

__all__ = [
    "backup",
    "integrity",
    "purge",
    "retention",
    "subject_access",
    "team_accounts",
    "team_server",
]
