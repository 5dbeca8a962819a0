"""The import preview: a dry run lists every row (new, known with or without an open case, same
as an earlier row, possible match, duplicate, rejected with every reason) and writes nothing;
an import of the previewed file refuses, writing nothing, when the file changed since.

Runs on SQLite and, when configured, PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from followup.db import models as m
from followup.errors import FollowupError
from followup.intake.importer import FileChanged, RowKind, file_digest
from tests.intake.helpers import nhs, row, write_csv
from tests.intake.test_importer import _count, _import, _referral


@pytest.fixture
def mixed(database, team, tmp_path):
    """Two people known already (one with an open case, one whose case closed), then a file."""
    _import(database, team["lead"], write_csv(tmp_path / "earlier.csv", [
        row(police_reference="TST-OPEN", first_name="Testy", last_name="Opencase",
            nhs_number=nhs(1)),
        row(police_reference="TST-SHUT", first_name="Testa", last_name="Closedcase",
            nhs_number=nhs(2)),
        row(police_reference="TST-MAYBE", first_name="Aisha", last_name="Testkhan",
            date_of_birth="05/05/1985"),
    ]))  # fmt: skip
    with database.session() as s:
        shut = _referral(database, "TST-SHUT").case_id
        # Closed long ago (a case closed lately may be reopened by a new referral).
        s.execute(update(m.Case).where(m.Case.id == shut).values(
            status="closed", closure_reason="declined", closed_at=datetime(2025, 1, 6, tzinfo=UTC)
        ))  # fmt: skip
    path = write_csv(tmp_path / "december.csv", [
        row(police_reference="TST-NEW-1", first_name="Newton", last_name="Testperson",
            date_of_birth="03/03/1990"),  # row 2: new
        row(police_reference="TST-NEW-2", first_name="Testy", last_name="Opencase",
            nhs_number=nhs(1)),  # row 3: known, open case
        row(police_reference="TST-NEW-3", first_name="Testa", last_name="Closedcase",
            nhs_number=nhs(2)),  # row 4: known, case closed: a new case
        row(police_reference="TST-OPEN"),  # row 5: imported before
        row(police_reference="TST-NEW-4", incident_datetime="", first_name="",
            last_name=""),  # row 6: rejected
        row(police_reference="TST-NEW-1"),  # row 7: the same reference as row 2
        row(police_reference="TST-NEW-5", first_name="Newton", last_name="Testperson",
            date_of_birth="03/03/1990"),  # row 8: the same person as row 2
        row(police_reference="TST-NEW-6", first_name="", last_name="Testkhan",
            date_of_birth="05/05/1985"),  # row 9: possibly Aisha Testkhan
    ])  # fmt: skip
    return path


def test_the_preview_lists_every_row_and_writes_nothing(database, team, mixed):
    before = (_count(database, m.Referral), _count(database, m.QuarantinedRow))
    preview = _import(database, team["worker1"], mixed, dry_run=True, itemise=True)
    assert (_count(database, m.Referral), _count(database, m.QuarantinedRow)) == before

    rows = {r.row: r for r in preview.rows}
    assert [r.row for r in preview.rows] == sorted(rows) == list(range(2, 10))
    assert (rows[2].kind, rows[2].name) == (RowKind.NEW, "Newton Testperson")
    assert (rows[3].kind, rows[3].open_case) == (RowKind.KNOWN, True)
    assert (rows[4].kind, rows[4].open_case) == (RowKind.KNOWN, False)
    assert rows[5].kind == RowKind.DUPLICATE
    assert rows[5].reasons == ["police reference TST-OPEN was imported before"]
    assert rows[6].kind == RowKind.REJECTED and rows[6].police_reference == "TST-NEW-4"
    # Every reason: no incident time, and no name or description.
    assert len(rows[6].reasons) == 2
    assert rows[6].reasons[0].startswith("incident_datetime: ")
    assert (rows[7].kind, rows[7].earlier_row) == (RowKind.DUPLICATE, 2)
    assert (rows[8].kind, rows[8].earlier_row) == (RowKind.SAME_AS_EARLIER, 2)
    assert rows[9].kind == RowKind.POSSIBLE_MATCH
    assert len(preview.landed) == preview.imported == 5
    assert all(r.case_id is None for r in preview.rows)  # nothing was made
    assert preview.digest == file_digest(mixed)
    assert "Newton" not in repr(preview) and "Newton" not in repr(preview.rows)

    done = _import(database, team["worker1"], mixed, itemise=True, expected_digest=preview.digest)
    assert [(r.row, r.kind) for r in done.rows] == [(r.row, r.kind) for r in preview.rows]
    landed = {r.row: r.case_id for r in done.landed}
    assert landed[3] == _referral(database, "TST-OPEN").case_id  # joined the open case
    assert landed[4] != _referral(database, "TST-SHUT").case_id
    assert landed[8] == landed[2] == _referral(database, "TST-NEW-1").case_id
    assert _count(database, m.QuarantinedRow) == 1


def test_a_file_changed_since_its_preview_is_not_imported(database, team, tmp_path):
    path = write_csv(tmp_path / "changing.csv", [row(police_reference="TST-C-1")])
    preview = _import(database, team["worker1"], path, dry_run=True, itemise=True)
    write_csv(path, [row(police_reference="TST-C-1"), row(police_reference="TST-C-2")])
    with pytest.raises(FileChanged) as refused:
        _import(database, team["worker1"], path, expected_digest=preview.digest)
    assert str(refused.value) == (
        "changing.csv has changed since it was previewed; nothing was imported. Check the new "
        "preview before importing."
    )
    assert isinstance(refused.value, FollowupError) and _count(database, m.Referral) == 0


def test_a_file_changed_while_it_is_read_is_not_imported(database, team, tmp_path):
    path = write_csv(tmp_path / "mid.csv", [row(police_reference="TST-M-1")])
    digest = _import(database, team["worker1"], path, dry_run=True).digest

    def meanwhile(_rows: int, _fraction: float) -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("TST-M-2,Test Constabulary,20/11/2026 14:30\n")

    with pytest.raises(FileChanged):
        _import(database, team["worker1"], path, expected_digest=digest, progress=meanwhile)
    assert _count(database, m.Referral) == 0 and _count(database, m.QuarantinedRow) == 0
