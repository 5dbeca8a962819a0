"""The team lead's dashboard through the real background path, on the hand-built dataset of
tests/test_reports.py: the numbers shown are the service's, the period changes them, a click
lists exactly the cases behind a number, tooltips are the definitions, exports are audited."""

from __future__ import annotations

import csv
import json
from datetime import date

import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from followup.db import models as m
from followup.reports.definitions import FIGURES, FUNNEL, Period, tooltip
from followup.reports.engagement import cases_behind, engagement_report
from followup.ui.dashboard import exports
from followup.ui.dashboard.figures import figure_text
from followup.ui.dashboard.tables import FIGURE_COLUMNS
from followup.ui.dashboard.view import CUSTOM, LAST_MONTH, THIS_MONTH, DashboardView
from followup.ui.shell.main_window import MainWindow
from tests.reports.test_engagement import MARCH, SPRING, build_dataset

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well
TODAY = date(2025, 4, 20)  # "this month" is April 2025, "last month" March
APRIL_SO_FAR = Period(date(2025, 4, 1), date(2025, 4, 21))
BY = ("worker", "area", "month")


@pytest.fixture
def make_dashboard(qtbot):
    def make(db, actor):
        opened: list[int] = []
        view = DashboardView(db, actor, opened.append, today=lambda: TODAY)
        view.opened = opened
        qtbot.addWidget(view)
        view.resize(1400, 900)
        view.show()
        qtbot.waitUntil(lambda: loaded(view), timeout=WAIT)
        return view

    return make


def loaded(view: DashboardView, period: Period | None = None) -> bool:
    return (
        not view.loading
        and view.report is not None
        and (period is None or view.report.period == period)
    )


def service_report(db, actor, view: DashboardView):
    """The same service, asked directly, for the period and moment the dashboard shows."""
    with db.session() as s:
        return engagement_report(s, actor, view.report.period, by=BY, now=view.report.made_at)


def behind(db, actor, view: DashboardView, figure, group=None) -> list[int]:
    with db.session() as s:
        return cases_behind(s, actor, view.report.period, figure, group, now=view.report.made_at)


def funnel_shown(view: DashboardView) -> dict[str, int]:
    """The funnel bars as drawn (the chart lists the stages bottom to top)."""
    bars = view.funnel.chart().series()[0].barSets()[0]
    keys = view.funnel._keys
    return {keys[i]: int(bars.at(i)) for i in range(bars.count())}


def drilled(view: DashboardView) -> bool:
    drill = view.drill_view
    return (
        view.pages.currentWidget() is drill
        and drill.model.total is not None
        and not drill.model.loading
    )


def listed_ids(view: DashboardView) -> list[int]:
    model = view.drill_view.model
    return sorted(model.case_id(r) for r in range(model.rowCount()))


def choose_period(view: DashboardView, text: str) -> None:
    view.period_choice.setCurrentIndex(view.period_choice.findText(text))


def test_figures_are_the_services_and_change_with_the_period(ui_db, team, make_dashboard, qtbot):
    build_dataset(ui_db, team)
    lead = team["lead"]
    view = make_dashboard(ui_db, lead)
    assert view.period_choice.currentText() == THIS_MONTH
    assert view.report.period == APRIL_SO_FAR
    assert funnel_shown(view)["received"] == 3  # C7, C9, C11

    choose_period(view, LAST_MONTH)
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)
    expected = service_report(ui_db, lead, view)
    assert view.report.as_json() == expected.as_json()  # every number, by worker, area, month
    assert funnel_shown(view) == {key: count for key, _, count in expected.funnel()}
    assert funnel_shown(view) == {
        "received": 7,
        "attempted": 5,
        "contacted": 4,
        "engaged": 3,
        "engaged_network": 0,  # nobody reached only through family or friends
        "referred": 2,
        "in_treatment": 2,
    }
    assert view.tiles["engagement_rate"].value.text() == "43%"  # 3 of 7
    assert view.tiles["engagement_rate"].note.text() == "3 of 7 cases"
    assert view.tiles["median_hours_to_first_contact"].value.text() == "18.5 h"
    assert view.tiles["naloxone_kits"].value.text() == "4"
    assert view.heading.text() == "Referrals received 1 March 2025 to 31 March 2025"
    workers = view.worker_model
    assert [workers.row(r).label for r in range(workers.rowCount())] == [
        "Walt Worker",
        "Wendy Worker",
        "Unassigned",
        "Whole team",
    ]
    for r, group in enumerate(expected.groups["worker"]):
        for c, key in enumerate(FIGURE_COLUMNS, start=1):
            shown = workers.data(workers.index(r, c))
            assert shown == figure_text(key, group.figures.value(key))

    # A custom range, chosen as a user would: the combo, then the two dates.
    choose_period(view, CUSTOM)
    assert view.first_day.isVisible() and view.last_day.isVisible()
    view.first_day.setDate(SPRING.start)
    view.last_day.setDate(SPRING.last_day)
    qtbot.waitUntil(lambda: loaded(view, SPRING), timeout=WAIT)
    assert funnel_shown(view)["received"] == 10 and funnel_shown(view)["engaged"] == 4
    assert view.report.as_json() == service_report(ui_db, lead, view).as_json()
    assert [m.label for m in view.trend._months] == ["Mar 2025", "Apr 2025"]

    # The dates the wrong way round: a sentence, and the figures on screen stay.
    view.last_day.setDate(date(2025, 2, 1))
    qtbot.waitUntil(lambda: view.message.isVisible(), timeout=WAIT)
    assert "must end on or after" in view.message.text()
    assert view.report.period == SPRING


