"""User administration on a team server, as the app's Users screen and the CLI make it.

Every change goes through the server's definer functions and acts on the user's login role;
the same rules as on SQLite hold: the last active admin keeps the role, a reset password must be
replaced at the next sign-in, and an admin looking at an old list is told someone else changed
the account.
"""

from __future__ import annotations

import pytest

from followup import user_admin
from followup.db.migrate import open_database
from followup.errors import FollowupError, SignInFailed, StaleEdit
from followup.protection import team_accounts
from tests.protection.team_helpers import Team, bare_team, password_of


@pytest.fixture(scope="module")
def team() -> Team:
    with bare_team() as t:
        owner = open_database(t.owner_url)
        try:
            with owner.session() as s:
                team_accounts.create_user(s, None, t.admin, "admin", password_of(t.admin))
        finally:
            owner.dispose()
        db, admin = t.sign_in(t.admin)
        try:
            for login, role in ((t.worker_a, "worker"), (t.worker_b, "worker")):
                user_admin.add_user(db, admin, login, role, password_of(login))
        finally:
            db.dispose()
        yield t


def _users(db, admin) -> dict:
    return {u.username: u for u in user_admin.list_users(db, admin)}


def test_roles_change_on_the_login_and_the_last_admin_keeps_theirs(team: Team):
    db, admin = team.sign_in(team.admin)
    try:
        listed = _users(db, admin)
        assert listed[team.admin].last_sign_in_at is not None
        assert listed[team.worker_a].last_sign_in_at is None
        user_admin.set_role(db, admin, team.worker_a, "lead", listed[team.worker_a].version)
        with pytest.raises(FollowupError, match="only active administrator"):
            user_admin.set_role(db, admin, team.admin, "worker")
        with pytest.raises(FollowupError, match="your own account"):
            user_admin.set_active(db, admin, team.admin, False)
        # Another admin, still looking at the old list, is told instead of undoing it.
        with pytest.raises(StaleEdit, match="this user's account"):
            user_admin.set_active(db, admin, team.worker_a, False, listed[team.worker_a].version)
    finally:
        db.dispose()
    db, lead = team.sign_in(team.worker_a)
    db.dispose()
    assert lead.role == "lead"
    db, admin = team.sign_in(team.admin)
    try:
        user_admin.set_role(db, admin, team.worker_a, "worker")
    finally:
        db.dispose()


def test_a_reset_password_is_replaced_at_the_next_sign_in(team: Team):
    one_time = "one-time-synthetic-phrase"
    own = "copper-lantern-umbrella-kite"
    db, admin = team.sign_in(team.admin)
    try:
        user_admin.reset_password(db, admin, team.worker_b, one_time)
        assert _users(db, admin)[team.worker_b].password_must_change
    finally:
        db.dispose()
    db, worker = team.sign_in(team.worker_b, one_time)
    try:
        assert worker.must_change_password
        with pytest.raises(FollowupError, match="different from the one you were given"):
            user_admin.change_own_password(db, worker, one_time, one_time)
        with pytest.raises(SignInFailed, match="current password is not right"):
            user_admin.change_own_password(db, worker, "not-the-one-time-phrase", own)
        worker = user_admin.change_own_password(db, worker, one_time, own)
        assert not worker.must_change_password
        with db.session() as s:  # the desktop's connection still works, on the new password
            assert s.connection().exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        db.dispose()
    with pytest.raises(SignInFailed):
        team.sign_in(team.worker_b, one_time)
    db, worker = team.sign_in(team.worker_b, own)
    db.dispose()
    assert not worker.must_change_password
