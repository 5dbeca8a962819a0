"""Spike alerts are about a place, never a person: no letter of a case behind one, or of a
case in the spiked district, carries any of the alert's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from followup.casework import spikes
from followup.db import models as m
from followup.vocab import LetterTemplate
from tests.letters.helpers import (  # noqa: F401 - fixtures
    flat,
    letter_case_fixture,
    letterhead_set_fixture,
    pdf_text,
)
from tests.letters.test_making import make


@pytest.mark.parametrize("template", [t.value for t in LetterTemplate])
def test_no_letter_in_a_spiked_district_mentions_the_alert(database, team, letter_case, template):
    with database.session() as s:
        referral = s.scalar(select(m.Referral).where(m.Referral.case_id == letter_case))
        alert = m.SpikeAlert(
            district="B5",
            window_start=referral.incident_at,
            window_end=referral.incident_at,
            referral_count=3,
            substances="heroin (3)",
            raised_at=datetime.now(UTC),
        )
        s.add(alert)
        s.flush()
        s.add(m.SpikeAlertCase(alert_id=alert.id, referral_id=referral.id))
    with database.session() as s:
        [shown] = spikes.unacknowledged(s, team["worker1"])
        assert [c.case_id for c in shown.cases] == [letter_case]  # the case is behind it
    text = flat(pdf_text(make(database, team["worker1"], letter_case, template).pdf))
    for words in ("Spike", "spike", "harm-reduction", "heroin (3)", "3 overdoses"):
        assert words not in text, words
