"""Users, passwords and sign-in: hashed, checked and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from followup.accounts import create_user, hash_password, sign_in, verify_password
from followup.db.models import AuditEvent, User
from followup.errors import FollowupError, PermissionDenied, SignInFailed


def test_password_hash_is_scrypt_salted_and_verifies():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one.startswith("scrypt$") and one != two
    assert verify_password("correct horse", one)
    assert not verify_password("wrong horse", one)
    assert not verify_password("anything", "garbage")


def test_first_user_must_be_admin_and_later_users_need_an_admin(database):
    with (
        pytest.raises(FollowupError, match="first user must be an administrator"),
        database.session() as s,
    ):
        create_user(s, None, "wendy", "worker", "secret")
    with database.session() as s:
        admin = create_user(s, None, "ada", "admin", "secret")
        admin_id = admin.id
    with pytest.raises(PermissionDenied), database.session() as s:
        create_user(s, None, "mallory", "admin", "secret")
    with database.session() as s:
        assert s.scalar(select(User.username).where(User.id == admin_id)) == "ada"
        assert s.scalars(select(User.username)).all() == ["ada"]


def test_workers_and_leads_cannot_add_users(database, team):
    for name in ("worker1", "lead"):
        with (
            pytest.raises(PermissionDenied, match="does not allow you to manage users"),
            database.session() as s,
        ):
            create_user(s, team[name], "newbie", "worker", "secret")


def test_duplicate_login_name_is_refused_case_insensitively(database, team):
    with pytest.raises(FollowupError, match="already a user called"), database.session() as s:
        create_user(s, team["admin"], "WORKER1", "worker", "secret")


def test_wrong_password_is_refused_plainly_and_audited(database, team):
    with (
        pytest.raises(SignInFailed, match="user name or password is wrong"),
        database.session() as s,
    ):
        sign_in(s, "worker1", "not-the-password")
    with pytest.raises(SignInFailed), database.session() as s:
        sign_in(s, "nobody-by-this-name", "whatever")
    with database.session() as s:
        actor = sign_in(s, "Worker1", "pass-worker1")
    assert actor.username == "worker1" and actor.role == "worker"
    with database.session() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.username)
            .where(AuditEvent.action.in_(("login", "login_failed")))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("login_failed", "worker1"),
        ("login_failed", "nobody-by-this-name"),
        ("login", "worker1"),
    ]


def test_inactive_account_cannot_sign_in(database, team):
    with database.session() as s:
        s.scalar(select(User).where(User.username == "worker2")).active = False
    with pytest.raises(SignInFailed, match="switched off"), database.session() as s:
        sign_in(s, "worker2", "pass-worker2")


def test_creating_a_user_is_audited_without_the_password(database, team):
    with database.session() as s:
        details = s.scalars(
            select(AuditEvent.details).where(
                AuditEvent.action == "create", AuditEvent.entity == "user"
            )
        ).all()
    assert len(details) == 4
    assert all("pass-" not in d for d in details)
