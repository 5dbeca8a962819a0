"""The editable case view: header, lifecycle actions, sections and the timeline of one case.

Only what the user sees is built when the case opens: the header, the first tab (contact
attempts) and the timeline; every other tab is built, and shown the case, the first time it is
shown (or asked for, as ``view.consent`` does).

The view owns the case as the user saw it: one ``CaseDetail`` (the case screen's read model)
and its version, read in one background task when the case opens and read again, whole, after
every save, so no part of the screen goes stale. Each section asks for a save with a
``CaseAction``; the view runs it in the background in a short session, passing the version the
user saw. A rule's refusal goes back to the form that asked; a change by someone else in the
meantime (``StaleEdit``) shows a bar with Reload, and reloading keeps what the user had typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import allocation, treatment
from followup.casework.detail import CaseDetail, case_detail, open_case
from followup.casework.treatment import ServiceChoice
from followup.ui.case.attempt_panel import AttemptPanel
from followup.ui.case.consent_panel import ConsentPanel
from followup.ui.case.forms import CaseAction, CaseSection, plain_label
from followup.ui.case.header import CaseHeader
from followup.ui.case.letters import CaseLettersPanel
from followup.ui.case.lifecycle import LifecycleBar
from followup.ui.case.naloxone_panel import NaloxonePanel
from followup.ui.case.notes_panel import NotesPanel
from followup.ui.case.person_panel import PersonPanel
from followup.ui.case.referral_panel import ReferralPanel
from followup.ui.case.subject_access import make_subject_access
from followup.ui.case.timeline import CaseTimeline
from followup.ui.case.treatment_panel import TreatmentPanel
from followup.ui.tasks import TaskRunner, plain_message
from followup.ui.widgets.conflict import CONFLICTS, ConflictBar
from followup.ui.widgets.look import StyleRole, set_role

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "SIDE_BY_SIDE_WIDTH",
    "CaseView",
    "OpenedCase",
    "load_detail",
    "open_case_data",
    "save_and_reload",
    "worker_loads",
]

log = logging.getLogger(__name__)

SIDE_BY_SIDE_WIDTH = 1150  # pixels of case view wide enough for sections and timeline
TAB_TITLES = (
    "Contact attempts",
    "Consent",
    "Treatment",
    "Naloxone",
    "Person",
    "Police referral",
    "Notes",
    "Letters",
)
(CONSENT_TAB, TREATMENT_TAB, NALOXONE_TAB, PERSON_TAB, REFERRALS_TAB, NOTES_TAB, LETTERS_TAB) = (
    range(1, 8)
)


@dataclass(frozen=True)
class OpenedCase:
    """Everything the view needs when a case is opened, read in one short session."""

    detail: CaseDetail
    services: list[ServiceChoice]


def open_case_data(db: Database, actor: Actor, case_id: int) -> OpenedCase:
    """Read a case for the view (on a pool thread); the opening is audited once, as a view."""
    with db.session(write=True) as s:
        detail = open_case(s, actor, case_id)
        services = treatment.services(s)
    return OpenedCase(detail, services)


def worker_loads(db: Database, actor: Actor) -> list[allocation.WorkerLoad]:
    """The workers with their loads, for a lead's Assign… (a count over every open case: read
    after the case is shown, so opening the case does not wait for it)."""
    with db.session() as s:
        return allocation.worker_loads(s, actor)


def load_detail(db: Database, actor: Actor, case_id: int) -> CaseDetail:
    """Read the case again (after a save, or on Reload); not audited as another view."""
    with db.session() as s:
        return case_detail(s, actor, case_id, audit_view=False)


def save_and_reload(
    db: Database, actor: Actor, case_id: int, version: int, action: CaseAction
) -> CaseDetail:
    """Run one save in its own session with the version the user saw, then read the case again.

    A refusal or a conflict raises, and reaches the view's failure callback as the exception.
    """
    with db.session(write=True) as s:
        action.apply(s, actor, case_id, version)
    return load_detail(db, actor, case_id)


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class CaseView(QWidget):
    """One opened case: everything a referral worker records on it."""

    loaded = Signal(object)  # CaseDetail, each time it is shown
    failed = Signal(str)
    case_changed = Signal(int)  # case id, after a save

    def __init__(
        self,
        db: Database,
        actor: Actor,
        case_id: int,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self._saving = False

        self.status = plain_label("Opening the case…")
        self.header = CaseHeader()
        self.lifecycle = LifecycleBar(actor)
        self.conflict = ConflictBar()
        self.attempts = AttemptPanel()  # the first tab: shown when the case opens
        self.timeline = CaseTimeline()
        self._services: list[ServiceChoice] = []
        # The other tabs are built when first shown (or first asked for): see ``_panel``.
        self._built: dict[int, QWidget] = {0: self.attempts}
        self._can_letters = actor.can("print_letters")

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for index, title in enumerate(TAB_TITLES):
            if index == LETTERS_TAB and not self._can_letters:
                continue
            page = QWidget()
            box = QVBoxLayout(page)
            box.setContentsMargins(0, 0, 0, 0)
            if index == 0:
                box.addWidget(_scrolled(self.attempts))
            self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(self._panel)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.header)
        body.addWidget(self.lifecycle)
        body.addWidget(self.conflict)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        body.addWidget(rule)
        body.addWidget(self.splitter, 1)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.body, 1)

        for section in (self.lifecycle, self.attempts):
            section.action_requested.connect(self.perform)
        self.timeline.action_requested.connect(self.perform)  # corrections
        self.conflict.reload.clicked.connect(self.reload)
        self.lifecycle.subject_access.clicked.connect(
            lambda: make_subject_access(
                self,
                db,
                actor,
                self.detail.person_id if self.detail else None,
                self._runner,
                self.lifecycle.message,
            )
        )

        self._runner.run(
            lambda: open_case_data(db, actor, case_id), self._opened, self._fail, name="open case"
        )

    # ------------------------------------------------------------------ tabs

    def _panel(self, index: int) -> QWidget | None:
        """The panel of tab ``index``, built (and shown the case) the first time it is needed."""
        built = self._built.get(index)
        if built is not None or index < 0 or index >= len(TAB_TITLES):
            return built
        if index == LETTERS_TAB and not self._can_letters:
            return None
        panel: QWidget
        if index == CONSENT_TAB:
            panel = ConsentPanel()
        elif index == TREATMENT_TAB:
            panel = TreatmentPanel()
            panel.set_services(self._services)
        elif index == NALOXONE_TAB:
            panel = NaloxonePanel()
        elif index == PERSON_TAB:
            panel = PersonPanel()
        elif index == REFERRALS_TAB:
            panel = ReferralPanel()
        elif index == NOTES_TAB:
            panel = NotesPanel()
        else:
            letters = CaseLettersPanel(self._db, self._actor, self.case_id, self)
            # A letter made or printed shows on the timeline and in the letters due.
            letters.changed.connect(self._letters_changed)
            panel = letters
        self._built[index] = panel
        if isinstance(panel, CaseSection):
            panel.action_requested.connect(self.perform)
        page = self.tabs.widget(index)
        layout = page.layout() if page is not None else None
        assert layout is not None
        layout.addWidget(panel if index == LETTERS_TAB else _scrolled(panel))
        if self.detail is not None and isinstance(panel, (CaseSection, ReferralPanel)):
            panel.show_detail(self.detail)
        return panel

    @property
    def sections(self) -> tuple[CaseSection, ...]:
        """The sections built so far, each showing the case."""
        return tuple(
            p for p in (self.lifecycle, *self._built.values()) if isinstance(p, CaseSection)
        )

    @property
    def consent(self) -> ConsentPanel:
        return cast(ConsentPanel, self._panel(CONSENT_TAB))

    @property
    def treatment(self) -> TreatmentPanel:
        return cast(TreatmentPanel, self._panel(TREATMENT_TAB))

    @property
    def naloxone(self) -> NaloxonePanel:
        return cast(NaloxonePanel, self._panel(NALOXONE_TAB))

    @property
    def person(self) -> PersonPanel:
        return cast(PersonPanel, self._panel(PERSON_TAB))

    @property
    def referrals(self) -> ReferralPanel:
        return cast(ReferralPanel, self._panel(REFERRALS_TAB))

    @property
    def notes(self) -> NotesPanel:
        return cast(NotesPanel, self._panel(NOTES_TAB))

    @property
    def letters(self) -> CaseLettersPanel | None:
        """The case's letters (None for a user who may not make letters)."""
        return cast("CaseLettersPanel | None", self._panel(LETTERS_TAB))

    def built(self, index: int) -> bool:
        """Whether tab ``index`` has been built yet."""
        return index in self._built

    # ------------------------------------------------------------------ state

    @property
    def title(self) -> str:
        return self.detail.person_name if self.detail else f"Case {self.case_id}"

    @property
    def busy(self) -> bool:
        """Whether a load or a save is still running in the background."""
        return self._runner.busy

    def text(self) -> str:
        """Header, person and police referral as plain text (for tests and screen readers)."""
        if self.detail is None:
            return self.status.text()
        return "\n".join((self.header.text(), self.person.text(), self.referrals.text()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Side by side when there is room for both; otherwise the timeline goes underneath.
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            total = sum(self.splitter.sizes()) or 1
            self.splitter.setSizes(
                [total * 3 // 5, total - total * 3 // 5]
                if wide
                else [total * 2 // 3, total - total * 2 // 3]
            )
        super().resizeEvent(event)

    def focus_quick_log(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.attempts.method.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ------------------------------------------------------------------ loading

    def _opened(self, opened: OpenedCase) -> None:
        self._services = opened.services
        if TREATMENT_TAB in self._built:
            self.treatment.set_services(opened.services)
        # Filled in while still hidden, then shown once: each widget shown or hidden inside
        # a visible window would be polished and laid out again on its own.
        self._show(opened.detail)
        self.status.hide()
        self.body.show()
        if self._actor.can("assign"):
            db, actor = self._db, self._actor
            self._runner.run(
                lambda: worker_loads(db, actor),
                self.lifecycle.set_workers,
                self._fail_reload,
                name="worker loads",
            )

    def _fail(self, exc: BaseException) -> None:
        message = plain_message(exc)
        self.status.setText(message)
        set_role(self.status, StyleRole.ERROR)
        self.status.show()
        self.failed.emit(message)

    def _show(self, detail: CaseDetail) -> None:
        self.detail = detail
        self.header.show_detail(detail)
        for section in self.sections:
            section.show_detail(detail)
        if REFERRALS_TAB in self._built:
            self.referrals.show_detail(detail)
        self.timeline.show_entries(detail.timeline)
        counts = {0: len(detail.attempts), 2: len(detail.treatments), 3: detail.kits_supplied}
        for index, base in ((0, "Contact attempts"), (2, "Treatment"), (3, "Naloxone")):
            n = counts[index]
            self.tabs.setTabText(index, f"{base} ({n})" if n else base)
        self.loaded.emit(detail)

    def reload(self) -> None:
        """Read the case again; what the user typed in the forms stays."""
        self.conflict.hide()
        self._runner.run(
            lambda: load_detail(self._db, self._actor, self.case_id),
            self._reloaded,
            self._fail_reload,
            name="reload case",
        )

    def _reloaded(self, detail: CaseDetail) -> None:
        self._show(detail)
        letters = self._built.get(LETTERS_TAB)
        if isinstance(letters, CaseLettersPanel):
            letters.refresh()

    def _letters_changed(self) -> None:
        self.reload()
        self.case_changed.emit(self.case_id)

    def _fail_reload(self, exc: BaseException) -> None:
        self.conflict.message.setText(plain_message(exc))
        self.conflict.show()

    # ------------------------------------------------------------------ saving

    def perform(self, action: CaseAction) -> None:
        """Save in the background with the version the user saw; then show the case again."""
        if self.detail is None:
            action.failed("The case is still loading; try again in a moment.")
            return
        if self._saving:
            action.failed("Still saving your last change; try again in a moment.")
            return
        self._saving = True
        db, actor, case_id, version = self._db, self._actor, self.case_id, self.detail.version

        def done(detail: CaseDetail) -> None:
            self._saving = False
            self.conflict.hide()
            self._show(detail)
            action.done()
            self.case_changed.emit(case_id)

        def failed(exc: BaseException) -> None:
            self._saving = False
            if isinstance(exc, CONFLICTS):
                self.conflict.offer(exc)
            else:  # a rule, a permission, a record gone: the sentence says which
                action.failed(plain_message(exc))

        log.info("Case %s: %s", case_id, action.name)
        self._runner.run(
            lambda: save_and_reload(db, actor, case_id, version, action),
            done,
            failed,
            name=action.name,
        )
