"""On a team server a worker's own login prints, posts and gets back a letter through the
server's row-level security, and cannot touch a colleague's letters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.db import models as m
from followup.db.migrate import open_database
from followup.errors import NotFound
from followup.letters.batch import letters_due
from followup.letters.making import create_letter, record_prints
from followup.letters.states import mark_posted, mark_returned
from tests.letters.helpers import NOW, add_case
from tests.protection.team_helpers import server_team  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def test_a_worker_takes_a_letter_from_due_to_returned_on_the_server(server_team):  # noqa: F811
    owner = open_database(server_team.owner_url)
    try:
        with owner.session() as s:
            ids = dict(s.execute(select(m.User.username, m.User.id)).all())
            case_id = add_case(
                s, ids[server_team.worker_a], reference="TS-L1", with_treatment=False, gp=None
            )
            for days in (15, 12, 9):
                s.add(
                    m.ContactAttempt(
                        case_id=case_id,
                        method="phone",
                        outcome="no_answer",
                        attempted_at=NOW - timedelta(days=days),
                    )
                )
    finally:
        owner.dispose()
    db, worker = server_team.sign_in(server_team.worker_a)
    try:
        with db.session() as s:
            letter = create_letter(s, worker, case_id, "unable_to_contact")
        with db.session() as s:
            due = letters_due(s, worker)
            assert [(d.letter_id, d.state) for d in due if d.case_id == case_id] == [
                (letter.id, "due")
            ]
            record_prints(s, worker, [letter.id], "Printer office", job="office-1")
        with db.session() as s:
            assert mark_posted(s, worker, [letter.id]).attempts == 1
        with db.session() as s:
            assert mark_returned(s, worker, [letter.id]).attempts == 1
        with db.session() as s:
            assert s.get(m.Letter, letter.id).state == "returned"
    finally:
        db.dispose()
    db, other = server_team.sign_in(server_team.worker_b)
    try:
        with db.session() as s, pytest.raises(NotFound):
            mark_returned(s, other, [letter.id])
    finally:
        db.dispose()
