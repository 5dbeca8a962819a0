"""The letterhead and the wording of each letter template, kept in the ``setting`` table.

An administrator edits them: the wording needs the ``manage_templates`` permission and the
letterhead ``settings``; every change is audited. The letterhead appears on letters to the
person too, so its name, address and phone are held to the same discretion rule as those
letters: choose a discreet organisation name (e.g. "Community Support Team"), since it is the
only sender a letter to the person shows. The logo is a PNG or JPEG image, stored as base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework.team_rules import get_setting, set_setting, setting_version
from followup.db.models import Setting
from followup.errors import RuleViolation, require_version
from followup.letters.render import Letterhead
from followup.letters.templates import (
    TEMPLATES,
    Placeholder,
    banned_word,
    check_wording,
    discretion_refusal,
    spec,
)
from followup.validation import looks_like_email
from followup.vocab import AuditAction, LetterTemplate

__all__ = [
    "DEFAULT_NAME",
    "MAX_LOGO_BYTES",
    "MAX_LOGO_PIXELS",
    "TemplateWording",
    "check_logo",
    "letterhead",
    "letterhead_version",
    "reset_template_wording",
    "save_template_wording",
    "set_letterhead",
    "template_bodies",
    "template_body",
    "template_wording",
]

DEFAULT_NAME = "Community Support Team"
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4000
_KEYS = {
    "name": "letterhead.name",
    "address": "letterhead.address",
    "phone": "letterhead.phone",
    "email": "letterhead.email",
    "logo": "letterhead.logo",
}
# Raised with every change to any part of the letterhead: the version a save is checked by.
_LETTERHEAD_REVISION = "letterhead.revision"


@dataclass(frozen=True)
class TemplateWording:
    """One template's wording as the editor shows it."""

    template: LetterTemplate
    label: str
    to_person: bool
    body: str
    default_body: str
    placeholders: tuple[Placeholder, ...]
    version: int  # of the stored wording (0 for the default), given back with a save

    @property
    def is_default(self) -> bool:
        return self.body == self.default_body


def _settings(session: Session, keys: list[str]) -> dict[str, str]:
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys)))
    return {k: v for k, v in rows}


def template_body(session: Session, template: str) -> str:
    """The wording in use for ``template``: the administrator's, or the default."""
    s = spec(template)
    return get_setting(session, s.setting_key) or s.default_body


def template_bodies(session: Session) -> dict[str, str]:
    """The wording in use for every template, in one query."""
    stored = _settings(session, [s.setting_key for s in TEMPLATES.values()])
    return {name: stored.get(s.setting_key) or s.default_body for name, s in TEMPLATES.items()}


def template_wording(session: Session, template: str) -> TemplateWording:
    """The wording in use for ``template``, with its default and placeholders, for the editor."""
    s = spec(template)
    return TemplateWording(
        s.name,
        s.label,
        s.to_person,
        template_body(session, template),
        s.default_body,
        s.placeholders,
        setting_version(session, s.setting_key),
    )


