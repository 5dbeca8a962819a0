"""Intake of police referral files: read, validate, match and store them, all or nothing.

``import_file`` is the one entry point for the command line, the import dialog and the folder
watcher. A file lands in one transaction: every accepted row, or nothing (on any failure, on
cancel, and on a dry run, which does all the work and then rolls it back). Reading is in
``intake_read``, the row rules in ``intake_rules``, person matching in ``matching`` and the
writing in ``intake_store``.

Decisions where DESIGN.md is silent:

- Exactly once: a referral is a duplicate when its force and police reference (trimmed, upper
  case) are already stored, or came earlier in the same file; duplicates are counted, not
  rejected. Force names are matched to already-stored forces regardless of case.
- A row without a force takes the setting ``intake.default_force``; when that is not set it is
  recorded as ``NO_FORCE`` ("Force not stated") with a warning on the row, since the force is
  part of what makes a reference unique.
- Scene consent N records no consent entry (see ``intake_store``); it stays on the
  referral for the worker to see.
- A rejected row is reported with every field that failed (one entry each), and kept in
  quarantine (``quarantined_row``, in the same transaction) with its original text, so that
  a lead can correct and import it, or dismiss it (``followup.intake.quarantine``).
- Incident times without a zone are UK local time; ten minutes ahead of now is tolerated as
  clock difference before an incident counts as in the future.
- A file with a header and no records imports nothing; its summary says "the file holds no
  referrals", and it is not clean (the command line exits 1).
- Row by row (``itemise=True``, for the app's preview and its list of what landed): each row's
  outcome (``RowOutcome``: new person, known person with or without an open case, same person
  as an earlier row, possible match, duplicate, rejected with every reason) and, after a real
  import, its case. Names are kept for the screen only: never in ``repr``, logs or the audit.
- The file's bytes are hashed (``file_digest``); an import given the digest of its preview
  (``expected_digest``) refuses, writing nothing, when the file is not the one previewed, both
  before reading and again just before commit (``FileChanged``).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import spikes
from followup.casework.team_rules import schedule as team_schedule
from followup.db.engine import Database, enforced_by_server
from followup.db.models import Referral, Setting
from followup.db.writer_lock import import_turn
from followup.errors import FollowupError
from followup.intake.matching import QUERY_BATCH, Candidate, Matcher
from followup.intake.read import RawRow, open_referral_file
from followup.intake.rules import ParsedRow, Problem, parse_row
from followup.intake.store import IntakeWriter, Rejected, Resolved, keep_rejected
from followup.vocab import AuditAction, MatchOutcome

__all__ = [
    "CHUNK_ROWS",
    "DEFAULT_FORCE_SETTING",
    "EMPTY_FILE",
    "NO_FORCE",
    "FileChanged",
    "ImportCancelled",
    "ImportSummary",
    "RowKind",
    "RowOutcome",
    "default_force",
    "file_digest",
    "import_file",
    "import_rows",
    "overdose_history",
    "referral_counts",
]

log = logging.getLogger(__name__)

DEFAULT_FORCE_SETTING = "intake.default_force"
NO_FORCE = "Force not stated"
EMPTY_FILE = "the file holds no referrals"
# Rows handled per batch: bounds memory, and sets how often progress and cancel are checked.
CHUNK_ROWS = 2000

ProgressCallback = Callable[[int, float], None]
"""Called after each batch with (rows read so far, fraction of the file read, 0 to 1)."""
CancelCheck = Callable[[], bool]
"""Returns True when the user has asked to stop; checked between batches and before commit."""


class ImportCancelled(FollowupError):
    """The user stopped the import; nothing was written."""


class FileChanged(FollowupError):
    """The file is not the one previewed (changed on disk since); nothing was written."""


def file_digest(path: str | Path) -> str:
    """SHA-256 of the file's bytes, read in blocks; a file that cannot be read is ''."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


class RowKind(StrEnum):
    """What happens (or happened) to one row of a file."""

    NEW = "new"  # a new person, and a new case
    KNOWN = "known"  # linked to a person already known (``open_case``: to their open case)
    SAME_AS_EARLIER = "same_as_earlier"  # the same person as an earlier row of this file
    POSSIBLE_MATCH = "possible_match"  # a new person, waiting for a decision on a match
    DUPLICATE = "duplicate"  # this police reference was already imported (or earlier here)
    REJECTED = "rejected"  # not imported; kept in quarantine with every reason


LANDING_KINDS = frozenset(
    {RowKind.NEW, RowKind.KNOWN, RowKind.SAME_AS_EARLIER, RowKind.POSSIBLE_MATCH}
)


