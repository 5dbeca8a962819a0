"""Backups and restores of a PostgreSQL team database with pg_dump and pg_restore.

The password goes to the tools in the PGPASSWORD environment variable, never on the command
line (where other users of the machine could read it). pg_dump must be at least as new as the
server, so the newest installed version is preferred.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from followup.db.engine import Database, describe, make_engine
from followup.files import create_private_file
from followup.protection.backup.common import (
    BackupProblem,
    DatabaseInUse,
    check_backup_folder,
    free_name,
    refuse_newer,
)
from followup.protection.backup.digest import write_digest
from followup.uktime import uk_now

__all__ = ["DUMP_MAGIC", "dump_revision", "find_tool", "pg_dump", "pg_restore"]

DUMP_MAGIC = b"PGDMP"
TIMEOUT_S = 3600


def find_tool(name: str) -> str | None:
    """pg_dump or pg_restore: the newest of /usr/lib/postgresql/*/bin, else on the PATH."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}") + glob.glob(
        f"C:/Program Files/PostgreSQL/*/bin/{name}.exe"
    )

    def version(p: str) -> int:
        m = re.search(r"[/\\](\d+)[/\\]bin", p)
        return int(m.group(1)) if m else 0

    found = [p for p in found if os.access(p, os.X_OK)]
    if found:
        return max(found, key=version)
    return shutil.which(name)


def _tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        raise BackupProblem(
            f"Backing up or restoring a PostgreSQL database needs {name}, which is not "
            "installed here; install the PostgreSQL client tools (the same version as the "
            "server, or newer) or ask whoever runs the server. Nothing was changed."
        )
    return path


def _connection(url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options naming the database, and the environment holding the password."""
    u = make_url(url)
    password = u.password
    if password is None:
        from followup.settings import stored_database_password

        password = stored_database_password(u.render_as_string(hide_password=False))
    env = dict(os.environ)
    env["PGCONNECT_TIMEOUT"] = "5"
    if password is not None:
        env["PGPASSWORD"] = password
    sslmode = u.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    args = ["--no-password", "-h", u.host or "localhost", "-p", str(u.port or 5432)]
    if u.username:
        args += ["-U", u.username]
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupProblem(f"{what} failed ({type(exc).__name__}); nothing was changed.") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        reason = lines[0].split(": ", 1)[-1] if lines else f"exit code {done.returncode}"
        raise BackupProblem(f"{what} failed ({reason.rstrip('.')}).")
    return done.stdout


def dump_revision(path: Path) -> str | None:
    """The Followup schema revision inside a pg_dump custom-format file; None if not Followup."""
    try:
        with path.open("rb") as fh:
            if not fh.read(5).startswith(DUMP_MAGIC):
                return None
    except OSError:
        return None
    pg_restore = _tool("pg_restore")
    listing = _run([pg_restore, "-l", str(path)], dict(os.environ), "Reading the backup")
    if not re.search(r"TABLE DATA \S+ alembic_version ", listing):
        return None
    data = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "-f", "-", str(path)],
        dict(os.environ),
        "Reading the backup",
    )
    m = re.search(r"COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n", data)
    return m.group(1).strip() if m else None


def pg_dump(url: str, target: Path) -> str:
    """Dump the database to ``target`` (custom format), checked, under a temporary name first."""
    tool = _tool("pg_dump")
    args, env = _connection(url)
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        create_private_file(tmp)  # pg_dump truncates it and keeps its mode: 0600
        _run(
            [tool, "-Fc", "-f", str(tmp), *args, "-d", make_url(url).database or ""],
            env,
            f"Backing up {describe(url)} with pg_dump",
        )
        revision = dump_revision(tmp)
        if revision is None:
            raise BackupProblem(f"{describe(url)} is not a Followup database; no backup was kept.")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return revision


def _dump_tables(path: Path) -> set[str]:
    listing = _run([_tool("pg_restore"), "-l", str(path)], dict(os.environ), "Reading the backup")
    return set(re.findall(r"\d+ \d+ TABLE public (\S+) ", listing))


def pg_restore(url: str, source: Path, folder: Path) -> tuple[str, Path | None]:
    """Restore a pg_dump backup into the database at ``url``; returns (revision, safety copy)."""
    revision = dump_revision(source)
    if revision is None:
        raise BackupProblem(
            f"{source} is not a Followup backup of a PostgreSQL database; nothing was changed."
        )
    refuse_newer(revision, source)
    tool = _tool("pg_restore")
    db = Database(url, make_engine(url))
    try:
        db.ping()
        with db.engine.connect() as conn:
            others = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar_one()
            present = set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
        if others:
            raise DatabaseInUse(
                f"{describe(url)[:1].upper()}{describe(url)[1:]} is in use by {others} other "
                "connection(s); everyone must close Followup before a restore. Nothing was "
                "changed."
            )
        safety = None
        if "alembic_version" in present:
            check_backup_folder(folder)
            stem = make_url(url).database or "followup"
            safety = free_name(folder, stem, uk_now(), "before-restore", "dump")
            pg_dump(url, safety)
            write_digest(safety)  # so that it can itself be restored, checked
        extra = sorted(present - _dump_tables(source))
        if extra:
            # Tables from a later schema than the backup's: the migrations will make them again.
            with db.engine.begin() as conn:
                for name in extra:
                    conn.execute(text(f'DROP TABLE IF EXISTS public."{name}" CASCADE'))
        args, env = _connection(url)
        cmd = [
            tool,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            *args,
            "-d",
            make_url(url).database or "",
            str(source),
        ]
        try:
            _run(cmd, env, f"Restoring {describe(url)} with pg_restore")
        except BackupProblem:
            if extra and safety is not None:  # put back what was dropped above
                _run([*cmd[:-1], str(safety)], env, "Putting the database back")
            raise
    finally:
        db.dispose()
    return revision, safety