def save_template_wording(
    session: Session,
    actor: Actor,
    template: str,
    body: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Store new wording for ``template`` after checking its placeholders and discretion.

    ``expected_version`` is the wording's version the editor showed (``TemplateWording``); a
    change saved by another administrator since then is refused with ``StaleEdit``.
    """
    require(actor, "manage_templates")
    s = spec(template)
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    check_wording(template, body)
    what = f"the wording of the {s.label.lower()} letter"
    require_version(setting_version(session, s.setting_key), expected_version, what)
    before = template_body(session, template)
    if body == before:
        return
    set_setting(session, s.setting_key, body, expected_version=expected_version, what=what)
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "letter_template",
        None,
        {"template": template, "body": [before, body]},
    )


def reset_template_wording(
    session: Session, actor: Actor, template: str, *, expected_version: int | None = None
) -> None:
    """Go back to the default wording for ``template``."""
    save_template_wording(
        session, actor, template, spec(template).default_body, expected_version=expected_version
    )


# ------------------------------------------------------------------------------- letterhead


def letterhead(session: Session) -> Letterhead:
    """The letterhead in use, with a discreet default name when none is set."""
    values = _settings(session, list(_KEYS.values()))
    logo = None
    if values.get(_KEYS["logo"]):
        try:
            logo = base64.b64decode(values[_KEYS["logo"]], validate=True)
        except (binascii.Error, ValueError):
            logo = None
    return Letterhead(
        name=(values.get(_KEYS["name"]) or "").strip() or DEFAULT_NAME,
        address=values.get(_KEYS["address"]) or "",
        phone=values.get(_KEYS["phone"]) or "",
        email=values.get(_KEYS["email"]) or "",
        logo=logo,
    )


def letterhead_version(session: Session) -> int:
    """The letterhead's version (0 before its first change), given back with a save."""
    return setting_version(session, _LETTERHEAD_REVISION)


def check_logo(data: bytes) -> None:
    """Refuse anything but a PNG or JPEG image of sensible size, in a plain sentence."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_LOGO_BYTES:
        raise RuleViolation("The logo file is larger than 2 MB; choose a smaller PNG or JPEG.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            size = image.size
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() does not decode the pixels; a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise RuleViolation(
            "The logo file is not a readable image; choose a PNG or JPEG file."
        ) from None
    if kind not in ("PNG", "JPEG"):
        raise RuleViolation(f"The logo must be a PNG or JPEG image, not {kind}.")
    if max(size) > MAX_LOGO_PIXELS or min(size) < 1:
        raise RuleViolation(
            f"The logo is {size[0]} × {size[1]} pixels; use an image at most "
            f"{MAX_LOGO_PIXELS} pixels on each side."
        )


_UNSET = object()


def set_letterhead(
    session: Session,
    actor: Actor,
    *,
    name: str | None = None,
    address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    logo: bytes | None | object = _UNSET,
    expected_version: int | None = None,
) -> Letterhead:
    """Change parts of the letterhead (``None`` leaves a part alone; ``logo=None`` removes it).

    ``expected_version`` is the ``letterhead_version`` the user saw; a change saved by someone
    else since then is refused with ``StaleEdit``.
    """
    require(actor, "settings")
    revision = letterhead_version(session)
    require_version(revision, expected_version, "the letterhead")
    before = letterhead(session)
    changes: dict[str, list[str | None]] = {}
    for part, value, limit in (
        ("name", name, 120),
        ("address", address, 400),
        ("phone", phone, 40),
        ("email", email, 254),
    ):
        if value is None:
            continue
        value = value.replace("\r\n", "\n").strip()
        if part == "name" and not value:
            raise RuleViolation("The letterhead needs the organisation's name.")
        if part == "email" and value and not looks_like_email(value):
            raise RuleViolation("The letterhead email does not look like an email address.")
        if len(value) > limit:
            raise RuleViolation(
                f"The letterhead {part} is too long; keep it under {limit} characters."
            )
        word = banned_word(value)
        if word:
            raise discretion_refusal(
                word, f"the letterhead {part}, which appears on letters to the person,"
            )
        old = get_setting(session, _KEYS[part]) or ""
        if value != old:
            set_setting(session, _KEYS[part], value)
            changes[part] = [old, value]
    if logo is not _UNSET:
        old_sha = hashlib.sha256(before.logo).hexdigest() if before.logo else None
        if logo is None:
            row = session.get(Setting, _KEYS["logo"])
            if row is not None:
                session.delete(row)
                session.flush()
            new_sha = None
        else:
            assert isinstance(logo, bytes)
            check_logo(logo)
            set_setting(session, _KEYS["logo"], base64.b64encode(logo).decode("ascii"))
            new_sha = hashlib.sha256(logo).hexdigest()
        if new_sha != old_sha:
            changes["logo_sha256"] = [old_sha, new_sha]
    if changes:
        # One row for the whole letterhead, so that two saves at once cannot both pass.
        set_setting(
            session,
            _LETTERHEAD_REVISION,
            str(revision + 1),
            expected_version=revision,
            what="the letterhead",
        )
        audit.record(session, actor.id, AuditAction.UPDATE, "letterhead", None, changes)
    return letterhead(session)
