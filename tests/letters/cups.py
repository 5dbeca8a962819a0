"""A real CUPS scheduler for the printing tests (no tests here): the queues .ci/cups-setup adds.

``cups`` names the queues and the folder cups-pdf writes each job to. When the scheduler is
not running with those queues, the fixture runs .ci/cups-setup if it can (as root, with CUPS
installed); otherwise the tests that need it are skipped with the reason, or fail when
``FOLLOWUP_REQUIRE_CUPS=1`` (CI sets it, as it sets ``FOLLOWUP_REQUIRE_PG``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from followup.letters import printing

SETUP = Path(__file__).resolve().parents[2] / ".ci" / "cups-setup"
OUT = Path(os.environ.get("FOLLOWUP_CUPS_OUT", "/var/spool/cups-pdf/followup"))


@dataclass(frozen=True)
class Cups:
    """The test queues, and where cups-pdf puts what was printed."""

    accepting: str = "followup-pdf"
    rejecting: str = "followup-rejecting"
    stopped: str = "followup-stopped"
    failing: str = "followup-failing"  # its backend cancels every job
    out: Path = OUT

    def printed(self, job_id: int, timeout: float = 15.0) -> Path:
        """The PDF file cups-pdf wrote for a job (it is written before the job completes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(self.out.glob(f"*job_{job_id}.pdf"))
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"cups-pdf wrote no file for job {job_id}")


def _ready(cups: Cups) -> bool:
    try:
        return (
            printing.printer_problem(cups.accepting) is None
            and printing.queue_state(cups.stopped).stopped
            and not printing.queue_state(cups.rejecting).accepting
            and printing.queue_state(cups.failing).exists
        )
    except printing.PrintRefused:
        return False


def _why_not() -> str | None:
    """None when the queues are ready (after running the set-up if it can); else why not."""
    if sys.platform == "win32":
        return "CUPS printing is for Linux and macOS; Windows prints through Qt"
    cups = Cups()
    if _ready(cups):
        return None
    if shutil.which("cupsd") is None and not Path("/usr/sbin/cupsd").exists():
        return "CUPS is not installed: run .ci/cups-setup as root (it installs cups and cups-pdf)"
    if os.geteuid() != 0:
        return "cupsd is not running with the test queues: run .ci/cups-setup as root"
    done = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not _ready(cups):
        return f"cupsd could not be started by .ci/cups-setup: {done.stderr.strip()[-300:]}"
    return None


@pytest.fixture(name="cups", scope="session")
def cups_fixture() -> Cups:
    why = _why_not()
    if why and os.environ.get("FOLLOWUP_REQUIRE_CUPS") == "1":
        pytest.fail(f"FOLLOWUP_REQUIRE_CUPS is set, but {why}")
    if why:
        pytest.skip(why)
    return Cups()
