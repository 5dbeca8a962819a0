"""The log says what the app did, never who it was about."""

from __future__ import annotations

import logging

from followup.logs import configure_logging


def test_logged_exceptions_keep_their_type_but_not_their_message(app_paths):
    log_file = configure_logging(app_paths)
    log = logging.getLogger("followup.test")
    details = "Testy McTestface, NHS 999 000 0018, born 02/01/1980"
    try:
        raise ValueError(details)
    except ValueError:
        log.exception("Import of case %d failed", 42)
    for handler in logging.getLogger("followup").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Import of case 42 failed" in text
    assert "ValueError: <message withheld>" in text
    assert "McTestface" not in text
    assert "999 000 0018" not in text and "02/01/1980" not in text
