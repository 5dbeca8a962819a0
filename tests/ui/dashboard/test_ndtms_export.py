"""The dashboard's NDTMS export button: the file written is read back, and the cases left out
are listed in a dialog with their reasons (both backends)."""

from __future__ import annotations

import csv

from followup.ui.dashboard import exports
from followup.ui.dashboard.view import LAST_MONTH
from tests.reports.test_engagement import MARCH
from tests.reports.test_ndtms import build
from tests.ui.accessibility import unnamed_controls
from tests.ui.dashboard.test_view import WAIT, choose_period, loaded, make_dashboard  # noqa: F401


def test_the_ndtms_button_writes_the_extract_and_lists_what_was_left_out(
    ui_any_db,
    team,
    make_dashboard,  # noqa: F811 (the fixture imported above)
    qtbot,
    tmp_path,
    monkeypatch,
):
    ids = build(ui_any_db, team)
    view = make_dashboard(ui_any_db, team["lead"])
    choose_period(view, LAST_MONTH)
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)
    asked: list[str] = []

    def choose(parent, title, suggested, file_filter):
        asked.append(suggested)
        return tmp_path / suggested

    monkeypatch.setattr(exports, "choose_save_path", choose)
    view.export_buttons["ndtms_csv"].click()
    qtbot.waitUntil(lambda: view.exclusions_dialog is not None, timeout=WAIT)
    assert asked[0].startswith("followup-ndtms-cds-p_2025-03-01_to_2025-03-31_made-")
    assert view.message.text().startswith(
        "Wrote Followup NDTMS extract (NDTMS adult core dataset P)"
    )
    assert "(2 rows)" in view.message.text() and "3 cases left out" in view.message.text()

    with (tmp_path / asked[0]).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["CONSENT"], r["FINITIAL"], r["SINITIAL"], r["NALOXISS"]) for r in rows] == [
        ("Y", "T", "A", "Y"),
        ("N", "", "", ""),
    ]

    dialog = view.exclusions_dialog
    assert dialog.isVisible()
    assert dialog.reasons() == [
        f"Case {ids['young']}: under 18 on the referral date",
        f"Case {ids['unborn']}: the date of birth is not before the referral date",
        f"Case {ids['unasked']}: NDTMS consent not recorded",
    ]
    assert unnamed_controls(dialog) == []
    dialog.close()
