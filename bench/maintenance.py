"""Start-up maintenance against the user: sign-in to My work and the UI thread's longest stall
while the integrity check and the daily backup run, and the maintenance's own time.

Each run starts bench/maintenance_probe.py in a fresh interpreter on a private copy of the
cached demo database (100,000 cases; 1,000,000 when ``$TMPDIR/followup-bench/demo-1000000-*``
exists at this schema revision), with a fresh data folder so that the day's backup is due,
signs in as a worker as soon as the dialog can be used, and waits for My work and for the
maintenance to finish. ``--without`` leaves the maintenance out, for comparison. The floor of
the maintenance is the same work done by bare sqlite3 at full speed in the same run: the quick
check, the backup API in one step, and the quick check of the copy (and, for reference,
``PRAGMA integrity_check`` plus the one-step backup).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/maintenance.py [--runs 5] [--sizes 100k,1m]
        [--without]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import emit, sized_demo  # noqa: E402

USER, PASSWORD = "worker1", "demo"  # the demonstration data's worker and password


def probe(db: Path, env: dict[str, str], without: bool, tmp: Path) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    run_env = dict(env)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        run_env[var] = str(home / var)  # no backup yet today: the daily backup is due
    cmd = [sys.executable, str(HERE / "maintenance_probe.py"), str(db), USER, PASSWORD]
    done = subprocess.run(
        [*cmd, *(["--without"] if without else [])],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    shutil.rmtree(home, ignore_errors=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the probe failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def floor(db: Path, tmp: Path) -> tuple[float, float]:
    """Bare sqlite3 at full speed: (quick check + one-step backup + quick check of the copy,
    integrity_check + one-step backup)."""

    def backup() -> float:
        target = tmp / "floor-copy.sqlite"
        target.unlink(missing_ok=True)
        started = time.perf_counter()
        src, dst = sqlite3.connect(db), sqlite3.connect(target)
        src.backup(dst)
        took = time.perf_counter() - started
        src.close()
        dst.close()
        return took

    def pragma(path: Path, what: str) -> float:
        started = time.perf_counter()
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA {what}").fetchall()
        conn.close()
        return time.perf_counter() - started

    copied = backup()
    same = pragma(db, "quick_check") + copied + pragma(tmp / "floor-copy.sqlite", "quick_check")
    reference = pragma(db, "integrity_check") + copied
    (tmp / "floor-copy.sqlite").unlink(missing_ok=True)
    return same, reference


def figures(label: str, source: Path, runs: int, without: bool, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="followup-maintenance-") as name:
        tmp = Path(name)
        db = tmp / source.name
        shutil.copyfile(source, db)
        probe(db, env, without, tmp)  # warm the OS file cache once
        results, floors = [], []
        for _ in range(runs):
            results.append(probe(db, env, without, tmp))
            if not without:
                floors.append(floor(db, tmp))

    def median(key: str) -> float:
        return statistics.median(r[key] for r in results)

    suffix = "_without_maintenance" if without else ""
    common = {"runs": runs, "database": source.name}
    emit(f"sign_in_to_my_work_{label}{suffix}", median("sign_in_to_my_work_s"), 1.0, **common)
    emit(f"longest_stall_{label}{suffix}", median("longest_stall_s"), 0.05, **common)
    emit(f"longest_stall_to_my_work_{label}{suffix}", median("longest_stall_to_my_work_s"), None)
    if not without:
        emit(
            f"maintenance_{label}",
            median("maintenance_s"),
            None,
            statistics.median(f[0] for f in floors),
            integrity_check_floor_s=round(statistics.median(f[1] for f in floors), 4),
            **common,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--without", action="store_true", help="no start-up maintenance")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for label in args.sizes.split(","):
        source = sized_demo(label)
        if source is not None:
            figures(label, source, args.runs, args.without, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
