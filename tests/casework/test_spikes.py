"""Spike alerts: referrals for incidents in one postcode district within the window raise one
alert at intake (extended, never duplicated), shown to leads and workers until each
acknowledges it, with a prompt in My work for workers with open cases there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from followup.casework import spikes, team_rules
from followup.db import models as m
from followup.errors import RuleViolation
from followup.intake import inbox
from followup.intake.importer import import_file
from tests.intake.helpers import NOW, nhs, row, write_csv

_people = iter(range(200, 400))


def _row(where: str | None, incident: str, substances: str = "heroin", **kw):
    n = next(_people)
    return row(
        first_name="Testperson",
        last_name=f"Spike{n}",
        nhs_number=nhs(n),
        incident_postcode=where or "",
        incident_datetime=incident,
        substances=substances,
        **kw,
    )


def _import(database, actor, tmp_path, rows, name="spikes.csv", now=NOW):
    path = write_csv(tmp_path / name, rows)
    return import_file(database, actor, path, now=now)


def _alerts(database):
    with database.session() as s:
        return s.scalars(select(m.SpikeAlert).order_by(m.SpikeAlert.id)).all()


def test_three_incidents_in_one_district_within_a_day_raise_one_alert(database, team, tmp_path):
    _import(
        database,
        team["lead"],
        tmp_path,
        [
            _row("B5 6DD", "20/11/2026 08:00", "heroin; spice"),
            _row("B5 7AA", "20/11/2026 20:00", "Heroin"),
            _row("b56xx", "21/11/2026 07:30", ""),
        ],
    )
    [alert] = _alerts(database)
    assert (alert.district, alert.referral_count) == ("B5", 3)
    assert alert.substances == "heroin (2), spice (1)"
    with database.session() as s:
        [info] = spikes.unacknowledged(s, team["lead"])
    # Incident times in UK time (GMT in November).
    assert info.text == (
        "Spike in B5: 3 overdoses from 20/11/2026 08:00 to 21/11/2026 07:30 "
        "(incident times); substances: heroin (2), spice (1)"
    )
    assert len(info.cases) == 3 and info.hidden_cases == 0


def test_two_in_a_district_and_one_next_door_raise_nothing(database, team, tmp_path):
    _import(
        database,
        team["lead"],
        tmp_path,
        [
            _row("B5 6DD", "20/11/2026 08:00"),
            _row("B5 7AA", "20/11/2026 09:00"),
            _row("B6 4AA", "20/11/2026 10:00"),
            _row(None, "20/11/2026 11:00"),  # no postcode: not counted anywhere
            _row(None, "20/11/2026 11:30"),
        ],
    )
    assert _alerts(database) == []


def test_one_just_outside_the_window_raises_nothing(database, team, tmp_path):
    _import(
        database,
        team["lead"],
        tmp_path,
        [
            _row("B5 6DD", "20/11/2026 08:00"),
            _row("B5 7AA", "20/11/2026 18:00"),
            _row("B5 8AA", "21/11/2026 08:01"),  # 24 hours and a minute after the first
        ],
    )
    assert _alerts(database) == []
    # Exactly 24 hours after the second is within the window: now there are three.
    _import(database, team["lead"], tmp_path, [_row("B5 9AA", "21/11/2026 18:00")], "more.csv")
    [alert] = _alerts(database)
    assert alert.referral_count == 3  # 20/11 18:00, 21/11 08:01, 21/11 18:00


def test_a_fourth_within_the_window_extends_the_alert(database, team, tmp_path):
    first = [_row("B5 6DD", f"20/11/2026 0{h}:00") for h in (1, 2, 3)]
    _import(database, team["lead"], tmp_path, first)
    with database.session(write=True) as s:
        [info] = spikes.unacknowledged(s, team["worker1"])
        spikes.acknowledge(s, team["worker1"], info.id)
    later = NOW + timedelta(hours=1)
    _import(
        database,
        team["worker2"],
        tmp_path,
        [_row("B5 1AB", "20/11/2026 22:00", "fentanyl")],
        "fourth.csv",
        now=later,
    )
    [alert] = _alerts(database)
    assert (alert.referral_count, alert.extended_at) == (4, later)
    assert alert.substances == "heroin (3), fentanyl (1)"
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.SpikeAlertCase)) == 4
        # Extended: worker1, who saw it at 3, sees it again.
        assert [a.referral_count for a in spikes.unacknowledged(s, team["worker1"])] == [4]
    # Importing the same day again raises nothing new (the references are duplicates).
    _import(database, team["lead"], tmp_path, first, "again.csv")
    assert len(_alerts(database)) == 1


def test_the_threshold_and_window_are_team_settings(database, team, tmp_path):
    with database.session(write=True) as s:
        with pytest.raises(RuleViolation, match="spikes.threshold is a whole number from 2"):
            team_rules.set_rule(s, team["admin"], "spikes.threshold", "1")
        with pytest.raises(RuleViolation, match="spikes.window_hours is a whole number"):
            team_rules.set_rule(s, team["admin"], "spikes.window_hours", "a day")
        team_rules.set_rule(s, team["admin"], "spikes.threshold", "2")
        assert spikes.rules(s) == spikes.SpikeRules(2, timedelta(hours=24))
    _import(
        database,
        team["lead"],
        tmp_path,
        [_row("B6 1AA", "20/11/2026 08:00"), _row("B6 2AA", "20/11/2026 09:00")],
    )
    assert [(a.district, a.referral_count) for a in _alerts(database)] == [("B6", 2)]


def test_acknowledging_hides_the_alert_for_that_user_only(database, team, tmp_path):
    _import(
        database, team["lead"], tmp_path, [_row("B5 6DD", f"20/11/2026 0{h}:00") for h in (1, 2, 3)]
    )
    with database.session(write=True) as s:
        [info] = spikes.unacknowledged(s, team["lead"])
        spikes.acknowledge(s, team["lead"], info.id)
    with database.session() as s:
        assert spikes.unacknowledged(s, team["lead"]) == []
        assert [a.id for a in spikes.unacknowledged(s, team["worker1"])] == [info.id]
        # The history keeps it, acknowledged for the lead.
        [kept] = spikes.alert_history(s, team["lead"])
        assert kept.acknowledged
        event = s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity == "spike_alert")).one()
        assert event.user_id == team["lead"].id
        assert spikes.unacknowledged(s, team["admin"]) == []  # not for administrators
    with (
        database.session(write=True) as s,
        pytest.raises(RuleViolation, match="already acknowledged"),
    ):
        spikes.acknowledge(s, team["lead"], info.id)


def test_workers_see_only_their_own_cases_behind_an_alert_and_a_prompt(database, team, tmp_path):
    summary = _import(
        database,
        team["lead"],
        tmp_path,
        [
            _row("B5 6DD", "20/11/2026 01:00", address="1 Testing Street", postcode="B5 6DD"),
            _row("B5 6DE", "20/11/2026 02:00", postcode="B5 6DE"),
            _row("B5 6DF", "20/11/2026 03:00", postcode="ZZ99 9ZZ"),
        ],
    )
    mine, other, elsewhere = summary.cases_created
    with database.session(write=True) as s:
        inbox.take_case(s, team["worker1"], mine)
        inbox.take_case(s, team["worker1"], elsewhere)  # lives in ZZ99
        inbox.take_case(s, team["worker2"], other)
    with database.session() as s:
        [seen] = spikes.unacknowledged(s, team["worker1"])
        assert [c.case_id for c in seen.cases] == [mine, elsewhere]
        assert (seen.referral_count, seen.hidden_cases) == (3, 1)
        [prompt] = spikes.work_prompts(s, team["worker1"])
        assert prompt.text == (
            "Spike in B5: check on your 1 person there and pass on harm-reduction advice"
        )
        assert [c[0] for c in prompt.cases] == [mine]
        # The lead looking at worker2's list sees worker2's prompt.
        [theirs] = spikes.work_prompts(s, team["lead"], team["worker2"].id)
        assert [c[0] for c in theirs.cases] == [other]
        assert spikes.work_prompts(s, team["lead"]) == []  # the lead has no cases there
    with database.session(write=True) as s:
        spikes.acknowledge(s, team["worker1"], seen.id)
    with database.session() as s:
        assert spikes.work_prompts(s, team["worker1"]) == []


def test_an_import_at_the_real_time_raises_its_alert(database, team, tmp_path):
    path = write_csv(
        tmp_path / "now.csv", [_row("B7 1AA", f"20/11/2026 1{h}:00") for h in (1, 2, 3)]
    )
    import_file(database, team["worker1"], path)  # received now, to the microsecond
    assert [(a.district, a.referral_count) for a in _alerts(database)] == [("B7", 3)]
