"""Two administrators editing letter wording or the letterhead cannot undo each other's save."""

from __future__ import annotations

import pytest

from followup.errors import StaleEdit
from followup.letters.settings import (
    letterhead,
    letterhead_version,
    reset_template_wording,
    save_template_wording,
    set_letterhead,
    template_wording,
)

BODY_A = "Hello {first_name},\n\nPlease ring us.\n\n{worker_name}\n"
BODY_B = "Dear {first_name},\n\nWe tried to reach you.\n\n{worker_name}\n"


def test_wording_saved_by_another_admin_is_not_overwritten(database, team):
    admin = team["admin"]
    with database.session() as s:
        seen = template_wording(s, "unable_to_contact").version  # both editors open it
    assert seen == 0  # only the default so far
    with database.session() as s:
        save_template_wording(s, admin, "unable_to_contact", BODY_A, expected_version=seen)
    with (
        pytest.raises(StaleEdit, match="wording of the .* letter"),
        database.session() as s,
    ):
        save_template_wording(s, admin, "unable_to_contact", BODY_B, expected_version=seen)
    with pytest.raises(StaleEdit), database.session() as s:
        reset_template_wording(s, admin, "unable_to_contact", expected_version=seen)
    with database.session() as s:
        wording = template_wording(s, "unable_to_contact")
    assert wording.body == BODY_A
    with database.session() as s:  # after a reload the second admin's wording lands
        save_template_wording(
            s, admin, "unable_to_contact", BODY_B, expected_version=wording.version
        )
    with database.session() as s:
        assert template_wording(s, "unable_to_contact").body == BODY_B


def test_letterhead_saved_by_another_admin_is_not_overwritten(database, team):
    admin = team["admin"]
    with database.session() as s:
        seen = letterhead_version(s)
    with database.session() as s:
        set_letterhead(s, admin, name="Synthetic Support Team", expected_version=seen)
    with pytest.raises(StaleEdit, match="the letterhead"), database.session() as s:
        set_letterhead(s, admin, phone="0121 496 0000", expected_version=seen)
    with database.session() as s:
        head, now = letterhead(s), letterhead_version(s)
    assert (head.name, head.phone, now) == ("Synthetic Support Team", "", seen + 1)
    with database.session() as s:
        set_letterhead(s, admin, phone="0121 496 0000", expected_version=now)
    with database.session() as s:
        head = letterhead(s)
    assert (head.name, head.phone) == ("Synthetic Support Team", "0121 496 0000")
