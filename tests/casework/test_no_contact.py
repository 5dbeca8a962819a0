"""Closing a case nobody was ever reached on needs a no-contact reason (issue 17)."""

from __future__ import annotations

import pytest

from followup.casework import corrections, lifecycle
from followup.db import models as m
from followup.errors import RuleViolation
from tests.casework.test_lifecycle import attempt, case, status, version  # noqa: F401


def close(db, actor, case_id, reason="moved_away", **kw):
    with db.session() as s:
        lifecycle.close_case(s, actor, case_id, reason, version(db, case_id), **kw)


def stored_reason(db, case_id):
    with db.session() as s:
        return s.get(m.Case, case_id).no_contact_reason


def test_a_case_never_reached_needs_a_reason_to_close(database, team, case):  # noqa: F811
    w = team["worker1"]
    attempt(database, w, case, "phone", "no_answer", days_ago=3)
    attempt(database, w, case, "phone", "wrong_number", days_ago=2)
    with pytest.raises(RuleViolation, match="choose why contact was never made"):
        close(database, w, case)
    with pytest.raises(RuleViolation, match="from the list"):
        close(database, w, case, no_contact_reason="abducted_by_aliens")
    with pytest.raises(RuleViolation, match="no-contact reason is Other"):
        close(database, w, case, no_contact_reason="other")
    assert status(database, case) == "contacting"  # nothing was written

    close(database, w, case, no_contact_reason="wrong_number")
    assert (status(database, case), stored_reason(database, case)) == ("closed", "wrong_number")

    # Reopening clears it; closing again asks again.
    with database.session() as s:
        lifecycle.reopen_case(s, w, case, version(database, case), "A new number from family")
    assert stored_reason(database, case) is None
    close(database, w, case, "other", note="Family asked us to stop", no_contact_reason="other")
    assert stored_reason(database, case) == "other"


def test_a_case_where_the_worker_spoke_with_the_person_needs_none(database, team, case):  # noqa: F811
    w = team["worker1"]
    attempt(database, w, case, "phone", "spoke_declined", days_ago=1)
    close(database, w, case, "declined", no_contact_reason="moved_away")
    # Contact was made, so no no-contact reason is kept even when one is sent.
    assert (status(database, case), stored_reason(database, case)) == ("closed", None)


def test_a_voided_contact_does_not_count_as_contact(database, team, case):  # noqa: F811
    w = team["worker1"]
    attempt(database, w, case, "phone", "spoke_engaged", days_ago=1)
    with database.session() as s:
        spoke = s.query(m.ContactAttempt).one()
        corrections.mark_entered_in_error(
            s, w, case, version(database, case), "attempt", spoke.id, "Logged on the wrong case"
        )
    with database.session() as s:
        lifecycle.set_status(s, w, s.get(m.Case, case), "contacting", "test: back to contacting")
    with pytest.raises(RuleViolation, match="never made"):
        close(database, w, case)
    close(database, w, case, no_contact_reason="no_response_to_attempts")
    assert stored_reason(database, case) == "no_response_to_attempts"
