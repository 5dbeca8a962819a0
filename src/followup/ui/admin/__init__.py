"""The administrator's views: users, services, audit trail and retention.

- ``audit_view``: The audit trail view for leads and administrators: filters, a paged table, and export.
- ``retention_view``: The administrator's Retention view: people past the retention period, a dry run, destruction.
- ``services_view``: The administrator's Services view: the directory of services people are referred to.
- ``users_view``: The administrator's Users view: every account, and each change an administrator makes.
"""

__all__ = ["audit_view", "retention_view", "services_view", "users_view"]
