"""Starting the app on a Linux desktop that lacks Qt's system libraries names the packages."""

from __future__ import annotations

import ctypes
import sys

import pytest

from followup.ui import system_libs
from followup.ui.shell.app import run_app


def test_the_missing_packages_are_named_for_an_x11_desktop():
    missing = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    packages = system_libs.missing_packages(
        platform="linux", environ={"DISPLAY": ":0"}, loads=lambda so: so not in missing
    )
    assert packages == ["libxcb-cursor0", "libxkbcommon-x11-0"]
    sentence = system_libs.missing_sentence(packages)
    assert sentence.endswith("sudo apt install libxcb-cursor0 libxkbcommon-x11-0 (see README.md).")


def test_no_check_where_the_window_does_not_use_xcb():
    never = lambda so: False  # noqa: E731 - every library missing
    assert system_libs.missing_packages(platform="win32", environ={}, loads=never) == []
    assert (
        system_libs.missing_packages(
            platform="linux", environ={"QT_QPA_PLATFORM": "offscreen"}, loads=never
        )
        == []
    )
    assert (
        system_libs.missing_packages(
            platform="linux", environ={"WAYLAND_DISPLAY": "wayland-0"}, loads=never
        )
        == []
    )
    assert system_libs.missing_packages(
        platform="linux", environ={"QT_QPA_PLATFORM": "xcb"}, loads=never
    ) == sorted(set(system_libs.XCB_LIBRARIES.values()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_app_stops_with_one_sentence_before_qt_fails(monkeypatch, capsys):
    """The real start-up path, with the loader refusing one library as a bare machine would."""
    real = ctypes.CDLL

    def loader(name, *args, **kwargs):
        if name == "libxcb-cursor.so.0":
            raise OSError(f"{name}: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(system_libs.ctypes, "CDLL", loader)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    code = run_app(None)
    err = capsys.readouterr().err
    assert code == 1
    assert "libxcb-cursor0" in err and err.count(".") <= 3 and "Traceback" not in err


def test_the_readme_and_ci_name_the_same_packages():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    block = readme.split("sudo apt install libxcb-cursor0", 1)[1].split("```", 1)[0]
    listed = {"libxcb-cursor0", *block.replace("\\", " ").split()}
    ci = root.joinpath(".ci", "run").read_text(encoding="utf-8")
    in_ci = set(ci.split('QT_LIBS="', 1)[1].split('"', 1)[0].split())
    assert listed == in_ci == set(system_libs.XCB_LIBRARIES.values())
