"""Checking the SQLite audit trail's hash chain over a million events, as start-up does.

Builds (once, cached under the temporary folder) a database whose trail holds ``--events``
keyed, chained events, then times ``verify_chain`` over the whole trail: it streams, so memory
stays flat however long the trail. The key lives in an in-memory keyring for the run. One JSON
object per line: ``{"name": ..., "median_s": ..., "target_s": ...}``.

    .venv/bin/python bench/audit_chain.py [--runs 3] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend

from followup.audit.chain import (
    KEYRING_SERVICE,
    SETTING_KEY,
    chain_value,
    event_payload,
    verify_chain,
)
from followup.db.migrate import head_revision, open_database

TARGET_S = 30.0
IDENT = "bench"
SECRET = "5" * 64  # a fixed key: the cached file's chain must verify on every run


class _Keyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


def cached_trail(events: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "followup-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"audit-chain-{events}-{head_revision()}.sqlite"
    if path.exists():
        return path
    print(f"# writing {events:,} chained audit events into {path} (once)", file=sys.stderr)
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    open_database("sqlite:///" + str(partial), create=True).dispose()
    conn = sqlite3.connect(partial)
    conn.execute("INSERT INTO setting (key, value) VALUES (?, ?)", (SETTING_KEY, f"keyed:{IDENT}"))
    secret, previous = bytes.fromhex(SECRET), None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: list[tuple[object, ...]] = []
    for n in range(events):
        at = start + timedelta(seconds=n)
        details = json.dumps({"fields": ["phone"], "n": n})
        chain = chain_value(
            secret, previous, event_payload(at, None, "bench", "view", "case", n, details)
        )
        stored = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        batch.append((stored, "bench", "view", "case", n, details, chain))
        previous = chain
        if len(batch) == 50_000:
            conn.executemany(
                "INSERT INTO audit_event (at, username, action, entity, entity_id, details, "
                "chain) VALUES (?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch.clear()
    conn.executemany(
        "INSERT INTO audit_event (at, username, action, entity, entity_id, details, chain) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    conn.commit()
    conn.close()
    partial.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    backend = _Keyring()
    backend.set_password(KEYRING_SERVICE, IDENT, SECRET)
    keyring.set_keyring(backend)
    path = cached_trail(args.events)
    db = open_database("sqlite:///" + str(path), migrate=False)
    times = []
    try:
        for _ in range(args.runs):
            t = time.perf_counter()
            with db.session() as s:
                report = verify_chain(s)
            times.append(time.perf_counter() - t)
            assert report.ok and report.checked == args.events, report
    finally:
        db.dispose()
    print(
        json.dumps(
            {
                "name": f"audit_chain_verify_{args.events // 1000}k",
                "median_s": round(statistics.median(times), 3),
                "target_s": TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
