"""The tamper-evident audit trail on a SQLite file: each event's hash is chained to the one before.

Anyone who can write the file can drop the append-only trigger, edit an event and put the
trigger back. So each event inserted on SQLite gets ``chain`` = HMAC-SHA256(key, the previous
event's chain + this event's fields: ``at`` (ISO, UTC), user id, user name, action, entity,
entity id, details), in hex. Editing, deleting, inserting or reordering an event breaks the
chain at the first event after the change, and ``verify_chain`` names that event.

The key is a random secret in the OS keyring (service ``followup-audit-chain``) under a random
id kept in the database's ``setting`` table (``audit_chain``: ``keyed:<id>``), so the key
follows the file when it is moved or restored from a backup, and someone who has only the file
cannot forge the chain. It is made when the first chained event is written. Without a usable
keyring the chain is an unkeyed SHA-256 one (``unkeyed:<id>``): it still shows an edit made
without recomputing the hashes after it, but not a deliberate rewrite, and ``followup check``
says so. A keyed chain whose key is not in this computer's keyring (a file brought from another
computer) cannot be checked here, and events written meanwhile get no chain (a warning is
logged, never the event).

Hooked in once, for every ``AuditEvent`` inserted through the ORM on any SQLite database, by
a mapper ``before_insert`` listener registered when this module is imported (``followup.audit``
imports it). PostgreSQL is not chained: its audit table is protected by grants instead.

Concurrency: two SQLite writers serialise on the write lock. Before the key's setting is read,
the listener takes that lock (a write that changes no row), and the previous chain is read
inside the INSERT itself, as a subquery feeding a SQL function (``followup_audit_chain``)
registered on the connection: so the previous event is the newest one committed by anyone, and
two writers cannot both chain to it. (A transaction that had already read before a rival's
commit cannot write at all: SQLite refuses with SQLITE_BUSY_SNAPSHOT, which the session turns
into "the database is busy"; a stale read is never committed.)

Events written before schema 0006 have no chain and are not checked; the chain starts at the
first chained event, and an event without a chain after it is a break. Deleting events from
the end of the trail is not detected (nothing outside the file records its length).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    String,
    event,
    false,
    func,
    literal,
    null,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapper, Session

from followup.db.models import AuditEvent, Setting
from followup.db.types import utcnow
from followup.settings import keyring_status

__all__ = [
    "KEYRING_SERVICE",
    "SETTING_KEY",
    "ChainReport",
    "chain_rows",
    "chain_value",
    "event_payload",
    "stored_secret",
    "verify_chain",
]

log = logging.getLogger(__name__)

KEYRING_SERVICE = "followup-audit-chain"
SETTING_KEY = "audit_chain"
SQL_FUNCTION = "followup_audit_chain"
_REGISTERED = "followup_audit_chain_function"
STREAM_ROWS = 5000


_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_payload(
    at: datetime,
    user_id: int | None,
    username: str | None,
    action: str,
    entity: str | None,
    entity_id: int | None,
    details: str | None,
) -> str:
    """The canonical text of an event's fields, as the chain hashes it."""
    return _encode([_utc_text(at), user_id, username, str(action), entity, entity_id, details])


def chain_value(secret: bytes | None, previous: str | None, payload: str) -> str:
    """HMAC-SHA256 with ``secret`` (plain SHA-256 without one) of previous chain + payload."""
    message = ((previous or "") + payload).encode("utf-8")
    if secret is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.digest(secret, message, "sha256").hex()


def _sql_chain(secret: bytes | None, previous: str | None, payload: str) -> str:
    return chain_value(secret, previous, payload)


# ------------------------------------------------------------------------------ the key


@dataclass(frozen=True)
class _Key:
    ident: str
    keyed: bool
    secret: bytes | None  # None: unkeyed, or keyed and not in this computer's keyring

    @property
    def lost(self) -> bool:
        return self.keyed and self.secret is None


def stored_secret(ident: str) -> bytes | None:
    """The chain key kept in the keyring under ``ident``; None when there is none to read."""
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(KEYRING_SERVICE, ident)
    except KeyringError:
        return None
    return bytes.fromhex(value) if value else None


