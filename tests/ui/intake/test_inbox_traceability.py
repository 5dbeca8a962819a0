"""The inbox's Traceability column (issue 17): what the police gave, in words, per new case."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.ui.intake.inbox_data import CASE_HEADERS, TRACEABILITY_COLUMN
from tests.ui.intake.test_inbox_view import make_inbox, make_intake, refs  # noqa: F401


def test_each_new_case_shows_its_traceability(ui_any_db, team, make_inbox, qtbot):  # noqa: F811
    make_intake(ui_any_db, team)
    view = make_inbox(ui_any_db, team["worker1"])
    model = view.cases_model
    assert (
        model.headerData(
            TRACEABILITY_COLUMN, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
        )
        == CASE_HEADERS[TRACEABILITY_COLUMN]
        == "Traceability"
    )
    shown = {ref: model.index(r, TRACEABILITY_COLUMN).data() for r, ref in enumerate(refs(view))}
    assert shown == {
        "TST-6": "Name only",  # a name and nothing to reach them by
        "TST-2": "Name and phone",
        "TST-3": "Name only",
        "TST-4": "Description only",  # unnamed, of no fixed abode
    }
    untraceable = refs(view).index("TST-4")
    tip = model.index(untraceable, TRACEABILITY_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert "No usable address or phone" in tip
    icon = model.index(untraceable, TRACEABILITY_COLUMN).data(Qt.ItemDataRole.DecorationRole)
    assert icon is not None
    phoned = refs(view).index("TST-2")
    assert model.index(phoned, TRACEABILITY_COLUMN).data(Qt.ItemDataRole.DecorationRole) is None
