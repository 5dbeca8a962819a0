"""A new overdose on a worker's case sits at the top of My work, in words and with an icon,
until the worker acknowledges it; the lead sees it in the inbox meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from followup.db import models as m
from followup.intake.importer import import_file
from followup.ui.caseload.my_work import HEADERS, MyWorkView
from followup.ui.intake.inbox_view import InboxView
from tests.intake.helpers import row, write_csv
from tests.ui.case.helpers import WAIT, make_case


def _new_overdose(db, team, tmp_path) -> int:
    """worker1's case, and a second overdose of the same person imported by worker2."""
    later = make_case(db, team, status="contacting", first="Later", due_hours=24 * 5)
    case_id = make_case(db, team, status="contacting", first="Testy", last="Again")
    with db.session() as s:
        person = s.get(m.Person, s.get(m.Case, case_id).person_id)
        person.nhs_number = "9990000018"
    path = write_csv(
        tmp_path / "again.csv",
        [
            row(
                first_name="Testy",
                last_name="Again",
                date_of_birth="02/01/1980",
                nhs_number="9990000018",
                incident_datetime="01/07/2026 23:40",
            )
        ],
    )
    summary = import_file(db, team["worker2"], path, now=datetime.now(UTC))
    assert summary.linked_repeat == 1 and later
    return case_id


def test_the_alert_row_is_at_the_top_until_acknowledged(ui_db, team, qtbot, tmp_path):
    case_id = _new_overdose(ui_db, team, tmp_path)
    view = MyWorkView(ui_db, team["worker1"], lambda _id: None)
    qtbot.addWidget(view)
    view.resize(1366, 600)
    view.show()
    qtbot.waitUntil(lambda: view.summary.text() != "Loading…", timeout=WAIT)

    rows = view.rows()
    assert rows[0] == ("New overdose — acknowledge when you have seen it (1)",)
    alert = dict(zip(HEADERS, rows[1], strict=True))
    assert alert["Next action due"] == "New overdose on 01/07/2026 23:40"  # UK summer time
    assert alert["Person"] == "Testy Again"
    assert alert["Next step"].startswith("1st attempt (within 72 hours): phone, text or letter")
    assert alert["Incident"] == "01/07/2026 23:40"
    assert alert["Risk"].startswith("2 overdoses")
    assert not view.tree.topLevelItem(0).child(0).icon(0).isNull()  # an icon, not colour alone
    assert view.summary.text().endswith("1 new overdose")
    assert view.current_case_id() == case_id  # the alert is what is selected first
    assert view.acknowledge_button.isEnabled()

    lead = InboxView(ui_db, team["lead"], lambda _id: None)
    qtbot.addWidget(lead)
    lead.show()
    qtbot.waitUntil(lambda: lead.data is not None, timeout=WAIT)
    tab = lead.lower_tabs.indexOf(lead.alerts_page)
    assert lead.lower_tabs.tabText(tab) == "New overdoses on open cases (1)"
    assert lead.alerts_model.rows[0].cells == (
        alert["Police ref."],
        "Testy Again",
        "Wendy Worker",
        "New overdose on 01/07/2026 23:40",
    )

    qtbot.mouseClick(view.acknowledge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not any(i.alert for i in view.items), timeout=WAIT)
    headings = [r[0] for r in view.rows() if len(r) == 1]
    assert headings[0] != rows[0][0] and not headings[0].startswith("New overdose")
    assert not view.acknowledge_button.isEnabled()
    with ui_db.session() as s:
        case = s.get(m.Case, case_id)
        assert case.reoverdose_acknowledged_by_id == team["worker1"].id
    lead.refresh()
    qtbot.waitUntil(lambda: lead.alerts_model.rowCount() == 0, timeout=WAIT)


def test_my_work_lists_what_to_do_next_for_an_ordinary_case(ui_db, team, qtbot):
    make_case(ui_db, team, status="contacting", due_hours=-30)
    view = MyWorkView(ui_db, team["worker1"], lambda _id: None)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.summary.text() != "Loading…", timeout=WAIT)
    shown = dict(zip(HEADERS, view.rows()[1], strict=True))
    assert shown["Next action due"].startswith("Overdue: ")
    assert shown["Next step"] == "1st attempt (within 72 hours): phone, text or letter"
    assert shown["Days since"] == "20"  # since the overdose, an hour before the referral
    assert shown["Last contact"] == "None yet"
    assert shown["Risk"] == "1 overdose"
