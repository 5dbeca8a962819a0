"""Start-up: the desktop app to its sign-in dialog, and `followup cases --search` whole.

Cold start: each run starts bench/startup_probe.py in a new interpreter (the same start-up
functions as `followup`) against a database that has users, so the sign-in dialog is what
appears. By default the 100,000-case demo database of bench/caseload.py is used when it has
been generated, otherwise a small fresh one.

Command line (``--cli``): the whole process of `followup cases --search TEXT` as a worker, on a
private copy of the cached demo database of 100,000 cases (and of 1,000,000 when
``$TMPDIR/followup-bench/demo-1000000-*.sqlite`` exists at this schema revision). Its floor is
a bare ``python -c`` that does the same work with the bare libraries: sqlite3 runs the same
SELECT statements Followup ran (captured from one in-process run) and hashlib.scrypt checks
the same password at the same cost. ``cli_cases_search_startup`` is the part above the floor:
imports, opening and checking the database, the ORM, the audit rows. One JSON object per line.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup.py [--runs 7] [--db FILE]
    .venv/bin/python bench/startup.py --cli [--runs 9] [--sizes 100k,1m]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def small_database(folder: Path) -> Path:
    from followup.accounts import create_user
    from followup.db.migrate import open_database

    path = folder / "startup.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    with db.session() as s:
        create_user(s, None, "admin", "admin", "bench-only", "Bench Admin", policy=False)
    db.dispose()
    return path


def demo_database() -> Path | None:
    from followup.db.migrate import head_revision

    path = (
        Path(tempfile.gettempdir())
        / "followup-bench"
        / f"caseload-100000-seed1-{head_revision()}.sqlite"
    )
    return path if path.exists() else None


def measure(db: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time to the dialog on screen, and in-process times to shown and to ready."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "startup_probe.py"), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the offscreen platform's notes about raise() and the like
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    wall = time.perf_counter() - started
    ready = proc.stdout.readline()
    proc.wait(timeout=60)
    if not line.startswith("shown ") or not ready.startswith("ready "):
        raise SystemExit(f"the probe did not get to sign-in (exit code {proc.returncode})")
    _, inside, dialog = line.split()
    if dialog != "SignInDialog":
        raise SystemExit(f"expected the sign-in dialog, the probe showed {dialog}")
    return wall, float(inside), float(ready.split()[1])


SEARCH = "Smith"
CLI_USER, CLI_PASSWORD = "worker1", "demo"  # the demonstration data's worker and password

FLOOR = r"""
import hashlib, base64, json, sqlite3, sys
work = json.load(open(sys.argv[1]))
conn = sqlite3.connect(work["db"])
_, n, r, p, salt, digest = work["hash"].split("$")
n, r, p = int(n), int(r), int(p)
if "--no-password" not in sys.argv:
    got = hashlib.scrypt(work["password"].encode(), salt=base64.b64decode(salt), n=n, r=r, p=p,
                         maxmem=128 * r * (n + 2 + p) + 2**20, dklen=32)
    assert got == base64.b64decode(digest)
for statement, params in work["statements"]:
    conn.execute(statement, params).fetchall()
conn.close()
"""


def cli_args(db: Path) -> list[str]:
    return ["cases", "--search", SEARCH, "--db", str(db), "--user", CLI_USER, "--json"]


def capture_queries(db: Path, env: dict[str, str]) -> list[tuple[str, list[object]]]:
    """The SELECT statements `followup cases --search` runs for its answer, from one run in a
    child process (its statements as the driver got them, parameters already converted)."""
    code = r"""
import json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
seen = []
@event.listens_for(Engine, "before_cursor_execute")
def note(conn, cursor, statement, params, context, many):
    seen.append((statement, list(params) if isinstance(params, (tuple, list)) else params))
