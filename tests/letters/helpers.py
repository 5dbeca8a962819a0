"""Shared set-up for the letter tests (no tests here): a synthetic person with a case, consents,
a referral and a treatment referral, a letterhead with a logo, and PDF reading helpers."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm

from followup.db import models as m
from followup.letters.settings import set_letterhead

NOW = datetime.now(UTC)
NHS = "9991000011"  # synthetic, valid check digit
PHONE = "+447700900123"  # Ofcom drama range
LETTERHEAD = {
    "name": "Community Support Team",
    "address": "10 Example Road\nTesttown\nB1 1AA",
    "phone": "0121 496 0000",
}


def logo_png(colour: tuple[int, int, int] = (30, 90, 160)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (240, 80), colour).save(buf, "PNG")
    return buf.getvalue()


def add_case(
    s,
    worker_id: int | None,
    *,
    first: str | None = "Testy",
    last: str | None = "McTestface",
    address: str | None = "1 Test Street, Testtown",
    postcode: str | None = "B5 6DD",
    gp: str | None = "Test Surgery, 2 Practice Road, Testtown, B5 7EE",
    status: str = "contacting",
    scopes: tuple[str, ...] = ("contact_letter", "share_with_treatment", "share_with_gp"),
    substances: str = "heroin; crack cocaine",
    reference: str = "TST-100",
    with_treatment: bool = True,
) -> int:
    """One case with its person, referral, consents and (optionally) a treatment referral."""
    person = m.Person(
        first_name=first,
        last_name=last,
        date_of_birth=date(1980, 1, 2),
        nhs_number=NHS,
        address=address,
        postcode=postcode,
        no_fixed_abode=address is None,
        phone=PHONE,
        gp_practice=gp,
    )
    s.add(person)
    s.flush()
    c = m.Case(
        person_id=person.id,
        police_reference=reference,
        area="B5",
        status=status,
        referred_at=NOW - timedelta(days=20),
        assigned_worker_id=worker_id,
    )
    s.add(c)
    s.flush()
    s.add(
        m.Referral(
            case_id=c.id,
            person_id=person.id,
            police_reference=reference,
            force="Test Force",
            incident_at=NOW - timedelta(days=21),
            consent_at_scene="Y",
            substances=substances,
            naloxone_doses=2,
            naloxone_product="nasal",
            notes="Found by police at a bus stop",
        )
    )
    for scope in scopes:
        s.add(
            m.ConsentEntry(
                person_id=person.id,
                case_id=c.id,
                scope=scope,
                state="given",
                method="verbal_by_phone",
                recorded_by_id=worker_id,
                recorded_at=NOW - timedelta(days=10),
            )
        )
    if with_treatment:
        service = s.query(m.Service).filter_by(name="Test Treatment Service").one_or_none()
        if service is None:
            service = m.Service(
                name="Test Treatment Service",
                service_type="treatment",
                address="5 Service Lane\nTesttown\nB6 6EE",
                secure_email="referrals@test-service.nhs.example",
            )
            s.add(service)
            s.flush()
        s.add(
            m.TreatmentReferral(
                case_id=c.id,
                service_id=service.id,
                referred_on=(NOW - timedelta(days=2)).date(),
                recorded_by_id=worker_id,
            )
        )
    s.flush()
    return c.id


@pytest.fixture(name="letterhead_set")
def letterhead_set_fixture(database, team):
    with database.session() as s:
        set_letterhead(s, team["admin"], logo=logo_png(), **LETTERHEAD)


@pytest.fixture(name="letter_case")
def letter_case_fixture(database, team, letterhead_set) -> int:
    with database.session() as s:
        return add_case(s, team["worker1"].id)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    """Text with runs of whitespace made single spaces (lines wrap differently)."""
    return re.sub(r"\s+", " ", text)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def text_positions(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, x mm from the left, baseline mm from the top) of each run on a page."""
    reader = PdfReader(io.BytesIO(pdf))
    p = reader.pages[page]
    height = float(p.mediabox.height)
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):  # pypdf's visitor signature
        if text.strip():
            found.append((text, tm[4] / mm, (height - tm[5]) / mm))

    p.extract_text(visitor_text=visit)
    return found


def pdf_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def image_xobjects(pdf: bytes) -> int:
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get_object().get("/XObject", {})
        for ref in xobjects.values():
            if ref.get_object().get("/Subtype") == "/Image":
                count += 1
    return count
