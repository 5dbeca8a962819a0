"""Unsaved work kept for a user who was signed out, to give back when they sign in again.

When the idle lock is unlocked by a different user, the first user's open forms are asked for
their unsaved edits and those are kept here until that user next signs in on this computer.
A draft is a small JSON object per form, keyed by what the form is about (``"case:42"``).

Drafts are one JSON file per user and database in the user's data folder (``drafts/``),
readable by the computer account alone (folder 0700, files 0600); they are not encrypted, like
the local SQLite database beside them. Nothing of a draft's content is ever logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["DraftSource", "DraftStore", "database_key", "default_folder"]

log = logging.getLogger(__name__)


@runtime_checkable
class DraftSource(Protocol):
    """A widget whose unsaved edits can be kept and given back.

    - ``draft_key()``: what the edits are about, stable across sessions: ``"case:<id>"`` for
      anything within a case (the main window reopens that case to give the draft back).
    - ``draft()``: the unsaved edits as a JSON-serialisable dict, or None when nothing is
      unsaved. Called on the UI thread just before the window closes; must not block.
    - ``restore_draft(data)``: put the edits back into the form, unsaved, for the user to check
      and save. May be called before the widget has finished loading its record: keep the data
      and apply it once loaded.
    """

    def draft_key(self) -> str: ...

    def draft(self) -> dict[str, Any] | None: ...

    def restore_draft(self, data: dict[str, Any]) -> None: ...


def default_folder() -> Path:
    from followup.settings import AppPaths

    return AppPaths.default().data_dir / "drafts"


def database_key(description: str) -> str:
    """A short stable name for a database (user ids are per database)."""
    return hashlib.sha256(description.encode("utf-8")).hexdigest()[:12]


class DraftStore:
    """Drafts per user of one database, in ``folder``."""

    def __init__(self, database: str, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()
        self._database = database_key(database)

    def path(self, user_id: int) -> Path:
        return self.folder / f"{self._database}-user-{int(user_id)}.json"

    def load(self, user_id: int) -> dict[str, dict[str, Any]]:
        """The user's kept drafts by key; none when there are none or the file is unreadable."""
        try:
            text = self.path(user_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("Cannot read a drafts file (%s)", exc.strerror)
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("A drafts file is damaged; it was left as it is")
            return {}
        drafts = data.get("drafts") if isinstance(data, dict) else None
        if not isinstance(drafts, dict):
            return {}
        return {k: v for k, v in drafts.items() if isinstance(k, str) and isinstance(v, dict)}

    def save(self, user_id: int, drafts: dict[str, dict[str, Any]]) -> Path | None:
        """Keep these drafts for the user, alongside (and replacing by key) any kept before."""
        if not drafts:
            return None
        merged = self.load(user_id) | drafts
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.folder, 0o700)
        target = self.path(user_id)
        payload = json.dumps(
            {"saved_at": datetime.now(UTC).isoformat(timespec="seconds"), "drafts": merged},
            default=str,
            sort_keys=True,
        )
        fd, tmp = tempfile.mkstemp(prefix=".draft-", dir=self.folder)  # made 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("Kept %d draft(s) for a signed-out user", len(drafts))
        return target

    def take(self, user_id: int) -> dict[str, dict[str, Any]]:
        """The user's drafts, removed from the store: they are handed back once."""
        drafts = self.load(user_id)
        self.discard(user_id)
        return drafts

    def discard(self, user_id: int) -> None:
        self.path(user_id).unlink(missing_ok=True)