from followup.cli import main
assert main(sys.argv[2:]) == 0
first = next(i for i, (st, _) in enumerate(seen) if "case_file" in st)
found = [(st, p) for st, p in seen[first:] if st.lstrip().upper().startswith("SELECT")]
json.dump(found, open(sys.argv[1], "w"))
"""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        subprocess.run(
            [sys.executable, "-c", code, str(out), *cli_args(db)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return [(st, list(p)) for st, p in json.loads(out.read_text())]
    finally:
        out.unlink(missing_ok=True)


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cli_figures(label: str, source: Path, runs: int, env: dict[str, str], tmp: Path) -> None:
    import shutil
    import sqlite3

    db = tmp / f"cli-{label}.sqlite"
    shutil.copyfile(source, db)  # the runs write audit rows: never into the shared cache
    whole_cmd = [sys.executable, "-m", "followup", *cli_args(db)]
    cli_env = dict(env, FOLLOWUP_PASSWORD=CLI_PASSWORD)
    _wall(whole_cmd, cli_env)  # the first open checks the new copy; later ones trust it
    statements = capture_queries(db, cli_env)
    conn = sqlite3.connect(db)
    (stored,) = conn.execute(
        "SELECT password_hash FROM user_account WHERE username = ?", (CLI_USER,)
    ).fetchone()
    conn.close()
    work = tmp / f"floor-{label}.json"
    work.write_text(
        json.dumps(
            {"db": str(db), "hash": stored, "password": CLI_PASSWORD, "statements": statements}
        )
    )
    floor_cmd = [sys.executable, "-c", FLOOR, str(work)]
    query_only = [*floor_cmd, "--no-password"]
    orm_cmd = [sys.executable, "-c", "import sqlalchemy.orm"]
    whole, floor, bare, orm = [], [], [], []
    _wall(floor_cmd, env)
    for _ in range(runs):  # interleaved, so that the machine's load falls on all alike
        whole.append(_wall(whole_cmd, cli_env))
        floor.append(_wall(floor_cmd, env))
        bare.append(_wall(query_only, env))
        orm.append(_wall(orm_cmd, env))
    whole_s, floor_s = statistics.median(whole), statistics.median(floor)
    common = {"runs": runs, "database": source.name, "statements": len(statements)}
    emit("cli_cases_search_" + label, whole_s, None, floor_s, **common)
    emit(
        "cli_cases_search_startup_" + label,
        statistics.median(w - f for w, f in zip(whole, floor, strict=True)),
        0.25,
        None,
        note="whole process minus its floor (bare sqlite3 + scrypt, same statements)",
        query_floor_s=round(statistics.median(bare), 4),
        sqlalchemy_orm_import_s=round(statistics.median(orm), 4),
        **common,
    )


def emit(
    name: str, median_s: float, target_s: float | None, floor_s: float | None, **extra: object
) -> None:
    figure: dict[str, object] = {"name": name, "median_s": round(median_s, 4), "target_s": target_s}
    if floor_s is not None:
        figure["floor_s"] = round(floor_s, 4)
        figure["ratio"] = round(median_s / floor_s, 2)
    figure.update(extra)
    print(json.dumps(figure), flush=True)


def cli_main(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> int:
    sys.path.insert(0, str(HERE))
    from common import sized_demo

    for label in args.sizes.split(","):
        source = sized_demo(label)
        if source is not None:
            cli_figures(label, source, args.runs, env, tmp)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="an SQLite database that has users")
    parser.add_argument("--cli", action="store_true", help="`followup cases --search` instead")
    parser.add_argument("--sizes", default="100k,1m", help="with --cli: 100k, 1m or both")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="followup-startup-") as tmp:
        # Logs and settings of the probe go to a throwaway home, not the user's.
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = str(Path(tmp) / var)
        if args.cli:
            return cli_main(args, env, Path(tmp))
        db = args.db or demo_database() or small_database(Path(tmp))
        measure(db, env)  # warm the OS file cache once, as after any earlier use of the machine
        runs = [measure(db, env) for _ in range(args.runs)]

    def median(i: int) -> float:
        return round(statistics.median(r[i] for r in runs), 4)

    print(
        json.dumps(
            {
                "name": "cold_start_to_sign_in",
                "median_s": median(0),
                "target_s": 1.5,
                "runs": len(runs),
                "database": db.name,
            }
        )
    )
    # Not a target of the issue: when the dialog can be submitted (database open and checked).
    print(
        json.dumps(
            {"name": "sign_in_usable", "median_s": median(2), "target_s": None, "runs": len(runs)}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
