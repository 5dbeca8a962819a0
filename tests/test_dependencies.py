"""The dependency range keeps out releases known to crash or corrupt a long session."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _requirement(name: str) -> Requirement:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == name]
    assert len(found) == 1, f"{name} is listed {len(found)} times"
    return found[0]


def test_pyside6_6_12_0_is_kept_out():
    """6.12.0 drops a reference to None whenever a model's data() returns None; a long scroll
    through a large caseload then aborts with "Fatal Python error: none_dealloc"."""
    pyside = _requirement("PySide6")
    assert "6.12.0" not in pyside.specifier
    assert "6.11.3" in pyside.specifier and "6.12.1" in pyside.specifier
