"""What a screen reader finds on a screen: the interactive controls that have no name.

``unnamed_controls(root)`` walks the accessibility tree Qt gives assistive technology
(``QAccessible.queryAccessibleInterface`` and ``child(i)``), the tree Orca and NVDA read, and
returns a line for each visible interactive control whose name is empty. A combo box counts as
named only by a label pointing at it (``QLabel.setBuddy``, or a form row): on Linux Qt reports
a combo box's current value as its name, even over ``setAccessibleName``, and the screen reader
finds what the list is for through the label relation; "All open" alone says nothing of what
the list filters.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget

R = QAccessible.Role
INTERACTIVE = {
    R.EditableText,
    R.ComboBox,
    R.PushButton,
    R.CheckBox,
    R.RadioButton,
    R.SpinBox,
    R.Table,
    R.List,
    R.Tree,
    R.PageTab,
    R.Slider,
    R.ButtonMenu,
    R.ButtonDropDown,
}
# Controls whose children are their own parts (cells, the list of a combo box, the line of a
# spin box): the control is named, not each part.
COMPOSITE = {R.ComboBox, R.SpinBox, R.Table, R.List, R.Tree, R.PageTabList}


def label_of(iface: QAccessible) -> str:
    """The text of the label that names this control (its buddy), or ""."""
    for other, relation in iface.relations(QAccessible.RelationFlag.Label):
        text = other.text(QAccessible.Text.Name).strip()
        if relation & QAccessible.RelationFlag.Label and text:
            return text
    return ""


def accessible_name(iface: QAccessible) -> str:
    """The name a screen reader says for a control (empty when it has none)."""
    if iface.role() == R.ComboBox:
        return label_of(iface)
    return iface.text(QAccessible.Text.Name).strip() or label_of(iface)


def _describe(iface: QAccessible) -> str:
    obj = iface.object()
    where = type(obj).__name__ if obj is not None else "?"
    # The attribute a view keeps the widget under, when it keeps one: names the culprit.
    parent = obj.parent() if obj is not None else None
    while isinstance(parent, QWidget):
        for attr, value in vars(parent).items():
            if value is obj:
                return f"{iface.role().name} {type(parent).__name__}.{attr} ({where})"
        parent = parent.parent()
    value = iface.text(QAccessible.Text.Value)
    return f"{iface.role().name} {where} objectName={obj.objectName()!r} value={value!r}"


def walk(root: QWidget) -> list[QAccessible]:
    """Every visible interface under ``root`` (composite controls' parts left out)."""
    found: list[QAccessible] = []
    stack = [QAccessible.queryAccessibleInterface(root)]
    while stack:
        iface = stack.pop()
        if iface is None or not iface.isValid() or iface.state().invisible:
            continue
        found.append(iface)
        if iface.role() in COMPOSITE and iface.role() != R.PageTabList:
            continue
        stack.extend(iface.child(i) for i in range(iface.childCount()))
    return found


def unnamed_controls(root: QWidget) -> list[str]:
    """A line for each visible interactive control under ``root`` a screen reader cannot name."""
    return [
        _describe(iface)
        for iface in walk(root)
        if iface.role() in INTERACTIVE
        and (iface.state().focusable or iface.role() == R.PageTab)
        and not accessible_name(iface)
    ]


def interactive_names(root: QWidget) -> dict[str, str]:
    """Each named interactive control's role and name, for asserting what is read out."""
    return {
        accessible_name(iface): iface.role().name
        for iface in walk(root)
        if iface.role() in INTERACTIVE and accessible_name(iface)
    }


def unreached_controls(root: QWidget) -> list[str]:
    """Visible input widgets under ``root`` the walk never reached (a check on the walk)."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QTextEdit,
    )

    kinds = (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QTextEdit,
    )
    reached = {_address(i.object()) for i in walk(root) if i.object() is not None}
    return [
        f"{type(w).__name__} {w.objectName()!r}"
        for w in root.findChildren(QWidget)
        if isinstance(w, kinds)
        and w.isVisibleTo(root)
        and w.isVisible()
        and w.focusPolicy() != Qt.FocusPolicy.NoFocus
        and _address(w) not in reached
        and not _inside_composite(w, root)
    ]


def _inside_composite(widget: QWidget, root: QWidget) -> bool:
    from PySide6.QtWidgets import QAbstractItemView, QAbstractSpinBox, QComboBox, QTabBar

    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, (QAbstractItemView, QAbstractSpinBox, QComboBox, QTabBar)):
            return True
        parent = parent.parentWidget()
    return False


def _address(obj: object) -> int:
    # Python wrappers of one C++ object can come and go: compare the C++ objects.
    return int(shiboken6.getCppPointer(obj)[0])
