"""The frame of the app: start-up, sign-in, the main window, the idle lock and database guards.

- ``app``: Starting the desktop app: open the database, sign in, show the main window.
- ``backup_guard``: Watching over the open SQLite database while the app runs: the integrity check after
- ``db_password``: The dialog asking for the team (PostgreSQL) database password, and where it will be kept.
- ``idle_lock``: The idle lock: after a while without input the window hides all personal data behind a lock.
- ``main_window``: The main window: a sidebar of views, the chosen view, and the cases the user has opened.
- ``org_setup``: The organisation set-up an administrator is offered on first start: three short steps.
- ``sign_in``: Sign-in and first-administrator dialogs.
- ``spike_banner``: The spike banner across the top of the main window.
"""

__all__ = [
    "app",
    "backup_guard",
    "db_password",
    "idle_lock",
    "main_window",
    "org_setup",
    "sign_in",
    "spike_banner",
]