@dataclass(slots=True)
class RowOutcome:
    """One row of a file: what it is, and after a real import the case it landed on."""

    row: int
    kind: RowKind
    police_reference: str
    name: str = field(default="", repr=False)  # personal data: for the screen only
    reasons: list[str] = field(default_factory=list)  # why rejected, or a duplicate; warnings
    open_case: bool = False  # a known person's referral joins their open case
    earlier_row: int | None = None  # same person as, or same reference as, this row
    case_id: int | None = None  # after a real import

    @property
    def lands(self) -> bool:
        return self.kind in LANDING_KINDS


def _display_name(first: str | None, last: str | None, description: str | None) -> str:
    name = " ".join(f"{first or ''} {last or ''}".split())[:200]
    described = " ".join((description or "").split())[:200]
    return name or (f"Unnamed: {described}" if described else "Unnamed")


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    file_name: str
    dry_run: bool = False
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    linked_repeat: int = 0
    needs_review: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicate_rows: list[int] = field(default_factory=list)
    cases_created: list[int] = field(default_factory=list)
    cases_attached: list[int] = field(default_factory=list)
    quarantined: int = 0  # rejected rows kept for a lead to correct or dismiss
    digest: str = ""  # SHA-256 of the file's bytes as imported
    rows: list[RowOutcome] = field(default_factory=list, repr=False)  # with ``itemise``

    @property
    def landed(self) -> list[RowOutcome]:
        """The rows that land (or landed), in file order."""
        return [r for r in self.rows if r.lands]

    @property
    def not_landed(self) -> list[RowOutcome]:
        """Duplicates and rejected rows, in file order."""
        return [r for r in self.rows if not r.lands]

    @property
    def empty(self) -> bool:
        """True when the file held a header and no records."""
        return self.rows_read == 0

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected (``rejected`` has one entry per bad field)."""
        return len({p.row for p in self.rejected})

    @property
    def clean(self) -> bool:
        """True when there were referrals, nothing was rejected and no field was left out."""
        return not self.empty and not self.rejected and not self.warnings

    def as_json(self) -> dict[str, Any]:
        """The summary in DESIGN.md's shape, ready for ``json.dumps``."""
        return {
            "rows_read": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "linked_repeat": self.linked_repeat,
            "needs_review": self.needs_review,
            "rejected": [p.as_dict() for p in self.rejected],
            "warnings": [p.as_dict() for p in self.warnings],
        }

    def audit_details(self) -> dict[str, Any]:
        """Counts and the file name only: no personal data."""
        return {
            "file": self.file_name,
            "rows": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "linked_repeat": self.linked_repeat,
            "needs_review": self.needs_review,
            "rejected": self.rejected_rows,
            "quarantined": self.quarantined,
            "warnings": len(self.warnings),
            "cases_created": len(self.cases_created),
            "cases_attached": len(self.cases_attached),
        }

    def describe(self) -> str:
        """A plain-English report for the terminal."""
        verb = "would be imported" if self.dry_run else "imported"
        if self.empty:
            return (
                f"{self.file_name}: {EMPTY_FILE} (a header and no records); nothing was imported."
            )
        lines = [
            f"{self.file_name}: {_n(self.rows_read, 'row')} read; "
            f"{_n(self.imported, 'referral')} {verb} ({self.linked_repeat} linked to a known "
            f"person as a repeat overdose, {self.needs_review} waiting for a decision on a "
            f"possible match); {self.duplicates} already imported before.",
        ]
        if self.rejected:
            kept = "" if self.dry_run else "; kept for a team lead under Rejected referrals"
            lines.append(
                f"{_n(self.rejected_rows, 'row')} rejected (nothing from them was imported{kept}):"
            )
            lines += [f"  row {p.row}: {p.field}: {p.reason}" for p in self.rejected]
        if self.warnings:
            lines.append(
                f"{_n(len(self.warnings), 'field')} left out (the referral was still imported):"
            )
            lines += [f"  row {p.row}: {p.field}: {p.reason}" for p in self.warnings]
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        elif self.imported == 0 and self.duplicates and not self.rejected:
            lines.append("Nothing new: every referral in the file was imported before.")
        return "\n".join(lines)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def default_force(session: Session) -> str | None:
    """The force named in settings for files that do not say, or None."""
    setting = session.get(Setting, DEFAULT_FORCE_SETTING)
    value = setting.value.strip() if setting and setting.value else ""
    return value[:100] or None


