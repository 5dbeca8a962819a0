"""The editable case view, driven as a worker would: consent, attempts, lifecycle, treatment,
naloxone, person details, and what the screen says when a rule or another user stops a save."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from followup.db import models as m
from followup.ui.case import dialogs
from followup.ui.case.forms import table_text
from followup.ui.case.view import CONSENT_TAB, PERSON_TAB, CaseView
from tests.ui.case.helpers import (
    WAIT,
    case_status,
    choose,
    make_case,
    open_view,
    service_attempt,
    settle,
    show_tab,
)


def in_force_row(view: CaseView, heading: str) -> list[str]:
    return next(r for r in table_text(view.consent.in_force) if r[0] == heading)


def record_consent(
    qtbot, view: CaseView, scope: str, state: str, method: str = "in_person", evidence: str = ""
) -> None:
    panel = view.consent
    choose(panel.scope, scope)
    choose(panel.state, state)
    choose(panel.method, method)
    panel.evidence.clear()
    qtbot.keyClicks(panel.evidence, evidence)
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)


def test_the_header_shows_person_risks_status_worker_and_overdue(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, first="<b>Testy</b>")
    with ui_db.session() as s:  # a repeat overdose, and no fixed abode
        case = s.get(m.Case, case_id)
        person = s.get(m.Person, case.person_id)
        person.no_fixed_abode = True
        earlier = m.Case(
            person_id=person.id,
            police_reference="TST-OLD",
            status="closed",
            referred_at=case.referred_at - timedelta(days=90),
            closure_reason="declined",
        )
        s.add(earlier)
        s.flush()
        s.add(
            m.Referral(
                case_id=earlier.id,
                person_id=person.id,
                police_reference="TST-OLD",
                force="Test Force",
                incident_at=earlier.referred_at,
            )
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    header = view.header.text()
    assert "<b>Testy</b> McTestface" in header  # shown as typed, never as markup
    assert view.header.name.textFormat() == Qt.TextFormat.PlainText
    assert "Repeat overdose: 2, latest" in header
    assert "No fixed abode" in header
    assert "Worker: Wendy Worker" in header
    assert view.header.status.text() == "New"
    assert view.header.due.text().startswith("Overdue: next action was due")
    assert not view.header.due_icon.isHidden()  # an icon and a word, not colour alone
    assert view.title == "<b>Testy</b> McTestface"
    kinds = [r[1] for r in view.timeline.rows()]
    assert kinds.count("Referral") == 1  # this case's own referral; the earlier one is history
    assert kinds[-1] == "Referral" and kinds.count("Consent") == 3  # oldest last


def test_record_consent_given_then_withdrawn(ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert in_force_row(view, "Home visits")[1] == "Not asked"
    assert in_force_row(view, "Phone calls")[1] == "In force (given)"

    record_consent(qtbot, view, "home_visit", "given", evidence="Agreed on the phone: <i>ok</i>")
    assert view.consent.message.text() == "Consent recorded."
    assert in_force_row(view, "Home visits")[1:3] == ["In force (given)", "In person"]
    assert view.consent.evidence.text() == ""  # the form is ready for the next entry

    record_consent(qtbot, view, "home_visit", "withdrawn", evidence="Asked us not to visit")
    assert in_force_row(view, "Home visits")[1] == "Not in force (withdrawn)"
    history = [r for r in table_text(view.consent.history) if r[1] == "Home visits"]
    assert [r[2] for r in history] == ["Withdrawn", "Given"]  # newest first, nothing lost
    assert history[1][6] == "Agreed on the phone: <i>ok</i>"
    assert any(r[1] == "Consent" and "home visits withdrawn" in r[2] for r in view.timeline.rows())
    with ui_db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(m.AuditEvent)
                .where(m.AuditEvent.action == "create", m.AuditEvent.entity == "consent")
            )
            == 2
        )


def test_withdrawing_consent_that_was_never_given_says_why(ui_db, team, qtbot):
    view = open_view(qtbot, ui_db, team["worker1"], make_case(ui_db, team))
    record_consent(qtbot, view, "share_with_gp", "withdrawn", evidence="typed text stays")
    assert not view.consent.message.isHidden()
    assert "can be withdrawn only when it was given" in view.consent.message.text()
    assert view.consent.evidence.text() == "typed text stays"


def test_log_attempts_from_the_keyboard(ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    assert panel.count.text() == "No attempts yet."
    view.activateWindow()
    view.focus_quick_log()
    assert panel.method.currentData() == "phone"
    qtbot.keyClick(panel.method, Qt.Key.Key_Down)  # text message
    # A text offers its own outcomes, "message sent" first.
    assert panel.outcome.currentData() == "message_sent"
    qtbot.keyClick(panel.outcome, Qt.Key.Key_Down)
    qtbot.keyClick(panel.outcome, Qt.Key.Key_Up)  # back to message sent
    qtbot.keyClicks(panel.note, "Sent the <b>number</b> to call")
    qtbot.keyClick(panel.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, view)

    assert panel.message.text() == "Attempt logged."
    rows = table_text(panel.table)
    assert len(rows) == 1
    assert rows[0][1:] == [
        "Text message (SMS)",
        "Message sent",
        "Wendy Worker",
        "Sent the <b>number</b> to call",
    ]
    assert panel.note.text() == ""
    assert view.header.status.text() == "Contacting"  # the first attempt starts contacting
    assert panel.next_due.text().startswith("Next attempt due")  # day 1 of the schedule
    assert view.header.due_icon.isHidden()
    assert view.tabs.tabText(0) == "Contact attempts (1)"

    qtbot.keyClicks(panel.note, "Second try")  # plain Enter in the note saves too
    qtbot.keyClick(panel.note, Qt.Key.Key_Return)
    settle(qtbot, view)
    assert len(table_text(panel.table)) == 2
    with ui_db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 2


def test_an_attempt_by_a_withdrawn_method_is_refused_with_the_reason(ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    record_consent(qtbot, view, "contact_phone", "withdrawn", "verbal_by_phone")

    panel = view.attempts
    phone = panel.method.findData("phone")
    assert panel.method.itemText(phone) == "Phone (not available)"
    choose(panel.method, "phone")
    assert not panel.method_problem.isHidden()
    assert panel.method_problem.text().startswith("Consent to phone calls was withdrawn on ")
    assert "use another way to reach the person" in panel.method_problem.text()
    assert not panel.save.isEnabled()
    qtbot.keyClicks(panel.note, "trying anyway")
    qtbot.keyClick(panel.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, view)
    assert panel.message.text().startswith("Consent to phone calls was withdrawn")
    assert panel.note.text() == "trying anyway"
    with ui_db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 0

    choose(panel.method, "sms")  # the other methods still work
    assert panel.method_problem.isHidden()
    assert panel.save.isEnabled()


def test_a_home_visit_comes_after_a_remote_attempt(ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    choose(panel.method, "home_visit")
    assert "A home visit comes after a phone call, text or letter" in panel.method_problem.text()
    assert not panel.save.isEnabled()

    choose(panel.method, "letter")
    choose(panel.outcome, "letter_sent")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    choose(panel.method, "home_visit")
    assert panel.method_problem.isHidden()
    assert panel.method.currentText() == "Home visit"
    assert panel.save.isEnabled()


def test_engage_then_refer_needs_consent_then_treatment_starts(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert view.lifecycle.advance.text() == "Move to Engaged"
    assert (
        "log that contact attempt (outcome: spoke, engaged) first"
        in view.lifecycle.next_problem.text()
    )
    assert not view.lifecycle.advance.isEnabled()

    choose(view.attempts.outcome, "spoke_engaged")
    qtbot.mouseClick(view.attempts.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.header.status.text() == "Engaged"  # spoke and engaged moves the case on

    panel = view.treatment
    assert panel.service.currentText() == "(choose a service)"  # no service chosen for you
    choose(panel.service, panel.service.itemData(1))
    assert panel.service.currentText() == "Test Treatment Service (treatment)"
    assert panel.service_notes.text() == "Refer by secure email."
    assert panel.refer_problem.text() == (
        "A referral to treatment needs the person's consent to sharing with a treatment service, "
        "which has not been recorded; record it under Consent first."
    )
    assert not panel.refer.isEnabled()
    assert "needs the person's consent to sharing with a treatment service" in (
        view.lifecycle.next_problem.text()
    )

    record_consent(qtbot, view, "share_with_treatment", "given", "written", "Signed form on file")
    assert panel.refer_problem.isHidden()
    panel.referred_on.setDate(date.today() - timedelta(days=1))
    qtbot.mouseClick(panel.refer, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.refer_message.text() == "Referral recorded."
    assert view.header.status.text() == "Referred"
    assert table_text(panel.table)[0][0] == "Test Treatment Service"
    assert not panel.progress_box.isHidden()

    choose(panel.attended, True)
    panel.started.check.setChecked(True)
    qtbot.mouseClick(panel.save_progress, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.progress_message.text() == "Progress saved."
    assert view.header.status.text() == "In treatment"
    assert case_status(ui_db, case_id) == "in_treatment"
    assert view.lifecycle.advance.isHidden()  # no step after in treatment but closing
    assert table_text(panel.table)[0][3] == "Yes"
    kinds = [r[2] for r in view.timeline.rows()]
    assert "Treatment started at Test Treatment Service" in kinds
    assert "Referred to Test Treatment Service" in kinds


def test_treatment_exit_without_reason_is_refused_and_the_form_kept(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    service_attempt(ui_db, team["worker1"], case_id, outcome="spoke_engaged")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    record_consent(qtbot, view, "share_with_treatment", "given")
    choose(view.treatment.service, view.treatment.service.itemData(1))
    qtbot.mouseClick(view.treatment.refer, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    panel = view.treatment
    panel.started.check.setChecked(True)
    panel.exit_on.check.setChecked(True)
    qtbot.mouseClick(panel.save_progress, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.progress_message.text() == "An exit needs both a date and a reason."
    assert panel.exit_on.check.isChecked()
    choose(panel.exit_reason, "treatment_completed_drug_free")
    qtbot.mouseClick(panel.save_progress, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert table_text(panel.table)[0][6] == "Treatment completed drug free"


def test_naloxone_kits_show_the_count_and_latest_expiry(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.naloxone
    assert panel.summary.text() == "No naloxone kits supplied yet."
    panel.supplied_on.setDate(date.today() - timedelta(days=1))
    panel.quantity.setValue(2)
    panel.expires.check.setChecked(True)
    panel.expires.edit.setDate(date(2030, 5, 1))
    qtbot.keyClicks(panel.batch, "TESTBATCH1")
    panel.training.setChecked(True)
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.confirm_text.text() == (
        "Record 2 nasal kits, batch TESTBATCH1, expiring 01/05/2030, new supply for "
        "Testy McTestface?"
    )
    qtbot.mouseClick(panel.confirm_yes, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Supply recorded."

    panel.supplied_on.setDate(date.today())
    assert panel.supply_type.currentData() == "resupply"  # a kit was supplied before
    assert panel.resupply_reason.isEnabled()
    choose(panel.resupply_reason, "used_on_someone_else")
    choose(panel.kit_type, "injectable")
    qtbot.keyClicks(panel.batch, "TESTBATCH2")
    panel.expires.check.setChecked(True)
    panel.expires.edit.setDate(date(2030, 9, 1))
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.confirm_yes, Qt.MouseButton.LeftButton)
    settle(qtbot, view)

    assert panel.summary.text() == "3 naloxone kits supplied; latest expires 01/09/2030."
    assert "Naloxone: 3 kits, latest expires 01/09/2030" in view.header.text()
    rows = table_text(panel.table)
    assert len(rows) == 2
    assert [rows[1][i] for i in (2, 3, 4, 5, 6, 7)] == [
        "2",
        "Person",
        "New",
        "Yes",
        "TESTBATCH1",
        "01/05/2030",
    ]
    assert rows[0][4] == "Resupply: used on someone else"
    assert view.tabs.tabText(3) == "Naloxone (3)"


def test_person_details_are_validated_then_saved_and_audited(ui_db, team, qtbot):
    case_id = make_case(ui_db, team)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.person
    assert panel.fields["phone"].text() == "07700 900001"
    assert not panel.save.isEnabled()  # nothing changed yet
    qtbot.keyClicks(panel.fields["nhs_number"], "999 000 0019")
    qtbot.keyClicks(panel.fields["gp_practice"], "Test Medical Centre")
    assert panel.save.isEnabled()
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == (
        "NHS number: the NHS number fails its check digit (mod-11); check it for a typo."
    )
    assert panel.fields["nhs_number"].text() == "999 000 0019"  # what was typed stays

    panel.fields["nhs_number"].clear()
    qtbot.keyClicks(panel.fields["nhs_number"], "999 000 0018")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Details saved."
    assert panel.fields["nhs_number"].text() == "999 000 0018"
    assert not panel.dirty
    with ui_db.session() as s:
        person = s.scalar(select(m.Person))
        assert (person.nhs_number, person.gp_practice) == ("9990000018", "Test Medical Centre")
        event = s.scalar(select(m.AuditEvent).where(m.AuditEvent.entity == "person"))
        private = s.scalar(select(m.AuditPrivateValue.details))
    assert event.action == "update"
    assert '"nhs_number"' in event.details and "9990000018" not in event.details
    assert '"nhs_number": [null, "9990000018"]' in private


def test_close_as_unable_to_contact_waits_for_the_threshold(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, status="contacting")
    w = team["worker1"]
    service_attempt(ui_db, w, case_id, "phone", days_ago=10)
    service_attempt(ui_db, w, case_id, "phone", days_ago=9)
    view = open_view(qtbot, ui_db, w, case_id)

    # The dialog names the rule before OK is pressed ...
    dialog = dialogs.CloseCaseDialog(view.detail)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and not dialog.problem.text()
    choose(dialog.reason, "unable_to_contact")
    assert dialog.problem.text() == (
        "Closing as unable to contact needs 3 attempts (so far 2), attempts spread over 7 days "
        "(so far 1), 2 different methods (so far 1)."
    )
    assert not ok.isEnabled()
    choose(dialog.reason, "other")
    assert dialog.problem.text() == "Say why in a note when the closure reason is Other."
    qtbot.keyClicks(dialog.note, "Moved to <b>Leeds</b>")
    # Nobody was ever reached on this case, so the dialog also asks why (issue 17).
    assert dialog.problem.text() == (
        "Nobody has spoken with the person; choose why contact was never made."
    )
    choose(dialog.no_contact, "moved_away")
    assert ok.isEnabled()

    # ... and the service refuses it too, saying which rule, if it is asked anyway.
    monkeypatch.setattr(
        dialogs,
        "ask_closure",
        lambda parent, detail: ("unable_to_contact", "", "no_response_to_attempts"),
    )
    qtbot.mouseClick(view.lifecycle.close_case, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.lifecycle.message.text().startswith("Closing as unable to contact needs 3 attempts")
    assert case_status(ui_db, case_id) == "contacting"

    service_attempt(ui_db, w, case_id, "letter", "letter_sent", days_ago=1)
    view.reload()
    settle(qtbot, view)
    assert view.detail.unable_to_contact_problem is None
    qtbot.mouseClick(view.lifecycle.close_case, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.lifecycle.message.text() == "Case closed (unable to contact)."
    assert view.header.status.text() == "Closed"
    assert view.header.due.text() == "Closed (unable to contact)"
    assert case_status(ui_db, case_id) == "closed"
    # A closed case takes no attempts, and says so.
    assert view.attempts.blocked.text() == "This case is closed; reopen it before logging contact."
    assert not view.attempts.save.isEnabled()
    assert not view.lifecycle.reopen.isHidden()
    assert view.lifecycle.close_case.isHidden()


def test_reopen_a_closed_case(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, status="contacting")
    with ui_db.session() as s:
        from followup.casework import lifecycle

        lifecycle.close_case(
            s, team["lead"], case_id, "moved_away", None, no_contact_reason="moved_away"
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert view.header.status.text() == "Closed"
    monkeypatch.setattr(dialogs, "ask_reopen_reason", lambda parent: "Back in the area")
    qtbot.mouseClick(view.lifecycle.reopen, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.header.status.text() == "Contacting"
    assert view.lifecycle.message.text() == "Case reopened; the next attempt is due."
    assert view.timeline.rows()[0][2] == "Status: Contacting — Back in the area"
    assert view.attempts.save.isEnabled()


def test_a_new_case_needs_a_worker_before_it_moves_on(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, worker=None)
    view = open_view(qtbot, ui_db, team["lead"], case_id)
    assert view.lifecycle.advance.text() == "Move to Contacting"
    assert (
        view.lifecycle.next_problem.text()
        == "A case leaves New only once a worker is assigned to it."
    )
    assert view.attempts.blocked.text() == "Assign the case to a worker before logging contact."
    assert view.lifecycle.reassign.text() == "Assign…"

    seen = {}

    def pick(parent, workers, current):
        seen["workers"] = [w.username for w in workers]
        return team["worker2"].id, ""

    monkeypatch.setattr(dialogs, "ask_worker", pick)
    qtbot.mouseClick(view.lifecycle.reassign, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert seen["workers"] == ["lead", "worker2", "worker1"]  # by display name
    assert "Worker: Walt Worker" in view.header.text()
    assert view.lifecycle.advance.isEnabled()
    qtbot.mouseClick(view.lifecycle.advance, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.header.status.text() == "Contacting"


def test_a_worker_reading_an_inbox_case_is_told_why_nothing_can_be_changed(ui_db, team, qtbot):
    view = open_view(qtbot, ui_db, team["worker1"], make_case(ui_db, team, worker=None))
    assert view.person.blocked.text().startswith("You can read this case but not change it")
    assert not view.consent.save.isEnabled()
    assert view.lifecycle.reassign.isHidden()


def test_a_change_by_someone_else_is_not_overwritten(ui_any_db, team, qtbot):
    db = ui_any_db
    case_id = make_case(db, team, status="contacting")
    view = open_view(qtbot, db, team["worker1"], case_id)
    panel = view.attempts
    qtbot.keyClicks(panel.note, "Left a voicemail")

    # Meanwhile the lead logs an attempt on the same case.
    service_attempt(db, team["lead"], case_id, "sms", "message_sent", notes="Lead's text")

    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert not view.conflict.isHidden()
    assert view.conflict.message.text().startswith("Someone else changed this case")
    assert panel.note.text() == "Left a voicemail"  # nothing typed is lost
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 1

    qtbot.mouseClick(view.conflict.reload, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.conflict.isHidden()
    assert table_text(panel.table)[0][4] == "Lead's text"  # the other user's change shows
    assert panel.note.text() == "Left a voicemail"
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Attempt logged."
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 2


def test_keep_my_entry_hides_the_bar_and_keeps_the_form(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    qtbot.keyClicks(view.person.fields["gp_practice"], "Test Surgery")
    service_attempt(ui_db, team["lead"], case_id)
    qtbot.mouseClick(view.person.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert not view.conflict.isHidden()
    qtbot.mouseClick(view.conflict.keep, Qt.MouseButton.LeftButton)
    assert view.conflict.isHidden()
    view.reload()
    settle(qtbot, view)
    assert view.person.fields["gp_practice"].text() == "Test Surgery"  # unsaved edit kept
    assert len(view.detail.attempts) == 1
    qtbot.mouseClick(view.person.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert view.person.message.text() == "Details saved."


def test_a_case_that_cannot_be_opened_says_so(ui_db, team, qtbot):
    view = CaseView(ui_db, team["worker2"], make_case(ui_db, team))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.busy, timeout=WAIT)
    assert view.detail is None
    assert view.status.text().endswith("does not exist or is not in your caseload.")


def test_tabs_are_built_when_first_shown_and_show_the_case(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    for _ in range(2):
        service_attempt(ui_db, team["worker1"], case_id)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    assert view.tabs.tabText(0) == "Contact attempts (2)"
    assert len(view.timeline.rows()) >= 2
    # Only the first tab is built when the case opens; the others wait until they are shown.
    assert [view.built(i) for i in range(view.tabs.count())] == [True] + [False] * (
        view.tabs.count() - 1
    )
    show_tab(qtbot, view, "Person")
    assert view.built(PERSON_TAB) and not view.built(CONSENT_TAB)
    assert "McTestface" in view.person.text()
    show_tab(qtbot, view, "Consent")
    assert in_force_row(view, "Phone calls")[1] == "In force (given)"
