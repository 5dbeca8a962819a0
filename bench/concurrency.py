"""Many workers at once: 20 simulated users saving to the same PostgreSQL cases for a minute.

Each simulated user is a separate process with its own engine and one connection, as 20
desktop apps would be. In a loop until the time is up, each one does what a user does:
opens a case (reads its version in one short session), thinks for a moment (a random pause
of up to ``--think-ms``), then saves a contact attempt (70 %) or a consent entry (30 %)
through ``followup.casework.lifecycle`` with the version it saw, in a new session. Every outcome is
counted: a save, a conflict (``StaleEdit``: someone else saved first, which the app shows as
"someone else changed this case"), ``DatabaseBusy``, another plain-sentence refusal
(``FollowupError``), or anything else: a raw database error that would reach a user.

At the end the database is checked for lost updates. Each successful save bumps its case's
version exactly once (one UPDATE of the case row, guarded by ``version_id_col``), and the
cases are seeded at version 1 with no attempts, so for every case:
``version == 1 + saves`` and ``attempts in the database == attempt saves`` and
``consent entries == seeded entries + consent saves``. Every difference counts as a lost
(or phantom) update; there must be none.

Output: one JSON object per line in the format of the other benchmarks,
``{"name": ..., "median_s": ..., "target_s": ...}``. The format is abused on purpose so
that one reader handles every benchmark: ``concurrency_save_p95`` and
``concurrency_save_median`` are seconds (the 95th percentile and median of every save, a
conflict included, since the user waits for that answer too), but for the count lines
(``concurrency_saves``, ``concurrency_conflicts``, ``concurrency_busy``,
``concurrency_refusals``, ``concurrency_lost_updates``, ``concurrency_raw_errors``)
``median_s`` holds a count, not seconds, and ``target_s`` the count required (0) or null.

It needs a PostgreSQL server on this machine (loopback only): the admin URL comes from
``FOLLOWUP_BENCH_PG_URL`` or ``FOLLOWUP_TEST_PG_URL``. A throwaway database is created and
dropped at the end. Exit code 1 when an update was lost or a raw error reached a user.

    FOLLOWUP_TEST_PG_URL=postgresql://postgres@127.0.0.1:55432/postgres \\
        .venv/bin/python bench/concurrency.py [--seconds 60] [--workers 20] [--cases 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

# No keyring prompts or real secrets: the benchmark's URL carries what it needs.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from followup.access import Actor
from followup.accounts import actor_of, create_user
from followup.casework import lifecycle
from followup.db import models as m
from followup.db.engine import Database, make_engine
from followup.db.migrate import open_database
from followup.errors import DatabaseBusy, FollowupError, StaleEdit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCENE_SCOPES = ("contact_phone", "contact_sms", "contact_letter")
SAVE_P95_TARGET_S = 0.5
MAX_LOOPS = 1_000_000  # a bound on each worker's loop, far above what a minute allows


def admin_url() -> str:
    url = os.environ.get("FOLLOWUP_BENCH_PG_URL") or os.environ.get("FOLLOWUP_TEST_PG_URL")
    if not url:
        sys.exit(
            "Set FOLLOWUP_BENCH_PG_URL (or FOLLOWUP_TEST_PG_URL) to a local PostgreSQL "
            "admin URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres"
        )
    host = make_url(url).host
    if host not in LOOPBACK:
        sys.exit(f"This benchmark runs against a server on this machine only, not {host!r}.")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _admin(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(url: str) -> tuple[str, str]:
    name = "followup_bench_" + uuid.uuid4().hex[:12]
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name, name


def drop_database(url: str, name: str) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def seed(db: Database, cases: int) -> tuple[Actor, list[int]]:
    """One lead (who may change every case) and ``cases`` cases being contacted, each with
    phone, text and letter consent from the scene. Synthetic people only."""
    now = datetime.now(UTC)
    with db.session() as s:
        admin = actor_of(
            create_user(s, None, "admin", "admin", "bench-admin", "Bench Admin", policy=False)
        )
        lead = actor_of(
            create_user(s, admin, "lead", "lead", "bench-lead", "Bench Lead", policy=False)
        )
    ids = []
    with db.session() as s:
        for n in range(cases):
            person = m.Person(first_name="Bench", last_name=f"Person{n}", phone="+447700900001")
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference=f"BENCH-{n:03d}",
                area="B5",
                status="contacting",
                referred_at=now - timedelta(days=2),
                assigned_worker_id=lead.id,
            )
            s.add(case)
            s.flush()
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference=case.police_reference,
                    force="Bench Force",
                    incident_at=case.referred_at,
                    consent_at_scene="Y",
                )
            )
            for scope in SCENE_SCOPES:
                s.add(
                    m.ConsentEntry(
                        person_id=person.id,
                        case_id=case.id,
                        scope=scope,
                        state="given",
                        method="verbal_at_scene_via_police",
                        recorded_at=case.referred_at,
                    )
                )
            ids.append(case.id)
    return lead, ids


def simulated_user(
    url: str,
    lead: Actor,
    case_ids: list[int],
    start_at: float,
    seconds: float,
    think_ms: int,
    seed_value: int,
) -> dict:
    """One user's minute of work, in its own process; returns counts and save times."""
    rng = random.Random(seed_value)
    db = Database(url, make_engine(url))
    counts = {"saves": 0, "conflicts": 0, "busy": 0, "refusals": 0, "raw_errors": 0}
    raw_types: dict[str, int] = {}
    attempt_saves = dict.fromkeys(case_ids, 0)
    consent_saves = dict.fromkeys(case_ids, 0)
    times: list[float] = []
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    for _ in range(MAX_LOOPS):
        if time.monotonic() >= deadline:
            break
        case_id = rng.choice(case_ids)
        try:
            with db.session() as s:  # open the case: read what the user sees
                version = s.scalar(select(m.Case.version).where(m.Case.id == case_id))
        except Exception as exc:
            counts["raw_errors"] += 1
            raw_types[type(exc).__name__] = raw_types.get(type(exc).__name__, 0) + 1
            continue
        time.sleep(rng.uniform(0, think_ms / 1000))
        consent_save = rng.random() < 0.3
        started = time.perf_counter()
        try:
            with db.session() as s:
                if consent_save:
                    lifecycle.record_consent(
                        s, lead, case_id, "contact_sms", "given", "verbal_by_phone", version
                    )
                else:
                    lifecycle.record_contact_attempt(
                        s, lead, case_id, "phone", "no_answer", version
                    )
        except StaleEdit:
            counts["conflicts"] += 1
        except DatabaseBusy:
            counts["busy"] += 1
        except FollowupError:
            counts["refusals"] += 1
        except Exception as exc:
            counts["raw_errors"] += 1
            raw_types[type(exc).__name__] = raw_types.get(type(exc).__name__, 0) + 1
        else:
            counts["saves"] += 1
            (consent_saves if consent_save else attempt_saves)[case_id] += 1
        times.append(time.perf_counter() - started)
    db.dispose()
    return {
        "counts": counts,
        "raw_types": raw_types,
        "times": times,
        "attempt_saves": attempt_saves,
        "consent_saves": consent_saves,
    }


