"""What the benchmarks share: the cached demo databases, medians, and the one-line JSON figures.

The demo database of N cases is built once per schema revision with ``followup demo``'s own
``populate`` and kept in ``$TMPDIR/followup-bench``. When the schema moves on, an older file of
the same size is copied and upgraded by the migrations (which is itself what a site's upgrade
does) instead of being built again. ``FOLLOWUP_BENCH_PG_URL`` (a superuser URL) gives the
PostgreSQL copy of the same workload, in a database named after its size and revision.

Every figure is one JSON object on its own line::

    {"name": ..., "median_s": ..., "target_s": ..., "floor_s": ..., "ratio": ...}

``floor_s`` is the same work done by the bare library in the same run, and ``ratio`` is
``median_s / floor_s``; both are left out where no floor applies.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followup.db.engine import Database
from followup.db.migrate import head_revision, open_database

# The demo's clock, fixed so that every run builds the same cases.
DEMO_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SIZES = {"100k": 100_000, "1m": 1_000_000}


def bench_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "followup-bench"
    folder.mkdir(exist_ok=True)
    return folder


def _demo_name(cases: int, seed: int, revision: str) -> str:
    return f"demo-{cases}-seed{seed}-{revision}.sqlite"


def cached_sqlite(cases: int, seed: int = 1) -> Path:
    """The path of the demo SQLite file of ``cases`` cases at the current schema revision.

    Building it takes one process minutes; a second process asking for the same file waits on
    a lock (``fcntl.flock`` on a ``.lock`` file beside it) and then finds it ready, instead of
    deleting the first one's half-written file.
    """
    folder = bench_folder()
    head = head_revision()
    path = folder / _demo_name(cases, seed, head)
    if path.exists():
        return path
    with open(path.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if path.exists():  # built by another process while this one waited
            return path
        _build_sqlite(folder, path, cases, seed, head)
    return path


def sized_demo(label: str, seed: int = 1) -> Path | None:
    """The cached demo file for a size label ("100k", "1m"). A million cases take many minutes
    to build, so that size is used only once a file of it exists (an older revision's is
    upgraded); otherwise this says so and gives None, and the caller leaves those figures out."""
    cases = SIZES[label]
    if cases >= 1_000_000 and not any(bench_folder().glob(_demo_name(cases, seed, "*"))):
        print(f"# no cached {label} demo file: the {label} figures are left out", file=sys.stderr)
        return None
    return cached_sqlite(cases, seed)


def _build_sqlite(folder: Path, path: Path, cases: int, seed: int, head: str) -> None:
    # Only the holder of the lock gets here, so a leftover partial file is one whose builder
    # died: it is safe to remove.
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    older = sorted(
        folder.glob(_demo_name(cases, seed, "*")), key=lambda p: p.stat().st_mtime, reverse=True
    )
    started = time.perf_counter()
    if older:
        print(f"# upgrading {older[0].name} to {head} (once)", file=sys.stderr)
        shutil.copyfile(older[0], partial)
        open_database("sqlite:///" + str(partial), backup_dir=folder / "backups").dispose()
    else:
        from followup.demo.populate import populate

        print(f"# generating {cases:,} demo cases into {path.name} (once)", file=sys.stderr)
        db = open_database("sqlite:///" + str(partial), create=True)
        try:
            populate(db, cases=cases, seed=seed, now=DEMO_NOW)
        finally:
            db.dispose()
    partial.rename(path)
    print(f"# ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def cached_database(cases: int, seed: int = 1) -> Database:
    """The cached demo SQLite database of ``cases`` cases, opened."""
    return open_database("sqlite:///" + str(cached_sqlite(cases, seed)))


def pg_admin_url() -> str | None:
    return os.environ.get("FOLLOWUP_BENCH_PG_URL") or None


def cached_postgres(cases: int, seed: int = 1) -> Database | None:
    """The same demo data in a PostgreSQL database (made once per size and revision), or None
    when no ``FOLLOWUP_BENCH_PG_URL`` is set."""
    admin = pg_admin_url()
    if admin is None:
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"followup_bench_{cases}_s{seed}_{head_revision()}".lower()
    base = make_url(admin)
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            ready = (
                conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
                and conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name + "_partial"}
                )
                is None
            )
            if not ready:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_partial"'))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}_partial"'))
    finally:
        engine.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    if not ready:
        from followup.demo.populate import populate

        print(f"# generating {cases:,} demo cases into PostgreSQL {name} (once)", file=sys.stderr)
        partial_url = base.set(database=name + "_partial").render_as_string(hide_password=False)
        db = open_database(partial_url, create=True)
        try:
            populate(db, cases=cases, seed=seed, now=DEMO_NOW)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        finally:
            db.dispose()
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"'))
        finally:
            engine.dispose()
    return open_database(url)


def median_time(fn: Callable[[], Any], runs: int, warm: int = 1) -> float:
    """The median wall time of ``fn()`` over ``runs`` runs, after ``warm`` untimed ones."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def emit(
    name: str,
    median_s: float,
    target_s: float | None,
    floor_s: float | None = None,
    **extra: Any,
) -> bool:
    """Print one figure as a JSON line; True when it meets its target (or has none)."""
    figure: dict[str, Any] = {"name": name, "median_s": round(median_s, 4), "target_s": target_s}
    if floor_s is not None:
        figure["floor_s"] = round(floor_s, 4)
        figure["ratio"] = round(median_s / floor_s, 2) if floor_s > 0 else None
    figure.update(extra)
    print(json.dumps(figure), flush=True)
    return target_s is None or median_s <= target_s


def rss_mb() -> float:
    """This process's resident memory now, in megabytes."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's highest resident memory so far, in megabytes."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
