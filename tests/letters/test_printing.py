"""Printing through a real CUPS scheduler (cups-pdf queues from .ci/cups-setup): the PDF itself
reaches the queue, and a queue that refuses, is stopped or is gone, or a job that is cancelled,
is a refusal in one sentence."""

from __future__ import annotations

import time

import pytest

from followup.letters import printing
from followup.letters.batch import render_batch
from followup.letters.content import LetterRequest
from tests.letters.cups import cups_fixture  # noqa: F401 - fixture
from tests.letters.helpers import (  # noqa: F401 - fixtures
    add_case,
    letterhead_set_fixture,
    page_count,
    pdf_text,
)

STILL_DUE = "nothing was printed and the letters are still due"


@pytest.fixture
def batch_pdf(sqlite_database, team, letterhead_set) -> bytes:
    w = team["worker1"]
    with sqlite_database.session() as s:
        cases = [
            add_case(s, w.id, first=name, reference=f"P-{i}", with_treatment=False, gp=None)
            for i, name in enumerate(("Testprint", "Testsecond"))
        ]
    result = render_batch(
        sqlite_database, w, [LetterRequest(c, "unable_to_contact") for c in cases]
    )
    assert result.pdf is not None
    return result.pdf


@pytest.fixture
def database(sqlite_database):
    return sqlite_database  # the letterhead fixture asks for "database"


def test_the_pdf_itself_reaches_the_queue_as_text(cups, batch_pdf):
    job = printing.send_to_cups(batch_pdf, cups.accepting)
    # The running printer took it: printed already, or still printing when the grace for a
    # refusal ran out (cups-pdf is slow on a loaded machine). Its output is read once CUPS says
    # the job is done, so that a half-written file is never read.
    assert job.state in (printing.JobState.COMPLETED, printing.JobState.PROCESSING)
    assert job.request_id == f"{cups.accepting}-{job.job_id}"
    deadline = time.monotonic() + 60
    while printing.job_state(job.job_id) not in (None, printing.JobState.COMPLETED):
        assert time.monotonic() < deadline, f"job {job.job_id} still printing after 60 s"
        time.sleep(0.05)
    printed = cups.printed(job.job_id).read_bytes()
    # What came out has the letters' words as text (not page images), on the same pages.
    assert page_count(printed) == page_count(batch_pdf) == 4
    text = pdf_text(printed)
    assert "Dear Testprint" in text and "Dear Testsecond" in text


@pytest.mark.parametrize(
    ("queue", "said"),
    [
        ("rejecting", 'The printer "followup-rejecting" is refusing jobs'),
        ("stopped", 'The printer "followup-stopped" is stopped'),
        ("failing", 'The printer "followup-failing" cancelled the job'),
    ],
)
def test_a_refused_job_is_one_sentence(cups, batch_pdf, queue, said):
    with pytest.raises(printing.PrintRefused) as refused:
        printing.send_to_cups(batch_pdf, getattr(cups, queue))
    message = str(refused.value)
    assert message.startswith(said) and STILL_DUE in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert "Testprint" not in message


def test_a_printer_that_is_gone(cups, batch_pdf):
    with pytest.raises(printing.PrintRefused, match='no printer called "followup-gone"'):
        printing.send_to_cups(batch_pdf, "followup-gone")


def test_the_queues_are_listed(cups):
    names, _default = printing.cups_destinations()
    assert {cups.accepting, cups.rejecting, cups.stopped} <= set(names)
    assert printing.printer_problem(cups.accepting) is None
