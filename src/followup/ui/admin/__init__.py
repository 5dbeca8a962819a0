"""The administrator's views: home, audit trail and retention.

- ``audit_view``: The audit trail view for leads and administrators: filters, a paged table, and export.
- ``home``: The administrator's home page: what an administrator can do, and where, for now.
- ``retention_view``: The administrator's Retention view: people past the retention period, a dry run, destruction.
"""

__all__ = ["audit_view", "home", "retention_view"]
