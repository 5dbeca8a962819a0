"""Letter templates and letterhead, for administrators.

Each template's wording is plain text with named placeholders; Save is refused, with the
service's sentence shown beside the editor, when the wording uses a placeholder the template
does not know or, for letters to the person, a word they must not show. The letterhead (name,
address, phone, logo) needs the ``settings`` permission. Reading and saving run in the
background; the logo file chooser is a module function that tests replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.letters.render import Letterhead
from followup.letters.settings import (
    TemplateWording,
    check_logo,
    letterhead,
    letterhead_version,
    reset_template_wording,
    save_template_wording,
    set_letterhead,
    template_wording,
)
from followup.letters.templates import TEMPLATES
from followup.ui.tasks import TaskRunner, message_to, plain_message
from followup.ui.widgets.conflict import CONFLICTS, ConflictBar
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.db.engine import Database

__all__ = [
    "HELP",
    "PERSON_HELP",
    "UNSAVED",
    "LetterSettings",
    "LetterSettingsView",
    "ask_logo_file",
]

HELP = (
    "Plain text. A placeholder is a name in braces, such as {first_name}; double-click one "
    "on the right to insert it. A blank line starts a new paragraph; write a brace itself "
    "twice ({{ or }})."
)
PERSON_HELP = (
    "This letter goes to the person: it must not name drugs, overdose, police or "
    "treatment, since someone else may open the post."
)
UNSAVED = " (not saved)"


def ask_logo_file(parent: QWidget | None) -> Path | None:
    """Ask for the logo image; None when the user cancels."""
    name, _ = QFileDialog.getOpenFileName(
        parent, "Choose the letterhead logo", "", "Images (*.png *.jpg *.jpeg)"
    )
    return Path(name) if name else None


@dataclass(frozen=True)
class LetterSettings:
    wordings: tuple[TemplateWording, ...]
    head: Letterhead
    head_version: int


def _field(text: str, limit: int) -> QLineEdit:
    edit = QLineEdit()
    edit.setMaxLength(limit)
    edit.setAccessibleName(text)
    return edit


class LetterSettingsView(QWidget):
    """Template list, wording editor and placeholders; the letterhead below."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self.wordings: dict[str, TemplateWording] = {}
        self.drafts: dict[str, str] = {}  # unsaved edits, kept while another template is shown
        self._names: list[str] = list(TEMPLATES)
        self._current: str | None = None
        self._logo: bytes | None = None
        self._logo_changed = False
        self._head_shown: Letterhead | None = None  # as last read, to tell the user's edits
        self._head_version: int | None = None
        self.loading = False

        self.templates = QListWidget()
        self.templates.setAccessibleName("Letter templates")
        self.templates.setMaximumWidth(260)
        for name in self._names:
            self.templates.addItem(TEMPLATES[name].label)
        self.templates.currentRowChanged.connect(self._template_chosen)
        self.title = QLabel("")
        set_role(self.title, StyleRole.HEADING)
        self.help = QLabel(HELP)
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.PlainText)
        self.person_help = QLabel(PERSON_HELP)
        self.person_help.setWordWrap(True)
        set_role(self.person_help, StyleRole.CAUTION)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Wording")
        self.editor.setEnabled(False)
        self.editor.textChanged.connect(self._edited)
        self.message = InlineMessage()
        self.conflict = ConflictBar(what="the wording")
        self.conflict.reload.clicked.connect(self.refresh)
        self.save_button = QPushButton("Save wording")
        self.save_button.clicked.connect(self.save_wording)
        self.reset_button = QPushButton("Reset to default")
        self.reset_button.setToolTip("Go back to the wording Followup came with")
        self.reset_button.clicked.connect(self.reset_wording)
        self.placeholders = QTreeWidget()
        self.placeholders.setHeaderLabels(["Placeholder", "What it becomes"])
        self.placeholders.setRootIsDecorated(False)
        self.placeholders.setColumnWidth(0, 150)
        self.placeholders.setAccessibleName("Placeholders")
        self.placeholders.itemDoubleClicked.connect(self._insert_placeholder)

        editor_buttons = QHBoxLayout()
        editor_buttons.addWidget(self.reset_button)
        editor_buttons.addStretch(1)
        editor_buttons.addWidget(self.save_button)
        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(self.title)
        editor_layout.addWidget(self.help)
        editor_layout.addWidget(self.person_help)
        editor_layout.addWidget(self.editor, 1)
        editor_layout.addWidget(self.message)
        editor_layout.addWidget(self.conflict)
        editor_layout.addLayout(editor_buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.templates)
        splitter.addWidget(editor_box)
        splitter.addWidget(self.placeholders)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([200, 520, 440])
        splitter.setCollapsible(1, False)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        self.letterhead_box = self._letterhead_box()
        self.letterhead_box.setVisible(actor.can("settings"))
        layout.addWidget(self.letterhead_box)
        self.refresh()

    def _letterhead_box(self) -> QGroupBox:
        box = QGroupBox("Letterhead")
        self.head_name = _field("Organisation name", 120)
        self.head_name.setToolTip(
            "The only sender a letter to the person shows: keep it "
            "discreet, e.g. Community Support Team"
        )
        self.head_phone = _field("Phone", 40)
        self.head_email = _field("Email", 254)
        self.head_email.setPlaceholderText("Optional: shown under the phone number")
        self.head_address = QPlainTextEdit()
        self.head_address.setAccessibleName("Address")
        self.head_address.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.logo_preview = QLabel("No logo")
        self.logo_preview.setFixedSize(180, 60)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setObjectName("logoPreview")
        self.choose_logo_button = QPushButton("Choose logo…")
        self.choose_logo_button.clicked.connect(self.choose_logo)
        self.remove_logo_button = QPushButton("Remove logo")
        self.remove_logo_button.clicked.connect(self.remove_logo)
        self.save_head_button = QPushButton("Save letterhead")
        self.save_head_button.clicked.connect(self.save_letterhead)
        self.head_message = InlineMessage()
        self.head_conflict = ConflictBar(what="the letterhead")
        self.head_conflict.reload.clicked.connect(self.refresh)

        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_preview)
        logo_buttons = QVBoxLayout()
        logo_buttons.addWidget(self.choose_logo_button)
        logo_buttons.addWidget(self.remove_logo_button)
        logo_row.addLayout(logo_buttons)
        logo_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Name", self.head_name)
        form.addRow("Address", self.head_address)
        form.addRow("Phone", self.head_phone)
        form.addRow("Email", self.head_email)
        right = QVBoxLayout()
        right.addWidget(QLabel("Logo (PNG or JPEG)"))
        right.addLayout(logo_row)
        right.addStretch(1)
        right.addWidget(self.head_message)
        right.addWidget(self.head_conflict)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_head_button)
        right.addLayout(save_row)
        row = QHBoxLayout(box)
        row.addLayout(form, 3)
        row.addSpacing(16)
        row.addLayout(right, 2)
        return box

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Read the wordings and the letterhead again (unsaved edits are kept)."""
        db = self._db

        def fetch() -> LetterSettings:
            with db.session() as s:
                return LetterSettings(
                    tuple(template_wording(s, n) for n in TEMPLATES),
                    letterhead(s),
                    letterhead_version(s),
                )

        self.loading = True
        self._runner.run(fetch, self._loaded, message_to(self._load_failed), name="letter settings")

    def _loaded(self, settings: LetterSettings) -> None:
        self.loading = False
        self.wordings = {w.template: w for w in settings.wordings}
        self.conflict.hide()
        self.head_conflict.hide()
        self._head_version = settings.head_version
        self._show_letterhead(settings.head, keep_edits=True)
        self._mark_unsaved()
        if self._current is None:
            self.templates.setCurrentRow(max(0, self.templates.currentRow()))
        self._show_template(self._names[self.templates.currentRow()])

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)

    # ------------------------------------------------------------------ wording

    def choose(self, template: str) -> None:
        self.templates.setCurrentRow(self._names.index(template))

    def _template_chosen(self, row: int) -> None:
        if 0 <= row < len(self._names):
            self.message.hide()
            self._show_template(self._names[row])

    def _show_template(self, name: str) -> None:
        wording = self.wordings.get(name)
        if wording is None:
            return
        self._current = name
        self.title.setText(wording.label)
        self.person_help.setVisible(wording.to_person)
        self.editor.blockSignals(True)
        self.editor.setPlainText(self.drafts.get(name, wording.body))
        self.editor.blockSignals(False)
        self.editor.setEnabled(True)
        self.placeholders.clear()
        for placeholder in wording.placeholders:
            item = QTreeWidgetItem(["{" + placeholder.name + "}", placeholder.meaning])
            item.setToolTip(0, "Double-click to insert it in the wording")
            item.setToolTip(1, placeholder.meaning)
            self.placeholders.addTopLevelItem(item)
        self._update_buttons()

    def _edited(self) -> None:
        name = self._current
        if name is None or name not in self.wordings:
            return
        text = self.editor.toPlainText()
        if text == self.wordings[name].body:
            self.drafts.pop(name, None)
        else:
            self.drafts[name] = text
        self._mark_unsaved()
        self._update_buttons()

    def _mark_unsaved(self) -> None:
        for row, name in enumerate(self._names):
            label = TEMPLATES[name].label + (UNSAVED if name in self.drafts else "")
            self.templates.item(row).setText(label)

    def _update_buttons(self) -> None:
        name = self._current
        wording = self.wordings.get(name) if name else None
        self.save_button.setEnabled(name in self.drafts)
        self.reset_button.setEnabled(
            wording is not None and (not wording.is_default or name in self.drafts)
        )

    def _insert_placeholder(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.editor.insertPlainText(item.text(0))
        self.editor.setFocus()

    def save_wording(self) -> bool:
        name = self._current
        if name is None or name not in self.drafts:
            return False
        body, actor = self.drafts[name], self._actor
        seen = self.wordings[name].version
        return self._store(
            name,
            lambda s: save_template_wording(s, actor, name, body, expected_version=seen),
            "Saved. New letters use this wording.",
        )

    def reset_wording(self) -> bool:
        name = self._current
        if name is None:
            return False
        actor = self._actor
        seen = self.wordings[name].version if name in self.wordings else None
        return self._store(
            name,
            lambda s: reset_template_wording(s, actor, name, expected_version=seen),
            "Back to the default wording. New letters use it.",
        )

    def _store(self, name: str, change: Callable[[Session], None], done_text: str) -> bool:
        db = self._db

        def run() -> TemplateWording:
            with db.session(write=True) as s:
                change(s)
                return template_wording(s, name)

        self.save_button.setEnabled(False)
        self.reset_button.setEnabled(False)
        self._runner.run(
            run,
            lambda w: self._stored(w, done_text),
            self._store_failed,
            name="save template wording",
        )
        return True

    def _stored(self, wording: TemplateWording, text: str) -> None:
        self.wordings[wording.template] = wording
        self.drafts.pop(wording.template, None)
        self.conflict.hide()
        self._mark_unsaved()
        if wording.template == self._current:
            self._show_template(wording.template)
        self.message.confirm(text)

    def _store_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        if isinstance(exc, CONFLICTS):
            self.message.hide()
            self.conflict.offer(exc)
        else:
            self.message.warn(plain_message(exc))

    # ------------------------------------------------------------------ letterhead

    def _show_letterhead(self, head: Letterhead, *, keep_edits: bool = False) -> None:
        """Show the letterhead as stored; with ``keep_edits``, a part the user has changed
        since it was last shown keeps what they typed (as after Reload on a conflict)."""
        shown = self._head_shown if keep_edits else None
        if shown is None or self.head_name.text() == shown.name:
            self.head_name.setText(head.name)
        if shown is None or self.head_address.toPlainText() == shown.address:
            self.head_address.setPlainText(head.address)
        if shown is None or self.head_phone.text() == shown.phone:
            self.head_phone.setText(head.phone)
        if shown is None or self.head_email.text() == shown.email:
            self.head_email.setText(head.email)
        if shown is None or not self._logo_changed:
            self._logo = head.logo
            self._logo_changed = False
        self._head_shown = head
        self._show_logo()

    def _show_logo(self) -> None:
        pixmap = QPixmap()
        if self._logo and pixmap.loadFromData(self._logo):
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    self.logo_preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
        self.remove_logo_button.setEnabled(self._logo is not None)

    def choose_logo(self) -> bool:
        path = ask_logo_file(self)
        if path is None:
            return False

        def run() -> bytes:
            try:
                data = path.read_bytes()
            except OSError:
                raise FollowupError(
                    "The logo file could not be read; choose another file."
                ) from None
            check_logo(data)
            return data

        self._runner.run(
            run,
            self._logo_chosen,
            message_to(self.head_message.warn),
            name="read logo",
        )
        return True

    def _logo_chosen(self, data: bytes) -> None:
        self._logo = data
        self._logo_changed = True
        self._show_logo()
        self.head_message.confirm("Logo chosen; Save letterhead to use it.")

    def remove_logo(self) -> None:
        self._logo = None
        self._logo_changed = True
        self._show_logo()
        self.head_message.confirm("Logo removed; Save letterhead to confirm.")

    def save_letterhead(self) -> bool:
        db, actor = self._db, self._actor
        parts = {
            "name": self.head_name.text(),
            "address": self.head_address.toPlainText(),
            "phone": self.head_phone.text(),
            "email": self.head_email.text(),
        }
        logo, logo_changed, seen = self._logo, self._logo_changed, self._head_version

        def run() -> tuple[Letterhead, int]:
            with db.session(write=True) as s:
                if logo_changed:
                    head = set_letterhead(s, actor, logo=logo, expected_version=seen, **parts)
                else:
                    head = set_letterhead(s, actor, expected_version=seen, **parts)
                return head, letterhead_version(s)

        self.save_head_button.setEnabled(False)
        self._runner.run(
            run, self._letterhead_saved, self._letterhead_failed, name="save letterhead"
        )
        return True

    def _letterhead_saved(self, saved: tuple[Letterhead, int]) -> None:
        head, self._head_version = saved
        self.save_head_button.setEnabled(True)
        self.head_conflict.hide()
        self._show_letterhead(head)
        self.head_message.confirm("Letterhead saved. New letters use it.")

    def _letterhead_failed(self, exc: BaseException) -> None:
        self.save_head_button.setEnabled(True)
        if isinstance(exc, CONFLICTS):
            self.head_message.hide()
            self.head_conflict.offer(exc)
        else:
            self.head_message.warn(plain_message(exc))
