"""Backups and restores of the database, SQLite or PostgreSQL, and their rotation.

- ``common``: What every backup and restore shares: problems, reports, the folder, file names.
- ``database``: Backing up and restoring the Followup database, whichever backend holds it.
- ``digest``: A backup's digest, made when it was taken, so that a restore refuses a backup changed since.
- ``postgres``: Backups and restores of a PostgreSQL team database with pg_dump and pg_restore.
- ``rotation``: The rolling schedule of automatic backups, and the newest good backup.
- ``sqlite``: Restoring a SQLite database file from a backup, changing nothing unless it can finish.
"""

__all__ = ["common", "database", "digest", "postgres", "rotation", "sqlite"]