def _known_forces(session: Session) -> dict[str, str]:
    return {f.casefold(): f for f in session.scalars(select(Referral.force).distinct())}


def _stored_references(session: Session, rows: list[ParsedRow]) -> set[tuple[str, str]]:
    keys = sorted({(r.force, r.police_reference) for r in rows})
    found: set[tuple[str, str]] = set()
    on_server = enforced_by_server(session)
    for start in range(0, len(keys), QUERY_BATCH):
        chunk = keys[start : start + QUERY_BATCH]
        if on_server:
            # Every stored referral counts, whoever's case it is on: the server looks.
            wanted = {(f.casefold(), r): (f, r) for f, r in chunk}
            facts = session.execute(
                text(
                    "SELECT force, police_reference FROM followup_intake_facts("
                    "CAST(:none AS integer[]), CAST(:forces AS text[]), CAST(:refs AS text[])) "
                    "WHERE kind = 'known'"
                ),
                {"none": [], "forces": [f for f, _ in chunk], "refs": [r for _, r in chunk]},
            )
            found.update(wanted[(f.casefold(), r)] for f, r in facts if (f.casefold(), r) in wanted)
            continue
        # One force at a time: ``force = ? AND police_reference IN (...)`` searches the unique
        # index, where a pair ``IN`` list makes SQLite read every stored referral.
        by_force: dict[str, list[str]] = {}
        for force, reference in chunk:
            by_force.setdefault(force, []).append(reference)
        for force, references in by_force.items():
            found.update(
                (force, reference)
                for reference in session.scalars(
                    select(Referral.police_reference).where(
                        Referral.force == force, Referral.police_reference.in_(references)
                    )
                )
            )
    return found