def test_clicking_a_funnel_bar_lists_exactly_the_cases_behind_it(
    ui_db, team, make_dashboard, qtbot
):
    build_dataset(ui_db, team)
    lead = team["lead"]
    view = make_dashboard(ui_db, lead)
    choose_period(view, LAST_MONTH)
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)

    qtbot.mouseClick(
        view.funnel.viewport(), Qt.MouseButton.LeftButton, pos=view.funnel.bar_point("engaged")
    )
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    expected = behind(ui_db, lead, view, "engaged")
    assert len(expected) == view.report.totals.engaged == 3
    assert listed_ids(view) == expected
    drill = view.drill_view
    assert drill.model.total == 3 and drill.count_label.text() == "3 cases"
    assert drill.title.text() == "Cases behind: Engaged — Whole team — 01/03/2025 to 31/03/2025"
    assert drill.title.toolTip() == tooltip("engaged")

    # Opening a case from the list hands its id upwards, as the caseload does.
    drill.table.setCurrentIndex(drill.model.index(0, 0))
    drill.open_current()
    assert view.opened == [drill.model.case_id(0)]

    drill.back_button.click()
    assert view.pages.currentWidget() is view.board


def test_a_worker_row_a_cell_a_month_and_a_tile_drill_down(ui_db, team, make_dashboard, qtbot):
    build_dataset(ui_db, team)
    lead, w1 = team["lead"], team["worker1"].id
    view = make_dashboard(ui_db, lead)
    view.choose_custom(SPRING.start, SPRING.last_day)
    qtbot.waitUntil(lambda: loaded(view, SPRING), timeout=WAIT)

    # Double-click a worker's name: the referrals received for that worker.
    table, model = view.worker_table, view.worker_model
    row = next(r for r in range(model.rowCount()) if model.row(r).group == ("worker", w1))
    cell = table.visualRect(model.index(row, 0)).center()
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    expected = behind(ui_db, lead, view, "received", ("worker", w1))
    assert listed_ids(view) == expected
    assert view.drill_view.model.total == len(expected) == model.row(row).figures.received
    assert "— Wendy Worker —" in view.drill_view.title.text()
    view.show_board()

    # The engagement cell of the same row: the engaged cases behind the rate.
    column = 1 + FIGURE_COLUMNS.index("engagement_rate")
    table.setCurrentIndex(model.index(row, column))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: drilled(view) and "Engagement" in view.drill_view.title.text(), timeout=WAIT
    )
    expected = behind(ui_db, lead, view, "engagement_rate", ("worker", w1))
    assert listed_ids(view) == expected
    assert len(expected) == model.row(row).figures.engaged
    view.show_board()

    # April's "received" bar in the monthly trend.
    qtbot.mouseClick(
        view.trend.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.trend.bar_point("2025-04", "received"),
    )
    qtbot.waitUntil(
        lambda: drilled(view) and "Apr 2025" in view.drill_view.title.text(), timeout=WAIT
    )
    assert listed_ids(view) == behind(ui_db, lead, view, "received", ("month", "2025-04"))
    assert view.drill_view.model.total == 3  # C7, C9, C11
    view.show_board()

    # The overdue tile: a snapshot, counted at the moment the figures were made.
    tile = view.tiles["overdue"]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(
        lambda: drilled(view) and "Overdue now" in view.drill_view.title.text(), timeout=WAIT
    )
    assert listed_ids(view) == behind(ui_db, lead, view, "overdue")
    assert view.drill_view.model.total == view.report.totals.overdue


