"""Team-lead figures as plain dataclasses, their definitions, the commissioners' PDF, exports.

- ``definitions``: The team-lead figures as written definitions, and the reporting period.
- ``engagement``: Team-lead figures as plain dataclasses: the funnel, rates, medians, and their breakdowns.
- ``exports``: Exports for team leads: the case list (CSV or Excel), the dashboard's tables (Excel), and the consented extract for treatment data (CSV).
- ``pdf``: The PDF summary for commissioners: the period's funnel, rates, trend and areas, no people.
- ``queries``: The SQL behind the team-lead figures: per-case facts and the dialect helpers they need.
- ``timeliness``: Timeliness in buckets: how long after receipt each case's first attempt and first contact came.
"""

__all__ = ["definitions", "engagement", "exports", "pdf", "queries", "timeliness"]
