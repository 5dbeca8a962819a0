"""Commands that only read data start light: `followup --version` loads no SQLAlchemy, and
`followup cases` and `followup report` load neither the desktop app (Qt) nor what only other
commands need (Alembic, ReportLab, the phone and NHS number checkers, fuzzy matching, Faker).

Each command runs in a fresh interpreter, and the probe lists what it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from followup.accounts import actor_of, create_user
from followup.db.migrate import open_database
from followup.vocab import Role

HEAVY = ("PySide6", "alembic", "mako", "reportlab", "phonenumbers", "stdnum", "rapidfuzz", "faker")

PROBE = """
import json, sys
from followup.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:  # --version
    code = exc.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(args: list[str], tmp_path: Path, watch: tuple[str, ...]) -> list[str]:
    env = dict(os.environ, FOLLOWUP_PASSWORD="test-only-pass")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watch), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return result["loaded"]


@pytest.fixture
def team_file(tmp_path: Path) -> str:
    path = tmp_path / "cli.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    try:
        with db.session() as s:
            admin = create_user(s, None, "admin", Role.ADMIN, "test-only-pass", policy=False)
            for name, role in (("reader", Role.WORKER), ("boss", Role.LEAD)):
                create_user(
                    s, actor_of(admin), name, role, "test-only-pass", "Test User", policy=False
                )
    finally:
        db.dispose()
    return str(path)


def test_version_loads_no_database_library(tmp_path):
    assert loaded_by(["--version"], tmp_path, ("sqlalchemy", *HEAVY)) == []


@pytest.mark.parametrize(
    "args",
    [
        ["cases", "--search", "Smith", "--user", "reader", "--json"],
        ["cases", "--status", "new", "--overdue", "--user", "reader"],
        ["report", "engagement", "--user", "boss", "--json"],
        ["report", "engagement", "--by", "worker", "--user", "boss"],
    ],
)
def test_reading_commands_load_nothing_they_do_not_use(tmp_path, team_file, args):
    assert loaded_by([*args, "--db", team_file], tmp_path, HEAVY) == []


def test_a_search_with_digits_still_finds_by_phone(tmp_path, team_file):
    """The phone checker loads when the search could be a phone number, and only then."""
    args = ["cases", "--search", "07700 900123", "--user", "reader", "--db", team_file]
    assert loaded_by(args, tmp_path, ("phonenumbers",)) == ["phonenumbers"]


# Prints what a command loaded of ``followup.cli`` (its modules, by full name), whether Alembic
# was loaded, and every statement that read the schema revision.
MODULES_PROBE = """
import json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
revision_reads = []
@event.listens_for(Engine, "before_cursor_execute")
def note(conn, cursor, statement, params, context, many):
    if "alembic_version" in statement:
        revision_reads.append(statement)
from followup.cli import main
code = main(sys.argv[1:])
print(json.dumps({
    "code": code,
    "cli": sorted(m for m in sys.modules if m.startswith("followup.cli.")),
    "alembic": any(m.split(".")[0] in ("alembic", "mako") for m in sys.modules),
    "revision_reads": revision_reads,
}))
"""


def probe(args: list[str], tmp_path: Path) -> dict[str, object]:
    env = dict(os.environ, FOLLOWUP_PASSWORD="test-only-pass")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var)
    done = subprocess.run(
        [sys.executable, "-c", MODULES_PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return result


def test_a_search_loads_no_other_command_and_reads_the_revision_once(tmp_path, team_file):
    """`followup cases` on an up-to-date file: none of the other commands' modules (backup,
    settings, users, reports...), no Alembic, and the schema revision read in one query."""
    result = probe(["cases", "--search", "Smith", "--user", "reader", "--db", team_file], tmp_path)
    assert result["cli"] == ["followup.cli.support"]
    assert result["alembic"] is False
    assert result["revision_reads"] == ["SELECT version_num FROM alembic_version"]


def test_a_report_loads_the_report_commands_only(tmp_path, team_file):
    result = probe(["report", "engagement", "--user", "boss", "--db", team_file], tmp_path)
    assert "followup.cli.reports" in result["cli"]
    assert not {"followup.cli.admin", "followup.cli.settings", "followup.cli.users"} & set(
        result["cli"]  # type: ignore[arg-type]
    )


def test_help_still_lists_every_command(capsys):
    from followup.cli import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    choices = capsys.readouterr().out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert sorted(choices) == sorted(COMMANDS)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["cases", "--search", "x"], "cases"),
        (["--db", "cases", "report", "engagement"], "report"),  # --db's value is not the command
        (["--db=f.sqlite", "users", "list"], "users"),
        (["--help", "cases"], None),  # help of the whole program
        (["--version"], None),
        (["casez"], None),  # a mistake: the whole parser names every choice
        ([], None),  # the desktop app
    ],
)
def test_the_command_is_found_before_parsing(argv, command):
    from followup.cli import chosen_command

    assert chosen_command(argv) == command
