"""The import folder, without Qt: complete files only, filing away with reports, clashes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.intake.folder import (
    FolderState,
    is_temporary_name,
    ready_files,
    scan_import_folder,
)
from tests.intake.helpers import NOW, nhs, row, write_csv


def _age(path: Path, seconds: float = 60) -> Path:
    """Make a file look as if it was last written ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _scan(db, actor, folder, state):
    return scan_import_folder(db, actor, folder, state=state, now=NOW)


def _referrals(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Referral))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "incoming"
    path.mkdir()
    return path


def test_a_complete_file_is_imported_and_filed_with_a_report(database, team, folder):
    good = row(
        police_reference="F-1",
        first_name="Testy",
        last_name="McTestface",
        nhs_number=nhs(1),
        phone="07700 900001",
    )
    bad = row(police_reference="", first_name="Testy", last_name="McTestface")
    warned = row(
        police_reference="F-3", first_name="Sample", last_name="Testperson", nhs_number="1234567890"
    )
    _age(write_csv(folder / "referrals.csv", [good, bad, warned]))
    state = FolderState()

    assert _scan(database, team["worker1"], folder, state) == []  # first sight: not yet
    assert state.waiting == 1
    [result] = _scan(database, team["worker1"], folder, state)

    assert result.imported and result.summary.imported == 2
    assert result.moved_to == folder / "processed" / "referrals.csv"
    assert result.moved_to.exists() and not (folder / "referrals.csv").exists()
    report = (folder / "processed" / "referrals.csv.report.txt").read_text(encoding="utf-8")
    assert "Referrals imported: 2" in report
    assert "Rows rejected (kept for a team lead under Rejected referrals): 1" in report
    assert "row 3: police_reference:" in report
    assert "row 4: nhs_number:" in report
    assert "McTestface" not in report and "Testperson" not in report  # no names copied
    assert "Wendy Worker" in report  # who imported it
    assert _referrals(database) == 2
    with database.session() as s:
        audit = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "import"))
    assert audit.user_id == team["worker1"].id
    assert _scan(database, team["worker1"], folder, state) == []  # nothing left


def test_a_file_still_being_written_is_left_alone(database, team, folder):
    path = folder / "growing.csv"
    write_csv(path, [row(police_reference="G-1")])
    _age(path)
    state = FolderState()
    assert ready_files(folder, state) == []
    with path.open("a", encoding="utf-8") as fh:  # the writer adds a row between scans
        fh.write("G-2,Test Constabulary,20/11/2026 14:30\n")
    _age(path, 59)
    assert _scan(database, team["worker1"], folder, state) == []
    assert path.exists() and _referrals(database) == 0

    fresh = folder / "fresh.csv"  # unchanged since the last scan, but only just written
    write_csv(fresh, [row(police_reference="G-3")])
    state2 = FolderState()
    ready_files(folder, state2)
    assert fresh not in ready_files(folder, state2)
    assert [r.file_name for r in _scan(database, team["worker1"], folder, state)] == ["growing.csv"]


def test_temporary_names_are_never_picked_up(database, team, folder):
    for name in ("~$referrals.csv", ".hidden.csv", "referrals.csv.part", "x.tmp.csv", "notes.txt"):
        _age(write_csv(folder / name, [row()]))
    state = FolderState()
    ready_files(folder, state)
    assert ready_files(folder, state) == []
    assert is_temporary_name("Book1.csv.crdownload") and not is_temporary_name("march.csv")


def test_an_unusable_file_goes_to_failed_with_its_reason(database, team, folder):
    (folder / "broken.json").write_text("", encoding="utf-8")
    _age(folder / "broken.json")
    _age(write_csv(folder / "no-columns.csv", [{"colour": "blue"}], header=["colour"]))
    state = FolderState()
    _scan(database, team["lead"], folder, state)
    results = _scan(database, team["lead"], folder, state)

    assert sorted(r.file_name for r in results) == ["broken.json", "no-columns.csv"]
    assert not any(r.imported for r in results)
    assert (folder / "failed" / "broken.json").exists()
    report = (folder / "failed" / "no-columns.csv.report.txt").read_text(encoding="utf-8")
    assert "FAILED - nothing from this file was imported" in report
    assert "has no column for police_reference" in report
    assert "empty" in next(r for r in results if r.file_name == "broken.json").message
    assert _referrals(database) == 0


def test_names_already_filed_are_never_overwritten(database, team, folder):
    state = FolderState()
    for n in range(3):
        _age(write_csv(folder / "daily.csv", [row(police_reference=f"D-{n}")]))
        _scan(database, team["worker1"], folder, state)
        [result] = _scan(database, team["worker1"], folder, state)
        assert result.imported
    names = sorted(p.name for p in (folder / "processed").iterdir())
    assert names == [
        "daily (2).csv",
        "daily (2).csv.report.txt",
        "daily (3).csv",
        "daily (3).csv.report.txt",
        "daily.csv",
        "daily.csv.report.txt",
    ]
    assert _referrals(database) == 3


def test_a_windows_1252_file_imports(database, team, folder):
    _age(
        write_csv(
            folder / "excel.csv",
            [
                row(
                    police_reference="W-1",
                    first_name="Zoë",
                    last_name="Tést",
                    notes="£5 note found",
                )
            ],
            encoding="cp1252",
        )
    )
    state = FolderState()
    _scan(database, team["worker1"], folder, state)
    [result] = _scan(database, team["worker1"], folder, state)
    assert result.imported and result.summary.imported == 1
    with database.session() as s:
        assert s.scalar(select(m.Person.first_name)) == "Zoë"


def test_a_missing_or_forbidden_folder_is_a_plain_sentence(database, team, tmp_path, folder):
    with pytest.raises(FollowupError, match="does not exist or cannot be reached"):
        scan_import_folder(database, team["lead"], tmp_path / "nowhere", state=FolderState())
    with pytest.raises(PermissionDenied):
        scan_import_folder(database, team["admin"], folder, state=FolderState())
    if os.geteuid() != 0:  # root may write anywhere
        folder.chmod(0o500)
        try:
            with pytest.raises(FollowupError, match="may not write in the import folder"):
                scan_import_folder(database, team["lead"], folder, state=FolderState())
        finally:
            folder.chmod(0o700)


def test_a_header_only_file_in_the_folder_is_reported_as_holding_no_referrals(
    database, team, tmp_path
):
    folder = tmp_path / "in"
    folder.mkdir()
    _age(write_csv(folder / "empty.csv", []))
    state = FolderState()
    assert _scan(database, team["worker1"], folder, state) == []
    [result] = _scan(database, team["worker1"], folder, state)
    assert result.describe() == "empty.csv: the file holds no referrals; nothing was imported."
    report = (folder / "processed" / "empty.csv.report.txt").read_text(encoding="utf-8")
    assert "the file holds no referrals" in report
