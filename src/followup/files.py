"""Writing files a person takes away: whole or not at all, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from followup.errors import FollowupError

__all__ = ["CSV_ENCODING", "FORMULA_STARTS", "safe_cell", "write_atomically", "write_safe_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_ENCODING = "utf-8-sig"  # with a byte-order mark, so Excel reads UTF-8 correctly


def safe_cell(value: Any) -> str:
    """A value as spreadsheet-safe text: formula-like starts are prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_atomically(
    target: Path, write: Callable[[IO[Any]], object], *, binary: bool = False
) -> None:
    """Write through a temporary file in the same folder, so a failure leaves no half file."""
    fd, tmp = tempfile.mkstemp(prefix=".followup-export-", dir=target.parent)
    try:
        if binary:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
        else:
            with os.fdopen(fd, "w", encoding=CSV_ENCODING, newline="") as fh:
                write(fh)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FollowupError(f"Cannot write {target} ({exc.strerror}); check the folder.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_safe_csv(
    target: Path, about: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write the about line, the header and the rows, every cell made safe; returns the rows."""
    count = 0

    def write(fh: Any) -> None:
        nonlocal count
        out = csv.writer(fh)
        out.writerow([about])
        out.writerow(header)
        for row in rows:
            out.writerow([safe_cell(v) for v in row])
            count += 1

    write_atomically(target, write)
    return count
