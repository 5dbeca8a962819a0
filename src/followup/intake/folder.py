"""The import folder: referral files dropped into a folder are imported, then filed away.

A file is picked up only once it is complete: its size and modification time must be the same
as at the previous scan, and it must be a few seconds old, so a file still being copied or
saved is left alone until the next scan. Temporary-looking names (``~$…``, ``.…``, ``….part``,
``….tmp``) are never picked up. Each file is imported with ``intake.import_file`` (one
transaction), then moved to ``processed/`` (imported, even with rejected rows or warnings) or
``failed/`` (nothing imported), with a plain-text report beside it named after the file plus
``.report.txt``. The report holds counts and row / field / reason only, never names. Nothing
already in ``processed/`` or ``failed/`` is overwritten: a clashing name gets a number.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from followup.access import Actor, require
from followup.db.engine import Database
from followup.errors import FollowupError
from followup.intake.importer import ImportSummary, import_file
from followup.uktime import short_date_time

__all__ = [
    "REPORT_SUFFIX",
    "SETTLE_SECONDS",
    "SUFFIXES",
    "FolderResult",
    "FolderState",
    "check_folder",
    "import_one",
    "is_temporary_name",
    "ready_files",
    "report_text",
    "scan_import_folder",
]

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".json")
PROCESSED, FAILED = "processed", "failed"
REPORT_SUFFIX = ".report.txt"
# A file must be at least this old (seconds since last modified) and unchanged since the last
# scan before it is picked up.
SETTLE_SECONDS = 5.0
_TEMPORARY_STARTS = ("~$", ".", "~")
_TEMPORARY_SUFFIXES = {".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp"}


@dataclass
class FolderState:
    """What the previous scan saw; the caller keeps one per folder between scans."""

    seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (size, mtime_ns)
    waiting: int = 0  # files seen at the last scan that were not yet complete


@dataclass(frozen=True)
class FolderResult:
    """What happened to one file of the folder."""

    file_name: str
    imported: bool  # True: moved to processed/; False: moved to failed/, nothing imported
    moved_to: Path | None  # None when the file could not be moved (it stays in the folder)
    report: Path | None
    summary: ImportSummary | None = None
    message: str = ""  # why the file failed, or why it could not be moved

    def describe(self) -> str:
        """One plain sentence for the status bar or a log."""
        if not self.imported:
            return f"{self.file_name} could not be imported: {self.message}"
        s = self.summary
        assert s is not None
        if s.empty:
            return f"{self.file_name}: the file holds no referrals; nothing was imported."
        text = f"{self.file_name}: {s.imported} imported, {s.duplicates} already imported"
        if s.rejected:
            text += f", {s.rejected_rows} rows rejected"
        return text + (f" ({self.message})" if self.message else "") + "."


def is_temporary_name(name: str) -> bool:
    """True for names that editors, downloads and copies use while a file is unfinished."""
    lowered = name.lower()
    if lowered.startswith(_TEMPORARY_STARTS):
        return True
    return any(s in _TEMPORARY_SUFFIXES for s in Path(lowered).suffixes)


def _candidates(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise FollowupError(
            f"Cannot read the import folder {folder} ({exc.strerror or 'read error'}); check "
            "that it exists and that you may open it."
        ) from None
    return [
        p
        for p in entries
        if p.suffix.lower() in SUFFIXES and not is_temporary_name(p.name) and p.is_file()
    ]


def check_folder(folder: Path) -> None:
    """Raise a plain ``FollowupError`` unless the folder exists and Followup may write in it."""
    if not folder.is_dir():
        raise FollowupError(
            f"The import folder {folder} does not exist or cannot be reached; create it, or "
            "choose another under Import > Import folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FollowupError(
            f"Followup may not write in the import folder {folder}, so it cannot file imported "
            "files away; ask for write access, or choose another folder."
        )
    for sub in (PROCESSED, FAILED):
        try:
            (folder / sub).mkdir(exist_ok=True)
        except OSError as exc:
            raise FollowupError(
                f"Cannot create the {sub} folder inside {folder} ({exc.strerror}); check the "
                "folder's permissions."
            ) from None


def _free_name(target_dir: Path, name: str) -> Path:
    """``name`` in ``target_dir``, numbered when it (or its report) would overwrite a file."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate = target_dir / name
    n = 1
    while candidate.exists() or candidate.with_name(candidate.name + REPORT_SUFFIX).exists():
        n += 1
        candidate = target_dir / f"{stem} ({n}){suffix}"
    return candidate


def ready_files(
    folder: Path,
    state: FolderState,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    clock: float | None = None,
) -> list[Path]:
    """Files complete enough to import: unchanged since the last scan and a few seconds old.

    Updates ``state`` with what this scan saw.
    """
    now = time.time() if clock is None else clock
    seen: dict[str, tuple[int, int]] = {}
    ready: list[tuple[int, str, Path]] = []
    for path in _candidates(folder):
        try:
            st = path.stat()
        except OSError:
            continue  # gone, or being replaced; look again next time
        signature = (st.st_size, st.st_mtime_ns)
        seen[path.name] = signature
        old_enough = now - st.st_mtime >= settle_seconds
        if state.seen.get(path.name) == signature and old_enough:
            ready.append((st.st_mtime_ns, path.name, path))
    state.seen = seen
    state.waiting = len(seen) - len(ready)
    return [p for _, _, p in sorted(ready)]


