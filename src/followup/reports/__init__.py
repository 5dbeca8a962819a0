"""Team-lead figures as plain dataclasses, their definitions, the commissioners' PDF, exports.

- ``benchmarks``: Published figures of other post-overdose programmes, to read our own rates against.
- ``definitions``: The team-lead figures as written definitions, and the reporting period.
- ``engagement``: Team-lead figures as plain dataclasses: the funnel, rates, medians, and their breakdowns.
- ``exports``: Exports for team leads: the case list (CSV or Excel), the dashboard's tables (Excel), and the NDTMS extract (CSV, in followup.reports.ndtms).
- ``ndtms``: The NDTMS extract: what Followup holds, under the published NDTMS field names, one dataset version at a time.
- ``network``: The cases engaged through their network: reached only through family or friends.
- ``pdf``: The PDF summary for commissioners: the period's funnel, rates, trend and areas, no people.
- ``queries``: The SQL behind the team-lead figures: per-case facts and the dialect helpers they need.
- ``resupplies``: Naloxone resupplies by reason over a period (the dashboard's Kits tab, `followup report kits`).
- ``timeliness``: Timeliness in buckets: how long after receipt each case's first attempt and first contact came.
- ``traceability``: The traceability figures of a period (issue 17): how many referrals could be traced at all.
"""

__all__ = [
    "benchmarks",
    "definitions",
    "engagement",
    "exports",
    "ndtms",
    "network",
    "pdf",
    "queries",
    "resupplies",
    "timeliness",
    "traceability",
]
