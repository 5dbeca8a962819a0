"""Sending letters to a CUPS print queue as the PDF itself, and knowing whether it was taken.

On Linux and macOS the PDF goes to CUPS unchanged (``lp -d QUEUE file.pdf``): the printer gets
text and vector drawing, a few kilobytes a page, instead of page images. Before sending, the
queue is asked (over IPP, the protocol CUPS speaks) whether it exists, accepts jobs and is
running; after sending, the job is watched until CUPS finishes it, cancels or aborts it, or
still holds it after ``settle_seconds`` (a job waiting its turn on a working printer has been
accepted). Any refusal raises ``PrintRefused`` with one sentence and cancels the job, so no
paper comes out later that the letters' records would not show.

Nothing here knows about letters' records: ``followup.letters.states`` records a print only
once ``send_to_cups`` returned. No personal data goes to the queue's job list: every job is
titled "Followup letters".
"""

from __future__ import annotations

import contextlib
import getpass
import http.client
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from followup.errors import FollowupError

__all__ = [
    "JOB_TITLE",
    "CupsJob",
    "JobState",
    "PrintRefused",
    "QueueState",
    "cups_destinations",
    "job_state",
    "printer_problem",
    "queue_state",
    "send_to_cups",
    "uses_cups",
]

JOB_TITLE = "Followup letters"
STILL_DUE = "nothing was printed and the letters are still due"
_TIMEOUT = 10.0
PROCESSING_GRACE = 2.0


class PrintRefused(FollowupError):
    """The print system did not take the job; the letters stay due."""


class JobState(IntEnum):
    """IPP job states (RFC 8011, 5.3.7)."""

    PENDING = 3
    HELD = 4
    PROCESSING = 5
    STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9


@dataclass(frozen=True)
class QueueState:
    """What CUPS says of a queue: None for ``exists`` False."""

    exists: bool
    accepting: bool = False
    stopped: bool = False
    message: str = ""


@dataclass(frozen=True)
class CupsJob:
    """A job CUPS accepted: its request id ("office-42") and the state it was last seen in."""

    queue: str
    job_id: int
    state: JobState

    @property
    def request_id(self) -> str:
        return f"{self.queue}-{self.job_id}"


def uses_cups() -> bool:
    """Whether printing goes through CUPS here (Linux, macOS) rather than Qt (Windows)."""
    return sys.platform != "win32" and shutil.which("lp") is not None


def _env() -> dict[str, str]:
    # The messages of lp and lpstat are read, so they must be in English.
    return {**os.environ, "LC_ALL": "C", "LANG": "C"}


# ------------------------------------------------------------------- IPP, just enough of it

_OPERATION, _END = 0x01, 0x03
_INTEGER, _BOOLEAN, _ENUM = 0x21, 0x22, 0x23
_TEXT, _NAME, _KEYWORD, _URI, _CHARSET, _LANGUAGE = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48
_GET_PRINTER_ATTRIBUTES, _GET_JOB_ATTRIBUTES, _CANCEL_JOB = 0x000B, 0x0009, 0x0008
_NOT_FOUND = 0x0406


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=_TIMEOUT)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(_TIMEOUT)
            sock.connect(self._path)
        except OSError:
            sock.close()  # never this connection's, so its close() would not close it
            raise
        self.sock = sock


def _connection() -> http.client.HTTPConnection:
    """A connection to the CUPS scheduler that ``lp`` uses: CUPS_SERVER, else the local one."""
    server = os.environ.get("CUPS_SERVER", "").strip()
    if server.startswith("/"):
        return _UnixConnection(server)
    if server:
        host, _, port = server.partition(":")
        return http.client.HTTPConnection(host, int(port or 631), timeout=_TIMEOUT)
    for path in ("/run/cups/cups.sock", "/var/run/cups/cups.sock", "/private/var/run/cupsd"):
        if Path(path).exists():
            return _UnixConnection(path)
    return http.client.HTTPConnection("localhost", 631, timeout=_TIMEOUT)


def _attribute(tag: int, name: str, value: bytes | str | int) -> bytes:
    if isinstance(value, int):
        raw = struct.pack(">i", value)
    else:
        raw = value.encode() if isinstance(value, str) else value
    encoded = name.encode()
    return struct.pack(">bH", tag, len(encoded)) + encoded + struct.pack(">H", len(raw)) + raw


