"""Shared helpers for the intake tests: synthetic rows, files and valid test NHS numbers.

People are obviously synthetic: Testy McTestface and friends, NHS numbers from the 999 range
with a valid check digit, phone numbers from Ofcom's drama range.
"""

from __future__ import annotations

import csv
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followup.intake.read import KNOWN_FIELDS

# A fixed "now" for every import in the tests: 25 November 2026, midday UTC.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HEADER = list(KNOWN_FIELDS)
_refs = itertools.count(1)


def nhs(n: int) -> str:
    """The n-th valid NHS number of the 999 test range (mod-11 check digit; 10 skipped)."""
    found = 0
    for body in itertools.count(999000000):
        digits = str(body)
        total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
        check = 11 - total % 11
        if check == 10:
            continue
        if found == n:
            return digits + str(0 if check == 11 else check)
        found += 1
    raise AssertionError("unreachable")


def row(**fields: Any) -> dict[str, str]:
    """A valid referral row; keyword arguments override or add columns."""
    base = {
        "police_reference": f"TST-{next(_refs):06d}",
        "force": "Test Constabulary",
        "incident_datetime": "20/11/2026 14:30",
        "first_name": "Testy",
        "last_name": "McTestface",
        "date_of_birth": "01/02/1980",
        "officer_id": "1234",
        "officer_name": "PC Example",
        "station": "Testville",
    }
    base.update({k: "" if v is None else str(v) for k, v in fields.items()})
    return base


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8",
    header: list[str] | None = None,
) -> Path:
    names = header or list(dict.fromkeys(HEADER + [k for r in rows for k in r]))
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for r in rows:
            writer.writerow([r.get(_plain(n), r.get(n, "")) for n in names])
    return path


def _plain(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path