def test_every_figure_shows_its_written_definition(ui_db, team, make_dashboard):
    view = make_dashboard(ui_db, team["lead"])
    for key, tile in view.tiles.items():
        assert tile.toolTip() == tooltip(key) == FIGURES[key].text
    for model in (view.worker_model, view.area_model):
        for column, key in enumerate(FIGURE_COLUMNS, start=1):
            assert model.headerData(
                column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
            ) == tooltip(key)
    # Every figure is on screen; "first attempt in time" as the count under its rate.
    shown = set(view.tiles) | set(FUNNEL) | set(FIGURE_COLUMNS)
    assert shown | {"first_attempt_in_time"} == set(FIGURES)


def export_events(db) -> list[dict]:
    with db.session() as s:
        return [
            json.loads(e.details)
            for e in s.scalars(
                select(m.AuditEvent)
                .where(m.AuditEvent.action == "export")
                .order_by(m.AuditEvent.id)
            )
        ]


def test_exports_write_files_named_for_the_period_and_are_audited(
    ui_db, team, make_dashboard, qtbot, tmp_path, monkeypatch
):
    build_dataset(ui_db, team)
    view = make_dashboard(ui_db, team["lead"])
    choose_period(view, LAST_MONTH)
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)
    asked: list[str] = []
    folder = tmp_path / "exports"
    folder.mkdir()

    def choose(parent, title, suggested, file_filter):
        asked.append(suggested)
        return folder  # a folder: the suggested name is used inside it

    monkeypatch.setattr(exports, "choose_save_path", choose)
    for kind, rows in (
        ("cases_xlsx", 7),
        ("tables_xlsx", 7),
        ("commissioner_pdf", 7),
        ("ndtms_csv", None),
    ):
        view.export_buttons[kind].click()
        qtbot.waitUntil(
            lambda k=kind: (
                view.export_buttons[k].isEnabled() and view.message.text().startswith("Wrote")
            ),
            timeout=WAIT,
        )
        assert "for 01/03/2025 to 31/03/2025" in view.message.text()
        assert asked[-1].startswith(
            {
                "cases_xlsx": "followup-cases_2025-03-01_to_2025-03-31_made-",
                "tables_xlsx": "followup-dashboard-tables_2025-03-01_to_2025-03-31_made-",
                "commissioner_pdf": "followup-commissioner-summary_2025-03-01_to_2025-03-31_made-",
                "ndtms_csv": "followup-ndtms-cds-p_2025-03-01_to_2025-03-31_made-",
            }[kind]
        )
        event = export_events(ui_db)[-1]
        assert event["kind"] == kind and event["period"] == "2025-03-01_to_2025-03-31"
        if rows is not None:
            assert event["rows"] == rows
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 4 and {f.rpartition(".")[2] for f in files} == {"xlsx", "pdf", "csv"}

    # The case list as CSV for other programs: the file type chosen in the dialog decides.
    monkeypatch.setattr(exports, "choose_save_path", lambda *a: folder / "for-pandas.csv")
    view.export_buttons["cases_xlsx"].click()
    qtbot.waitUntil(lambda: (folder / "for-pandas.csv").exists(), timeout=WAIT)
    qtbot.waitUntil(lambda: view.export_buttons["cases_xlsx"].isEnabled(), timeout=WAIT)
    assert export_events(ui_db)[-1]["kind"] == "cases_csv"
    assert (folder / "for-pandas.csv").read_text(encoding="utf-8-sig").startswith("case_id,")

    # A folder that is not there: the service's sentence, and nothing written or audited.
    monkeypatch.setattr(exports, "choose_save_path", lambda *a: tmp_path / "missing" / "cases.csv")
    view.export_buttons["cases_xlsx"].click()
    qtbot.waitUntil(lambda: "There is no folder" in view.message.text(), timeout=WAIT)
    assert view.export_buttons["cases_xlsx"].isEnabled()
    assert len(export_events(ui_db)) == 5

    # A cancelled dialog does nothing.
    monkeypatch.setattr(exports, "choose_save_path", lambda *a: None)
    view.export_buttons["ndtms_csv"].click()
    assert len(export_events(ui_db)) == 5


