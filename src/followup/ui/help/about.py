"""The About dialog: Followup's version, the database in use, and the licences of the fonts and
libraries that ship with it.

The database is named as a person can find it again: the SQLite file's path, or the server's
URL with any password replaced by ``***``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import metadata, resources
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from followup.ui.widgets.screens import fit_to_screen

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "FONTS",
    "LIBRARIES",
    "AboutDialog",
    "Bundled",
    "about_html",
    "app_version",
    "database_in_use",
    "shipped_fonts",
]


@dataclass(frozen=True)
class Bundled:
    """A font or library that ships with Followup, and the licence it ships under."""

    name: str
    licence: str
    package: str = ""  # the distribution whose installed version is shown


# The main libraries, by distribution name; their licence as each project states it.
LIBRARIES: tuple[Bundled, ...] = (
    Bundled("Qt for Python (PySide6) and Qt 6", "LGPL-3.0", "PySide6-Essentials"),
    Bundled("SQLAlchemy", "MIT", "SQLAlchemy"),
    Bundled("Alembic", "MIT", "alembic"),
    Bundled("ReportLab", "BSD-3-Clause", "reportlab"),
    Bundled("rl-accel", "BSD-3-Clause", "rl-accel"),
    Bundled("pypdf", "BSD-3-Clause", "pypdf"),
    Bundled("Pillow", "MIT-CMU (HPND)", "Pillow"),
    Bundled("psycopg", "LGPL-3.0", "psycopg"),
    Bundled("keyring", "MIT", "keyring"),
    Bundled("platformdirs", "MIT", "platformdirs"),
    Bundled("python-stdnum", "LGPL-2.1-or-later", "python-stdnum"),
    Bundled("phonenumbers", "Apache-2.0", "phonenumbers"),
    Bundled("RapidFuzz", "MIT", "rapidfuzz"),
    Bundled("Faker", "MIT", "Faker"),
    Bundled("arabic-reshaper", "MIT", "arabic-reshaper"),
    Bundled("python-bidi", "LGPL-3.0", "python-bidi"),
    Bundled("tzdata (the UK clock's rules)", "Apache-2.0", "tzdata"),
)

FONTS = {
    "DejaVuSans.ttf": Bundled(
        "DejaVu Sans", "Bitstream Vera Fonts licence (DejaVu changes: public domain)"
    ),
    "DejaVuSans-Bold.ttf": Bundled(
        "DejaVu Sans Bold", "Bitstream Vera Fonts licence (DejaVu changes: public domain)"
    ),
}
DATA = (
    Bundled(
        "The list of common passwords refused (from zxcvbn 4.5.0)",
        "MIT (resources/common-passwords.LICENSE.txt)",
    ),
)


def app_version() -> str:
    try:
        return metadata.version("followup")
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def _version(package: str) -> str:
    if not package:
        return ""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        try:  # PySide6 may be installed as the metapackage
            return metadata.version(package.split("-")[0]) if "-" in package else ""
        except metadata.PackageNotFoundError:
            return ""


def shipped_fonts() -> list[tuple[str, Bundled]]:
    """Each font file in resources/fonts with its licence (a new file shows as unnamed)."""
    folder = resources.files("followup") / "resources" / "fonts"
    names = sorted(p.name for p in folder.iterdir() if p.name.lower().endswith((".ttf", ".otf")))
    return [
        (n, FONTS.get(n, Bundled(n, "see resources/fonts for its licence file"))) for n in names
    ]


def database_in_use(db: Database) -> str:
    """The SQLite file's path, or the server's URL with the password hidden."""
    return db.location


def about_html(db: Database) -> str:
    e = html.escape
    libraries = "".join(
        f"<li>{e(lib.name)} {e(_version(lib.package))}: {e(lib.licence)}</li>" for lib in LIBRARIES
    )
    fonts = "".join(
        f"<li>{e(font.name)} ({e(name)}): {e(font.licence)}; licence text in "
        "resources/fonts/LICENSE-DejaVu.txt</li>"
        for name, font in shipped_fonts()
    )
    data = "".join(f"<li>{e(d.name)}: {e(d.licence)}</li>" for d in DATA)
    return (
        f"<h2>Followup {e(app_version())}</h2>"
        "<p>Case management for post-overdose follow-up and treatment referral.</p>"
        f"<h3>Database in use</h3><p>{e(database_in_use(db))}</p>"
        f"<h3>Fonts shipped with Followup</h3><ul>{fonts}</ul>"
        f"<h3>Data shipped with Followup</h3><ul>{data}</ul>"
        f"<h3>Libraries, with their versions and licences</h3><ul>{libraries}</ul>"
    )


class AboutDialog(QDialog):
    """Help › About Followup."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Followup")
        self.text = QTextBrowser()
        self.text.setAccessibleName("About Followup")
        self.text.setOpenLinks(False)
        self.text.setHtml(about_html(db))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        fit_to_screen(self, 640, 640)
