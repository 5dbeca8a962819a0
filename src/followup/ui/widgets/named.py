"""Names a screen reader says: a visible label that names the control beside it.

On Linux Qt tells the screen reader a combo box's current value as its name, even when the
box was given one with ``setAccessibleName``; Orca and NVDA say what the list is for from the
label pointing at it (``QLabel.setBuddy``). So a list that filters gets a label, not only a
name: "Status, All open", not "All open".
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["label_for"]


def label_for(text: str, field: QWidget, description: str = "") -> QLabel:
    """A label reading ``text`` that names ``field`` (and, as a description, says what it does)."""
    label = QLabel(text)
    label.setBuddy(field)
    field.setAccessibleName(label.text().replace("&", ""))
    if description:
        field.setAccessibleDescription(description)
    return label
