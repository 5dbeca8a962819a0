"""The installers' files agree with each other and with the app (the build itself runs in CI:
`make package-linux` and packaging/linux/smoke-test.sh)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def test_the_desktop_entry_starts_followup_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(PACKAGING / "linux" / "followup.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "Followup"
    assert desktop["Exec"] == "followup" and desktop["Terminal"] == "false"
    assert desktop["Icon"] == "followup"
    build = (PACKAGING / "linux" / "build-deb.sh").read_text(encoding="utf-8")
    assert "hicolor/256x256/apps/followup.png" in build and "followup.desktop" in build


def test_the_icons_are_rendered_from_the_svg():
    icons = ROOT / "src" / "followup" / "resources" / "icons"
    assert (icons / "followup.svg").is_file()
    with Image.open(icons / "followup-256.png") as png:
        assert png.size == (256, 256)
    with Image.open(PACKAGING / "windows" / "followup.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])


def test_the_windows_installer_names_the_programs_the_spec_builds():
    spec = (PACKAGING / "followup.spec").read_text(encoding="utf-8")
    iss = (PACKAGING / "windows" / "followup.iss").read_text(encoding="utf-8")
    built = set(re.findall(r'program\("([^"]+)"', spec))
    assert {"Followup", "followup-cli", "followup"} <= built
    started = set(re.findall(r"\{app\}\\([\w-]+)\.exe", iss))
    assert started and started <= built
    assert r"{group}\Followup" in iss  # the Start-menu entry


def test_webengine_is_kept_out_of_the_bundle():
    spec = (PACKAGING / "followup.spec").read_text(encoding="utf-8")
    for module in ("PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtMultimedia"):
        assert f'"{module}"' in spec
