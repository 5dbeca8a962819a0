"""UK time on screen whatever the computer's zone: a case's contact attempts and the date and
time editors show and take the same UK times on a host set to UTC or to New York (letters and
exports: tests/test_uk_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QDateTimeEdit

from followup.db import models as m
from followup.ui.case.forms import NowEdit, OptionalDate
from followup.ui.case.forms import table_text as rows_of
from followup.ui.widgets.dates import qdatetime_of
from followup.uktime import uk_today
from tests.test_uk_time import SUMMER_INCIDENT
from tests.ui.case.helpers import make_case, open_view


def test_a_cases_contact_attempts_show_on_the_uk_clock(machine_zone, ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    with ui_db.session() as s:
        s.add(
            m.ContactAttempt(
                case_id=case_id,
                attempted_at=SUMMER_INCIDENT,
                method="phone",
                outcome="no_answer",
                worker_id=team["worker1"].id,
            )
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    rows = rows_of(view.attempts.table)
    assert rows[0][:3] == ["14/07/2026 14:30", "Phone", "No answer"]


def test_date_and_time_editors_show_and_take_uk_time(machine_zone, qtbot):
    # A stored summer time is shown as 14:30, and read back as the same moment.
    when = OptionalDate("Recorded", "Recorded at", with_time=True)
    qtbot.addWidget(when)
    when.set_value(SUMMER_INCIDENT)
    assert when.edit.text() == "14/07/2026 14:30"
    assert when.value() == SUMMER_INCIDENT

    # 02:30 on 8 March 2026 is a good GMT time, but does not exist in New York (its clocks
    # go forward then): the editor must not move it.
    edit = NowEdit("When")
    qtbot.addWidget(edit)
    edit.setDateTime(qdatetime_of(datetime(2026, 3, 8, 2, 30)))
    assert edit.text() == "08/03/2026 02:30"
    assert edit.value() == datetime(2026, 3, 8, 2, 30, tzinfo=UTC)

    # Typed by a worker: 14:30 on a summer day means 13:30 UTC.
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.DaySection)
    qtbot.keyClicks(edit, "140720261430")  # each full section moves on to the next
    assert edit.text() == "14/07/2026 14:30"
    assert edit.value() == SUMMER_INCIDENT

    # "Now" is the UK clock's now, whatever the computer's zone.
    fresh = NowEdit("When")
    qtbot.addWidget(fresh)
    assert fresh.date().toPython() == uk_today()
