"""Roles and permissions: what the signed-in user may do.

Permissions are checked here, in the service layer, so that the command line and the desktop
app obey the same rules; the UI only hides what a role cannot do. Users, passwords and sign-in
live in ``followup.accounts``, which is audited; this module knows no storage, so the audit
search can check permissions without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from followup.errors import PermissionDenied
from followup.vocab import Role

__all__ = ["PERMISSIONS", "PERMISSION_TEXT", "Actor", "require"]

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.WORKER: frozenset(
        {"view_own_cases", "view_inbox", "take_case", "edit_case", "print_letters", "import"}
    ),
    Role.LEAD: frozenset(
        {
            "view_own_cases",
            "view_inbox",
            "take_case",
            "edit_case",
            "print_letters",
            "import",
            "view_all_cases",
            "assign",
            "close_any",
            "reports",
            "export",
            "merge_people",
            "view_audit",
            "backup",
        }
    ),
    Role.ADMIN: frozenset(
        {
            "manage_users",
            "manage_templates",
            "manage_services",
            "retention",
            "view_audit",
            "settings",
            "backup",
            "restore",
        }
    ),
}

PERMISSION_TEXT = {
    "view_all_cases": "see every case of the team",
    "view_own_cases": "see cases",
    "view_inbox": "see the intake inbox",
    "assign": "assign cases to workers",
    "manage_users": "manage users",
    "reports": "see team reports",
    "export": "export data",
    "merge_people": "merge people",
    "view_audit": "search the audit trail",
    "import": "import police referrals",
    "edit_case": "change cases",
    "take_case": "take cases",
    "print_letters": "print letters",
    "close_any": "close or reopen any case",
    "manage_templates": "edit letter templates",
    "manage_services": "maintain the services directory",
    "retention": "review and destroy old records",
    "settings": "change settings",
    "backup": "back up the database",
    "restore": "restore the database from a backup",
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user, as plain data handed to services and widgets."""

    id: int
    username: str
    display_name: str
    role: Role
    # An administrator reset the password: the user chooses their own before anything else.
    must_change_password: bool = False

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        what = PERMISSION_TEXT.get(permission, permission.replace("_", " "))
        raise PermissionDenied(
            f"Your role ({actor.role}) does not allow you to {what}; ask a team lead or an "
            "administrator."
        )
