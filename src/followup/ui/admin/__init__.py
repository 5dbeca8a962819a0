"""The administrator's views: home, audit trail, retention, and the subject-access action.

- ``audit_view``: The audit trail view for leads and administrators: filters, a paged table, and export.
- ``home``: The administrator's home page: what an administrator can do, and where, for now.
- ``retention_view``: The administrator's Retention view: people past the retention period, a dry run, destruction.
- ``subject_access``: The "Subject access…" action of the case view (team leads): ask when the request arrived and
"""

__all__ = ["audit_view", "home", "retention_view", "subject_access"]
