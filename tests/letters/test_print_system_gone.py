"""No print system to reach: one sentence for the user, and nothing left open behind it."""

from __future__ import annotations

import gc
import warnings

import pytest

from followup.letters import printing


def test_a_missing_cups_socket_is_one_sentence_and_leaves_no_socket_open(tmp_path, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cupsd-here.sock"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(printing.PrintRefused, match=r"could not be reached") as refused:
            printing.queue_state("followup-pdf")
        del refused  # its traceback holds the failed connection's frame
        gc.collect()
    assert [w for w in seen if issubclass(w.category, ResourceWarning)] == []
