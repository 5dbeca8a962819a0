"""Starting the app: a database that cannot be used, and the team database password."""

from __future__ import annotations

import pytest

from followup.errors import DatabaseUnavailable
from followup.ui.shell import app as app_module
from followup.ui.shell.db_password import DatabasePasswordDialog, PasswordRequest


def test_a_file_that_is_not_a_database_gives_a_plain_message_and_exit_code_2(
    tmp_path, monkeypatch, qtbot
):
    bad = tmp_path / "notes.sqlite"
    bad.write_bytes(b"These are my notes, not a database.\n" * 10)
    before = bad.read_bytes()
    shown: list[str] = []
    monkeypatch.setattr(app_module, "show_error", shown.append)

    assert app_module.run_app(str(bad)) == 2

    assert len(shown) == 1
    assert shown[0].startswith(f"{bad} is not a Followup database")
    assert "Traceback" not in shown[0]
    assert bad.read_bytes() == before  # nothing overwritten


def test_a_missing_file_is_not_created_unless_it_is_the_default(tmp_path, monkeypatch, qtbot):
    shown: list[str] = []
    monkeypatch.setattr(app_module, "show_error", shown.append)
    missing = tmp_path / "nowhere" / "followup.sqlite"
    assert app_module.run_app(str(missing)) == 2
    assert "There is no database file" in shown[0]
    assert not missing.exists()


def test_first_run_creates_the_default_database(app_paths, monkeypatch, qtbot):
    url = "sqlite:///" + str(app_paths.default_database)
    opened = app_module.open_app_database(url, app_paths)
    try:
        assert app_paths.default_database.exists()
        assert opened.needs_first_admin
    finally:
        opened.db.dispose()


def test_sign_in_shows_at_once_and_works_once_the_database_is_open(
    ui_db, team, app_paths, monkeypatch, qtbot
):
    monkeypatch.setattr("followup.db.migrate.open_database", lambda url, **_kw: ui_db)
    exits: list[int] = []
    flow = app_module.AppFlow(on_exit=exits.append, on_quit=lambda: exits.append(0))
    with qtbot.waitSignal(flow.ready, timeout=5000):
        dialog = flow.open(ui_db.url, app_paths)
        qtbot.addWidget(dialog)
        assert dialog.isVisible()
        assert not dialog.ok_button.isEnabled()  # nothing to sign in to yet
        assert dialog.opening.isVisible()
    assert dialog.ok_button.isEnabled()
    assert not dialog.opening.isVisible()
    assert flow.db is ui_db
    assert exits == []
    flow.db = None  # the fixture closes it


PG_URL = "postgresql+psycopg://followup@db.example.invalid:5432/team"


def _refusing_then_accepting(password: str):
    calls: list[str] = []

    class FakeDb:
        description = "the PostgreSQL database team"
        url = PG_URL

        def session(self):
            raise AssertionError("not used")

        def dispose(self):
            pass

    def fake_open(url, **_kw):
        calls.append(url)
        if f":{password}@" not in url:
            try:
                raise RuntimeError("password authentication failed for user followup")
            except RuntimeError:
                raise DatabaseUnavailable(
                    "The server refused the password for followup on the PostgreSQL database "
                    "team on db.example.invalid:5432; store the right password with "
                    "`followup set-password` (it is kept in the system keyring)."
                ) from None
        return FakeDb()

    return fake_open, calls


@pytest.fixture
def fake_team_database(monkeypatch):
    fake_open, calls = _refusing_then_accepting("right")
    monkeypatch.setattr("followup.db.migrate.open_database", fake_open)
    monkeypatch.setattr(app_module, "first_run", lambda db: False)
    return calls


def _open_flow(qtbot, app_paths):
    exits: list[int] = []
    flow = app_module.AppFlow(on_exit=exits.append, on_quit=lambda: exits.append(0))
    dialog = flow.open(PG_URL, app_paths)
    qtbot.addWidget(dialog)
    return flow, exits


def test_the_database_password_is_asked_for_and_kept_in_the_keyring(
    app_paths, monkeypatch, memory_keyring, fake_team_database, qtbot
):
    requests: list = []
    answers = iter(["wrong", "right"])

    def ask(request):
        requests.append(request)
        return next(answers)

    monkeypatch.setattr(app_module, "ask_database_password", ask)
    flow, exits = _open_flow(qtbot, app_paths)
    qtbot.waitUntil(lambda: flow.db is not None, timeout=5000)
    assert len(fake_team_database) == 3
    assert [r.refused for r in requests] == [False, True]
    assert "MemoryKeyring" in requests[0].keeping()
    assert "followup" in requests[0].explanation()
    assert (
        memory_keyring.get_password("Followup", "followup@db.example.invalid:5432/team") == "right"
    )
    assert exits == []
    assert flow.dialog.ok_button.isEnabled()


def test_without_a_keyring_the_password_is_for_this_session_only(
    app_paths, monkeypatch, fake_team_database, qtbot
):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    requests: list = []
    monkeypatch.setattr(
        app_module, "ask_database_password", lambda r: requests.append(r) or "right"
    )
    flow, exits = _open_flow(qtbot, app_paths)
    qtbot.waitUntil(lambda: flow.db is not None, timeout=5000)
    text = requests[0].keeping()
    assert "No system keyring is available" in text
    assert "for this session only" in text


def test_quitting_at_the_password_prompt_exits_with_code_2(
    app_paths, monkeypatch, fake_team_database, qtbot
):
    from followup.settings import AppPaths

    monkeypatch.setattr(AppPaths, "default", classmethod(lambda cls: app_paths))
    monkeypatch.setattr(app_module, "ask_database_password", lambda r: None)
    shown: list[str] = []
    monkeypatch.setattr(app_module, "show_error", shown.append)
    assert app_module.run_app(PG_URL) == 2
    assert shown == []


@pytest.mark.parametrize("refused", [False, True])
def test_the_password_dialog_says_where_the_password_goes(qtbot, refused):
    from followup.settings import keyring_status

    dialog = DatabasePasswordDialog(
        PasswordRequest(
            "the PostgreSQL database team on db:5432", "followup", keyring_status(), refused
        )
    )
    qtbot.addWidget(dialog)
    dialog.open()
    assert "system keyring (memory keyring MemoryKeyring)" in dialog.keeping.text()
    dialog.reject()
