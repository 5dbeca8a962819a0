"""Property tests: intake never crashes on any file; it imports or quarantines every row.

Arbitrary bytes may only ever end in a plain ``FollowupError`` or a summary. CSV-shaped text
with the real column names and random cells must account for every data row: imported, a
duplicate, or rejected. SQLite only, with modest example counts.
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.errors import FollowupError
from followup.intake.importer import import_file
from tests.intake.helpers import HEADER, NOW, nhs

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_plausible = {
    "police_reference": st.sampled_from(["", "TST-1", "TST-2", "tst-3", "x" * 70]),
    "incident_datetime": st.sampled_from(
        ["", "20/11/2026 10:00", "2026-11-20T10:00:00Z", "31/02/2026 10:00", "01/01/26 10:00",
         "01/01/2030 10:00"]
    ),
    "first_name": st.sampled_from(["", "Testy", "Zoë", "O'Brien"]),
    "date_of_birth": st.sampled_from(["", "01/02/1980", "1/2/80", "1980-02-01"]),
    "nhs_number": st.sampled_from(["", nhs(1), "0000000000", "123"]),
    "phone": st.sampled_from(["", "07700 900123", "+1 202 555 0123"]),
    "naloxone_doses": st.sampled_from(["", "0", "10", "11", "two"]),
}  # fmt: skip
_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


def _cell(name: str) -> st.SearchStrategy[str]:
    plausible = _plausible.get(name)
    return st.one_of(plausible, _cell_text) if plausible is not None else _cell_text


_rows = st.lists(st.tuples(*[_cell(name) for name in HEADER]), max_size=12)


def _check(summary, data_rows: int | None = None) -> None:
    assert summary.rows_read == summary.imported + summary.duplicates + summary.rejected_rows
    assert summary.quarantined == summary.rejected_rows
    assert summary.linked_repeat + summary.needs_review <= summary.imported
    if data_rows is not None:
        assert summary.rows_read == data_rows


@SETTINGS
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".json", ".dat"]))
def test_arbitrary_bytes_never_crash(sqlite_database, team, tmp_path, content, suffix):
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    try:
        summary = import_file(sqlite_database, team["worker1"], path, now=NOW)
    except FollowupError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    _check(summary)


@SETTINGS
@given(rows=_rows, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_csv_shaped_text_accounts_for_every_row(sqlite_database, team, tmp_path, rows, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    text = buffer.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path / "shaped.csv"
    path.write_bytes(data)
    summary = import_file(sqlite_database, team["worker1"], path, now=NOW)
    _check(summary, sum(1 for r in rows if any(c.strip() for c in r)))


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["0", "+44", "0044", "+44 (0)", "44", ""]),
    digits=st.text(alphabet="0123456789 -.", min_size=6, max_size=14),
)
def test_quick_phone_check_agrees_with_the_full_one(prefix, digits):
    from followup.validation import normalise_phone, normalise_phone_quick

    assert normalise_phone_quick(prefix + digits) == normalise_phone(prefix + digits)
