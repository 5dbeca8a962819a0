"""A rotating log of what the app did, never who it was about.

Log lines are written by our own code with identifiers only (case 42, user 3). Exceptions are
logged with their type and stack frames but not their message, since a message can quote the
data that caused it.
"""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path
from types import TracebackType

from followup.settings import AppPaths

__all__ = ["LOG_FORMAT", "NoMessageTracebackFormatter", "configure_logging"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class NoMessageTracebackFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo) -> str:
        exc_type, exc, tb = ei
        frames = "".join(traceback.format_tb(tb))
        chain: list[str] = []
        cause = exc.__cause__ or exc.__context__ if exc is not None else None
        while cause is not None and len(chain) < 5:
            chain.append(type(cause).__name__)
            cause = cause.__cause__ or cause.__context__
        caused = f" (after {', '.join(chain)})" if chain else ""
        name = exc_type.__name__ if exc_type else "Exception"
        return f"Traceback (most recent call last):\n{frames}{name}: <message withheld>{caused}"


_configured: Path | None = None
# The handler this module added, so that configuring again replaces it and no other.
_handler: logging.Handler | None = None


def configure_logging(paths: AppPaths | None = None, level: int = logging.INFO) -> Path | None:
    """Send log records to followup.log in the user's log folder (rotating, 5 x 1 MB)."""
    global _configured, _handler
    paths = paths or AppPaths.default()
    log_file = paths.log_dir / "followup.log"
    if _configured == log_file:
        return log_file
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None  # no log folder is no reason to refuse to work
    handler.setFormatter(NoMessageTracebackFormatter(LOG_FORMAT))
    root = logging.getLogger("followup")
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = handler
    root.addHandler(handler)
    root.setLevel(level)
    _configured = log_file
    return log_file
