"""A damaged SQLite file is never written: `followup cases` and `followup import` refuse it
(exit 2) and leave it byte-identical, `followup check` names the damage in one sentence, and
`followup restore --latest` sets it aside and restores the newest good backup.

The damage is real: bytes flipped in a data page (the cases table's root page) of a populated
file. The commands run as `python -m followup` processes, as a user runs them.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from followup.db import health
from followup.db import models as m
from followup.db.migrate import open_database
from followup.errors import DatabaseDamaged
from followup.intake.importer import import_file
from followup.protection.backup.common import configured_backup_folder
from followup.settings import AppPaths
from tests.intake.helpers import NOW, nhs, row, write_csv

CASES = 120


@pytest.fixture
def populated(sqlite_database, team, tmp_path) -> Path:
    """A real SQLite file with cases in it, closed (its WAL written into the file)."""
    rows = [
        row(
            police_reference=f"TST-DMG-{i:04d}",
            first_name="Testperson",
            last_name=f"Number{i}",
            date_of_birth=f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1960 + i % 40}",
            nhs_number=nhs(i),
        )
        for i in range(CASES)
    ]
    import_file(sqlite_database, team["lead"], write_csv(tmp_path / "first.csv", rows), now=NOW)
    sqlite_database.dispose()
    path = Path(sqlite_database.url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def flip_a_data_page(path: Path, table: str = "case_file") -> None:
    """XOR the first bytes of ``table``'s root page: its page header becomes nonsense."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    offset = (root[0] - 1) * page_size
    with path.open("r+b") as fh:
        fh.seek(offset)
        data = fh.read(12)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in data))
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def followup(*args: str, db: Path, user: str = "lead") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        FOLLOWUP_USER=user,
        FOLLOWUP_PASSWORD=f"pass-{user}",
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
    )
    return subprocess.run(
        [sys.executable, "-m", "followup", *args, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("followup: The database file ")
    assert "is damaged" in proc.stderr and "followup restore --latest" in proc.stderr
    assert proc.stderr.count("\n") == 1  # one sentence, no traceback
    assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr


def untouched(path: Path, digest: str) -> bool:
    wal = Path(f"{path}-wal")
    return sha256(path) == digest and (not wal.exists() or wal.stat().st_size == 0)


def test_cases_and_import_refuse_a_freshly_damaged_file_and_leave_it_byte_identical(
    populated, tmp_path
):
    assert followup("check", db=populated).returncode == 0  # known good...
    flip_a_data_page(populated)  # ...then damaged, and nobody has checked it since
    digest = sha256(populated)
    new = write_csv(tmp_path / "new.csv", [row(police_reference="TST-NEW-1")])

    assert_refused(followup("cases", "--search", "Testperson", db=populated))
    assert untouched(populated, digest)
    assert_refused(followup("import", str(new), db=populated, user="worker1"))
    assert untouched(populated, digest)
    assert not health.last_check(populated).ok  # found, and remembered


def test_check_names_the_damage_in_one_sentence_then_nothing_writes(populated, tmp_path):
    flip_a_data_page(populated)
    digest = sha256(populated)

    proc = followup("check", db=populated)
    assert proc.returncode == 2 and "unexpected" not in proc.stdout + proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith("Problem: ")]
    assert problems == [
        f"Problem: The database file {populated} is damaged (SQLite found part of it "
        "unreadable), so Followup will not write to it; run `followup restore --latest` to set "
        "it aside and restore the newest good backup."
    ]
    assert untouched(populated, digest)

    new = write_csv(tmp_path / "new.csv", [row(police_reference="TST-NEW-1")])
    assert_refused(followup("import", str(new), "--json", db=populated, user="worker1"))
    assert_refused(followup("cases", db=populated))
    assert_refused(followup("users", "list", db=populated))
    assert untouched(populated, digest)


def test_damage_met_by_any_statement_is_a_refusal_and_is_remembered(populated):
    """Damage the opening does not look for (as the app opens: header and the stored result
    only) is met by a query: that is one sentence, and from then on the file is refused."""
    flip_a_data_page(populated)
    db = open_database("sqlite:///" + str(populated), migrate=False)
    try:
        with pytest.raises(DatabaseDamaged, match="is damaged"), db.session() as s:
            s.scalars(select(m.Case)).all()
    finally:
        db.dispose()
    digest = sha256(populated)
    assert_refused(followup("cases", db=populated))
    assert untouched(populated, digest)


def test_restore_latest_sets_the_damaged_file_aside_and_restores_the_newest_good_backup(
    populated, run
):
    folder = configured_backup_folder(AppPaths.default())
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    code, out, err = run("backup", str(folder), "--db", str(populated), "--user", "admin",
                         env={"FOLLOWUP_PASSWORD": "pass-admin"})  # fmt: skip
    assert code == 0, err
    flip_a_data_page(populated)
    damaged = populated.read_bytes()
    assert run("check", "--db", str(populated))[0] == 2

    code, out, err = run("restore", "--latest", "--db", str(populated), "--user", "admin",
                         env={"FOLLOWUP_PASSWORD": "pass-admin"})  # fmt: skip
    assert (code, err) == (0, ""), err
    assert f"The damaged file was set aside as {populated.parent}" in out
    aside = next(populated.parent.glob(f"{populated.name}.damaged-*"))
    assert aside.read_bytes() == damaged  # set aside, never written to

    code, out, err = run("check", "--db", str(populated))
    assert (code, err) == (0, ""), out
    code, out, err = run("cases", "--db", str(populated), "--user", "lead",
                         env={"FOLLOWUP_PASSWORD": "pass-lead"})  # fmt: skip
    assert code == 0 and f"of {CASES} cases shown" in out


def test_restore_latest_without_a_good_backup_changes_nothing(populated, run):
    flip_a_data_page(populated)
    digest = sha256(populated)
    code, _, err = run("restore", "--latest", "--db", str(populated), "--user", "admin",
                       env={"FOLLOWUP_PASSWORD": "pass-admin"})  # fmt: skip
    assert code == 2 and "There is no good backup of" in err and "nothing was changed" in err
    assert untouched(populated, digest)
    code, _, err = run("restore", "--db", str(populated))
    assert code == 2 and "--latest" in err
