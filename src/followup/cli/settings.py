"""`followup settings show|set` and `followup services list|add`: what the app's settings
screens edit, from the command line, for administrators.

Every setting has a name (listed in README.md and by `followup settings show`); `set` checks
the value as the app does and says in one sentence what is wrong with a bad one or an unknown
name. Team settings live in the database and are audited; ``idle_lock.minutes`` belongs to this
computer and lives in the local settings file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from followup.access import Actor, require
from followup.cli.support import (
    EXIT_OK,
    Parser,
    UsageError,
    add_db_option,
    add_user_option,
    open_db,
    out,
    sign_in_user,
)
from followup.errors import FollowupError
from followup.vocab import SERVICE_TYPES

if TYPE_CHECKING:  # the ORM loads only for a command that reads or writes settings
    from sqlalchemy.orm import Session

__all__ = ["SETTINGS", "add_settings_parsers", "cmd_services", "cmd_settings"]


@dataclass(frozen=True)
class TeamSetting:
    name: str
    meaning: str
    read: Callable[[Session], str]
    write: Callable[[Session, Actor, str], None]


def _letterhead(part: str) -> TeamSetting:
    from followup.letters.settings import letterhead, set_letterhead

    def read(s: Session) -> str:
        return str(getattr(letterhead(s), part))

    def write(s: Session, actor: Actor, value: str) -> None:
        parts: dict[str, str | None] = {"name": None, "address": None, "phone": None}
        parts["email"] = None
        parts[part] = value.replace("\\n", "\n")  # an address's lines as \n on one line
        set_letterhead(
            s,
            actor,
            name=parts["name"],
            address=parts["address"],
            phone=parts["phone"],
            email=parts["email"],
        )

    return TeamSetting(f"letterhead.{part}", f"the letterhead's {part}", read, write)


def _rule(key: str, name: str, meaning: str) -> TeamSetting:
    from followup.casework import team_rules

    def read(s: Session) -> str:
        return team_rules.get_setting(s, key) or ""

    def write(s: Session, actor: Actor, value: str) -> None:
        team_rules.set_rule(s, actor, key, value)

    return TeamSetting(name, meaning, read, write)


def _team_settings() -> list[TeamSetting]:
    from followup.casework import team_rules
    from followup.protection import retention

    def set_force(s: Session, actor: Actor, value: str) -> None:
        team_rules.set_default_force(s, actor, value)

    def set_years(s: Session, actor: Actor, value: str) -> None:
        if not value.strip().isdigit():
            raise FollowupError("retention.years is a whole number of years, for example 8.")
        retention.set_retention_years(s, actor, int(value))

    return [
        *(_letterhead(p) for p in ("name", "address", "phone", "email")),
        TeamSetting(
            "intake.default_force",
            "the police force of a referral whose file names none",
            team_rules.default_force,
            set_force,
        ),
        TeamSetting(
            "retention.years",
            "years a closed case is kept after closure",
            lambda s: str(retention.retention_years(s)),
            set_years,
        ),
        _rule(
            "schedule.first_attempt_hours",
            "schedule.first_attempt_hours",
            "hours after a referral arrives by which the first contact attempt is due",
        ),
        _rule(
            "schedule.follow_up_days",
            "schedule.follow_up_days",
            "days after the first attempt when later attempts are due (e.g. 1,3,7,14)",
        ),
        _rule(
            "closure.unable_to_contact.min_attempts",
            "unable_to_contact.min_attempts",
            "attempts before a case may be closed as unable to contact",
        ),
        _rule(
            "closure.unable_to_contact.min_days",
            "unable_to_contact.min_days",
            "days of trying before a case may be closed as unable to contact",
        ),
        _rule(
            "closure.unable_to_contact.min_methods",
            "unable_to_contact.min_methods",
            "different contact methods tried before closing as unable to contact",
        ),
        _rule(
            "corrections.author_window_days",
            "corrections.author_window_days",
            "days in which the author of an entry may correct it (a lead may at any time)",
        ),
        _rule(
            "reoverdose.reopen_within_days",
            "reoverdose.reopen_within_days",
            "days after closure within which a new overdose reopens the case (0: never)",
        ),
        _rule(
            "spikes.threshold",
            "spikes.threshold",
            "referrals for incidents in one postcode district within the window: a spike alert",
        ),
        _rule(
            "spikes.window_hours",
            "spikes.window_hours",
            "hours (by incident time) within which those referrals make a spike alert",
        ),
        _rule(
            "kits.expiry_warning_days",
            "kits.expiry_warning_days",
            "days before a kit held expires when open cases prompt to offer a replacement",
        ),
        _rule(
            "ndtms.agency_code",
            "ndtms.agency_code",
            "the agency code NDTMS gave the service (AGNCY in the NDTMS extract)",
        ),
    ]


IDLE = "idle_lock.minutes"
SETTINGS = (
    "letterhead.name",
    "letterhead.address",
    "letterhead.phone",
    "letterhead.email",
    "intake.default_force",
    "retention.years",
    "schedule.first_attempt_hours",
    "schedule.follow_up_days",
    "unable_to_contact.min_attempts",
    "unable_to_contact.min_days",
    "unable_to_contact.min_methods",
    "corrections.author_window_days",
    "reoverdose.reopen_within_days",
    "spikes.threshold",
    "spikes.window_hours",
    "kits.expiry_warning_days",
    "ndtms.agency_code",
    IDLE,
)


def add_settings_parsers(sub: Any) -> None:
    p = sub.add_parser("settings", help="show or change settings (administrators)")
    settings = p.add_subparsers(dest="settings_command", parser_class=Parser, required=True)
    ps = settings.add_parser("show", help="every setting with its value")
    ps.add_argument("--json", action="store_true")
    add_db_option(ps)
    add_user_option(ps)
    pt = settings.add_parser("set", help="change one setting: NAME VALUE")
    pt.add_argument("name", metavar="NAME")
    pt.add_argument("value", metavar="VALUE")
    add_db_option(pt)
    add_user_option(pt)

    p = sub.add_parser("services", help="the services directory (administrators)")
    services = p.add_subparsers(dest="services_command", parser_class=Parser, required=True)
    pl = services.add_parser("list", help="every service, switched-off ones last")
    pl.add_argument("--json", action="store_true")
    add_db_option(pl)
    add_user_option(pl)
    pa = services.add_parser("add", help="add a service to the directory")
    pa.add_argument("name")
    pa.add_argument("--kind", required=True, choices=[t.value for t in SERVICE_TYPES])
    pa.add_argument("--phone", default="")
    pa.add_argument("--email", default="", help="secure email for referrals")
    pa.add_argument("--address", default="")
    pa.add_argument("--notes", default="", help="how to refer")
    add_db_option(pa)
    add_user_option(pa)


def _idle_value() -> str:
    from followup.settings import IDLE_LOCK_LIMITS, IDLE_LOCK_SETTING, load_local_settings

    value = load_local_settings().get(IDLE_LOCK_SETTING, IDLE_LOCK_LIMITS[0])
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


def _set_idle(value: str) -> None:
    from followup.settings import (
        IDLE_LOCK_LIMITS,
        IDLE_LOCK_SETTING,
        load_local_settings,
        save_local_settings,
    )

    _, low, high = IDLE_LOCK_LIMITS
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not low <= minutes <= high:
        raise FollowupError(f"{IDLE} is a number of minutes from {low:g} to {high:g}.")
    values = load_local_settings()
    values[IDLE_LOCK_SETTING] = int(minutes) if minutes.is_integer() else minutes
    save_local_settings(values)


def cmd_settings(args: argparse.Namespace) -> int:
    if args.settings_command == "set" and args.name not in SETTINGS:
        raise UsageError(
            f"There is no setting called {args.name}; the settings are {', '.join(SETTINGS)}."
        )
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        require(actor, "settings")
        team = {t.name: t for t in _team_settings()}
        if args.settings_command == "show":
            with db.session() as s:
                values = {name: team[name].read(s) for name in SETTINGS if name in team}
            values[IDLE] = _idle_value()
            if args.json:
                out(json.dumps(values))
            else:
                for name in SETTINGS:
                    shown = values[name].replace("\n", ", ")
                    out(f"{name:<32} {shown}")
            return EXIT_OK
        if args.name == IDLE:
            _set_idle(args.value)
        else:
            with db.session(write=True) as s:
                team[args.name].write(s, actor, args.value)
    finally:
        db.dispose()
    out(f"{args.name} is set.")
    return EXIT_OK


def cmd_services(args: argparse.Namespace) -> int:
    from followup.casework import directory

    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        if args.services_command == "list":
            with db.session() as s:
                entries = directory.directory(s, actor)
            if args.json:
                out(json.dumps([e.__dict__ for e in entries]))
            else:
                for e in entries:
                    state = "" if e.active else "  (switched off)"
                    out(f"{e.name[:50]:<50} {e.service_type:<14} {e.phone}{state}".rstrip())
                out(f"{len(entries)} services.")
            return EXIT_OK
        with db.session(write=True) as s:
            entry = directory.add_service(
                s,
                actor,
                name=args.name,
                service_type=args.kind,
                phone=args.phone,
                secure_email=args.email,
                address=args.address,
                referral_notes=args.notes,
            )
    finally:
        db.dispose()
    out(f"Added {entry.name} to the services directory.")
    return EXIT_OK
