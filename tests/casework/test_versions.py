"""No save undoes another: every record two people can edit carries a version.

A person's details are shared by all their cases, so two workers editing one person through
two cases used to both "succeed", and the first save was lost without a word. Each test here
runs on SQLite and on the PostgreSQL server.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from followup import accounts
from followup.casework import people, treatment
from followup.casework.detail import case_detail
from followup.db import models as m
from followup.errors import DatabaseBusy, StaleEdit
from tests.protection.retention_helpers import add_person


def _read(database, actor, case_id):
    with database.session() as s:
        detail = case_detail(s, actor, case_id, audit_view=False)
    return detail.version, detail.person


def test_a_save_through_the_other_case_is_not_undone(database, team):
    """Two workers open the same person through two cases; the second save is refused."""
    _, (case_a, case_b) = add_person(database, team, [None, None])
    lead = team["lead"]
    version_a, person_a = _read(database, lead, case_a)
    version_b, person_b = _read(database, lead, case_b)
    with database.session() as s:
        people.update_person(
            s,
            lead,
            case_a,
            version_a,
            {"gp_practice": "Alpha Surgery"},
            person_version=person_a.version,
        )
    with (
        pytest.raises(StaleEdit, match="Someone else changed this person's details"),
        database.session() as s,
    ):
        people.update_person(
            s,
            lead,
            case_b,
            version_b,
            {"gp_practice": "Beta Surgery", "email": "beta@example.invalid"},
            person_version=person_b.version,
        )
    _, now = _read(database, lead, case_b)
    assert (now.gp_practice, now.email) == ("Alpha Surgery", "")  # the first save stands
    # After a reload the second worker's change lands on top of the first.
    version_b, person_b = _read(database, lead, case_b)
    with database.session() as s:
        people.update_person(
            s,
            lead,
            case_b,
            version_b,
            {"email": "beta@example.invalid"},
            person_version=person_b.version,
        )
    _, now = _read(database, lead, case_b)
    assert (now.gp_practice, now.email) == ("Alpha Surgery", "beta@example.invalid")


def test_workers_saving_one_person_at_once_lose_nothing(database, team):
    """Several workers save the same person through two cases at the same time, each adding
    their own word to the description and reloading whenever told someone else changed it:
    every save reported as done is there at the end."""
    _, cases = add_person(database, team, [None, None])
    lead = team["lead"]
    saved: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        case_id = cases[n % 2]
        start.wait()
        for i in range(8):
            word = f"w{n}x{i}"
            while True:
                version, person = _read(database, lead, case_id)
                text = f"{person.description} {word}".strip()
                try:
                    with database.session() as s:
                        people.update_person(
                            s,
                            lead,
                            case_id,
                            version,
                            {"description": text},
                            person_version=person.version,
                        )
                except (StaleEdit, DatabaseBusy):
                    continue  # the user sees the bar, reloads and saves again
                with lock:
                    saved.append(word)
                break

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    _, person = _read(database, lead, cases[0])
    words = person.description.split()
    assert len(saved) == 32
    assert sorted(words) == sorted(saved), "a save reported as done was overwritten"


def test_a_treatment_referral_saved_by_someone_else_is_not_overwritten(database, team):
    _, (case_id,) = add_person(database, team, [None])
    lead = team["lead"]
    with database.session() as s:
        service_id = s.scalar(select(m.Service.id))
        tr = m.TreatmentReferral(
            case_id=case_id, service_id=service_id, referred_on=date(2026, 11, 2)
        )
        s.add(tr)
        s.flush()
        tr_id = tr.id
    seen = _read(database, lead, case_id)
    with database.session() as s:
        detail = case_detail(s, lead, case_id, audit_view=False)
        row_version = detail.treatments[0].version
    # Someone else records the assessment; the case is changed with it.
    with database.session() as s:
        treatment.update_treatment(
            s, lead, tr_id, None, treatment_version=row_version, assessment_attended=True
        )
    with pytest.raises(StaleEdit), database.session() as s:
        treatment.update_treatment(
            s, lead, tr_id, seen[0], treatment_version=row_version, assessment_attended=False
        )
    # Even with the case's version fresh, the referral's own version refuses the old reading.
    fresh = _read(database, lead, case_id)[0]
    with pytest.raises(StaleEdit, match="this treatment referral"), database.session() as s:
        treatment.update_treatment(
            s, lead, tr_id, fresh, treatment_version=row_version, assessment_attended=False
        )
    with database.session() as s:
        assert s.get(m.TreatmentReferral, tr_id).assessment_attended is True


def test_two_administrators_cannot_cross_on_one_account(database, team):
    admin = team["admin"]
    with database.session() as s:
        seen = {u.username: u.version for u in accounts.list_users(s, admin)}
    with database.session() as s:
        accounts.disable_user(s, admin, "worker2", expected_version=seen["worker2"])
    # The other administrator, still looking at the old list, switches the account back on.
    with pytest.raises(StaleEdit, match="this user's account"), database.session() as s:
        accounts.enable_user(s, admin, "worker2", expected_version=seen["worker2"])
    with database.session() as s:
        assert not s.scalar(select(m.User.active).where(m.User.username == "worker2"))


def test_an_update_racing_another_is_refused_by_the_row_version(database, team):
    """Two saves that both passed their check at once: the row's version refuses the second."""
    person_id, _ = add_person(database, team, [None])
    first = Session(database.engine)  # both read the person before either writes
    second = Session(database.engine)
    try:
        a = first.get(m.Person, person_id)
        b = second.get(m.Person, person_id)
        assert a.version == b.version
        a.gp_practice = "First Surgery"
        first.commit()
        b.gp_practice = "Second Surgery"
        # PostgreSQL finds no row at the version read; SQLite may refuse the stale snapshot.
        with pytest.raises((StaleDataError, OperationalError)):
            second.commit()
    finally:
        first.close()
        second.close()
    with database.session() as s:
        assert s.get(m.Person, person_id).gp_practice == "First Surgery"
