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
    for name in ("PySide6-Essentials", "PySide6-Addons"):
        pyside = _requirement(name)
        assert "6.12.0" not in pyside.specifier
        assert "6.11.3" in pyside.specifier and "6.12.1" in pyside.specifier


def test_qt_comes_without_the_metapackage():
    """The PySide6 metapackage would make every install depend on it by name; Followup names
    the two wheels it uses, and the installers bundle only the Qt modules imported."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert not [r for r in project["dependencies"] if Requirement(r).name.lower() == "pyside6"]
