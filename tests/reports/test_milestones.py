"""Case milestones: the report read from them gives the figures of the per-case definitions,
every casework writer keeps them right in its own transaction (attempts, status steps,
corrections, merges and their undo, the retention purge), and `followup check` finds a
corrupted one and repairs it; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from followup import vocab
from followup.accounts import actor_of
from followup.casework import corrections, lifecycle, milestones, treatment
from followup.db import models as m
from followup.demo.populate import populate
from followup.intake import merging
from followup.protection import purge
from followup.reports.definitions import FUNNEL, Period
from followup.reports.engagement import cases_behind, engagement_report

DEMO_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ENGAGED = {"engaged", "referred", "in_treatment"}
REFERRED = {"referred", "in_treatment"}


# ------------------------------------------------------------ the figures, by definition


def _facts(s) -> dict[int, dict]:
    """Every case's facts as the definitions in reports/definitions.py read them."""
    cases: dict[int, dict] = {}
    for c in s.scalars(select(m.Case)):
        cases[c.id] = {
            "worker": c.assigned_worker_id,
            "area": c.area,
            "received": c.referred_at,
            "month": c.referred_at.strftime("%Y-%m"),
            "closure": c.closure_reason,
            "attempts": [],
            "contacts": [],
            "statuses": set(),
        }
    for a in s.scalars(select(m.ContactAttempt).where(m.ContactAttempt.voided_at.is_(None))):
        cases[a.case_id]["attempts"].append(a.attempted_at)
        if a.outcome in vocab.CONTACT_MADE_OUTCOMES:
            cases[a.case_id]["contacts"].append(a.attempted_at)
    for ch in s.scalars(select(m.CaseStatusChange)):
        cases[ch.case_id]["statuses"].add(ch.to_status)
    return cases


def _by_definition(cases: dict[int, dict], period: Period, by: str | None, limit_s: int):
    """{group key: {figure: value}} worked out case by case from the facts."""
    groups: dict = defaultdict(lambda: defaultdict(list))
    for case_id, f in cases.items():
        if not (period.start_at <= f["received"] < period.end_at):
            continue
        key = None if by is None else f[by]
        g = groups[key]
        g["received"].append(case_id)
        if f["attempts"]:
            secs = round((min(f["attempts"]) - f["received"]).total_seconds())
            g["attempted"].append(case_id)
            g["to_attempt"].append(secs)
            if secs <= limit_s:
                g["first_attempt_in_time"].append(case_id)
        if f["contacts"]:
            g["contacted"].append(case_id)
            g["to_contact"].append(round((min(f["contacts"]) - f["received"]).total_seconds()))
        if f["statuses"] & ENGAGED or f["closure"] == "engaged_in_treatment":
            g["engaged"].append(case_id)
        if f["statuses"] & REFERRED:
            g["referred"].append(case_id)
        if "in_treatment" in f["statuses"]:
            g["in_treatment"].append(case_id)
    return groups


def _median_hours(values: list[int]) -> float | None:
    return round(statistics.median(values) / 3600, 2) if values else None


def _assert_figures_match(figures, expected) -> None:
    for key in (*FUNNEL, "first_attempt_in_time"):
        assert figures.value(key) == len(expected[key]), key
    assert figures.median_hours_to_first_attempt == _median_hours(expected["to_attempt"])
    assert figures.median_hours_to_first_contact == _median_hours(expected["to_contact"])


