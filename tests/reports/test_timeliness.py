"""Timeliness in buckets on the hand-worked dataset of ``timeliness_data`` (every answer in its
table), on SQLite and PostgreSQL: bucket edges to the second, not yet, by worker, area and UK
weekday across the start of BST, a worker's own cases only, drill-down, the definitions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.reports.definitions import TIMELINESS_FIGURES, Period, metrics_markdown, tooltip
from followup.reports.timeliness import (
    BUCKETS,
    MEASURES,
    figure_key,
    timeliness_cases,
    timeliness_report,
    uk_offsets,
)
from tests.reports.timeliness_data import MARCH_2026, NOW, build_timeliness

#            under 24h, 24-48h, 48-72h, 3-7d, 7d+, not yet
TEAM_ATTEMPT = (2, 2, 1, 2, 1, 2)  # A1 A10 | A2 A3 | A4 | A5 A6 | A7 | A8 A9
TEAM_CONTACT = (1, 1, 1, 2, 1, 4)  # A10 | A1 | A3 | A4 A5 | A6 | A2 A7 A8 A9


@pytest.fixture
def data(database, team):
    return build_timeliness(database, team)


def report(db, actor, by=None, period=MARCH_2026):
    with db.session() as s:
        return timeliness_report(s, actor, period, by=by, now=NOW)


def cases(db, actor, measure, bucket, group=None, period=MARCH_2026):
    with db.session() as s:
        return timeliness_cases(s, actor, period, measure, bucket, group)


def test_team_buckets_and_their_exact_edges(database, team, data):
    r = report(database, team["lead"])
    # X1 (a second before March) and X2 (midnight 1 April) are not in the cohort.
    assert r.totals.received == 10
    assert r.totals.attempt == TEAM_ATTEMPT
    assert r.totals.contact == TEAM_CONTACT
    lead = team["lead"]

    def ids(*names):
        return sorted(data[n] for n in names)

    # 23:59:59 is under 24 h; exactly 24 h is 24-48 h; 71 h 59 min is 48-72 h; exactly 72 h
    # is 3-7 days; 6 days 23 h too; exactly 7 days is 7 days or more.
    assert cases(database, lead, "attempt", "under_24h") == ids("A1", "A10")
    assert cases(database, lead, "attempt", "24_48h") == ids("A2", "A3")
    assert cases(database, lead, "attempt", "48_72h") == ids("A4")
    assert cases(database, lead, "attempt", "3_7d") == ids("A5", "A6")
    assert cases(database, lead, "attempt", "7d_plus") == ids("A7")
    assert cases(database, lead, "attempt", "not_yet") == ids("A8", "A9")
    assert cases(database, lead, "contact", "48_72h") == ids("A3")
    assert cases(database, lead, "contact", "3_7d") == ids("A4", "A5")
    assert cases(database, lead, "contact", "7d_plus") == ids("A6")
    assert cases(database, lead, "contact", "not_yet") == ids("A2", "A7", "A8", "A9")


def test_by_worker_and_area(database, team, data):
    r = report(database, team["lead"], by=("worker", "area"))
    w1, w2 = team["worker1"].id, team["worker2"].id
    workers = {g.key: g for g in r.groups["worker"]}
    assert [g.label for g in r.groups["worker"]] == ["Walt Worker", "Wendy Worker", "Unassigned"]
    assert workers[w1].attempt == (2, 1, 0, 1, 1, 0)  # A1 A10 | A2 | - | A5 | A7
    assert workers[w1].contact == (1, 1, 0, 1, 0, 2)  # A10 | A1 | - | A5 | - | A2 A7
    assert workers[w2].attempt == (0, 1, 1, 1, 0, 1)  # A3 | A4 | A6 | A9
    assert workers[w2].contact == (0, 0, 1, 1, 1, 1)  # A3 | A4 | A6 | A9
    assert workers[None].attempt == (0, 0, 0, 0, 0, 1)  # A8
    areas = {g.key: g for g in r.groups["area"]}
    assert [g.label for g in r.groups["area"]] == ["B5", "ZZ99", "Unknown area"]
    assert areas["B5"].attempt == (2, 1, 1, 1, 1, 0)  # A1 A10 | A2 | A4 | A6 | A7
    assert areas["ZZ99"].attempt == (0, 1, 0, 1, 0, 1)  # A3 | A5 | A9
    for rows in r.groups.values():  # the rows add up to the team
        for i in range(len(BUCKETS)):
            assert sum(g.attempt[i] for g in rows) == TEAM_ATTEMPT[i]
            assert sum(g.contact[i] for g in rows) == TEAM_CONTACT[i]


def test_by_weekday_is_the_uk_day_across_the_start_of_summer_time(database, team, data):
    r = report(database, team["lead"], by="weekday")
    days = {g.label: g for g in r.groups["weekday"]}
    assert list(days) == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    received = {d: g.received for d, g in days.items()}
    # A9 (Sunday 23:30 UTC, Monday 00:30 BST) is Monday; A10 (Monday 30/03 23:30 UTC) is
    # Tuesday in the UK; A8 (Sunday 00:30 UTC, still GMT) is Sunday.
    assert received == {
        "Monday": 2,  # A1, A9
        "Tuesday": 2,  # A2, A10
        "Wednesday": 1,  # A3
        "Thursday": 1,
        "Friday": 1,
        "Saturday": 2,  # A6, A7 (23:30 GMT)
        "Sunday": 1,  # A8
    }
    assert days["Monday"].attempt == (1, 0, 0, 0, 0, 1)  # A1 under 24 h, A9 not yet
    lead = team["lead"]
    assert cases(database, lead, "attempt", "not_yet", ("weekday", 1)) == [data["A9"]]
    assert cases(database, lead, "attempt", "not_yet", ("weekday", 7)) == [data["A8"]]
    assert cases(database, lead, "contact", "under_24h", ("weekday", 2)) == [data["A10"]]


def test_weekday_in_a_period_without_a_clock_change_and_in_autumn(database, team, data):
    # Only A10 in this one-day period (the UK's 31 March, in BST all along): Tuesday.
    r = report(database, team["lead"], "weekday", Period(date(2026, 3, 31), date(2026, 4, 1)))
    assert {g.label: g.received for g in r.groups["weekday"] if g.received} == {"Tuesday": 1}
    assert uk_offsets(Period(date(2026, 6, 1), date(2026, 7, 1))) == [(None, 3600)]
    assert uk_offsets(Period(date(2026, 10, 1), date(2026, 11, 1))) == [
        (None, 3600),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 0),
    ]


def test_a_worker_sees_only_their_own_cases(database, team, data):
    w1 = team["worker1"]
    r = report(database, w1, by=("worker", "area", "weekday"))
    assert r.own_cases_only and r.totals.label == "Your cases"
    assert r.totals.received == 5  # A1, A2, A5, A7, A10
    assert r.totals.attempt == (2, 1, 0, 1, 1, 0)
    assert [g.key for g in r.groups["worker"]] == [w1.id]
    assert sum(g.received for g in r.groups["area"]) == 5
    assert cases(database, w1, "attempt", "not_yet") == []  # A8, A9 are not theirs
    assert cases(database, w1, "attempt", "under_24h") == sorted([data["A1"], data["A10"]])
    assert not report(database, team["lead"]).own_cases_only
    with pytest.raises(PermissionDenied):
        report(database, team["admin"])


def test_reports_are_audited_without_personal_data(database, team, data):
    report(database, team["worker2"], by="weekday")
    with database.session() as s:
        events = [
            json.loads(e.details)
            for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity == "report"))
        ]
    assert events[-1]["report"] == "timeliness"
    assert events[-1]["cases"] == 4 and events[-1]["own_cases_only"] is True
    assert "Timely" not in json.dumps(events)


def test_bad_choices_are_refused(database, team, data):
    with pytest.raises(FollowupError, match="Timeliness is by"):
        report(database, team["lead"], by="month")
    with pytest.raises(FollowupError, match="no timeliness figure"):
        cases(database, team["lead"], "attempt", "soon")


def test_json_and_definitions(database, team, data):
    out = json.loads(json.dumps(report(database, team["lead"], by="area").as_json()))
    assert out["totals"]["first_attempt"]["not_yet"] == 2
    assert out["totals"]["first_contact"]["7d_plus"] == 1
    assert list(out["buckets"]) == list(BUCKETS)
    assert out["by"]["area"][0]["key"] == "B5"
    for measure in MEASURES:
        for bucket in BUCKETS:
            key = figure_key(measure, bucket)
            assert f"`{key}`" in metrics_markdown()
            assert tooltip(key).startswith("Time to first")
    assert len(TIMELINESS_FIGURES) == 12


def test_the_counts_read_a_range_of_the_cohort_index(sqlite_database, team):
    """The period costs its own cases: SQLite reads ``ix_case_file_report_cohort`` alone,
    by a range of referral times, for the team and for a worker."""
    from sqlalchemy import event

    build_timeliness(sqlite_database, team)
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, params, context, executemany):
        if "count(*)" in statement and "case_file" in statement:
            seen.append((statement, params))

    event.listen(sqlite_database.engine, "before_cursor_execute", keep)
    try:
        for actor in (team["lead"], team["worker1"]):
            report(sqlite_database, actor, by=("worker", "area", "weekday"))
    finally:
        event.remove(sqlite_database.engine, "before_cursor_execute", keep)
    assert len(seen) == 2
    for statement, params in seen:
        with sqlite_database.engine.connect() as conn:
            plan = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            )
        assert (
            "COVERING INDEX ix_case_file_report_cohort (referred_at>? AND referred_at<?)" in plan
        ), plan
        assert "SCAN case_file" not in plan, plan


def test_the_tables_workbook_holds_both_timeliness_tables(database, team, data, tmp_path):
    import openpyxl

    from followup.reports.exports import export_tables_xlsx

    with database.session() as s:
        export_tables_xlsx(s, team["lead"], tmp_path / "tables.xlsx", MARCH_2026, now=NOW)
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    for name, team_counts in (
        ("Time to first attempt", TEAM_ATTEMPT),
        ("Time to first contact", TEAM_CONTACT),
    ):
        rows = [[c.value for c in row] for row in book[name].iter_rows()]
        assert rows[0] == [
            "By",
            "Row",
            "Referrals received",
            "Under 24 h",
            "24–48 h",
            "48–72 h",
            "3–7 days",
            "7 days or more",
            "Not yet",
        ]
        assert rows[-1] == ["Whole team", "Whole team", 10, *team_counts]
        monday = next(r for r in rows if r[:2] == ["Weekday received (UK)", "Monday"])
        assert monday[2] == 2  # A1 and A9 (Monday 00:30 BST)
        assert {r[0] for r in rows[1:-1]} == {"Worker", "Area", "Weekday received (UK)"}
        assert all(isinstance(v, int) for r in rows[1:] for v in r[2:])
