"""The system libraries Qt needs to open a window on Linux, named before Qt tries.

Without them Qt stops with "could not load the Qt platform plugin xcb", which names neither
the library nor the package. ``missing_packages`` tries each library as the dynamic loader
would (by its soname, so it is fast and exact) and gives the Debian/Ubuntu packages to install;
``run_app`` says them in one sentence and exits. README.md lists the same packages.
Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

__all__ = ["XCB_LIBRARIES", "missing_packages", "missing_sentence"]

# soname -> Debian package, for Qt 6's xcb platform plugin (the one a desktop session uses).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def _uses_xcb(environ: dict[str, str]) -> bool:
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_packages(
    *,
    platform: str | None = None,
    environ: dict[str, str] | None = None,
    loads: Callable[[str], bool] = _loads,
) -> list[str]:
    """The packages to install before Qt can open a window here (none off Linux or xcb)."""
    platform = platform or sys.platform
    if not platform.startswith("linux") or not _uses_xcb(
        dict(os.environ if environ is None else environ)
    ):
        return []
    return sorted({package for so, package in XCB_LIBRARIES.items() if not loads(so)})


def missing_sentence(packages: list[str]) -> str:
    return (
        "Followup cannot open its window: this computer lacks system libraries Qt needs; "
        f"install them with: sudo apt install {' '.join(packages)} (see README.md)."
    )
