"""The schema revision is checked without Alembic: its head is read from the migration files'
text, and a command that only reads data never loads Alembic (nor mako and pygments)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from followup.accounts import actor_of, create_user
from followup.db.engine import Database, make_engine
from followup.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    known_revisions,
    open_database,
    revision_graph,
)
from followup.vocab import Role


def test_head_read_from_the_files_is_alembics_head():
    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == script.get_current_head()
    assert known_revisions() == {s.revision for s in script.walk_revisions()}
    for s in script.walk_revisions():
        down = s.down_revision
        expected = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        assert revision_graph()[s.revision] == expected


def test_current_revision_of_an_empty_and_an_upgraded_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "empty.sqlite")
    empty = Database(url, make_engine(url, create=True))
    try:
        assert current_revision(empty) is None
    finally:
        empty.dispose()
    db = open_database(url)
    try:
        assert current_revision(db) == head_revision()
    finally:
        db.dispose()


PROBE = """
import json, sys
from followup.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("alembic", "mako", "pygments") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}))
"""


def test_listing_cases_does_not_load_alembic(tmp_path):
    path = tmp_path / "cli.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    try:
        with db.session() as s:
            admin = create_user(s, None, "admin", Role.ADMIN, "test-only-pass", policy=False)
            create_user(
                s,
                actor_of(admin),
                "reader",
                Role.WORKER,
                "test-only-pass",
                "Test Reader",
                policy=False,
            )
    finally:
        db.dispose()
    env = dict(os.environ, FOLLOWUP_PASSWORD="test-only-pass")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "cases", "--search", "Smith", "--db", str(path)]
        + ["--user", "reader", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    assert result["heavy"] == []
    assert Path(path).exists()