def _ipp(operation: int, resource: str, attributes: bytes) -> tuple[int, dict[str, object]]:
    """Send one IPP request; returns (status code, the response's attributes by name)."""
    body = (
        struct.pack(">bbhi", 2, 0, operation, 1)
        + bytes([_OPERATION])
        + _attribute(_CHARSET, "attributes-charset", "utf-8")
        + _attribute(_LANGUAGE, "attributes-natural-language", "en")
        + attributes
        + _attribute(_NAME, "requesting-user-name", getpass.getuser())
        + bytes([_END])
    )
    connection = _connection()
    try:
        connection.request("POST", resource, body, {"Content-Type": "application/ipp"})
        response = connection.getresponse()
        data = response.read()
    except OSError as exc:
        raise PrintRefused(
            f"The print system (CUPS) could not be reached, so {STILL_DUE}; check that "
            "printing is set up on this computer."
        ) from exc
    finally:
        connection.close()
    if response.status != 200 or len(data) < 8:
        raise PrintRefused(
            f"The print system (CUPS) gave an answer Followup cannot read; {STILL_DUE}."
        )
    status = struct.unpack(">H", data[2:4])[0]
    found: dict[str, object] = {}
    at, name = 8, ""
    while at < len(data):
        tag = data[at]
        at += 1
        if tag <= 0x0F:  # a group starts (or the end)
            if tag == _END:
                break
            continue
        length = struct.unpack(">H", data[at : at + 2])[0]
        at += 2
        name = data[at : at + length].decode(errors="replace") or name  # empty: one more value
        at += length
        length = struct.unpack(">H", data[at : at + 2])[0]
        at += 2
        raw = data[at : at + length]
        at += length
        value: object
        if tag in (_INTEGER, _ENUM) and length == 4:
            value = struct.unpack(">i", raw)[0]
        elif tag == _BOOLEAN and length == 1:
            value = bool(raw[0])
        else:
            value = raw.decode(errors="replace")
        found.setdefault(name, value)  # the first value is enough for what is asked here
    return status, found


def _printer_uri(queue: str) -> str:
    return f"ipp://localhost/printers/{queue}"


def queue_state(queue: str) -> QueueState:
    """Whether ``queue`` exists, accepts jobs and is running, as CUPS says now."""
    status, found = _ipp(
        _GET_PRINTER_ATTRIBUTES,
        f"/printers/{queue}",
        _attribute(_URI, "printer-uri", _printer_uri(queue))
        + _attribute(_KEYWORD, "requested-attributes", "printer-state")
        + _attribute(_KEYWORD, "", "printer-is-accepting-jobs")
        + _attribute(_KEYWORD, "", "printer-state-message"),
    )
    if status == _NOT_FOUND or "printer-state" not in found:
        return QueueState(exists=False)
    return QueueState(
        exists=True,
        accepting=bool(found.get("printer-is-accepting-jobs", False)),
        stopped=found.get("printer-state") == 5,
        message=str(found.get("printer-state-message", "") or ""),
    )


def printer_problem(queue: str) -> str | None:
    """Why ``queue`` would not take a job now (one sentence), or None when it would."""
    state = queue_state(queue)
    if not state.exists:
        return f'There is no printer called "{queue}" any more, so {STILL_DUE}; choose another.'
    why = f" ({state.message})" if state.message else ""
    if not state.accepting:
        return f'The printer "{queue}" is refusing jobs{why}, so {STILL_DUE}.'
    if state.stopped:
        return f'The printer "{queue}" is stopped{why}, so {STILL_DUE}.'
    return None


def job_state(job_id: int) -> JobState | None:
    """The state of a job, or None when CUPS no longer knows it."""
    status, found = _ipp(
        _GET_JOB_ATTRIBUTES,
        "/jobs",
        _attribute(_URI, "job-uri", f"ipp://localhost/jobs/{job_id}")
        + _attribute(_KEYWORD, "requested-attributes", "job-state"),
    )
    value = found.get("job-state")
    if status == _NOT_FOUND or not isinstance(value, int):
        return None
    try:
        return JobState(value)
    except ValueError:
        return None


def _cancel(job_id: int) -> None:
    # The refusal being reported already says nothing was printed.
    with contextlib.suppress(PrintRefused):
        _ipp(_CANCEL_JOB, "/jobs", _attribute(_URI, "job-uri", f"ipp://localhost/jobs/{job_id}"))


