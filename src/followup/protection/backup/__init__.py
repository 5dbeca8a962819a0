"""Backups and restores of the database, SQLite or PostgreSQL, and their rotation.

- ``files``: Backups and restores of the Followup database, and the rolling schedule of automatic backups.
- ``postgres``: Backups and restores of a PostgreSQL team database with pg_dump and pg_restore.
- ``sqlite``: Restoring a SQLite database file from a backup, changing nothing unless it can finish.
"""

__all__ = ["files", "postgres", "sqlite"]
