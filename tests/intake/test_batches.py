"""Intake's batch paths: what holds when many rows of one file land in the same batch.

Runs on SQLite and, when configured, PostgreSQL (the ``database`` fixture): duplicates are
found per force, a known person who gains an NHS number from one row is not linked by the
next row with another, re-overdose alerts on several cases come from one batch with the
newest incident, and rows with more cells than the header or a NUL are read as before.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from followup.db import models as m
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.intake.test_importer import _count, _import, _referral

LATER = NOW + timedelta(days=1)


def test_a_reference_is_a_duplicate_only_for_the_force_that_sent_it(database, team, tmp_path):
    first = write_csv(tmp_path / "1.csv", [
        row(police_reference="DUP-1", force="Test Constabulary"),
        row(police_reference="DUP-2", force="Other Test Police", first_name="Tess")])  # fmt: skip
    _import(database, team["worker1"], first)
    second = write_csv(tmp_path / "2.csv", [
        row(police_reference="DUP-1", force="Test Constabulary"),  # stored: a duplicate
        row(police_reference="DUP-1", force="Other Test Police", first_name="Tess"),  # new
        row(police_reference="dup-2", force="other test police", first_name="Tess"),  # stored
        row(police_reference="DUP-3", force="Test Constabulary")])  # fmt: skip
    summary = _import(database, team["worker1"], second)
    assert (summary.imported, summary.duplicates, summary.duplicate_rows) == (2, 2, [2, 4])
    with database.session() as s:
        stored = s.execute(
            select(m.Referral.force, m.Referral.police_reference).order_by(m.Referral.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("Test Constabulary", "DUP-1"),
        ("Other Test Police", "DUP-2"),
        ("Other Test Police", "DUP-1"),
        ("Test Constabulary", "DUP-3"),
    ]


def test_an_nhs_number_gained_earlier_in_the_batch_keeps_two_people_apart(database, team, tmp_path):
    # Known without an NHS number; the file's first row gives them one, the second another.
    _import(database, team["worker1"], write_csv(tmp_path / "1.csv", [
        row(police_reference="G-1", first_name="Gain", last_name="Testnumber")]))  # fmt: skip
    summary = _import(database, team["worker1"], write_csv(tmp_path / "2.csv", [
        row(police_reference="G-2", first_name="Gain", last_name="Testnumber", nhs_number=nhs(7)),
        row(police_reference="G-3", first_name="Gain", last_name="Testnumber",
            nhs_number=nhs(8))]), now=LATER)  # fmt: skip
    assert summary.linked_repeat == 1
    known = _referral(database, "G-1").person_id
    assert _referral(database, "G-2").person_id == known
    assert _referral(database, "G-3").person_id != known
    with database.session() as s:
        assert s.get(m.Person, known).nhs_number == nhs(7)
    assert _count(database, m.Person) == 2


def test_alerts_on_several_open_cases_from_one_file_take_the_newest_incident(
    database, team, tmp_path
):
    _import(database, team["worker1"], write_csv(tmp_path / "1.csv", [
        row(police_reference="A-1", nhs_number=nhs(11), incident_datetime="20/11/2026 10:00"),
        row(police_reference="B-1", nhs_number=nhs(12), first_name="Tess",
            incident_datetime="20/11/2026 10:00")]))  # fmt: skip
    case_a, case_b = _referral(database, "A-1").case_id, _referral(database, "B-1").case_id
    with database.session() as s:
        versions = {c.id: c.version for c in s.scalars(select(m.Case))}
    summary = _import(database, team["worker1"], write_csv(tmp_path / "2.csv", [
        row(police_reference="A-3", nhs_number=nhs(11), incident_datetime="23/11/2026 09:00"),
        row(police_reference="A-2", nhs_number=nhs(11), incident_datetime="22/11/2026 09:00"),
        # Older than the case's first incident: the alert, but the case keeps its latest.
        row(police_reference="B-0", nhs_number=nhs(12), first_name="Tess",
            incident_datetime="19/11/2026 09:00")]), now=LATER)  # fmt: skip
    assert (summary.linked_repeat, summary.cases_created) == (3, [])
    assert summary.cases_attached == sorted([case_a, case_b])
    with database.session() as s:
        a, b = s.get(m.Case, case_a), s.get(m.Case, case_b)
        newest_a = s.scalar(select(m.Referral.id).where(m.Referral.police_reference == "A-3"))
        b0 = s.scalar(select(m.Referral.id).where(m.Referral.police_reference == "B-0"))
    # 09:00 UK time in November is 09:00 UTC.
    assert (a.reoverdose_referral_id, a.reoverdose_at.hour, a.reoverdose_at.day) == (
        newest_a,
        9,
        23,
    )
    assert a.incident_at == a.reoverdose_at
    assert (b.reoverdose_referral_id, b.reoverdose_at.day) == (b0, 19)
    assert (b.incident_at.day, b.incident_at.hour) == (20, 10)
    for case in (a, b):
        assert case.reoverdose_acknowledged_at is None
        assert case.round_started_at == LATER
        assert case.version == versions[case.id] + 1


def test_extra_cells_and_nul_characters_are_still_read_as_before(database, team, tmp_path):
    path = tmp_path / "odd.csv"
    good = row(police_reference="X-1")
    header = ",".join(good)
    path.write_text(
        header
        + "\n"
        + ",".join(good.values())
        + ",beyond the header\n"
        + ",".join(row(police_reference="X-2", first_name="Nul\x00Tester").values())
        + "\n",
        encoding="utf-8",
    )
    summary = _import(database, team["worker1"], path)
    assert (summary.imported, summary.rejected_rows) == (1, 1)
    assert [(p.row, p.field) for p in summary.rejected] == [(3, "first_name")]
    assert "column " in _referral(database, "X-1").notes
    assert _count(database, m.QuarantinedRow) == 1
