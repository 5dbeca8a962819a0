"""The case view's consent panel offers consent to NDTMS reporting, recorded like any other
scope (both backends: the stored scope passes the check constraint of migration 0025)."""

from __future__ import annotations

from sqlalchemy import select

from followup.db import models as m
from followup.ui.case.forms import table_text
from tests.ui.case.helpers import make_case, open_view
from tests.ui.case.test_view import in_force_row, record_consent


def test_consent_to_ndtms_reporting_is_offered_and_recorded(ui_any_db, team, qtbot):
    case_id = make_case(ui_any_db, team)
    view = open_view(qtbot, ui_any_db, team["worker1"], case_id)
    heading = "Reporting to NDTMS (national treatment data)"
    offered = [view.consent.scope.itemText(i) for i in range(view.consent.scope.count())]
    assert heading in offered
    assert in_force_row(view, heading)[1] == "Not asked"

    record_consent(qtbot, view, "ndtms_reporting", "refused", evidence="Said no to NDTMS")
    assert view.consent.message.text() == "Consent recorded."
    assert in_force_row(view, heading)[1].startswith("Not in force (refused")
    assert [r[2] for r in table_text(view.consent.history) if r[1] == heading] == ["Refused"]
    with ui_any_db.session() as s:
        stored = s.scalars(
            select(m.ConsentEntry.state).where(m.ConsentEntry.scope == "ndtms_reporting")
        ).all()
    assert stored == ["refused"]
