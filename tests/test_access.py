"""Role permissions, enforced in the service layer."""

from __future__ import annotations

import pytest

from followup.access import require
from followup.errors import PermissionDenied


def test_role_permissions(team):
    require(team["lead"], "assign")
    require(team["admin"], "manage_users")
    with pytest.raises(PermissionDenied):
        require(team["worker1"], "assign")
    # Admins manage the system but see no case data unless they are also leads.
    with pytest.raises(PermissionDenied):
        require(team["admin"], "view_all_cases")