def lost_updates(
    db: Database, case_ids: list[int], attempts: dict[int, int], consents: dict[int, int]
) -> int:
    """How far the database is from what the users were told was saved (0 when exact)."""
    lost = 0
    with db.session() as s:
        for case_id in case_ids:
            case = s.get(m.Case, case_id)
            in_db = s.scalar(
                select(func.count())
                .select_from(m.ContactAttempt)
                .where(m.ContactAttempt.case_id == case_id)
            )
            entries = s.scalar(
                select(func.count())
                .select_from(m.ConsentEntry)
                .where(m.ConsentEntry.case_id == case_id)
            )
            saves = attempts[case_id] + consents[case_id]
            lost += abs(case.version - (1 + saves))
            lost += abs(in_db - attempts[case_id])
            lost += abs(entries - (len(SCENE_SCOPES) + consents[case_id]))
    return lost


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--think-ms", type=int, default=50)
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 100 and 1 <= args.cases <= 1000 and 0 < args.seconds <= 3600):
        parser.error("workers 1-100, cases 1-1000, seconds up to 3600")
    admin = admin_url()
    url, name = create_database(admin)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(url, create=True, backup_dir=Path(tmp))
        lead, case_ids = seed(db, args.cases)
        start_at = time.time() + 2.0  # every process starts working at the same moment
        ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(
                    simulated_user, url, lead, case_ids, start_at, args.seconds, args.think_ms, n
                )
                for n in range(args.workers)
            ]
            results = [f.result() for f in futures]
        counts = {k: sum(r["counts"][k] for r in results) for k in results[0]["counts"]}
        attempts = {c: sum(r["attempt_saves"][c] for r in results) for c in case_ids}
        consents = {c: sum(r["consent_saves"][c] for r in results) for c in case_ids}
        times = [t for r in results for t in r["times"]]
        raw_types: dict[str, int] = {}
        for r in results:
            for k, v in r["raw_types"].items():
                raw_types[k] = raw_types.get(k, 0) + v
        lost = lost_updates(db, case_ids, attempts, consents)
        db.dispose()
    finally:
        drop_database(admin, name)

    def line(figure: str, value: float, target: float | None) -> None:
        print(json.dumps({"name": figure, "median_s": value, "target_s": target}))

    line("concurrency_save_p95", round(percentile(times, 0.95), 4), SAVE_P95_TARGET_S)
    line("concurrency_save_median", round(statistics.median(times), 4) if times else 0.0, None)
    line("concurrency_saves", counts["saves"], None)
    line("concurrency_conflicts", counts["conflicts"], None)
    line("concurrency_busy", counts["busy"], None)
    line("concurrency_refusals", counts["refusals"], 0)
    line("concurrency_lost_updates", lost, 0)
    line("concurrency_raw_errors", counts["raw_errors"], 0)
    if raw_types:
        print(json.dumps({"raw_error_types": raw_types}), file=sys.stderr)
    return 1 if lost or counts["raw_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