def test_exporting_a_drill_down_writes_exactly_its_cases(
    ui_db, team, make_dashboard, qtbot, tmp_path, monkeypatch
):
    build_dataset(ui_db, team)
    lead = team["lead"]
    view = make_dashboard(ui_db, lead)
    choose_period(view, LAST_MONTH)
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)
    view.drill_down("naloxone_kits")  # includes C8, a February case with a March kit
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    expected = behind(ui_db, lead, view, "naloxone_kits")
    assert listed_ids(view) == expected and len(expected) == 3

    target = tmp_path / "kits.csv"
    monkeypatch.setattr(exports, "choose_save_path", lambda *a: target)
    view.drill_view.export_button.click()
    qtbot.waitUntil(lambda: view.drill_view.message.text().startswith("Wrote"), timeout=WAIT)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0][0] == "case_id"  # the header first: no comment line above it
    assert sorted(int(r[0]) for r in lines[1:]) == expected
    assert export_events(ui_db)[-1]["rows"] == 3

    # The same cases as an Excel workbook, the case numbers as numbers.
    workbook = tmp_path / "kits.xlsx"
    monkeypatch.setattr(exports, "choose_save_path", lambda *a: workbook)
    view.drill_view.export_button.click()
    qtbot.waitUntil(lambda: workbook.exists(), timeout=WAIT)
    qtbot.waitUntil(lambda: view.drill_view.export_button.isEnabled(), timeout=WAIT)
    sheet = openpyxl.load_workbook(workbook, read_only=True)["Cases"]
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == expected
    assert export_events(ui_db)[-1] == {
        "kind": "cases_xlsx",
        "period": "all",  # kits can be for cases received before the period
        "rows": 3,
    }


def test_only_leads_get_the_dashboard(ui_db, team, qtbot):
    lead = MainWindow(ui_db, team["lead"])
    qtbot.addWidget(lead)
    assert isinstance(lead.views["Dashboard"], DashboardView)
    worker = MainWindow(ui_db, team["worker1"])
    qtbot.addWidget(worker)
    assert "Dashboard" not in worker.views
    assert worker.findChild(DashboardView) is None


def test_dashboard_and_drill_down_on_each_backend(ui_any_db, team, make_dashboard, qtbot):
    build_dataset(ui_any_db, team)
    lead = team["lead"]
    view = make_dashboard(ui_any_db, lead)
    view.choose_custom(SPRING.start, SPRING.last_day)
    qtbot.waitUntil(lambda: loaded(view, SPRING), timeout=WAIT)
    assert view.report.as_json() == service_report(ui_any_db, lead, view).as_json()
    assert view.tiles["median_hours_to_first_attempt"].value.text() == figure_text(
        "median_hours_to_first_attempt", view.report.totals.median_hours_to_first_attempt
    )

    qtbot.mouseClick(view.tiles["contact_rate"], Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    expected = behind(ui_any_db, lead, view, "contact_rate")
    assert listed_ids(view) == expected
    assert view.drill_view.model.total == view.report.totals.contacted == 5


def test_a_name_typed_without_a_type_gets_the_type_chosen(monkeypatch, tmp_path, qtbot):
    """In the save dialog a lead types "march" and picks CSV or Excel: the file gets that type."""
    for chosen, suffix in (
        ("Excel workbooks (*.xlsx)", ".xlsx"),
        ("CSV files for other programs (*.csv)", ".csv"),
    ):
        monkeypatch.setattr(
            exports.QFileDialog,
            "getSaveFileName",
            lambda *a, c=chosen: (str(tmp_path / "march"), c),
        )
        path = exports.choose_save_path(None, "Export", "x.xlsx", exports.CASES_FILTER)
        assert path == tmp_path / f"march{suffix}"
    monkeypatch.setattr(exports.QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    assert exports.choose_save_path(None, "Export", "x.xlsx", exports.CASES_FILTER) is None
