"""Migration 0010 on SQLite and PostgreSQL: letters printed before it are printed, the rest
due; it goes down and up again with the letters kept."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from followup.db import models as m
from followup.db.migrate import alembic_config
from followup.letters.making import create_letter, record_prints
from tests.letters.helpers import add_case, letterhead_set_fixture  # noqa: F401 - fixture


def _migrate(database, step, revision: str) -> None:
    cfg = alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def test_letters_printed_before_0010_are_printed_and_the_rest_due(database, team, letterhead_set):
    w = team["worker1"]
    with database.session() as s:
        case_id = add_case(s, w.id, with_treatment=False)
        printed = create_letter(s, w, case_id, "unable_to_contact").id
        unprinted = create_letter(s, w, case_id, "gp_notification").id
        record_prints(s, w, [printed], "Printer office", job="office-3")
    _migrate(database, command.downgrade, "0007")
    _migrate(database, command.upgrade, "head")
    with database.session() as s:
        states = dict(s.execute(select(m.Letter.id, m.Letter.state)).all())
        assert states == {printed: "printed", unprinted: "due"}
        when = s.scalar(select(m.Letter.state_at).where(m.Letter.id == printed))
        assert when == s.scalar(select(m.LetterPrint.printed_at))
        assert s.scalar(select(m.LetterPrint.job)) is None  # not known before 0010
        assert len(s.scalar(select(m.Letter.pdf).where(m.Letter.id == unprinted))) > 1000
    # The states are a fixed vocabulary on both backends.
    with pytest.raises(IntegrityError), database.session() as s:
        s.execute(update(m.Letter).where(m.Letter.id == printed).values(state="lost"))
        s.flush()
