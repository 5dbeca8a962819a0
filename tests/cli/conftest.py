"""Running `followup` in-process, as its real entry point, on a database file of the test."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from followup.cli import main


@pytest.fixture
def run(monkeypatch, capsys):
    """Run `followup ARGS` in-process with the given stdin; returns (code, stdout, stderr)."""

    def _run(*args: str, stdin: str = "", env: dict[str, str] | None = None):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        code = main(list(args))
        for key in env or {}:
            monkeypatch.delenv(key)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    return str(tmp_path / "cli.sqlite")
