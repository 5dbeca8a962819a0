"""Printing speed: a 22-page batch of letters, from Print to a job the CUPS queue has taken.

Eleven one-page letters (each followed by its blank back: 22 pages) are made once from the
synthetic database of ``bench/letters.py``. Each run times ``send_to_cups`` to a cups-pdf queue
(``FOLLOWUP_BENCH_QUEUE``, default ``followup-pdf`` from ``.ci/cups-setup``): the queue check,
``lp`` with the PDF itself, and watching the job until CUPS has taken it. Before, the same
batch was drawn as 300-dpi page images, about 420 KB a page and 25 s of rendering.
Prints one JSON object: ``{"name": "print_batch_22_pages", "median_s": ..., "target_s": 3}``,
with the PDF's size per page.

    .venv/bin/python bench/printing.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from followup.accounts import actor_of
from followup.db import models as m
from followup.db.migrate import open_database
from followup.letters import printing
from followup.letters.batch import letters_due, render_batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from letters import build  # the synthetic database of bench/letters.py

TARGET_S = 3.0
PAGES = 22


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    queue = os.environ.get("FOLLOWUP_BENCH_QUEUE", "followup-pdf")
    try:
        problem = printing.printer_problem(queue) if printing.uses_cups() else "no CUPS here"
    except printing.PrintRefused as exc:
        problem = str(exc)
    if problem:
        sys.stderr.write(f"bench/printing.py needs a CUPS queue (run .ci/cups-setup): {problem}\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="followup-bench-printing-") as folder:
        path = Path(folder) / "letters.sqlite"
        build(path)
        db = open_database(f"sqlite:///{path}", migrate=False)
        try:
            with db.session() as s:
                lead = actor_of(s.query(m.User).filter_by(username="lead").one())
                due = [
                    d
                    for d in letters_due(s, lead, with_problems=False)
                    if d.template == "unable_to_contact"
                ][: PAGES // 2]
            batch = render_batch(db, lead, due)
        finally:
            db.dispose()
    if batch.pdf is None or batch.pages != PAGES:
        sys.stderr.write(f"expected a batch of {PAGES} pages, made {batch.pages}\n")
        return 1
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        printing.send_to_cups(batch.pdf, queue, settle_seconds=TARGET_S)
        times.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "name": "print_batch_22_pages",
                "median_s": round(statistics.median(times), 3),
                "target_s": TARGET_S,
                "runs": [round(t, 3) for t in times],
                "kb_per_page": round(len(batch.pdf) / batch.pages / 1024, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
