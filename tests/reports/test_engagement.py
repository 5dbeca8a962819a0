"""Team-lead figures on a small hand-built dataset, every answer worked out by hand below, on
SQLite and PostgreSQL: the funnel, rates, medians, breakdowns, snapshot figures, period
boundaries, a case with no attempts, a reopened case, drill-down, and the definitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from followup.casework import milestones
from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.reports.definitions import (
    FIGURES,
    Period,
    metrics_markdown,
    parse_day,
    period_from_args,
)
from followup.reports.engagement import cases_behind, engagement_report
from followup.uktime import uk_local_to_utc

MARCH = Period(date(2025, 3, 1), date(2025, 4, 1))
SPRING = Period.custom(date(2025, 3, 1), date(2025, 4, 30))
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=UTC)  # the moment of the overdue snapshot


def t(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0):
    """A UK wall-clock time (British Summer Time from 30 March 2025), stored as UTC: a period's
    days and months are UK ones, so C6 at 23:59:59.9 BST on 31 March (22:59:59.9 UTC) is in
    March and C7 at midnight BST on 1 April (23:00 UTC on 31 March) is not."""
    return uk_local_to_utc(datetime(2025, month, day, hour, minute, second, micro))


def build_dataset(db, team) -> dict[str, int]:
    """Eleven cases (C1..C11) for two workers and two areas over February to April 2025.

    | case | worker | area | received          | attempts (outcome)                     | reached             |
    |------|--------|------|-------------------|----------------------------------------|---------------------|
    | C1   | W1     | B5   | 01/03 00:00 edge  | +10 h no answer, +33 h spoke engaged   | in treatment        |
    | C2   | W1     | B5   | 03/03 12:00       | +72 h exactly no answer, +96 h text    | contacting, overdue |
    | C3   | W1     | B12  | 10/03 08:00       | +72 h 1 s spoke declined (late)        | closed declined     |
    | C4   | W2     | B12  | 15/03 09:00       | none                                   | new, overdue        |
    | C5   | W2     | B5   | 20/03 10:00       | +4 h spoke engaged; reopened, again    | engaged (twice)     |
    | C6   | -      | -    | 31/03 23:59:59.9  | none                                   | new, overdue        |
    | C7   | W1     | B5   | 01/04 00:00 edge  | +6 h spoke engaged                     | engaged             |
    | C8   | W2     | B12  | 28/02 23:59:59    | 01/03 09:00 spoke engaged              | engaged             |
    | C9   | W2     | B5   | 10/04 12:00       | +48 h no answer                        | contacting, overdue |
    | C10  | W1     | B12  | 12/03 12:00       | +1.5 h spoke engaged                   | closed in treatment |
    | C11  | W1     | B5   | 15/04 10:00       | none                                   | new, due later      |

    Repeat referrals: C3's person was referred before (C8, February); C2 got a second
    referral on 20/03 while open; C7's person was referred before (C10, March), and so was
    C11's (C4, March).
    Kits: C1 2 on 02/03, C5 1 on 31/03, C8 1 on 01/03, C7 1 on 01/04.
    """
    w1, w2, lead = team["worker1"].id, team["worker2"].id, team["lead"].id
    ids: dict[str, int] = {}
    with db.session() as s:
        service = m.Service(name="Test Treatment Service", service_type="treatment")
        s.add(service)
        people = {}
        for key, first, last, gender in (
            ("A", "Testy", "McTestface", "male"),
            ("B", "Tessa", "Testington", "female"),
            ("C", "Dummy", "Persona", "non_binary"),
            ("D", "Sample", "Exampleson", "male"),
            ("E", "Placeholder", "Pat", None),
            ("F", "Mock", "Mockford", "female"),
            ("G", None, None, None),
            ("H", "Fixture", "Fairweather", "not_known"),
        ):
            p = m.Person(
                first_name=first,
                last_name=last,
                gender=gender,
                description="white male, about 40, test jacket" if first is None else None,
                date_of_birth=date(1980, 1, 2),
                phone="+447700900" + str(100 + len(people)),
                nhs_number="999000000" + str(len(people)),
                postcode="B5 7RT",
            )
            s.add(p)
            people[key] = p
        s.flush()

        def case(name, person, worker, area, received, status, due=None, closure=None):
            c = m.Case(
                person_id=people[person].id,
                police_reference=f"TST-{name}",
                area=area,
                referred_at=received,
                assigned_worker_id=worker,
                status=status,
                next_action_due_at=due,
                closure_reason=closure,
                closed_at=received + timedelta(days=10) if closure else None,
            )
            s.add(c)
            s.flush()
            s.add(
                m.Referral(
                    case_id=c.id,
                    person_id=people[person].id,
                    police_reference=f"TST-{name}",
                    force="Test Force",
                    incident_at=received - timedelta(hours=1),
                    received_at=received,
                    substances="Heroin; Crack cocaine",
                )
            )
            s.add(
                m.CaseStatusChange(
                    case_id=c.id, from_status=None, to_status="new", changed_at=received
                )
            )
            ids[name] = c.id
            return c.id

        def steps(case_id, *changes):
            before = "new"
            for when, to in changes:
                s.add(
                    m.CaseStatusChange(
                        case_id=case_id,
                        from_status=before,
                        to_status=to,
                        changed_at=when,
                        changed_by_id=lead,
                    )
                )
                before = to

        def attempt(case_id, when, outcome, method="phone"):
            s.add(
                m.ContactAttempt(
                    case_id=case_id,
                    attempted_at=when,
                    method=method,
                    outcome=outcome,
                    worker_id=lead,
                )
            )

        c1 = case("C1", "D", w1, "B5", t(3, 1), "in_treatment")
        attempt(c1, t(3, 1, 10), "no_answer")
        attempt(c1, t(3, 2, 9), "spoke_engaged")
        steps(
            c1,
            (t(3, 1, 10), "contacting"),
            (t(3, 2, 9), "engaged"),
            (t(3, 5), "referred"),
            (t(3, 10), "in_treatment"),
        )
        s.add(
            m.TreatmentReferral(
                case_id=c1,
                service_id=service.id,
                referred_on=date(2025, 3, 5),
                treatment_started_on=date(2025, 3, 10),
            )
        )

        c2 = case("C2", "B", w1, "B5", t(3, 3, 12), "contacting", due=t(3, 10, 12))
        attempt(c2, t(3, 6, 12), "no_answer")
        attempt(c2, t(3, 7, 12), "message_sent", "sms")
        steps(c2, (t(3, 6, 12), "contacting"))
        s.add(
            m.Referral(
                case_id=c2,
                person_id=people["B"].id,
                police_reference="TST-C2b",
                force="Test Force",
                incident_at=t(3, 20, 8),
                received_at=t(3, 20, 9),
            )
        )

        c3 = case("C3", "A", w1, "B12", t(3, 10, 8), "closed", due=t(3, 11), closure="declined")
        attempt(c3, t(3, 13, 8, 0, 1), "spoke_declined")
        steps(c3, (t(3, 13, 8, 0, 1), "contacting"), (t(3, 14), "closed"))

        case("C4", "E", w2, "B12", t(3, 15, 9), "new", due=t(3, 18, 9))

        c5 = case("C5", "F", w2, "B5", t(3, 20, 10), "engaged")
        attempt(c5, t(3, 20, 14), "spoke_engaged")
        attempt(c5, t(4, 3, 10), "spoke_engaged")
        steps(
            c5,
            (t(3, 20, 14), "contacting"),
            (t(3, 20, 14), "engaged"),
            (t(3, 25), "closed"),
            (t(4, 2), "contacting"),
            (t(4, 3, 10), "engaged"),
        )

        case("C6", "G", None, None, t(3, 31, 23, 59, 59, 999999), "new", due=t(4, 3, 23, 59))

        c7 = case("C7", "C", w1, "B5", t(4, 1), "engaged")
        attempt(c7, t(4, 1, 6), "spoke_engaged")
        steps(c7, (t(4, 1, 6), "contacting"), (t(4, 1, 6), "engaged"))

        c8 = case("C8", "A", w2, "B12", t(2, 28, 23, 59, 59), "engaged")
        attempt(c8, t(3, 1, 9), "spoke_engaged")
        steps(c8, (t(3, 1, 9), "contacting"), (t(3, 1, 9), "engaged"))

        c9 = case("C9", "H", w2, "B5", t(4, 10, 12), "contacting", due=t(4, 13, 12))
        attempt(c9, t(4, 12, 12), "no_answer")
        steps(c9, (t(4, 12, 12), "contacting"))

        c10 = case("C10", "C", w1, "B12", t(3, 12, 12), "closed", closure="engaged_in_treatment")
        attempt(c10, t(3, 12, 13, 30), "spoke_engaged")
        steps(
            c10,
            (t(3, 12, 13, 30), "contacting"),
            (t(3, 12, 13, 30), "engaged"),
            (t(3, 14), "referred"),
            (t(3, 20), "in_treatment"),
            (t(3, 28), "closed"),
        )
        s.add(
            m.TreatmentReferral(
                case_id=c10,
                service_id=service.id,
                referred_on=date(2025, 3, 14),
                assessment_booked_for=t(3, 18, 10),
                assessment_attended=True,
                treatment_started_on=date(2025, 3, 20),
                exit_on=date(2025, 3, 28),
                exit_reason="treatment_completed_drug_free",
            )
        )

        case("C11", "E", w1, "B5", t(4, 15, 10), "new", due=t(4, 25, 10))

        for case_key, person, on, qty in (
            ("C1", "D", date(2025, 3, 2), 2),
            ("C5", "F", date(2025, 3, 31), 1),
            ("C8", "A", date(2025, 3, 1), 1),
            ("C7", "C", date(2025, 4, 1), 1),
        ):
            s.add(
                m.NaloxoneSupply(
                    case_id=ids[case_key],
                    person_id=people[person].id,
                    supplied_on=on,
                    kit_type="nasal",
                    quantity=qty,
                )
            )

        # Sharing with treatment: in force for D (C1) and C (C10, C7); withdrawn for F (C5);
        # expired for A (C3, C8); never asked for the rest.
        def consent(person, state, when, expires=None):
            s.add(
                m.ConsentEntry(
                    person_id=people[person].id,
                    scope="share_with_treatment",
                    state=state,
                    method="in_person",
                    recorded_at=when,
                    expires_on=expires,
                )
            )

        consent("D", "given", t(3, 4))
        consent("C", "given", t(3, 13))
        consent("F", "given", t(3, 21))
        consent("F", "withdrawn", t(3, 24))
        consent("A", "given", t(3, 11), expires=date(2025, 4, 1))
        # Rows written here directly, not through casework: their milestones from the facts.
        s.flush()
        milestones.backfill(s)
    return ids


@pytest.fixture
def data(database, team):
    return build_dataset(database, team)


def report(db, actor, period=MARCH, by=None):
    with db.session() as s:
        return engagement_report(s, actor, period, by=by, now=NOW)


def behind(db, actor, figure, group=None, period=MARCH):
    with db.session() as s:
        return cases_behind(s, actor, period, figure, group, now=NOW)


def test_march_figures_worked_out_by_hand(database, team, data):
    f = report(database, team["lead"]).totals
    # March cohort: C1 (00:00 on the 1st), C2, C3, C4, C5, C6 (23:59:59.9 on the 31st), C10.
    # Not C8 (a second before), not C7 (midnight 1 April): 7 cases.
    assert f.received == 7
    assert f.attempted == 5  # all but C4 and C6
    assert f.contacted == 4  # C1, C3 (declined still counts as contact), C5, C10
    assert f.engaged == 3  # C1, C5 (reopened, engaged twice: once), C10
    assert f.referred == 2 and f.in_treatment == 2  # C1, C10
    # In time (<= 72 h): C1 10 h, C2 exactly 72 h, C5 4 h, C10 1.5 h; C3 is 72 h 1 s.
    assert f.first_attempt_in_time == 4
    assert f.first_attempt_in_time_rate == pytest.approx(4 / 7)
    assert f.contact_rate == pytest.approx(4 / 7)
    assert f.engagement_rate == pytest.approx(3 / 7)
    assert f.treatment_entry_rate == pytest.approx(2 / 7)
    # First attempts: 1.5, 4, 10, 72, 72.0003 h -> median 10.
    assert f.median_hours_to_first_attempt == 10.0
    # First contacts: 1.5 (C10), 4 (C5), 33 (C1), 72.0003 (C3) -> (4 + 33) / 2.
    assert f.median_hours_to_first_contact == 18.5
    # Snapshot at NOW: open with a past due time: C2, C4, C6, C9 (not C3, closed; not C11).
    assert f.overdue == 4
    # Referrals received in March with an earlier one for the person: C3's, C2's second.
    assert f.repeat_overdoses == 2
    # Kits supplied in March: 2 (C1) + 1 (C5 on the 31st) + 1 (C8, a February case).
    assert f.naloxone_kits == 4


def test_by_worker(database, team, data):
    rows = {g.key: g for g in report(database, team["lead"], by="worker").groups["worker"]}
    w1, w2 = team["worker1"].id, team["worker2"].id
    assert [g.label for g in rows.values()] == ["Walt Worker", "Wendy Worker", "Unassigned"]
    a = rows[w1].figures  # C1, C2, C3, C10
    assert (a.received, a.attempted, a.contacted, a.engaged, a.referred, a.in_treatment) == (
        4,
        4,
        3,
        2,
        2,
        2,
    )
    assert a.first_attempt_in_time == 3  # C1, C2, C10
    assert a.median_hours_to_first_attempt == 41.0  # 1.5, 10, 72, 72.0003 -> (10 + 72) / 2
    assert a.median_hours_to_first_contact == 33.0  # 1.5, 33, 72.0003
    assert (a.overdue, a.repeat_overdoses, a.naloxone_kits) == (1, 2, 2)  # C2; C3 and C2b; C1
    b = rows[w2].figures  # C4, C5
    assert (b.received, b.attempted, b.contacted, b.engaged, b.referred, b.in_treatment) == (
        2,
        1,
        1,
        1,
        0,
        0,
    )
    assert b.first_attempt_in_time_rate == 0.5
    assert b.median_hours_to_first_attempt == 4.0 and b.median_hours_to_first_contact == 4.0
    assert (b.overdue, b.repeat_overdoses, b.naloxone_kits) == (2, 0, 2)  # C4, C9; C5 and C8 kits
    u = rows[None].figures  # C6
    assert (u.received, u.attempted, u.overdue) == (1, 0, 1)
    assert u.median_hours_to_first_attempt is None and u.contact_rate == 0.0


def test_by_area(database, team, data):
    rows = {g.key: g for g in report(database, team["lead"], by="area").groups["area"]}
    assert list(rows) == ["B12", "B5", None] and rows[None].label == "Unknown area"
    b5 = rows["B5"].figures  # C1, C2, C5
    assert (b5.received, b5.attempted, b5.contacted, b5.engaged, b5.referred, b5.in_treatment) == (
        3,
        3,
        2,
        2,
        1,
        1,
    )
    assert b5.first_attempt_in_time == 3
    assert b5.median_hours_to_first_attempt == 10.0  # 4, 10, 72
    assert b5.median_hours_to_first_contact == 18.5  # 4, 33
    assert (b5.overdue, b5.repeat_overdoses, b5.naloxone_kits) == (2, 1, 3)  # C2, C9; C2b; C1, C5
    b12 = rows["B12"].figures  # C3, C4, C10
    assert (b12.received, b12.attempted, b12.contacted, b12.engaged, b12.referred) == (
        3,
        2,
        2,
        1,
        1,
    )
    assert b12.first_attempt_in_time == 1  # C10 only
    # (259201 s + 5400 s) / 2 = 132300.5 s = 36.7501 h, shown to two decimals.
    assert b12.median_hours_to_first_attempt == 36.75
    assert (b12.overdue, b12.repeat_overdoses, b12.naloxone_kits) == (1, 1, 1)  # C4; C3; C8
    assert rows[None].figures.received == 1 and rows[None].figures.overdue == 1


def test_by_month_across_a_month_boundary(database, team, data):
    r = report(database, team["lead"], SPRING, by="month")
    months = r.groups["month"]
    assert [(g.key, g.label) for g in months] == [("2025-03", "Mar 2025"), ("2025-04", "Apr 2025")]
    mar, apr = months[0].figures, months[1].figures
    assert (mar.received, mar.engaged, mar.repeat_overdoses, mar.naloxone_kits) == (7, 3, 2, 4)
    assert mar.overdue is None  # a snapshot has no month
    # April: C7 (midnight on the 1st), C9, C11.
    assert (apr.received, apr.attempted, apr.contacted, apr.engaged, apr.referred) == (
        3,
        2,
        1,
        1,
        0,
    )
    assert apr.first_attempt_in_time == 2  # C7 6 h, C9 48 h
    assert apr.median_hours_to_first_attempt == 27.0 and apr.median_hours_to_first_contact == 6.0
    # Repeats: C7's person (C10 in March) and C11's person (C4 in March); C7's kit.
    assert (apr.repeat_overdoses, apr.naloxone_kits) == (2, 1)
    total = r.totals
    assert (total.received, total.attempted, total.contacted, total.engaged) == (10, 7, 5, 4)
    # 1.5, 4, 6, 10, 48, 72, 72.0003 -> 10; contacts 1.5, 4, 6, 33, 72.0003 -> 6.
    assert (
        total.median_hours_to_first_attempt == 10.0 and total.median_hours_to_first_contact == 6.0
    )
    assert (total.repeat_overdoses, total.naloxone_kits, total.overdue) == (4, 5, 4)


def test_february_holds_only_the_case_a_second_before_march(database, team, data):
    f = report(database, team["lead"], Period(date(2025, 2, 1), date(2025, 3, 1))).totals
    assert (f.received, f.attempted, f.contacted, f.engaged) == (1, 1, 1, 1)  # C8
    assert f.median_hours_to_first_attempt == 9.0  # 23:59:59 -> 09:00 is 9 h 1 s
    assert f.repeat_overdoses == 0 and f.naloxone_kits == 0


def test_empty_period_has_no_rates(database, team, data):
    r = report(
        database, team["lead"], Period(date(2024, 1, 1), date(2024, 2, 1)), by=("worker", "month")
    )
    assert r.totals.received == 0 and r.totals.contact_rate is None
    assert r.totals.median_hours_to_first_attempt is None
    assert [g.key for g in r.groups["month"]] == ["2024-01"]
    assert r.totals.overdue == 4  # the snapshot does not depend on the period


def test_drill_down_gives_exactly_the_cases_behind_a_figure(database, team, data):
    lead, c = team["lead"], data
    ids = lambda *names: sorted(c[n] for n in names)  # noqa: E731
    assert behind(database, lead, "received") == ids("C1", "C2", "C3", "C4", "C5", "C6", "C10")
    assert behind(database, lead, "attempted") == ids("C1", "C2", "C3", "C5", "C10")
    assert behind(database, lead, "first_attempt_in_time_rate") == ids("C1", "C2", "C5", "C10")
    assert behind(database, lead, "median_hours_to_first_contact") == ids("C1", "C3", "C5", "C10")
    assert behind(database, lead, "engaged", ("worker", team["worker1"].id)) == ids("C1", "C10")
    assert behind(database, lead, "contacted", ("area", "B12")) == ids("C3", "C10")
    assert behind(database, lead, "overdue", ("worker", None)) == ids("C6")
    assert behind(database, lead, "overdue", ("month", "2025-03")) == []
    assert behind(database, lead, "repeat_overdoses") == ids("C2", "C3")
    assert behind(database, lead, "naloxone_kits", ("area", "B5")) == ids("C1", "C5")
    assert behind(database, lead, "naloxone_kits") == ids("C1", "C5", "C8")
    assert behind(database, lead, "received", ("month", "2025-04"), SPRING) == ids(
        "C7", "C9", "C11"
    )
    assert behind(database, lead, "in_treatment", ("area", None)) == []


def test_every_count_matches_its_drill_down(database, team, data):
    lead = team["lead"]
    r = report(database, lead, SPRING, by=("worker", "area", "month"))
    counts = [k for k, d in FIGURES.items() if d.kind == "count" and k != "naloxone_kits"]
    slices = [(None, r.totals)] + [(g.group, g.figures) for rows in r.groups.values() for g in rows]
    for group, figures in slices:
        for key in counts:
            expected = figures.value(key)
            got = behind(database, lead, key, group, SPRING)
            if key == "repeat_overdoses":  # referrals; here no case has two repeats
                assert len(got) == expected, (key, group)
            else:
                assert len(got) == (expected or 0), (key, group)


def test_reports_need_the_lead_role(database, team, data):
    with pytest.raises(PermissionDenied, match="see team reports"):
        report(database, team["worker1"])
    with pytest.raises(PermissionDenied):
        behind(database, team["admin"], "received")


def test_unknown_figures_and_breakdowns_are_refused(database, team, data):
    with pytest.raises(FollowupError, match="no figure"):
        behind(database, team["lead"], "happiness")
    with pytest.raises(FollowupError, match="breakdown"):
        report(database, team["lead"], by="postcode")


def test_the_target_hours_setting_is_used(database, team, data):
    from followup.casework.team_rules import set_setting

    with database.session() as s:
        set_setting(s, "schedule.first_attempt_hours", "24")
    r = report(database, team["lead"])
    assert r.first_attempt_hours == 24
    assert r.totals.first_attempt_in_time == 3  # C1 10 h, C5 4 h, C10 1.5 h


def test_json_is_plain_and_complete(database, team, data):
    out = report(database, team["lead"], by="area").as_json()
    assert set(out["figures"]) == set(FIGURES)
    assert out["period"] == {
        "from": "2025-03-01",
        "to": "2025-03-31",
        "end_exclusive": "2025-04-01",
    }
    assert out["by"]["area"][0]["key"] == "B12"


# ------------------------------------------------------------------- periods and definitions


def test_periods():
    today = date(2026, 11, 25)
    assert Period.this_month(today) == Period(date(2026, 11, 1), date(2026, 11, 26))
    assert Period.last_month(today) == Period(date(2026, 10, 1), date(2026, 11, 1))
    assert Period.last_month(date(2026, 1, 5)) == Period(date(2025, 12, 1), date(2026, 1, 1))
    assert Period.this_quarter(today) == Period(date(2026, 10, 1), date(2026, 11, 26))
    assert Period.custom(date(2026, 1, 1), date(2026, 1, 1)).end == date(2026, 1, 2)
    assert SPRING.months() == ["2025-03", "2025-04"]
    assert period_from_args("01/03/2025", "2025-03-31", today) == MARCH
    assert period_from_args(None, None, today) == Period.this_month(today)
    assert parse_day(" 5/3/2025 ") == date(2025, 3, 5)
    for bad in ("2025-02-30", "3/5/25", "yesterday"):
        with pytest.raises(FollowupError, match="is not a date"):
            parse_day(bad)
    with pytest.raises(FollowupError, match="end"):
        Period.custom(date(2025, 3, 2), date(2025, 3, 1))


def test_docs_define_every_figure():
    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    for key, d in FIGURES.items():
        assert f"`{key}`" in doc, key
        assert d.numerator in doc, key
    # The generated table in the doc is the current one.
    assert metrics_markdown() in doc
    assert "national form, `07700 900123`" in doc  # how the CSV writes phones
