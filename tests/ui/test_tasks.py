"""Background work: failures arrive as exceptions, stale answers are dropped, and a hidden view
waits until it is shown before it reads again."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QWidget

from followup.errors import StaleEdit
from followup.ui.tasks import (
    UNEXPECTED,
    LatestOnly,
    RefreshWhenShown,
    SyncTaskRunner,
    TaskRunner,
    message_to,
    plain_message,
    refresher,
    wait_for_tasks,
)

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


def _conflict() -> None:
    raise StaleEdit("Someone else changed this case; reload it to see what changed.")


def _broken() -> None:
    raise KeyError("a detail that is not for the user")


def test_a_failure_reaches_the_ui_thread_as_the_exception(qtbot):
    runner = TaskRunner()
    failures: list[BaseException] = []
    runner.run(_conflict, lambda _value: None, failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert isinstance(failures[0], StaleEdit)
    assert not runner.busy


def test_the_sentence_shown_for_a_failure_hides_unexpected_details():
    shown: list[str] = []
    runner = SyncTaskRunner()
    runner.run(_conflict, lambda _value: None, message_to(shown.append))
    runner.run(_broken, lambda _value: None, message_to(shown.append))
    assert shown == [
        "Someone else changed this case; reload it to see what changed.",
        UNEXPECTED.format(name="KeyError"),
    ]
    assert plain_message(KeyError("x")) == shown[1]


def test_only_the_answer_to_the_latest_request_is_delivered():
    answers = LatestOnly()
    got: list[str] = []
    first = answers.ticket()
    second = answers.ticket()
    deliver_first, deliver_second = first.only(got.append), second.only(got.append)
    deliver_second("new")
    deliver_first("old")  # arrives late: dropped
    assert got == ["new"]
    assert answers.current == second and second.latest and not first.latest
    answers.current.only(got.append)("more of the same request")
    assert got == ["new", "more of the same request"]


def test_a_hidden_view_refreshes_when_it_is_next_shown(qtbot):
    view = QWidget()
    qtbot.addWidget(view)
    calls: list[int] = []
    when_shown = RefreshWhenShown(view, lambda: calls.append(1))
    assert refresher(view) is when_shown
    when_shown.request()  # hidden: only marked
    assert calls == [] and when_shown.dirty
    view.show()
    qtbot.waitUntil(lambda: calls == [1], timeout=WAIT)
    assert not when_shown.dirty
    view.hide()
    view.show()  # nothing changed meanwhile: no second read
    assert calls == [1]
    when_shown.request()  # on screen: at once
    assert calls == [1, 1]


def test_a_view_shown_again_reads_again_with_every_show(qtbot):
    view = QWidget()
    qtbot.addWidget(view)
    calls: list[int] = []
    RefreshWhenShown(view, lambda: calls.append(1), every_show=True)
    view.show()
    view.hide()
    view.show()
    assert calls == [1, 1]


def test_views_closed_while_their_reads_finish_get_no_answer_and_do_not_crash(qtbot):
    """A view closed while its background read runs: the read finishes, and its answer goes
    nowhere. Here, five times over, 100 views are deleted on the UI thread while their reads
    finish on the pool (a worker that signalled through the view's own runner raced that
    deletion, and the app died of a segmentation fault about one time in six)."""
    answers: list[int] = []
    for _round in range(5):
        release = threading.Event()
        views = []
        for n in range(100):
            view = QWidget()
            TaskRunner(view).run(
                lambda n=n, release=release: release.wait(WAIT / 1000) and n, answers.append
            )
            views.append(view)
        release.set()
        for view in views:
            shiboken6.delete(view)
        assert wait_for_tasks(WAIT)

    # A view still open gets its answer, which comes after every earlier one: none came.
    view = QWidget()
    TaskRunner(view).run(lambda: 7, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=WAIT)
    assert answers == [7]
    shiboken6.delete(view)