_secrets: weakref.WeakKeyDictionary[Engine, dict[str, bytes]] = weakref.WeakKeyDictionary()


def _parse(value: str | None, secret_of: Mapping[str, bytes] | None = None) -> _Key | None:
    if not value or ":" not in value:
        return None
    mode, ident = value.split(":", 1)
    if mode == "unkeyed":
        return _Key(ident, False, None)
    if mode != "keyed":
        return None
    cached = (secret_of or {}).get(ident)
    return _Key(ident, True, cached if cached is not None else stored_secret(ident))


def _read_setting(conn: Connection) -> str | None:
    return conn.execute(select(Setting.value).where(Setting.key == SETTING_KEY)).scalar()


def _start_chain(conn: Connection) -> str | None:
    """Record the key for a chain that starts now: in the keyring when there is one."""
    import keyring
    from keyring.errors import KeyringError

    ident = secrets.token_hex(16)
    value = f"unkeyed:{ident}"
    if keyring_status().usable:
        try:
            keyring.set_password(KEYRING_SERVICE, ident, secrets.token_hex(32))
            value = f"keyed:{ident}"
        except KeyringError as exc:
            log.warning("The keyring refused the audit chain's key (%s)", type(exc).__name__)
    if value.startswith("unkeyed"):
        log.warning("No keyring: the audit trail's hash chain is unkeyed")
    conn.execute(
        sqlite_insert(Setting).values(key=SETTING_KEY, value=value).on_conflict_do_nothing()
    )
    return _read_setting(conn)  # a rival may have started it first


def _take_write_lock(conn: Connection) -> None:
    """Hold SQLite's write lock before reading anything the new event depends on.

    A write statement starts SQLite's write transaction even when it changes no row (see
    sqlite.org/lang_transaction.html), so after this no other writer can commit until ours
    ends, and what we read next is current. Without it, reading the key's setting first would
    open a read snapshot, and a rival's commit before our INSERT would make SQLite refuse the
    INSERT (SQLITE_BUSY_SNAPSHOT): never a wrong chain, but a needless "database busy".
    """
    conn.execute(update(Setting).where(false()).values(value=Setting.value))


def _key_for_writing(conn: Connection) -> _Key | None:
    _take_write_lock(conn)
    cache = _secrets.setdefault(conn.engine, {})
    key = _parse(_read_setting(conn), cache) or _parse(_start_chain(conn), cache)
    if key is not None and key.secret is not None:
        cache[key.ident] = key.secret
    return key


def _register_function(conn: Connection) -> None:
    pooled = conn.connection
    if not pooled.info.get(_REGISTERED):
        dbapi = cast(sqlite3.Connection, pooled.dbapi_connection)
        dbapi.create_function(SQL_FUNCTION, 3, _sql_chain, deterministic=True)
        pooled.info[_REGISTERED] = True


@event.listens_for(AuditEvent, "before_insert")
def _chain_new_event(_mapper: Mapper[Any], connection: Connection, target: AuditEvent) -> None:
    """Give a new SQLite audit event its chain, computed by the INSERT that writes it."""
    if connection.dialect.name != "sqlite":
        return
    key = _key_for_writing(connection)
    if cast("datetime | None", target.at) is None:  # the column default comes later
        target.at = utcnow()
    if key is None or key.lost:
        log.warning("The audit trail's key is not in this keyring; an event was not chained")
        return
    _register_function(connection)
    payload = event_payload(
        target.at,
        target.user_id,
        target.username,
        target.action,
        target.entity,
        target.entity_id,
        target.details,
    )
    previous = select(AuditEvent.chain).order_by(AuditEvent.id.desc()).limit(1).scalar_subquery()
    secret = literal(key.secret, LargeBinary()) if key.secret is not None else null()
    # Assigning a SQL expression makes the ORM put it in the INSERT (and expire it after).
    target.chain = cast(
        str, func.followup_audit_chain(secret, previous, literal(payload, String()))
    )


