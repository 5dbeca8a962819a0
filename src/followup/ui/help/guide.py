"""The user guide, shipped with the app in resources/guide/ and read on screen.

Each ``NN-name.html`` file there is one section, in file-name order; its ``<h1>`` is the
section's title in the list beside the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from followup.ui.widgets.screens import fit_to_screen

__all__ = ["GuideDialog", "GuideSection", "guide_sections"]

_TITLE = re.compile(r"<h1>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class GuideSection:
    title: str
    html: str


def guide_sections() -> list[GuideSection]:
    folder = resources.files("followup") / "resources" / "guide"
    sections = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".html"):
            text = item.read_text(encoding="utf-8")
            found = _TITLE.search(text)
            sections.append(GuideSection(found.group(1).strip() if found else item.name, text))
    return sections


class GuideDialog(QDialog):
    """Help › User guide: the sections on the left, the chosen one on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Followup user guide")
        self.sections = guide_sections()
        self.contents = QListWidget()
        self.contents.setAccessibleName("Guide sections")
        self.contents.setAccessibleDescription("Choose a section to read it beside the list")
        self.contents.setMaximumWidth(220)
        self.text = QTextBrowser()
        self.text.setAccessibleName("Guide text")
        self.text.setOpenExternalLinks(False)
        for section in self.sections:
            self.contents.addItem(section.title)
        self.contents.currentRowChanged.connect(self.show_section)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.contents)
        body.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.contents.setCurrentRow(0)
        fit_to_screen(self, 900, 680)

    def show_section(self, row: int) -> None:
        if 0 <= row < len(self.sections):
            self.text.setHtml(self.sections[row].html)

    def show_title(self, title: str) -> None:
        titles = [s.title for s in self.sections]
        self.contents.setCurrentRow(titles.index(title))