# ------------------------------------------------------------------- queues and jobs


def cups_destinations() -> tuple[list[str], str | None]:
    """The print queues of this computer and the default one (``lpstat -e`` / ``-d``)."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return [], None

    def ask(option: str) -> str:
        return subprocess.run(
            [lpstat, option],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=_TIMEOUT,
            check=False,
        ).stdout

    try:
        names, default = ask("-e").split(), ask("-d")
    except (OSError, subprocess.SubprocessError):
        return [], None
    match = re.search(r"destination:\s*(\S+)", default)
    chosen = match.group(1) if match and match.group(1) in names else None
    return sorted(names), chosen


def _lp_refusal(queue: str, said: str) -> str:
    if "not accepting" in said:
        return f'The printer "{queue}" is refusing jobs, so {STILL_DUE}.'
    if "does not exist" in said or "nvalid destination" in said:
        return f'There is no printer called "{queue}" any more, so {STILL_DUE}; choose another.'
    if "connect" in said or "scheduler" in said:
        return (
            f"The print system (CUPS) could not be reached, so {STILL_DUE}; check that "
            "printing is set up on this computer."
        )
    return f'The printer "{queue}" did not take the job, so {STILL_DUE}.'


def send_to_cups(
    pdf: bytes,
    queue: str,
    *,
    copies: int = 1,
    settle_seconds: float = 15.0,
) -> CupsJob:
    """Send ``pdf`` to ``queue`` as it is; returns the job once CUPS has taken it.

    Raises ``PrintRefused`` (one sentence) when the queue is missing, stopped or refusing
    jobs, when ``lp`` fails, or when the job is cancelled, aborted or held; a job refused after
    it was sent is cancelled, so it never prints later. A job still queued after
    ``settle_seconds`` on a printer that is running has been accepted.
    """
    problem = printer_problem(queue)
    if problem:
        raise PrintRefused(problem)
    lp = shutil.which("lp")
    if lp is None:
        raise PrintRefused(f"This computer has no lp command to print with, so {STILL_DUE}.")
    handle, name = tempfile.mkstemp(prefix="followup-", suffix=".pdf")  # 0600: letters inside
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(pdf)
        command = [lp, "-d", queue, "-n", str(max(1, copies)), "-t", JOB_TITLE]
        command += ["-o", "media=A4", "-o", "fit-to-page=false", "--", name]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=_env(), timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PrintRefused(
                f'The printer "{queue}" did not take the job, so {STILL_DUE}.'
            ) from exc
    finally:
        Path(name).unlink(missing_ok=True)
    said = f"{done.stdout} {done.stderr}"
    match = re.search(r"request id is (\S+)-(\d+)", said)
    if done.returncode != 0 or match is None:
        raise PrintRefused(_lp_refusal(queue, said))
    job_id = int(match.group(2))
    return _settle(queue, job_id, settle_seconds)


def _settle(queue: str, job_id: int, settle_seconds: float) -> CupsJob:
    """Watch a job until it is done, refused, or taken by a printer that is running.

    A job being printed is watched for ``PROCESSING_GRACE`` seconds more, since a printer that
    cannot take it (gone from the network, out of order) cancels or aborts it at once; a job
    still waiting its turn after ``settle_seconds`` on a running printer counts as taken.
    """
    deadline = time.monotonic() + settle_seconds
    pause = 0.02
    while True:
        state = job_state(job_id)
        if state is None or state == JobState.COMPLETED:
            # CUPS forgets a finished job only when it keeps no history: it printed.
            return CupsJob(queue, job_id, JobState.COMPLETED)
        if state in (JobState.CANCELED, JobState.ABORTED):
            raise PrintRefused(f'The printer "{queue}" cancelled the job, so {STILL_DUE}.')
        if state == JobState.PROCESSING:
            deadline = min(deadline, time.monotonic() + PROCESSING_GRACE)
        if state in (JobState.HELD, JobState.STOPPED) or time.monotonic() >= deadline:
            problem = printer_problem(queue)
            if state in (JobState.HELD, JobState.STOPPED) or problem:
                _cancel(job_id)
                raise PrintRefused(
                    problem or f'The printer "{queue}" held the job back, so {STILL_DUE}.'
                )
            return CupsJob(queue, job_id, state)
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