def chain_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Give SQLite audit event rows about to be inserted together, in this order, by one Core
    statement (``audit.record_many``), their time and their chain: the same chain the
    listener gives one event at a time. The write lock is taken first, so the newest chain
    read here stays the newest until these rows are in."""
    for row in rows:
        if row.get("at") is None:
            row["at"] = utcnow()
    if connection.dialect.name != "sqlite" or not rows:
        return
    key = _key_for_writing(connection)
    if key is None or key.lost:
        log.warning(
            "The audit trail's key is not in this keyring; %d events were not chained", len(rows)
        )
        return
    previous = connection.execute(
        select(AuditEvent.chain).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    for row in rows:
        payload = event_payload(
            row["at"],
            row.get("user_id"),
            row.get("username"),
            row["action"],
            row.get("entity"),
            row.get("entity_id"),
            row.get("details"),
        )
        row["chain"] = previous = chain_value(key.secret, previous, payload)


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class ChainReport:
    """What checking the chain found."""

    checked: int  # chained events that matched
    broken_at: int | None = None  # the first event that does not match the record before it
    keyed: bool | None = None  # None: nothing is chained yet (or PostgreSQL)
    key_missing: bool = False  # keyed, but the key is not in this computer's keyring

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    @property
    def problem(self) -> str | None:
        if self.broken_at is None:
            return None
        return (
            f"The audit trail has been altered: event {self.broken_at} does not match the "
            "record before it; keep this database as evidence and restore the last good backup."
        )

    @property
    def warning(self) -> str | None:
        if self.key_missing:
            return (
                "The audit trail's key is not in this computer's keyring (the database may "
                "have come from another computer), so its hash chain cannot be checked here."
            )
        if self.keyed is False:
            return (
                "The audit trail's hash chain has no key (no keyring was available when it "
                "started), so it shows accidental changes but is anchored weaker against a "
                "deliberate rewrite; set up a keyring for a keyed chain in a new database."
            )
        return None


def verify_chain(session: Session, pace: Callable[[], object] | None = None) -> ChainReport:
    """Walk the audit trail in id order, streaming, and name the first event that breaks.

    ``pace`` is called for each event: the start-up check's ``Pacer`` pauses there, so that
    the walk (Python, holding the interpreter) leaves the UI thread room to run."""
    if session.get_bind().dialect.name != "sqlite":
        return ChainReport(0)
    key = _parse(session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY)))
    # Core rows and the stored text of ``at`` (parsed by fromisoformat): a million events in
    # well under a minute, STREAM_ROWS at a time.
    rows = (
        session.connection()
        .execution_options(yield_per=STREAM_ROWS)
        .execute(
            select(
                AuditEvent.id,
                type_coerce(AuditEvent.at, String()).label("at"),
                AuditEvent.user_id,
                AuditEvent.username,
                AuditEvent.action,
                AuditEvent.entity,
                AuditEvent.entity_id,
                AuditEvent.details,
                AuditEvent.chain,
            )
            .order_by(AuditEvent.id)
            .execution_options(yield_per=STREAM_ROWS)
        )
    )
    previous: str | None = None
    started = False
    checked = 0
    try:
        for row in rows:
            if pace is not None:
                pace()
            if row.chain is None:
                if started:
                    return ChainReport(checked, row.id, key.keyed if key else None)
                continue
            if key is None:  # chained events, but the record of their key is gone
                return ChainReport(checked, row.id)
            if key.lost:
                return ChainReport(checked, None, True, key_missing=True)
            started = True
            try:
                at = datetime.fromisoformat(row.at).isoformat(timespec="microseconds")
            except (TypeError, ValueError):  # not a time Followup wrote
                return ChainReport(checked, row.id, key.keyed)
            payload = _encode(
                [at, row.user_id, row.username, row.action, row.entity, row.entity_id, row.details]
            )
            if not hmac.compare_digest(chain_value(key.secret, previous, payload), row.chain):
                return ChainReport(checked, row.id, key.keyed)
            previous = row.chain
            checked += 1
    finally:
        rows.close()
    return ChainReport(checked, None, key.keyed if key and started else None)
