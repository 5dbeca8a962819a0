"""My work's spike prompts: a group at the top for each spike alert in a district where the
worker has open cases ("Spike in B5: check on your 2 people there and pass on harm-reduction
advice"), listing those cases; Enter or a double-click opens one. The prompt goes once the
worker acknowledges the alert (the banner's Acknowledge)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem

from followup.access import Actor
from followup.casework import spikes
from followup.casework.spikes import SpikePrompt
from followup.ui.widgets.look import ERROR_COLOUR

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["load_prompts", "show_prompts"]


def load_prompts(db: Database, actor: Actor, worker_id: int | None) -> list[SpikePrompt]:
    with db.session() as s:
        return spikes.work_prompts(s, actor, worker_id)


def show_prompts(tree: QTreeWidget, prompts: list[SpikePrompt], case_id_role: int) -> None:
    """Put a group per prompt at the top of the (already filled) My work tree."""
    warn = tree.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    bold = QFont(tree.font())
    bold.setBold(True)
    for place, prompt in enumerate(prompts):
        group = QTreeWidgetItem([prompt.text])
        group.setFont(0, bold)
        group.setIcon(0, warn)
        group.setForeground(0, QBrush(ERROR_COLOUR))
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        group.setToolTip(0, prompt.alert.text)
        tree.insertTopLevelItem(place, group)
        group.setFirstColumnSpanned(True)
        for case_id, reference, person in prompt.cases:
            row = QTreeWidgetItem([f"Spike in {prompt.alert.district}", reference, person])
            row.setData(0, case_id_role, case_id)
            group.addChild(row)
        group.setExpanded(True)
