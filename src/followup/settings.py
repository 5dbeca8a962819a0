"""Where Followup keeps its files, which database it uses, and the keyring that holds secrets.

Local settings (database URL, backup and import folders) live in a small JSON file in the
user's config folder. The PostgreSQL password never goes into that file: it lives in the OS
keyring, under the service name ``Followup``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from followup.errors import FollowupError
from followup.files import private_folder

log = logging.getLogger(__name__)

__all__ = [
    "IDLE_LOCK_LIMITS",
    "IDLE_LOCK_SETTING",
    "LOCKED_KEYRING",
    "APP_NAME",
    "DB_ENV",
    "KEYRING_SERVICE",
    "remember_sign_in",
    "remembered_sign_in",
    "sign_in_key",
    "AppPaths",
    "KeyringStatus",
    "keyring_key",
    "keyring_name",
    "keyring_problem",
    "keyring_status",
    "load_local_settings",
    "normalise_url",
    "resolve_database_url",
    "save_local_settings",
    "store_database_password",
    "stored_database_password",
    "with_stored_password",
]

APP_NAME = "Followup"
KEYRING_SERVICE = "Followup"
DB_ENV = "FOLLOWUP_DB"


# The local setting for the idle lock: minutes without input, default and allowed range.
IDLE_LOCK_SETTING = "idle_lock_minutes"
IDLE_LOCK_LIMITS = (10.0, 1.0, 240.0)  # default, least, most


@dataclass(frozen=True)
class AppPaths:
    """The folders Followup writes to; platformdirs picks the right ones for each system."""

    data_dir: Path
    config_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @property
    def default_database(self) -> Path:
        return self.data_dir / "followup.sqlite"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    def tighten_folders(self) -> None:
        """Make the data folder and its backup folder ``0700`` when they exist already.

        They belong to Followup (platformdirs made them for it), and an older version left them
        readable by every local account; a folder the user chose is never changed here.
        """
        for folder in (self.data_dir, self.backup_dir):
            if folder.is_dir():
                private_folder(folder, tighten=True)


def load_local_settings(paths: AppPaths | None = None) -> dict[str, Any]:
    """Read the local settings file; a missing file means defaults, a broken one is an error."""
    paths = paths or AppPaths.default()
    try:
        text = paths.settings_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise FollowupError(
            f"Cannot read the settings file {paths.settings_file} ({exc.strerror}); "
            "check its permissions."
        ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise FollowupError(
            f"The settings file {paths.settings_file} is not valid JSON; "
            "fix it or remove it to go back to the defaults."
        ) from None
    if not isinstance(data, dict):
        raise FollowupError(f"The settings file {paths.settings_file} should hold a JSON object.")
    return data


def save_local_settings(values: dict[str, Any], paths: AppPaths | None = None) -> None:
    paths = paths or AppPaths.default()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    tmp = paths.settings_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, paths.settings_file)


def resolve_database_url(cli_value: str | None = None, paths: AppPaths | None = None) -> str:
    """Pick the database: ``--db``, then ``FOLLOWUP_DB``, then settings, then the local file."""
    paths = paths or AppPaths.default()
    if cli_value:
        return normalise_url(cli_value)
    if os.environ.get(DB_ENV):
        return normalise_url(os.environ[DB_ENV])
    configured = load_local_settings(paths).get("database_url")
    if configured:
        from sqlalchemy.engine import make_url

        if make_url(normalise_url(configured)).password:
            raise FollowupError(
                f"The settings file {paths.settings_file} holds a database password; remove it "
                "from the URL and store it with `followup set-password` (it belongs in the "
                "system keyring, not in a file)."
            )
        return normalise_url(configured)
    return "sqlite:///" + str(paths.default_database)


def normalise_url(url: str) -> str:
    """Accept a plain file path as a SQLite database and pick our PostgreSQL driver."""
    url = url.strip()
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve())
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def keyring_key(url: str) -> str:
    """The keyring entry name for a database: user@host:port/database."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"{u.username or ''}@{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"


@dataclass(frozen=True)
class KeyringStatus:
    backend: str
    usable: bool
    advice: str


# The keyrings people know, by the module keyring's backends live in.
_KEYRING_NAMES = {
    "keyring.backends.SecretService": "GNOME Keyring (Secret Service)",
    "keyring.backends.libsecret": "GNOME Keyring (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.macOS": "the macOS Keychain",
    "keyring.backends.fail": "no keyring",
}


def keyring_name(backend: object) -> str:
    """The keyring in words a user knows ("GNOME Keyring", "Windows Credential Manager")."""
    module = type(backend).__module__
    for prefix, name in _KEYRING_NAMES.items():
        if module.startswith(prefix):
            return name
    if module.startswith("keyring.backends.chainer"):
        inner = getattr(backend, "backends", [])
        return " then ".join(keyring_name(b) for b in inner) or "no keyring"
    return getattr(backend, "name", None) or type(backend).__name__


def keyring_status() -> KeyringStatus:
    """Name the keyring backend in use and say what to do when there is none (Vorta #385)."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    name = keyring_name(backend)
    if isinstance(backend, fail.Keyring):
        return KeyringStatus(
            backend=name,
            usable=False,
            advice=(
                "No system keyring is available, so Followup cannot keep the team database "
                "password. Install and unlock a keyring (GNOME Keyring or KWallet on Linux; "
                "Windows and macOS have one built in), or give the password each time."
            ),
        )
    return KeyringStatus(backend=name, usable=True, advice=f"Passwords are kept in {name}.")


LOCKED_KEYRING = (
    "Your keyring is locked, so Followup cannot read the database password kept in it: "
    "unlock it (on Linux, with the keyring's own prompt or the Passwords and Keys app; it "
    "unlocks when you sign in to the desktop with its password) and start Followup again, or "
    "type the password now for this session."
)


_keyring_problem: list[str] = []  # the last reading's problem, for the password dialog


def keyring_problem() -> str | None:
    """Why the last reading of a kept password found none although one may be kept."""
    return _keyring_problem[-1] if _keyring_problem else None


def stored_database_password(url: str) -> str | None:
    """The password kept for ``url``; None when none is kept or the keyring cannot say.

    A keyring that is locked or missing is not a reason to stop: the app then asks for the
    password (and says why), and the command line falls back to PGPASSWORD and ~/.pgpass.
    """
    import keyring
    from keyring.errors import KeyringError, KeyringLocked

    _keyring_problem.clear()
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_key(url))
    except KeyringLocked:
        log.warning("The keyring is locked; the database password is asked for instead")
        _keyring_problem.append(LOCKED_KEYRING)
        return None
    except (KeyringError, RuntimeError) as exc:  # NoKeyringError, InitError, D-Bus failures
        log.warning("The keyring could not be read (%s); asking instead", type(exc).__name__)
        _keyring_problem.append(keyring_status().advice)
        return None


def with_stored_password(url: str) -> str:
    """The URL to connect with: a PostgreSQL URL without a password gets the keyring's one.

    The result holds the password, so it is handed to ``open_database`` and never shown; the
    database layer names a database with ``describe``, which leaves the password out.
    """
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "postgresql" or u.password is not None:
        return url
    password = stored_database_password(url)
    if password is None:
        return url
    return u.set(password=password).render_as_string(hide_password=False)


def sign_in_key(url: str) -> str:
    """The keyring entry for a remembered sign-in: the database, whoever connects to it."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"sign-in:{Path(u.database or '').resolve()}"
    return f"sign-in:{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"


def remembered_sign_in(url: str) -> tuple[str, str] | None:
    """The user name and password someone asked this computer to remember, if any.

    Only a user who ticks "Remember me on this computer" is remembered; nothing else of theirs
    is kept in the keyring. An unreadable keyring remembers nobody.
    """
    import keyring
    from keyring.errors import KeyringError

    if not keyring_status().usable:
        return None
    try:
        raw = keyring.get_password(KEYRING_SERVICE, sign_in_key(url))
        data = json.loads(raw) if raw else None
    except (KeyringError, ValueError):
        return None
    if not isinstance(data, dict) or not {"username", "password"} <= set(data):
        return None
    return str(data["username"]), str(data["password"])


def remember_sign_in(url: str, username: str, password: str | None) -> None:
    """Keep this sign-in in the keyring (``password`` None: forget whoever was kept)."""
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    if not keyring_status().usable:
        return
    key = sign_in_key(url)
    try:
        if password is None:
            if keyring.get_password(KEYRING_SERVICE, key) is not None:
                keyring.delete_password(KEYRING_SERVICE, key)
        else:
            value = json.dumps({"username": username, "password": password})
            keyring.set_password(KEYRING_SERVICE, key, value)
    except (KeyringError, PasswordDeleteError):
        log.warning("The keyring would not keep or forget a remembered sign-in")


def store_database_password(url: str, password: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    status = keyring_status()
    if not status.usable:
        raise FollowupError(status.advice)
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_key(url), password)
    except KeyringError as exc:
        raise FollowupError(
            f"The keyring ({status.backend}) refused to store the password "
            f"({type(exc).__name__}); unlock it and try again."
        ) from None
