"""Letters read back from the PDF: words on the page, literal text, fonts, the envelope window,
discretion, consent refusals, storage and audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from datetime import datetime, timedelta

import arabic_reshaper
import pytest
from bidi import get_display
from pypdf import PdfReader
from sqlalchemy import select

from followup.casework import lifecycle
from followup.db import models as m
from followup.errors import NotFound, PermissionDenied, RuleViolation
from followup.letters.making import (
    LetterRequest,
    create_letter,
    letter_pdf,
    letters_for_case,
    preview_letter,
    record_print,
)
from followup.letters.render import WINDOW
from followup.pdf.text import missing_glyphs
from tests.letters.helpers import (  # noqa: F401 - fixtures
    add_case,
    flat,
    image_xobjects,
    letter_case_fixture,
    letterhead_set_fixture,
    page_count,
    pdf_fonts,
    pdf_text,
    text_positions,
)

SOON = (datetime.now() + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
BANNED_ON_PERSON_LETTERS = (
    "drug",
    "overdose",
    "naloxone",
    "police",
    "treatment",
    "substance",
    "heroin",
    "opioid",
    "alcohol",
    "addiction",
    "recovery",
    "cocaine",
)
NASTY = (
    '<b>&amp;</b> & </para> <font color=red>red</font> <a href="http://x">link</a> <img src="x"/>'
)


def make(db, actor, case_id, template, **kw):
    if template == "appointment":
        kw.setdefault("appointment_time", SOON)
        kw.setdefault("appointment_place", "The Community Centre, 3 High Street, Testtown")
    with db.session() as s:
        return create_letter(s, actor, case_id, template, **kw)


def test_appointment_letter_says_who_when_where_on_the_letterhead(database, team, letter_case):
    record = make(database, team["worker1"], letter_case, "appointment")
    text = flat(pdf_text(record.pdf))
    for words in (
        "Dear Testy,",
        "Testy McTestface",
        "1 Test Street",
        "Testtown",
        "B5 6DD",
        f"{SOON:%A} {SOON.day} {SOON:%B %Y}",
        "10:30am",
        "The Community Centre, 3 High Street, Testtown",
        "Community Support Team",
        "10 Example Road",
        "0121 496 0000",
        "Wendy Worker",
        "Private and confidential",
        "Page 1 of 1",
    ):
        assert words in text, words
    assert page_count(record.pdf) == 1
    assert image_xobjects(record.pdf) == 1  # the logo


@pytest.mark.parametrize("template", ["unable_to_contact", "treatment_referral", "gp_notification"])
def test_every_template_renders_with_the_persons_details(database, team, letter_case, template):
    record = make(database, team["worker1"], letter_case, template)
    text = flat(pdf_text(record.pdf))
    assert "Testy" in text and "Community Support Team" in text
    if template == "treatment_referral":
        for words in (
            "Test Treatment Service",
            "5 Service Lane",
            "Referral summary",
            "02/01/1980",
            "999 100 0011",
            "07700 900123",
            "heroin, crack cocaine",
            "2 doses (nasal)",
            "referrals@test-service.nhs.example",
            "The consent this letter rests on",
            "Sharing with a treatment service",
            "Given",
            "Verbal by phone",
            "Recorded by Wendy Worker",
        ):
            assert words in text, words
    if template == "gp_notification":
        for words in (
            "The GP",
            "Test Surgery",
            "2 Practice Road",
            "Dear Doctor",
            "NHS number 999 100 0011",
            "Sharing with their GP",
        ):
            assert words in text, words


def test_person_letters_name_no_drugs_police_or_treatment(database, team, letter_case):
    note = "Seen after the police call"
    for template in ("appointment", "unable_to_contact"):
        record = make(database, team["worker1"], letter_case, template)
        text = pdf_text(record.pdf).lower()
        for word in BANNED_ON_PERSON_LETTERS:
            assert word not in text, (template, word)
        assert "TST-100" not in pdf_text(record.pdf)  # the police reference
        with pytest.raises(RuleViolation, match='The note contains the word "police"'):
            make(database, team["worker1"], letter_case, template, note=note)
    with pytest.raises(RuleViolation, match="The appointment place contains the word"):
        make(
            database,
            team["worker1"],
            letter_case,
            "appointment",
            appointment_place="Drug Service, 1 High Street",
        )


def test_the_final_text_of_a_person_letter_is_checked(database, team, letterhead_set):
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, address="1 Police Station Road, Testtown")
    with pytest.raises(RuleViolation, match="police.*someone else may open the post"):
        make(database, team["worker1"], case_id, "unable_to_contact")


def test_user_text_prints_literally_and_injects_nothing(database, team, letterhead_set):
    with database.session() as s:
        case_id = add_case(
            s,
            team["worker1"].id,
            first="<i>Zed</i> & Co",
            last="</para>",
            address=f"Flat 1 {NASTY}\nTesttown",
        )
    for template in ("unable_to_contact", "treatment_referral"):
        record = make(database, team["worker1"], case_id, template, note=f"Note: {NASTY}")
        text = flat(pdf_text(record.pdf))
        assert "<i>Zed</i> & Co </para>" in text
        assert NASTY in text
        assert f"Note: {NASTY}" in text
        raw = record.pdf
        for marker in (b"/Link", b"/URI", b"/Annots", b"/JavaScript"):
            assert marker not in raw
        assert image_xobjects(raw) == 1  # only the logo


def test_names_in_any_script_use_the_embedded_font(database, team, letterhead_set):
    arabic = "سارة أحمد"
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, first="Zoë Łukasz", last=f"Nguyễn {arabic}")
    record = make(database, team["worker1"], case_id, "unable_to_contact")
    text = pdf_text(record.pdf)
    assert "Zoë Łukasz Nguyễn" in text
    # Drawn as joined letter forms (Arabic presentation forms), which fold back to the name.
    shaped = get_display(arabic_reshaper.reshape(arabic))
    assert any("\ufe70" <= c <= "\ufeff" for c in shaped)
    assert arabic in unicodedata.normalize("NFKC", text)
    assert missing_glyphs(f"Zoë Łukasz Nguyễn {arabic}") == set()
    fonts = pdf_fonts(record.pdf)
    assert fonts and all("DejaVuSans" in f for f in fonts), fonts
    assert not any("Helvetica" in f or "Times" in f for f in fonts)


def test_the_address_sits_in_the_envelope_window(database, team, letter_case):
    from reportlab.pdfbase import pdfmetrics

    from followup.pdf.fonts import FONT

    record = make(database, team["worker1"], letter_case, "unable_to_contact")
    left, top, right, bottom = WINDOW
    lines = {"Testy McTestface", "1 Test Street", "Testtown", "B5 6DD"}
    found = {t.strip(): (x, y) for t, x, y in text_positions(record.pdf) if t.strip() in lines}
    assert set(found) == lines
    for text, (x, y) in found.items():
        width_mm = pdfmetrics.stringWidth(text, FONT, 10) / 72 * 25.4
        assert left <= x and x + width_mm <= right, text
        assert top + 3 <= y <= bottom - 1, text  # baseline leaves room for capitals and tails


def test_a_long_address_still_fits_the_window_or_is_refused(database, team, letterhead_set):
    with database.session() as s:
        long_case = add_case(
            s,
            team["worker1"].id,
            address="\n".join(f"Line {i} of a very long address" for i in range(9)),
        )
        fits = add_case(
            s,
            team["worker1"].id,
            reference="TST-2",
            address="Flat 12, The Very Long Named Building, 123 Extraordinarily "
            "Long Street Name, Testtown",
        )
    with pytest.raises(RuleViolation, match="too long to fit in the envelope window"):
        make(database, team["worker1"], long_case, "unable_to_contact")
    record = make(database, team["worker1"], fits, "unable_to_contact")
    for text, x, y in text_positions(record.pdf):
        if "Long" in text:
            assert WINDOW[0] <= x and WINDOW[1] <= y <= WINDOW[3]


@pytest.mark.parametrize(
    ("template", "scope", "reason"),
    [
        ("appointment", "contact_letter", "needs the person's consent to letters"),
        ("unable_to_contact", "contact_letter", "needs the person's consent to letters"),
        (
            "treatment_referral",
            "share_with_treatment",
            "needs the person's consent to sharing with a treatment service",
        ),
        ("gp_notification", "share_with_gp", "needs the person's consent to sharing with their GP"),
    ],
)
def test_a_letter_without_its_consent_is_refused(
    database, team, letterhead_set, template, scope, reason
):
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, scopes=())
    with pytest.raises(RuleViolation, match=f"{reason}, which has not been recorded"):
        make(database, team["worker1"], case_id, template)
    with database.session() as s:
        add_consent = lifecycle.record_consent
        version = s.get(m.Case, case_id).version
        add_consent(s, team["worker1"], case_id, scope, "given", "verbal_by_phone", version)
    make(database, team["worker1"], case_id, template)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        lifecycle.record_consent(
            s, team["worker1"], case_id, scope, "withdrawn", "verbal_by_phone", version
        )
    with pytest.raises(RuleViolation, match=f"{reason}, which was withdrawn"):
        make(database, team["worker1"], case_id, template)
    with database.session() as s:
        assert (
            s.scalar(
                select(m.Letter.id)
                .where(m.Letter.case_id == case_id, m.Letter.template == template)
                .offset(1)
            )
            is None
        )


def test_no_fixed_abode_is_refused_with_a_suggestion(database, team, letterhead_set):
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, address=None, postcode=None)
    with pytest.raises(RuleViolation, match="no postal address.*in person"):
        make(database, team["worker1"], case_id, "unable_to_contact")
    make(database, team["worker1"], case_id, "treatment_referral")  # not posted to the person


def test_missing_details_are_refused_plainly(database, team, letterhead_set):
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, gp=None, with_treatment=False)
    with pytest.raises(RuleViolation, match="No GP practice is recorded"):
        make(database, team["worker1"], case_id, "gp_notification")
    with pytest.raises(RuleViolation, match="Record the treatment referral"):
        make(database, team["worker1"], case_id, "treatment_referral")
    with pytest.raises(RuleViolation, match="needs the time and the place"):
        make(database, team["worker1"], case_id, "appointment", appointment_place="")
    with pytest.raises(RuleViolation, match="already passed"):
        make(
            database,
            team["worker1"],
            case_id,
            "appointment",
            appointment_time=datetime.now() - timedelta(days=1),
        )
    with pytest.raises(RuleViolation, match="no letter template called 'birthday'"):
        make(database, team["worker1"], case_id, "birthday")


def test_letters_are_stored_with_their_hash_listed_reopened_and_prints_audited(
    database, team, letter_case
):
    w = team["worker1"]
    record = make(database, w, letter_case, "unable_to_contact")
    assert record.sha256 == hashlib.sha256(record.pdf).hexdigest()
    with database.session() as s:
        stored = s.get(m.Letter, record.id)
        assert stored.pdf == record.pdf and stored.sha256 == record.sha256
        assert stored.author_id == w.id and stored.template == "unable_to_contact"
        record_print(s, w, record.id, "Office printer")
        record_print(s, w, record.id, "Office printer")
    with database.session() as s:
        listed = letters_for_case(s, w, letter_case)
        reopened = letter_pdf(s, w, record.id)
    assert [(x.id, x.prints, x.author) for x in listed] == [(record.id, 2, "Wendy Worker")]
    assert reopened.pdf == record.pdf
    with database.session() as s:
        events = s.execute(
            select(m.AuditEvent.action, m.AuditEvent.details)
            .where(m.AuditEvent.entity == "letter")
            .order_by(m.AuditEvent.id)
        ).all()
        prints = s.scalars(select(m.LetterPrint.destination)).all()
    assert [e.action for e in events] == ["create", "print", "print", "view"]
    assert json.loads(events[1].details)["destination"] == "Office printer"
    assert prints == ["Office printer", "Office printer"]
    # Nothing personal in the audit details: ids, template, hash and destination only.
    assert "Testy" not in "".join(e.details for e in events)


def test_a_worker_cannot_make_or_open_letters_for_a_colleagues_case(database, team, letter_case):
    record = make(database, team["worker1"], letter_case, "unable_to_contact")
    for actor, error in ((team["worker2"], NotFound), (team["admin"], PermissionDenied)):
        with pytest.raises(error):
            make(database, actor, letter_case, "unable_to_contact")
        with database.session() as s, pytest.raises(error):
            letter_pdf(s, actor, record.id)
        with database.session() as s, pytest.raises(error):
            record_print(s, actor, record.id, "x")
    make(database, team["lead"], letter_case, "unable_to_contact")  # a lead may, for any case


def test_preview_stores_nothing(database, team, letter_case):
    with database.session() as s:
        pdf = preview_letter(s, team["worker1"], LetterRequest(letter_case, "gp_notification"))
        assert s.scalar(select(m.Letter.id)) is None
    assert "Dear Doctor" in pdf_text(pdf)
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Letter"