def report_text(
    file_name: str,
    actor: Actor,
    when: datetime,
    *,
    summary: ImportSummary | None,
    failure: str = "",
) -> str:
    """The plain-text report filed beside a processed or failed file."""
    lines = [
        "Followup import report",
        f"File: {file_name}",
        f"Imported: {short_date_time(when)} (UK time) by {actor.display_name}",
    ]
    if summary is None:
        lines += [
            "Result: FAILED - nothing from this file was imported.",
            f"Reason: {failure}",
            "",
            "To try again, fix the file and put it back in the import folder.",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        (
            "Result: nothing imported - the file holds no referrals (a header and no records)."
            if summary.empty
            else "Result: imported" + (" (some rows need attention)" if not summary.clean else "")
        ),
        "",
        f"Rows read: {summary.rows_read}",
        f"Referrals imported: {summary.imported}",
        f"  linked to a person already known (repeat overdose): {summary.linked_repeat}",
        f"  waiting in the inbox for a decision on a possible match: {summary.needs_review}",
        f"Skipped, already imported before (duplicates): {summary.duplicates}",
        f"Rows rejected (kept for a team lead under Rejected referrals): {summary.rejected_rows}",
        f"Fields left out (the referral was still imported): {len(summary.warnings)}",
    ]
    if summary.rejected:
        lines += [
            "",
            "Rejected rows (nothing from them was imported; row numbers as a "
            "spreadsheet shows them):",
        ]
        lines += [f"  row {p.row}: {p.field}: {p.reason}" for p in summary.rejected]
    if summary.warnings:
        lines += ["", "Fields left out (the referral was imported without them):"]
        lines += [f"  row {p.row}: {p.field}: {p.reason}" for p in summary.warnings]
    return "\n".join(lines) + "\n"


def _file_away(path: Path, sub: str, report: str) -> tuple[Path | None, Path | None, str]:
    """Move the file into ``sub`` and write its report; returns (moved to, report, problem)."""
    target = _free_name(path.parent / sub, path.name)
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None, None, "gone"
    except OSError as exc:
        return (
            None,
            None,
            (
                f"it could not be moved to {sub}/ ({exc.strerror or 'error'}), so it stays in the "
                "folder; it will not be imported twice"
            ),
        )
    report_path = target.with_name(target.name + REPORT_SUFFIX)
    try:
        report_path.write_text(report, encoding="utf-8")
    except OSError as exc:
        return target, None, f"its report could not be written ({exc.strerror or 'error'})"
    return target, report_path, ""


def import_one(
    db: Database, actor: Actor, path: Path, *, now: datetime | None = None
) -> FolderResult | None:
    """Import one file of the folder and file it away; None when it vanished meanwhile."""
    when = now or datetime.now(UTC)
    summary: ImportSummary | None = None
    failure = ""
    try:
        summary = import_file(db, actor, path, now=now)
    except FollowupError as exc:
        failure = str(exc)
    except Exception as exc:  # one bad file must not stop the folder
        log.warning("Import folder: unexpected %s while importing a file", type(exc).__name__)
        failure = (
            f"something unexpected went wrong ({type(exc).__name__}); nothing was "
            "imported. Tell support if it happens again."
        )
    if summary is None and not path.exists():
        return None  # another Followup on the same folder took it
    report = report_text(path.name, actor, when, summary=summary, failure=failure)
    moved, report_path, problem = _file_away(path, PROCESSED if summary else FAILED, report)
    if problem == "gone":
        return None
    return FolderResult(
        file_name=path.name,
        imported=summary is not None,
        moved_to=moved,
        report=report_path,
        summary=summary,
        message=failure or problem,
    )


def scan_import_folder(
    db: Database,
    actor: Actor,
    folder: str | Path,
    *,
    state: FolderState,
    settle_seconds: float = SETTLE_SECONDS,
    now: datetime | None = None,
) -> list[FolderResult]:
    """Import every complete referral file in ``folder``, oldest first; one result per file.

    Raises ``FollowupError`` when the folder is missing or not writable, and
    ``PermissionDenied`` when the user may not import.
    """
    require(actor, "import")
    folder = Path(folder).expanduser()
    check_folder(folder)
    results: list[FolderResult] = []
    for path in ready_files(folder, state, settle_seconds=settle_seconds):
        result = import_one(db, actor, path, now=now)
        state.seen.pop(path.name, None)
        if result is not None:
            results.append(result)
    if results:
        log.info(
            "Import folder: %d files imported, %d failed",
            sum(r.imported for r in results),
            sum(not r.imported for r in results),
        )
    return results
