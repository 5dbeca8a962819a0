"""Benchmark: `followup demo` with 100,000 cases on a fresh SQLite file, three times.

Prints one JSON line: {"name": "demo_100k_cases", "median_s": ..., "target_s": 60}.
Each run opens (and migrates) a new database file and fills it, as the command does.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from followup.db.migrate import open_database
from followup.demo.populate import populate

CASES = 100_000
RUNS = 3
TARGET_S = 60
NOW = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)


def one_run(folder: Path, n: int) -> float:
    path = folder / f"demo-{n}.sqlite"
    start = time.perf_counter()
    db = open_database(f"sqlite:///{path}", create=True, backup_dir=folder / "backups")
    try:
        populate(db, CASES, seed=1, now=NOW)
    finally:
        db.dispose()
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="followup-bench-") as tmp:
        times = [one_run(Path(tmp), n) for n in range(RUNS)]
    result = {
        "name": "demo_100k_cases",
        "median_s": round(statistics.median(times), 2),
        "target_s": TARGET_S,
    }
    print(json.dumps(result))
    return 0 if result["median_s"] < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
