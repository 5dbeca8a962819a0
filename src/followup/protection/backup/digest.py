"""A backup's digest, made when it was taken, so that a restore refuses a backup changed since.

The digest is HMAC-SHA256 of the backup file's bytes, keyed with a random secret kept in the
OS keyring (service ``followup-audit-chain``, entry ``backup-digest``; made at the first
backup), or plain SHA-256 when no keyring is usable. It is written ``0600`` beside the backup,
in ``<backup>.sha256``: one line, ``hmac-sha256 <hex>  <file name>`` (or ``sha256 …``).

A sidecar file is what survives copying: the backup itself is never rewritten (a digest inside
it would change its bytes), and whoever copies a backup to another folder or disk must copy
the ``.sha256`` file with it. One secret serves every database on this computer, SQLite or
PostgreSQL, so a backup taken here can be checked here whatever database it came from.

A restore then refuses, in one sentence and changing nothing:
- a backup whose bytes no longer match its digest, always;
- a backup it cannot check, unless the person restoring says ``--allow-unverified``: one with
  no digest (made before this version, or copied without its ``.sha256``), one whose key is
  not in this computer's keyring (made on another computer), and one with an unkeyed digest
  where a keyring is usable (anyone who edits a backup can recompute a plain SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from enum import StrEnum
from pathlib import Path

from followup.audit.chain import KEYRING_SERVICE, stored_secret
from followup.files import write_atomically
from followup.protection.backup.common import BackupProblem
from followup.settings import keyring_status

__all__ = [
    "DIGEST_SUFFIX",
    "KEY_NAME",
    "Verified",
    "check_digest",
    "digest_path",
    "file_digest",
    "write_digest",
]

log = logging.getLogger(__name__)

DIGEST_SUFFIX = ".sha256"
KEY_NAME = "backup-digest"
KEYED, UNKEYED = "hmac-sha256", "sha256"
CHUNK = 1 << 20
ALLOW = "`followup restore --allow-unverified`"


class Verified(StrEnum):
    """What checking a backup against its digest showed."""

    UNCHANGED = "unchanged"  # its digest matches, keyed with this computer's secret
    UNCHECKED = "unchecked"  # it could not be checked, and the restore was allowed anyway


def digest_path(backup: Path) -> Path:
    """The digest file beside ``backup``: ``<backup>.sha256``."""
    return backup.with_name(backup.name + DIGEST_SUFFIX)


def file_digest(path: Path, secret: bytes | None) -> str:
    """HMAC-SHA256 of the file's bytes with ``secret``, or SHA-256 without one, in hex."""
    h = hmac.new(secret, digestmod=hashlib.sha256) if secret is not None else hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _secret(*, create: bool) -> bytes | None:
    secret = stored_secret(KEY_NAME)
    if secret is not None or not create or not keyring_status().usable:
        return secret
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, KEY_NAME, secrets.token_hex(32))
    except KeyringError as exc:
        log.warning("The keyring refused the backup digest's key (%s)", type(exc).__name__)
        return None
    return stored_secret(KEY_NAME)


def write_digest(backup: Path) -> Path:
    """Write the digest of ``backup`` beside it (``0600``); returns the digest file."""
    secret = _secret(create=True)
    kind = KEYED if secret is not None else UNKEYED
    if secret is None:
        log.warning("No keyring: a backup's digest is unkeyed")
    line = f"{kind} {file_digest(backup, secret)}  {backup.name}\n"
    target = digest_path(backup)
    write_atomically(target, lambda fh: fh.write(line.encode("ascii")), binary=True)
    return target


def _read(backup: Path) -> tuple[str, str] | None:
    try:
        text = digest_path(backup).read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ("unreadable", "")
    fields = text.split()
    if len(fields) < 2 or fields[0] not in (KEYED, UNKEYED):
        return ("unreadable", "")
    return fields[0], fields[1].lower()


def check_digest(backup: Path, *, allow_unverified: bool = False) -> Verified:
    """Refuse (``BackupProblem``) a backup changed since its digest, or one that cannot be
    checked unless ``allow_unverified``; say which it was."""
    found = _read(backup)
    unchecked: str | None = None
    if found is None:
        unchecked = (
            f"The backup {backup} has no digest to show it is unchanged since it was made (it "
            f"is older than this version of Followup, or its {digest_path(backup).name} file "
            f"was not copied with it); restore it only if you are sure of it, with {ALLOW}. "
            "Nothing was changed."
        )
    elif found[0] == "unreadable":
        unchecked = (
            f"The digest file {digest_path(backup)} cannot be read, so the backup cannot be "
            f"shown to be unchanged; restore it only if you are sure of it, with {ALLOW}. "
            "Nothing was changed."
        )
    else:
        kind, expected = found
        secret = _secret(create=False) if kind == KEYED else None
        if kind == KEYED and secret is None:
            unchecked = (
                f"The backup {backup} was made on another computer (the key of its digest is "
                "not in this computer's keyring), so it cannot be shown to be unchanged; "
                f"restore it only if you are sure of it, with {ALLOW}. Nothing was changed."
            )
        else:
            try:
                actual = file_digest(backup, secret)
            except OSError as exc:
                raise BackupProblem(
                    f"Cannot read {backup} ({exc.strerror}); nothing was changed."
                ) from None
            if not hmac.compare_digest(actual, expected):
                raise BackupProblem(
                    f"The backup {backup} has been changed since it was made (it no longer "
                    "matches the digest taken then), so Followup will not restore it; "
                    "nothing was changed."
                )
            if kind == UNKEYED and keyring_status().usable:
                unchecked = (
                    f"The backup {backup} has only an unkeyed digest (it was made without a "
                    "keyring), which cannot show it was not changed on purpose; restore it "
                    f"only if you are sure of it, with {ALLOW}. Nothing was changed."
                )
    if unchecked is None:
        return Verified.UNCHANGED
    if not allow_unverified:
        raise BackupProblem(unchecked)
    log.warning("Restoring a backup that could not be checked against a digest")
    return Verified.UNCHECKED
