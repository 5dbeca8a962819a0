"""The Help menu of the main window: User guide (F1), Keyboard shortcuts, About Followup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from followup.ui import shortcuts as keys

if TYPE_CHECKING:
    from followup.ui.shell.main_window import MainWindow

__all__ = ["HelpMenu"]


class HelpMenu(QObject):
    """Adds the Help menu; the dialog last opened from it is ``dialog`` (for tests)."""

    def __init__(
        self,
        window: MainWindow,
        make_action: Callable[[keys.Shortcut, Callable[[], object]], QAction],
    ) -> None:
        super().__init__(window)
        self._window = window
        self.dialog: QDialog | None = None
        menu = window.menuBar().addMenu("&Help")
        self.menu = menu
        self.guide_action = make_action(keys.USER_GUIDE, self.show_guide)
        self.shortcuts_action = make_action(keys.KEYBOARD_SHORTCUTS, self.show_shortcuts)
        self.about_action = make_action(keys.ABOUT, self.show_about)
        for action in (self.guide_action, self.shortcuts_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.about_action)

    def _open(self, dialog: QDialog) -> QDialog:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def show_guide(self) -> QDialog:
        from followup.ui.help.guide import GuideDialog

        return self._open(GuideDialog(self._window))

    def show_shortcuts(self) -> QDialog:
        from followup.ui.help.keys_dialog import ShortcutsDialog

        return self._open(ShortcutsDialog(self._window.shortcut_list, self._window))

    def show_about(self) -> QDialog:
        from followup.ui.help.about import AboutDialog

        return self._open(AboutDialog(self._window.db, self._window))
