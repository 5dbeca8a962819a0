"""Template wording and the letterhead: placeholders, discretion, admin-only, audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from followup.db import models as m
from followup.errors import PermissionDenied, RuleViolation
from followup.letters.making import create_letter
from followup.letters.settings import (
    DEFAULT_NAME,
    letterhead,
    reset_template_wording,
    save_template_wording,
    set_letterhead,
    template_wording,
)
from followup.letters.templates import TEMPLATES, banned_word, check_wording, fill
from tests.letters.helpers import (  # noqa: F401 - fixtures
    letter_case_fixture,
    letterhead_set_fixture,
    logo_png,
    pdf_text,
)


def test_default_wording_is_valid_and_person_letters_are_discreet():
    for name, spec in TEMPLATES.items():
        check_wording(name, spec.default_body)
        if spec.to_person:
            assert banned_word(spec.default_body) is None


def test_banned_words_are_whole_words_in_any_case():
    assert banned_word("After an OVERDOSE") == "overdose"
    assert banned_word("the Police station") == "police"
    assert banned_word("ｄｒｕｇｓ") == "drugs"  # full-width letters fold to plain ones
    assert banned_word("Mr Drugan of Recoverton Way") is None
    assert banned_word("odd goods") is None and banned_word("an OD") == "od"


def test_fill_keeps_text_literal_and_drops_empty_note_lines():
    body = "Dear {first_name},\n\n{note}\n\nSee you {{soon}}.\n"
    assert fill(body, {"first_name": "<b>{x}</b>", "note": ""}) == (
        "Dear <b>{x}</b>,\n\nSee you {soon}.\n"
    )


def test_an_admin_edits_wording_and_it_is_used_and_audited(database, team, letter_case):
    admin = team["admin"]
    body = "Hello {first_name},\n\nPlease ring {service_phone}.\n\n{worker_name}\n"
    with database.session() as s:
        save_template_wording(s, admin, "unable_to_contact", body)
    with database.session() as s:
        wording = template_wording(s, "unable_to_contact")
        assert wording.body == body and not wording.is_default
        pdf = create_letter(s, team["worker1"], letter_case, "unable_to_contact").pdf
    assert "Hello Testy," in pdf_text(pdf) and "Please ring 0121 496 0000." in pdf_text(pdf)
    with database.session() as s:
        reset_template_wording(s, admin, "unable_to_contact")
        assert template_wording(s, "unable_to_contact").is_default
        events = (
            s.execute(select(m.AuditEvent).where(m.AuditEvent.entity == "letter_template"))
            .scalars()
            .all()
        )
    assert [e.action for e in events] == ["update", "update"]
    assert json.loads(events[0].details)["template"] == "unable_to_contact"


def test_unknown_placeholders_and_stray_braces_are_refused(database, team):
    admin = team["admin"]
    with database.session() as s:
        with pytest.raises(RuleViolation, match=r"placeholder \{nickname\}.*use one of"):
            save_template_wording(s, admin, "appointment", "Dear {nickname},")
        with pytest.raises(RuleViolation, match=r"placeholder \{recipient_name\}"):
            save_template_wording(s, admin, "unable_to_contact", "Dear {recipient_name},")
        with pytest.raises(RuleViolation, match="single brace"):
            save_template_wording(s, admin, "appointment", "Dear {first_name,")
        with pytest.raises(RuleViolation, match="placeholder"):
            save_template_wording(s, admin, "appointment", "{first_name.__class__}")
        with pytest.raises(RuleViolation, match="cannot be empty"):
            save_template_wording(s, admin, "appointment", "  \n")
        # Professional letters may name treatment; the same word is refused to the person.
        save_template_wording(
            s, admin, "treatment_referral", "Dear {recipient_name}, a referral for treatment."
        )
        with pytest.raises(RuleViolation, match='contains the word "treatment"'):
            save_template_wording(s, admin, "appointment", "About your treatment, {first_name}")


def test_only_an_admin_edits_templates_and_letterhead(database, team):
    for who in ("lead", "worker1"):
        with database.session() as s:
            with pytest.raises(PermissionDenied):
                save_template_wording(s, team[who], "appointment", "Dear {first_name},")
            with pytest.raises(PermissionDenied):
                set_letterhead(s, team[who], name="Somebody")


def test_letterhead_defaults_validation_and_audit(database, team):
    admin = team["admin"]
    with database.session() as s:
        head = letterhead(s)
        assert head.name == DEFAULT_NAME and head.logo is None
        with pytest.raises(RuleViolation, match="not a readable image"):
            set_letterhead(s, admin, logo=b"GIF89a not really")
        with pytest.raises(RuleViolation, match="not a readable image"):
            set_letterhead(s, admin, logo=logo_png()[:60])  # truncated
        with pytest.raises(RuleViolation, match='letterhead name.*"drug"'):
            set_letterhead(s, admin, name="City Drug Service")
        set_letterhead(
            s, admin, name="Community Support Team", phone="0121 496 0000", logo=logo_png()
        )
    with database.session() as s:
        head = letterhead(s)
        assert head.logo == logo_png() and head.phone == "0121 496 0000"
        set_letterhead(s, admin, logo=None)
        assert letterhead(s).logo is None
        details = [
            json.loads(e.details)
            for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity == "letterhead"))
        ]
    assert "name" in details[0] and "logo_sha256" in details[0]
    assert details[1]["logo_sha256"][1] is None


def test_a_letter_needs_the_phone_number_it_gives(database, team, letter_case):
    with database.session() as s:
        set_letterhead(s, team["admin"], phone="")
    with database.session() as s, pytest.raises(RuleViolation, match="letterhead has none"):
        create_letter(s, team["worker1"], letter_case, "unable_to_contact")
