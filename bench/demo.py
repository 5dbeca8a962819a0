"""Benchmark: `followup demo` on a fresh SQLite file: wall time and the process's peak memory.

Each run is a child process of its own that opens (and migrates) a new database file and fills
it, as the command does, so that its peak resident memory (``VmHWM``) is that run's alone.
Prints one JSON line::

    {"name": "demo_100k_cases", "median_s": ..., "target_s": 60, "peak_rss_mb": ..., "target_mb": 500}

At a million cases (``--cases 1000000``, one run) the targets are 300 s and 500 MB. There is
no floor: no bare library makes these cases.

    .venv/bin/python bench/demo.py [--cases 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import emit

TARGET_S = {100_000: 60, 1_000_000: 300}
TARGET_MB = 500

_CHILD = """
import sys, time
from datetime import UTC, datetime
from followup.db.migrate import open_database
from followup.demo.populate import populate
path, cases = sys.argv[1], int(sys.argv[2])
started = time.perf_counter()
db = open_database("sqlite:///" + path, create=True, backup_dir=path + "-backups")
try:
    populate(db, cases, seed=1, now=datetime(2026, 3, 21, 12, 0, tzinfo=UTC))
finally:
    db.dispose()
elapsed = time.perf_counter() - started
with open("/proc/self/status", encoding="ascii") as fh:
    peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(elapsed, peak / 1024)
"""


def one_run(folder: Path, cases: int, n: int) -> tuple[float, float]:
    """(seconds, peak MB) of one child process building ``cases`` cases."""
    path = folder / f"demo-{n}.sqlite"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(cases)],
        capture_output=True,
        text=True,
        check=True,
    )
    for leftover in folder.glob(f"demo-{n}.sqlite*"):
        leftover.unlink()  # a million cases take gigabytes: one file at a time
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.cases < 1_000_000 else 1)
    with tempfile.TemporaryDirectory(prefix="followup-bench-") as tmp:
        results = [one_run(Path(tmp), args.cases, n) for n in range(runs)]
    times = [t for t, _ in results]
    peak = max(mb for _, mb in results)
    label = f"{args.cases // 1_000_000}m" if args.cases >= 1_000_000 else f"{args.cases // 1000}k"
    target = TARGET_S.get(args.cases)
    ok = emit(
        f"demo_{label}_cases",
        statistics.median(times),
        target,
        peak_rss_mb=round(peak, 1),
        target_mb=TARGET_MB,
        runs=[round(t, 1) for t in times],
    )
    return 0 if ok and peak <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
