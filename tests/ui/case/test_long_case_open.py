"""Opening a case with hundreds of attempts: the timeline shows every one in order, a long
entry wraps on a row tall enough for it, the tabs not yet shown are filled when opened, and
the opening reads the case in a bounded number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from followup import vocab
from followup.db import models as m
from followup.ui.case.forms import table_text
from followup.ui.case.view import NOTES_TAB
from followup.uktime import short_date_time
from tests.ui.case.helpers import add_attempts, make_case, open_view, show_tab

ATTEMPTS = 500
# The opening (one background task): the case read once (its statements do not grow with the
# attempts), the view audited, and the treatment services for the Treatment tab.
MOST_STATEMENTS = 17
LONG_NOTE = "A long test note that goes on " + "and on " * 40 + "to the very end."


def _long_case(db, team) -> tuple[int, datetime]:
    case_id = make_case(db, team, status="contacting")
    start = datetime.now(UTC) - timedelta(days=400)
    with db.session() as s:
        case = s.get(m.Case, case_id)
        add_attempts(s, team, case_id, ATTEMPTS, start, hours=18)
        for i, text in enumerate(("Short test note.", LONG_NOTE)):
            s.add(
                m.CaseNote(
                    case_id=case_id,
                    person_id=case.person_id,
                    author_id=team["worker1"].id,
                    text=text,
                    written_at=datetime.now(UTC) - timedelta(minutes=10 - i),
                )
            )
        s.add(  # a note entered in error: struck through, and not counted
            m.CaseNote(
                case_id=case_id,
                person_id=case.person_id,
                author_id=team["worker1"].id,
                text="Test note on the wrong case.",
                written_at=start,
                voided_at=start + timedelta(hours=1),
                voided_by_id=team["lead"].id,
                void_reason="Wrong case",
            )
        )
    return case_id, start


def test_the_timeline_shows_all_500_attempts_newest_first(ui_db, team, qtbot):
    case_id, start = _long_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert view.tabs.tabText(0) == f"Contact attempts ({ATTEMPTS})"
    rows = view.timeline.rows()
    contacts = [r for r in rows if r[1] == "Contact"]
    expected = [
        (
            short_date_time(start + timedelta(hours=18 * i)),
            "Contact",
            f"{vocab.label(('phone', 'sms')[i % 2])}: "
            f"{vocab.label(('no_answer', 'message_sent')[i % 2]).lower()} — Try {i}",
            team["worker1"].display_name,
        )
        for i in reversed(range(ATTEMPTS))
    ]
    assert contacts == expected
    # The notes written today head the timeline; the one entered in error is struck through,
    # with the line under it saying who corrected it.
    assert [r[2] for r in rows[:2]] == [LONG_NOTE, "Short test note."]
    wrong = next(i for i, r in enumerate(rows) if r[2] == "Test note on the wrong case.")
    assert view.timeline.struck(wrong) and not view.timeline.struck(wrong + 1)
    assert rows[wrong + 1][1] == "Correction"
    assert rows[wrong + 1][2].startswith("Entered in error by Lee Lead")
    attempts = table_text(view.attempts.table)
    assert [r[4] for r in attempts] == [f"Try {i}" for i in reversed(range(ATTEMPTS))]


def test_a_long_entry_wraps_on_a_row_tall_enough_to_read_it_whole(ui_db, team, qtbot):
    case_id, _ = _long_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    table = view.timeline.table
    qtbot.waitUntil(lambda: table.rowHeight(0) > table.rowHeight(1))
    # As tall as the style says the wrapped text needs; a one-line entry keeps one line.
    assert table.rowHeight(0) >= table.sizeHintForRow(0)
    assert table.rowHeight(1) == table.verticalHeader().defaultSectionSize()
    # Scrolled to the end, the rows that come into view are fitted too.
    table.scrollToBottom()
    last = view.timeline.model.rowCount() - 1
    qtbot.waitUntil(lambda: last in view.timeline._fitted)
    assert table.rowHeight(last) >= table.sizeHintForRow(last)


def test_a_tab_not_yet_shown_is_filled_when_the_user_opens_it(ui_db, team, qtbot):
    case_id, _ = _long_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert not view.built(NOTES_TAB)
    show_tab(qtbot, view, "Notes")
    assert view.built(NOTES_TAB)
    assert view.notes.count.text() == "2 notes on this case."
    show_tab(qtbot, view, "Person")
    assert "Testy" in view.person.text()


def test_opening_the_case_reads_it_in_a_bounded_number_of_statements(ui_db, team, qtbot):
    case_id, _ = _long_case(ui_db, team)
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, many):
        seen.append(statement)

    event.listen(ui_db.engine, "before_cursor_execute", count)
    try:
        view = open_view(qtbot, ui_db, team["worker1"], case_id)
    finally:
        event.remove(ui_db.engine, "before_cursor_execute", count)
    assert view.detail is not None and len(view.detail.attempts) == ATTEMPTS
    assert len(seen) <= MOST_STATEMENTS, seen