@pytest.fixture
def demo(database):
    """A varied synthetic team (the demo generator), with about one attempt in seven then
    marked entered in error and some cases closed as engaged in treatment written directly,
    and the milestones set from those facts as the migration sets them."""
    populate(database, cases=400, seed=7, now=DEMO_NOW)
    rng = random.Random(3)
    with database.session() as s:
        ids = list(s.scalars(select(m.ContactAttempt.id)))
        void = rng.sample(ids, len(ids) // 7)
        s.execute(
            update(m.ContactAttempt)
            .where(m.ContactAttempt.id.in_(void))
            .values(voided_at=DEMO_NOW, void_reason="test: entered in error")
        )
        open_ids = list(s.scalars(select(m.Case.id).where(m.Case.status != "closed")))
        s.execute(
            update(m.Case)
            .where(m.Case.id.in_(rng.sample(open_ids, 12)))
            .values(next_action_due_at=DEMO_NOW - timedelta(hours=5))
        )
        milestones.backfill(s)
        lead = actor_of(s.scalars(select(m.User).where(m.User.username == "lead")).one())
    return lead


def test_report_from_milestones_equals_the_per_case_definitions(database, demo):
    lead = demo
    periods = [
        Period(date(2025, 11, 1), date(2026, 11, 26)),  # 12 months
        Period(date(2026, 10, 1), date(2026, 11, 1)),  # one month
    ]
    with database.session() as s:
        facts = _facts(s)
        limit_s = 72 * 3600
        for period in periods:
            report = engagement_report(s, lead, period, by=("worker", "area", "month"))
            want = _by_definition(facts, period, None, limit_s)[None]
            assert report.totals.received > 20  # the period holds cases of every kind
            assert 0 < report.totals.engaged < report.totals.received
            _assert_figures_match(report.totals, want)
            for by in ("worker", "area", "month"):
                groups = _by_definition(facts, period, by, limit_s)
                for row in report.groups[by]:
                    _assert_figures_match(row.figures, groups.get(row.key, defaultdict(list)))
            # Drill-down gives exactly the cases of each funnel figure.
            for figure in (*FUNNEL, "first_attempt_in_time"):
                assert cases_behind(s, lead, period, figure) == sorted(want[figure]), figure
        # Overdue now: open cases whose next attempt was due before the moment of the report.
        overdue = [
            c.id
            for c in s.scalars(select(m.Case))
            if c.status != "closed"
            and c.next_action_due_at is not None
            and c.next_action_due_at < DEMO_NOW
        ]
        assert overdue
        report = engagement_report(s, lead, periods[1], now=DEMO_NOW)
        assert report.totals.overdue == len(overdue)
        assert cases_behind(s, lead, periods[1], "overdue", now=DEMO_NOW) == sorted(overdue)
        assert milestones.compare_sample(s, 1000).ok


def test_the_demo_leaves_every_milestone_right(database):
    populate(database, cases=150, seed=2, now=DEMO_NOW)
    with database.session() as s:
        check = milestones.compare_sample(s, 1000)
        reached = s.scalar(select(m.Case.id).where(m.Case.in_treatment_at.is_not(None)).limit(1))
    assert check.checked == 150 and check.ok, check.describe()
    assert reached is not None


# ------------------------------------------------------------------- the casework writers

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def worked(database, team):
    """A contacting case of worker1 received 10 days ago, consent to phone and to sharing with
    treatment given, and a treatment service."""
    with database.session() as s:
        person = m.Person(first_name="Testy", last_name="Milestone", phone="+447700900321")
        s.add(person)
        s.flush()
        c = m.Case(
            person_id=person.id,
            police_reference="TST-MS1",
            area="B5",
            referred_at=NOW - timedelta(days=10),
            assigned_worker_id=team["worker1"].id,
            status="contacting",
        )
        s.add(c)
        s.flush()
        s.add(
            m.Referral(
                case_id=c.id,
                person_id=person.id,
                police_reference="TST-MS1",
                force="Test Force",
                incident_at=c.referred_at,
                received_at=c.referred_at,
            )
        )
        for scope in ("contact_phone", "share_with_treatment"):
            s.add(
                m.ConsentEntry(
                    person_id=person.id,
                    case_id=c.id,
                    scope=scope,
                    state="given",
                    method="verbal_at_scene_via_police",
                    source="PC Test (1234)",
                    recorded_at=c.referred_at,
                )
            )
        s.add(m.Service(name="Test Treatment Service", service_type="treatment"))
        return c.id


def stored(db, case_id) -> dict:
    with db.session() as s:
        c = s.get(m.Case, case_id)
        values = {k: getattr(c, k) for k in milestones.MILESTONES}
        # What is stored is what the facts give, in the same committed state.
        assert milestones.compare_sample(s, case_ids=[case_id]).ok
    return values


def log(db, actor, case_id, outcome, days_ago):
    with db.session() as s:
        return lifecycle.record_contact_attempt(
            s, actor, case_id, "phone", outcome, None, when=NOW - timedelta(days=days_ago)
        ).id


def test_casework_keeps_milestones_right_through_attempts_steps_and_corrections(
    database, team, worked
):
    w, lead = team["worker1"], team["lead"]
    assert set(stored(database, worked).values()) == {None}

    first = log(database, w, worked, "no_answer", 9)
    ms = stored(database, worked)
    assert ms["first_attempt_at"] == NOW - timedelta(days=9)
    assert (ms["first_contact_at"], ms["engaged_at"]) == (None, None)

    spoke = log(database, w, worked, "spoke_engaged", 8)  # moves the case to Engaged
    ms = stored(database, worked)
    assert ms["first_contact_at"] == NOW - timedelta(days=8)
    assert ms["engaged_at"] is not None and ms["treatment_referred_at"] is None

    # The first attempt entered in error: the first attempt is now the contact.
    with database.session() as s:
        corrections.mark_entered_in_error(s, lead, worked, None, "attempt", first, "wrong case")
    assert stored(database, worked)["first_attempt_at"] == NOW - timedelta(days=8)

    # The contact amended to a day later and to "no answer": no contact any more.
    with database.session() as s:
        corrections.amend(
            s,
            lead,
            worked,
            None,
            "attempt",
            spoke,
            "wrong day and outcome",
            {"attempted_at": NOW - timedelta(days=7), "outcome": "no_answer"},
        )
    ms = stored(database, worked)
    assert ms["first_attempt_at"] == NOW - timedelta(days=7)
    assert ms["first_contact_at"] is None
    assert ms["engaged_at"] is not None  # it was Engaged: the status history keeps that

    with database.session() as s:
        service_id = s.scalar(select(m.Service.id))
        tr = treatment.refer_to_treatment(
            s, w, worked, service_id, NOW.date() - timedelta(days=2), None
        )
        tr_id = tr.id
    ms = stored(database, worked)
    assert ms["treatment_referred_at"] is not None and ms["in_treatment_at"] is None
    with database.session() as s:
        treatment.update_treatment(
            s, w, tr_id, None, treatment_started_on=NOW.date(), treatment_version=None
        )
    reached = stored(database, worked)
    assert reached["in_treatment_at"] is not None

    # Closing and reopening add no milestone and take none away.
    with database.session() as s:
        lifecycle.close_case(
            s, w, worked, "engaged_in_treatment", None, no_contact_reason="no_response_to_attempts"
        )
    with database.session() as s:
        lifecycle.reopen_case(s, w, worked, None, "asked for help again")
    assert stored(database, worked) == reached


def test_merging_and_undoing_a_merge_keep_milestones_right(database, team):
    w, lead = team["worker1"], team["lead"]
    with database.session() as s:
        known = m.Person(
            first_name="Testy",
            last_name="Merger",
            date_of_birth=date(1980, 1, 2),
            phone="+447700900322",
        )
        incoming = m.Person(first_name="Testie", last_name="Merger", date_of_birth=date(1980, 1, 2))
        s.add_all([known, incoming])
        s.flush()
        cases = {}
        for key, person, status, worker, hours in (
            ("open", known, "contacting", w.id, 200),
            ("new", incoming, "new", None, 2),
        ):
            c = m.Case(
                person_id=person.id,
                status=status,
                police_reference=f"TST-M{key}",
                referred_at=NOW - timedelta(hours=hours),
                area="B5",
                assigned_worker_id=worker,
            )
            s.add(c)
            s.flush()
            referral = m.Referral(
                case_id=c.id,
                person_id=person.id,
                police_reference=f"TST-M{key}",
                force="Test Force",
                incident_at=c.referred_at,
                received_at=c.referred_at,
            )
            s.add(referral)
            s.add(m.CaseStatusChange(case_id=c.id, to_status="new", changed_at=c.referred_at))
            s.add(
                m.ConsentEntry(
                    person_id=person.id,
                    case_id=c.id,
                    scope="contact_phone",
                    state="given",
                    method="verbal_at_scene_via_police",
                    source="PC Test (1234)",
                    recorded_at=c.referred_at,
                )
            )
            s.flush()
            cases[key] = (c.id, referral.id)
        review = m.MatchReview(
            referral_id=cases["new"][1],
            incoming_person_id=incoming.id,
            candidate_person_id=known.id,
            score=82.0,
        )
        s.add(review)
        s.flush()
        review_id = review.id
    open_id, new_id = cases["open"][0], cases["new"][0]
    log(database, w, open_id, "spoke_declined", 1)
    before = stored(database, open_id)
    assert before["first_contact_at"] == NOW - timedelta(days=1)

    with database.session() as s:
        merge_id = merging.merge(s, lead, review_id)
    with database.session() as s:
        assert s.get(m.Case, new_id) is None  # folded into the open case
    assert stored(database, open_id) == before
    with database.session() as s:
        merging.undo_merge(s, lead, merge_id)
    assert stored(database, open_id) == before
    assert set(stored(database, new_id).values()) == {None}
    with database.session() as s:
        assert milestones.compare_sample(s, 100).ok


def test_the_purge_leaves_the_other_cases_milestones_right(database, team, worked):
    log(database, team["worker1"], worked, "spoke_engaged", 3)
    with database.session() as s:
        other = m.Person(first_name="Gone", last_name="Testperson")
        s.add(other)
        s.flush()
        c = m.Case(
            person_id=other.id, police_reference="TST-P1", referred_at=NOW - timedelta(days=5)
        )
        s.add(c)
        s.flush()
        s.add(m.ContactAttempt(case_id=c.id, attempted_at=NOW, method="phone", outcome="no_answer"))
        s.flush()
        milestones.refresh(s, c)
        other_id = other.id
    with database.session() as s:
        purge.purge_person(s, team["admin"], other_id)
    with database.session() as s:
        check = milestones.compare_sample(s, 100)
    assert check.checked == 1 and check.ok
    assert stored(database, worked)["first_contact_at"] == NOW - timedelta(days=3)


# ------------------------------------------------------------------------ followup check


def test_check_finds_a_corrupted_milestone_and_repairs_it(tmp_path, capsys):
    from followup.cli import main
    from followup.db.migrate import open_database

    url = "sqlite:///" + str(tmp_path / "check.sqlite")
    db = open_database(url, create=True, backup_dir=tmp_path / "backups")
    populate(db, cases=60, seed=4, now=DEMO_NOW)
    with db.session() as s:
        victim = s.scalar(
            select(m.Case.id).where(m.Case.first_attempt_at.is_not(None)).order_by(m.Case.id)
        )
        s.execute(
            text("UPDATE case_file SET first_attempt_at = NULL WHERE id = :id"), {"id": victim}
        )
    db.dispose()

    code = main(["check", "--db", url, "--sample", "500"])
    output = capsys.readouterr().out
    assert code == 2  # a problem found, as for any other check
    assert f"case {victim} first attempt at: stored none" in output
    assert "followup check --repair" in output

    assert main(["check", "--db", url, "--repair"]) == 0
    assert "Repaired the report milestones of 1 of 60" in capsys.readouterr().out
    assert main(["check", "--db", url]) == 0
    assert "Report milestones: ok (60 cases recomputed and compared)" in capsys.readouterr().out