class _Import:
    """One run over one file inside one session."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        summary: ImportSummary,
        now: datetime,
        *,
        file_format: str = "csv",
        header: str = "",
        quarantine: bool = True,
        itemise: bool = False,
    ):
        self.session = session
        self.itemise = itemise
        self.first_row: dict[int, int] = {}  # id of a resolved person -> their first row
        self.actor_id = actor.id
        self.file_format = file_format
        self.header = header
        self.quarantine = quarantine
        self.summary = summary
        self.now = now
        self.default_force = default_force(session)
        self.forces = _known_forces(session)
        # reference -> the row it first came on: this batch's only, unless rows are itemised
        # (a reference from an earlier batch is then found stored, as it was written in this
        # same transaction), so that memory does not grow with the file.
        self.seen: dict[tuple[str, str], int] = {}
        self.matcher = Matcher(session)
        self.writer = IntakeWriter(
            session, actor.id, now, summary.file_name, team_schedule(session)
        )
        self.spikes = spikes.Touched()  # incident districts written, for spike alerts

    def accept(self, raw_rows: list[RawRow]) -> None:
        s = self.summary
        if not self.itemise:
            # Only this batch is held; earlier ones are in the database (this transaction).
            # Rows itemised for the screen keep them, to say "same as row N".
            self.seen.clear()
            self.matcher.forget_file()
            self.writer.forget_people()
        parsed: list[ParsedRow] = []
        rejected: list[Rejected] = []
        for raw in raw_rows:
            s.rows_read += 1
            result = parse_row(raw, now=self.now, default_force=self.default_force or NO_FORCE)
            if isinstance(result, list):
                s.rejected.extend(result)
                rejected.append(Rejected(raw, result))
                if self.itemise:
                    s.rows.append(_rejected_outcome(raw, result))
                continue
            result.force = self.forces.setdefault(result.force.casefold(), result.force)
            if not result.force_given and self.default_force is None:
                result.warnings.append(
                    Problem(
                        result.row,
                        "force",
                        f"no force named and no default force in settings; recorded as "
                        f"'{NO_FORCE}'",
                    )
                )
            key = (result.force, result.police_reference)
            if key in self.seen:
                self._duplicate(result, self.seen[key])
                continue
            self.seen[key] = result.row
            parsed.append(result)
        if rejected and self.quarantine:
            keep_rejected(
                self.session,
                rejected,
                actor_id=self.actor_id,
                received_at=self.now,
                source_file=s.file_name,
                file_format=self.file_format,
                header=self.header,
            )
            s.quarantined += len(rejected)
        stored = _stored_references(self.session, parsed)
        fresh = []
        for row in parsed:
            if (row.force, row.police_reference) in stored:
                self._duplicate(row)
            else:
                fresh.append(row)
        self.matcher.preload(row.person for row in fresh)
        items = [self._resolve(row) for row in fresh]
        case_ids = self.writer.write(items)
        self.spikes.note(
            (item.parsed.referral.get("incident_postcode"), item.parsed.incident_at)
            for item in items
        )
        for item in items:  # written: the incoming details are no longer needed
            item.person.incoming = None
        if self.itemise:
            self._itemise(items, case_ids)
            s.rows.sort(key=lambda r: r.row)  # in file order (nearly sorted already: cheap)
        for item in items:
            s.imported += 1
            s.warnings.extend(item.parsed.warnings)
            if item.match.outcome == MatchOutcome.LINKED:
                s.linked_repeat += 1
            elif item.match.outcome == MatchOutcome.REVIEW:
                s.needs_review += 1

    def _duplicate(self, row: ParsedRow, earlier: int | None = None) -> None:
        self.summary.duplicates += 1
        self.summary.duplicate_rows.append(row.row)
        if self.itemise:
            p = row.person
            self.summary.rows.append(
                RowOutcome(
                    row.row,
                    RowKind.DUPLICATE,
                    row.police_reference,
                    _display_name(p.first_name, p.last_name, p.description),
                    [
                        f"police reference {row.police_reference} is also on row {earlier}"
                        if earlier is not None
                        else f"police reference {row.police_reference} was imported before"
                    ],
                    earlier_row=earlier,
                )
            )

    def _itemise(self, items: list[Resolved], case_ids: list[int]) -> None:
        created = self.writer
        for item, case_id in zip(items, case_ids, strict=True):
            p, match = item.parsed.person, item.match
            earlier = self.first_row.get(id(item.person))
            if earlier is None:
                self.first_row[id(item.person)] = item.parsed.row
            if earlier is not None:
                kind = RowKind.SAME_AS_EARLIER
            elif match.outcome == MatchOutcome.LINKED:
                kind = RowKind.KNOWN
            elif match.outcome == MatchOutcome.REVIEW:
                kind = RowKind.POSSIBLE_MATCH
            else:
                kind = RowKind.NEW
            self.summary.rows.append(
                RowOutcome(
                    item.parsed.row,
                    kind,
                    item.parsed.police_reference,
                    _display_name(p.first_name, p.last_name, p.description),
                    [f"{w.field}: {w.reason}" for w in item.parsed.warnings],
                    open_case=kind == RowKind.KNOWN and case_id not in created,
                    earlier_row=earlier,
                    case_id=case_id,
                )
            )

    def _resolve(self, row: ParsedRow) -> Resolved:
        match = self.matcher.match(row.person)
        if match.outcome == MatchOutcome.LINKED and match.candidate is not None:
            self.matcher.learn(match.candidate, row.person)
            return Resolved(row, match, match.candidate)
        person = Candidate.from_incoming(row.person)
        self.matcher.remember(person)
        return Resolved(row, match, person)


def _rejected_outcome(raw: RawRow, problems: list[Problem]) -> RowOutcome:
    f = raw.fields
    return RowOutcome(
        raw.row,
        RowKind.REJECTED,
        " ".join(f.get("police_reference", "").split())[:100],
        ""
        if raw.broken
        else _display_name(f.get("first_name"), f.get("last_name"), f.get("description")),
        [f"{p.field}: {p.reason}" for p in problems],
    )


# An import writes its whole file in one transaction. SQLite's page cache is 2 MB by default, and
# once the person, case and referral tables' indexes outgrow it (tens of thousands of rows)
# every further row spills pages to the write-ahead log and reads them back: 100,000 rows into
# an empty file took 205 s, against 124 s with this cache (at load 5; 40,000 rows took 26 s).
IMPORT_CACHE_KIB = 32 * 1024


@contextmanager
def _import_page_cache(session: Session) -> Iterator[None]:
    """SQLite's page cache at ``IMPORT_CACHE_KIB`` for the import's connection, then as it was."""
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        yield
        return
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")


def import_file(
    db: Database,
    actor: Actor,
    path: str | Path,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    now: datetime | None = None,
    waiting: Callable[[], None] | None = None,
    itemise: bool = False,
    expected_digest: str | None = None,
) -> ImportSummary:
    """Import one police referral file (CSV or JSON) in one transaction.

    Raises ``FollowupError`` when the file cannot be used at all (nothing is written),
    ``ImportCancelled`` when ``cancelled()`` turns true, and ``PermissionDenied`` for a role
    without the import permission. ``now`` (aware) is the time received; tests pass it in.
    An import waits for another to finish (``writer_lock.import_turn``; ``waiting()`` is
    called once when it has to). ``itemise`` fills ``summary.rows``; ``expected_digest`` (from
    a preview's ``summary.digest``) raises ``FileChanged`` unless these are the same bytes.
    """
    require(actor, "import")
    path = Path(path)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    summary = ImportSummary(file_name=path.name, dry_run=dry_run)
    summary.digest = file_digest(path)

    def stop() -> None:
        if cancelled is not None and cancelled():
            raise ImportCancelled("The import was stopped; nothing was imported.")

    def same_file() -> None:
        if expected_digest is not None and file_digest(path) != expected_digest:
            raise FileChanged(
                f"{path.name} has changed since it was previewed; nothing was imported. "
                "Check the new preview before importing."
            )

    same_file()
    with open_referral_file(path) as source:
        try:
            # A dry run writes too (then rolls back): it waits its turn behind another import.
            with (
                import_turn(db, waiting=waiting, stop=stop) as session,
                _import_page_cache(session),
            ):
                run = _Import(
                    session,
                    actor,
                    summary,
                    now,
                    file_format=source.format,
                    header=source.header,
                    itemise=itemise,
                )
                for chunk in _chunks(source.rows(), CHUNK_ROWS):
                    run.accept(chunk)
                    if progress is not None:
                        progress(summary.rows_read, source.fraction_read())
                    if cancelled is not None and cancelled():
                        raise ImportCancelled("The import was stopped; nothing was imported.")
                summary.cases_created = list(run.writer.cases_created)
                summary.cases_attached = sorted(run.writer.cases_attached)
                if dry_run:
                    session.rollback()
                else:
                    spikes.detect(session, run.spikes.districts, now, now)
                    same_file()  # the bytes read are the bytes previewed, up to the commit
                    audit.record(
                        session,
                        actor.id,
                        AuditAction.IMPORT,
                        "referral_file",
                        None,
                        summary.audit_details(),
                    )
        except IntegrityError:
            log.warning("Import of a referral file hit a uniqueness conflict; rolled back")
            raise FollowupError(
                "Another import stored some of these referrals at the same moment; nothing was "
                "imported from this file, so import it again."
            ) from None
        except DBAPIError as exc:
            log.warning("Import of a referral file failed in the database (%s)", type(exc).__name__)
            raise FollowupError(
                "The database could not store this file's referrals; nothing was imported. "
                "Try again, and tell support if it happens again."
            ) from None
    if dry_run:
        summary.cases_created, summary.cases_attached = [], []
        summary.quarantined = 0
        for outcome in summary.rows:
            outcome.case_id = None  # rolled back: no case was made
    log.info(
        "Imported referral file: %d rows, %d imported, %d duplicates, %d rejected, %d warnings%s",
        summary.rows_read,
        summary.imported,
        summary.duplicates,
        summary.rejected_rows,
        len(summary.warnings),
        " (dry run)" if dry_run else "",
    )
    return summary


def import_rows(
    session: Session, actor: Actor, file_name: str, rows: list[RawRow], now: datetime
) -> ImportSummary:
    """Import already-read rows in the caller's session, as a file's rows are (matching,
    duplicates, cases), without keeping rejected ones: a corrected quarantined row."""
    require(actor, "import")
    summary = ImportSummary(file_name=file_name)
    run = _Import(session, actor, summary, now.astimezone(UTC), quarantine=False)
    run.accept(rows)
    spikes.detect(session, run.spikes.districts, run.now, run.now)
    summary.cases_created = list(run.writer.cases_created)
    summary.cases_attached = sorted(run.writer.cases_attached)
    return summary


def overdose_history(session: Session, person_id: int) -> list[datetime]:
    """When this person's overdoses happened (incident times of their referrals), oldest first.

    More than one is a repeat overdose, the strongest risk marker there is.
    """
    return list(
        session.scalars(
            select(Referral.incident_at)
            .where(Referral.person_id == person_id)
            .order_by(Referral.incident_at)
        )
    )


def referral_counts(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """How many referrals each of these people has (for a repeat-overdose marker in lists)."""
    ids = sorted(set(person_ids))
    counts: dict[int, int] = {}
    for start in range(0, len(ids), QUERY_BATCH):
        chunk = ids[start : start + QUERY_BATCH]
        counts.update(
            (r[0], r[1])
            for r in session.execute(
                select(Referral.person_id, func.count())
                .where(Referral.person_id.in_(chunk))
                .group_by(Referral.person_id)
            )
        )
    return counts
