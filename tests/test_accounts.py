"""Users, sign-in and its lockout, and user management: checked, audited, refused plainly."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from followup import passwords
from followup.accounts import (
    LOCK_AFTER_FAILURES,
    WRONG_NAME_OR_PASSWORD,
    create_user,
    disable_user,
    enable_user,
    list_users,
    lock_delay,
    locked_message,
    reset_password,
    sign_in,
    unlock_user,
)
from followup.db.models import AuditEvent, User
from followup.errors import FollowupError, NotFound, PermissionDenied, SignInFailed
from followup.passwords import ScryptCost, hash_password

STRONG = "kettle-orbit-marmalade"
# A winter moment, so UK time is GMT; the BST case is tested on its own.
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def _events(db, action: str) -> list[tuple[str | None, dict]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEvent.username, AuditEvent.details)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(name, json.loads(details) if details else {}) for name, details in rows]


def _user(db, name: str) -> tuple[int, datetime | None, bool]:
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == name))
        return user.failed_sign_ins, user.locked_until, user.active


def _fail(db, name: str, now: datetime, password: str = "not-the-password") -> str:
    with pytest.raises(SignInFailed) as caught, db.session() as s:
        sign_in(s, name, password, now=now)
    return str(caught.value)


# ------------------------------------------------------------------ creating users


def test_first_user_must_be_admin_and_later_users_need_an_admin(database):
    with (
        pytest.raises(FollowupError, match="first user must be an administrator"),
        database.session() as s,
    ):
        create_user(s, None, "wendy", "worker", STRONG)
    with database.session() as s:
        admin = create_user(s, None, "ada", "admin", STRONG)
        admin_id = admin.id
    with pytest.raises(PermissionDenied), database.session() as s:
        create_user(s, None, "mallory", "admin", STRONG)
    with database.session() as s:
        assert s.scalar(select(User.username).where(User.id == admin_id)) == "ada"
        assert s.scalars(select(User.username)).all() == ["ada"]


def test_a_new_password_must_meet_the_rule_unless_waived_for_test_data(database, team):
    with pytest.raises(FollowupError, match="at least 12 characters"), database.session() as s:
        create_user(s, team["admin"], "newbie", "worker", "short-one")
    with pytest.raises(FollowupError, match="most common"), database.session() as s:
        create_user(s, team["admin"], "newbie", "worker", "Qwerty123456")
    with database.session() as s:
        create_user(s, team["admin"], "newbie", "worker", "pw", policy=False)
        create_user(s, team["admin"], "newbie2", "worker", STRONG)
    with database.session() as s:
        assert sign_in(s, "newbie", "pw", now=T0).username == "newbie"


def test_workers_and_leads_cannot_add_users(database, team):
    for name in ("worker1", "lead"):
        with (
            pytest.raises(PermissionDenied, match="does not allow you to manage users"),
            database.session() as s,
        ):
            create_user(s, team[name], "newbie", "worker", STRONG)


def test_duplicate_login_name_is_refused_case_insensitively(database, team):
    with pytest.raises(FollowupError, match="already a user called"), database.session() as s:
        create_user(s, team["admin"], "WORKER1", "worker", STRONG)


def test_creating_a_user_is_audited_without_the_password(database, team):
    with database.session() as s:
        details = s.scalars(
            select(AuditEvent.details).where(
                AuditEvent.action == "create", AuditEvent.entity == "user"
            )
        ).all()
    assert len(details) == 4
    assert all("pass-" not in d for d in details)


# ------------------------------------------------------------------ signing in


def test_wrong_password_is_refused_plainly_and_audited(database, team):
    assert _fail(database, "worker1", T0) == WRONG_NAME_OR_PASSWORD
    # An unknown name gets the same sentence, and has no row whose count could grow.
    assert _fail(database, "nobody-by-this-name", T0, "whatever") == WRONG_NAME_OR_PASSWORD
    with database.session() as s:
        actor = sign_in(s, "Worker1", "pass-worker1", now=T0)
    assert actor.username == "worker1" and actor.role == "worker"
    with database.session() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.user_id)
            .where(AuditEvent.action.in_(("login", "login_failed")))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("login_failed", "worker1", team["worker1"].id),
        ("login_failed", "nobody-by-this-name", None),
        ("login", "worker1", team["worker1"].id),
    ]


def test_inactive_account_cannot_sign_in(database, team):
    with database.session() as s:
        s.scalar(select(User).where(User.username == "worker2")).active = False
    with pytest.raises(SignInFailed, match="switched off"), database.session() as s:
        sign_in(s, "worker2", "pass-worker2")


def test_the_lock_schedule_grows_from_30_seconds_to_15_minutes():
    assert [lock_delay(n).total_seconds() for n in range(0, 12)] == [
        0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900,
    ]  # fmt: skip
    assert lock_delay(10_000) == timedelta(minutes=15)


def test_fifty_guesses_cannot_be_made_in_under_ten_minutes():
    # Before guess k+1 the attacker must wait out the lock that failure k set.
    waited = sum((lock_delay(failures) for failures in range(1, 50)), timedelta(0))
    assert waited.total_seconds() >= 600


def test_five_failures_lock_the_account_even_against_the_right_password(database, team):
    for attempt in range(1, LOCK_AFTER_FAILURES):
        assert _fail(database, "worker1", T0 + timedelta(seconds=attempt)) == (
            WRONG_NAME_OR_PASSWORD
        )
    fifth = T0 + timedelta(seconds=5)
    message = _fail(database, "worker1", fifth)
    assert message == (
        "This account is locked after too many failed sign-ins until 15/01/2026 09:00:35 "
        "(UK time); try again then, or ask an administrator to unlock it."
    )
    assert _user(database, "worker1")[:2] == (5, fifth + timedelta(seconds=30))
    # Locked: the right password is refused too, with the same sentence, and not counted.
    assert _fail(database, "worker1", fifth + timedelta(seconds=29), "pass-worker1") == message
    assert _user(database, "worker1")[0] == 5

    # The lock runs out; the next failure locks for twice as long.
    sixth = fifth + timedelta(seconds=31)
    assert "until 15/01/2026 09:01:36" in _fail(database, "worker1", sixth)
    assert _user(database, "worker1")[:2] == (6, sixth + timedelta(seconds=60))

    # After it, the right password works and the count starts again.
    with database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=sixth + timedelta(seconds=61))
    assert _user(database, "worker1")[:2] == (0, None)
    assert _fail(database, "worker1", sixth + timedelta(seconds=62)) == WRONG_NAME_OR_PASSWORD

    failed = [details for name, details in _events(database, "login_failed")]
    assert len(failed) == 8
    assert failed[3] == {"reason": "wrong name or password", "failures": 4}
    assert failed[4] == {
        "reason": "wrong name or password",
        "failures": 5,
        "locked_until": "2026-01-15T09:00:35+00:00",
    }
    assert failed[5] == {"reason": "locked", "locked_until": "2026-01-15T09:00:35+00:00"}
    assert failed[6]["locked_until"] == "2026-01-15T09:01:36+00:00"
    assert failed[7] == {"reason": "wrong name or password", "failures": 1}


def test_the_failure_is_kept_although_the_callers_block_fails(database, team):
    # The session block ends in SignInFailed, so it rolls back; the failure is kept all the same.
    for _ in range(LOCK_AFTER_FAILURES):
        with pytest.raises(SignInFailed), database.session() as s:
            sign_in(s, "worker1", "nope", now=T0)
    assert _user(database, "worker1")[0] == 5
    assert len(_events(database, "login_failed")) == 5


def test_unknown_names_are_never_locked_and_always_get_the_same_sentence(database, team):
    for _ in range(LOCK_AFTER_FAILURES + 2):
        assert _fail(database, "nobody-by-this-name", T0) == WRONG_NAME_OR_PASSWORD
    with database.session() as s:
        assert s.scalar(select(User).where(User.username == "nobody-by-this-name")) is None


def test_an_unknown_name_costs_one_scrypt_as_a_wrong_password_does(database, team, monkeypatch):
    calls: list[str] = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append("scrypt")
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    _fail(database, "worker1", T0)
    assert len(calls) == 1
    _fail(database, "nobody-by-this-name", T0)
    assert len(calls) == 2


def test_the_locked_time_is_said_in_uk_summer_time():
    assert "until 01/07/2026 13:00:30 (UK time)" in locked_message(
        datetime(2026, 7, 1, 12, 0, 30, tzinfo=UTC)
    )


# ------------------------------------------------------------------ administration


def _lock(database, name: str) -> None:
    for _ in range(LOCK_AFTER_FAILURES):
        _fail(database, name, T0)


def test_an_admin_unlocks_an_account_and_that_is_audited(database, team):
    _lock(database, "worker1")
    for who in ("worker2", "lead"):
        with pytest.raises(PermissionDenied), database.session() as s:
            unlock_user(s, team[who], "worker1")
    with database.session() as s:
        unlock_user(s, team["admin"], "Worker1")
    assert _user(database, "worker1")[:2] == (0, None)
    with database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=T0 + timedelta(seconds=1))
    with database.session() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
        assert (event.user_id, event.entity, event.entity_id) == (
            team["admin"].id,
            "user",
            team["worker1"].id,
        )
        assert json.loads(event.details) == {"unlocked": True, "username": "worker1"}
    with pytest.raises(NotFound, match="no user called ghost"), database.session() as s:
        unlock_user(s, team["admin"], "ghost")


def test_disable_and_enable_are_admin_only_and_audited(database, team):
    with pytest.raises(PermissionDenied), database.session() as s:
        disable_user(s, team["lead"], "worker1")
    with database.session() as s:
        disable_user(s, team["admin"], "worker1")
        disable_user(s, team["admin"], "worker1")  # already off: nothing more happens
    assert _user(database, "worker1")[2] is False
    with pytest.raises(SignInFailed, match="switched off"), database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=T0)
    with pytest.raises(FollowupError, match="your own account"), database.session() as s:
        disable_user(s, team["admin"], "admin")
    with database.session() as s:
        enable_user(s, team["admin"], "worker1")
    with database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=T0)
    assert [d for _, d in _events(database, "update")] == [
        {"active": False, "username": "worker1"},
        {"active": True, "username": "worker1"},
    ]


def test_reset_password_applies_the_rule_lifts_the_lock_and_audits_no_password(database, team):
    _lock(database, "worker1")
    with pytest.raises(PermissionDenied), database.session() as s:
        reset_password(s, team["worker2"], "worker1", STRONG)
    with pytest.raises(FollowupError, match="at least 12"), database.session() as s:
        reset_password(s, team["admin"], "worker1", "pass-new")
    with database.session() as s:
        reset_password(s, team["admin"], "worker1", STRONG)
    with database.session() as s:
        sign_in(s, "worker1", STRONG, now=T0 + timedelta(seconds=1))
    with pytest.raises(SignInFailed), database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=T0 + timedelta(seconds=2))
    updates = _events(database, "update")
    assert [d for _, d in updates] == [{"password_reset": True, "username": "worker1"}]
    assert STRONG not in json.dumps(updates)


def test_list_users_shows_role_state_and_a_lock_only_while_it_lasts(database, team):
    with pytest.raises(PermissionDenied), database.session() as s:
        list_users(s, team["lead"])
    _lock(database, "worker1")
    with database.session() as s:
        disable_user(s, team["admin"], "worker2")
        during = list_users(s, team["admin"], now=T0 + timedelta(seconds=10))
        after = list_users(s, team["admin"], now=T0 + timedelta(minutes=1))
    assert [(u.username, u.display_name, u.role, u.active) for u in during] == [
        ("admin", "Ada Admin", "admin", True),
        ("lead", "Lee Lead", "lead", True),
        ("worker1", "Wendy Worker", "worker", True),
        ("worker2", "Walt Worker", "worker", False),
    ]
    assert [u.locked_until for u in during] == [None, None, T0 + timedelta(seconds=30), None]
    assert all(u.locked_until is None for u in after)


# ------------------------------------------------------------------ the real scrypt cost


def test_production_cost_is_owasps_and_an_old_hash_is_upgraded_at_sign_in(
    sqlite_database, team, monkeypatch
):
    """The one test at the real cost (the others hash cheaply, tests/conftest.py)."""
    assert passwords.OWASP_SCRYPT == (2**17, 8, 1)
    shown = subprocess.run(
        [sys.executable, "-c", "from followup import passwords; print(passwords.SCRYPT_COST)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "ScryptCost(n=131072, r=8, p=1)"

    monkeypatch.setattr(passwords, "SCRYPT_COST", passwords.OWASP_SCRYPT)
    with sqlite_database.session() as s:
        user = s.scalar(select(User).where(User.username == "worker1"))
        user.password_hash = hash_password("pass-worker1", ScryptCost(n=2**14, r=8, p=1))
    with sqlite_database.session() as s:
        sign_in(s, "worker1", "pass-worker1", now=T0)
    with sqlite_database.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "worker1"))
    assert stored.startswith("scrypt$131072$8$1$")
    assert passwords.verify_password("pass-worker1", stored)
    assert _events(sqlite_database, "login")[-1][1] == {"password_hash_upgraded": True}
    with sqlite_database.session() as s:  # now current: no second upgrade
        sign_in(s, "worker1", "pass-worker1", now=T0)
    assert _events(sqlite_database, "login")[-1][1] == {}


def test_the_last_active_admin_is_neither_demoted_nor_switched_off(database, team):
    from followup.accounts import set_role

    admin = team["admin"]
    with pytest.raises(FollowupError, match="only active administrator"), database.session() as s:
        set_role(s, admin, "admin", "lead")
    with database.session() as s:
        set_role(s, admin, "lead", "admin")  # now there are two
    with database.session() as s:
        set_role(s, admin, "admin", "worker")
    with database.session() as s:
        roles = {n: r for n, r in s.execute(select(User.username, User.role))}
        events = s.scalars(select(AuditEvent.details).where(AuditEvent.entity == "user")).all()
    assert roles["admin"] == "worker" and roles["lead"] == "admin"
    assert any('"role": ["admin", "worker"]' in (e or "") for e in events)
    lead_now = actor_of_name(database, "lead")
    with pytest.raises(FollowupError, match="only active administrator"), database.session() as s:
        set_role(s, lead_now, "lead", "worker")


def actor_of_name(database, name: str):
    from followup.accounts import actor_of

    with database.session() as s:
        return actor_of(s.scalar(select(User).where(User.username == name)))


def test_a_reset_password_must_be_changed_at_the_next_sign_in(database, team):
    from followup.accounts import change_own_password

    one_time, own = "one-time-synthetic-phrase", "copper-lantern-umbrella-kite"
    with database.session() as s:
        reset_password(s, team["admin"], "worker1", one_time)
    with database.session() as s:
        worker = sign_in(s, "worker1", one_time)
    assert worker.must_change_password
    with pytest.raises(SignInFailed, match="current password"), database.session() as s:
        change_own_password(s, worker, "pass-worker1", own)
    with pytest.raises(FollowupError, match="at least 12 characters"), database.session() as s:
        change_own_password(s, worker, one_time, "short")
    with database.session() as s:
        worker = change_own_password(s, worker, one_time, own)
    assert not worker.must_change_password
    with database.session() as s:
        again = sign_in(s, "worker1", own)
        last = s.scalar(select(User.last_sign_in_at).where(User.username == "worker1"))
    assert not again.must_change_password and last is not None
