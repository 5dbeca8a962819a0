"""A long case: hundreds of rows shown as they come into view, and consent read once for every
part of the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from followup import vocab
from followup.db import models as m
from followup.ui.case.attempt_panel import UNAVAILABLE
from followup.ui.case.forms import table_text
from followup.uktime import short_date_time
from tests.ui.case.helpers import add_attempts, make_case, open_view, show_tab

ATTEMPTS = 120


def test_a_case_with_many_attempts_shows_every_one(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    start = datetime.now(UTC) - timedelta(days=200)
    with ui_db.session() as s:
        case = s.get(m.Case, case_id)
        add_attempts(s, team, case_id, ATTEMPTS, start, hours=30)
        # Text messages: withdrawn, then that entry marked entered in error (it no longer counts).
        s.add(
            m.ConsentEntry(
                person_id=case.person_id,
                case_id=case_id,
                scope="contact_sms",
                state="withdrawn",
                method="verbal_by_phone",
                recorded_by_id=team["worker1"].id,
                recorded_at=start + timedelta(days=100),
                voided_at=start + timedelta(days=101),
                voided_by_id=team["lead"].id,
                void_reason="Entered on the wrong case",
            )
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert view.tabs.tabText(0) == f"Contact attempts ({ATTEMPTS})"
    rows = table_text(view.attempts.table)
    assert len(rows) == ATTEMPTS
    # Newest first, each with its own time, method, outcome, worker and note.
    last = start + timedelta(hours=30 * (ATTEMPTS - 1))
    assert rows[0] == [
        short_date_time(last),
        vocab.label(("phone", "sms")[(ATTEMPTS - 1) % 2]),
        rows[0][2],
        team["worker1"].display_name,
        f"Try {ATTEMPTS - 1}",
    ]
    assert rows[-1][0] == short_date_time(start) and rows[-1][4] == "Try 0"
    timeline = view.timeline.rows()
    assert sum(1 for r in timeline if r[1] == "Contact") == ATTEMPTS
    assert any(r[1] == "Consent" and "withdrawn" in r[2] for r in timeline)
    # The entry marked in error does not count: text messages are still allowed.
    combo = view.attempts.method
    sms = next(i for i in range(combo.count()) if combo.itemData(i) == "sms")
    assert not combo.itemText(sms).endswith(UNAVAILABLE)
    show_tab(qtbot, view, "Consent")
    assert not any("withdrawn" in " ".join(r).lower() for r in table_text(view.consent.history))
    assert not any("withdrawn" in " ".join(r).lower() for r in table_text(view.consent.in_force))
