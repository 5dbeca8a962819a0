"""The team lead's dashboard: period, funnel and trend charts, tables, drill-down, exports.

- ``alerts``: The Alerts tab: the history of spike alerts.
- ``benchmarks``: Published post-overdose programmes' figures beside ours, with their sources.
- ``charts``: The dashboard's two charts, drawn with Qt's own QtCharts: the funnel and the monthly trend.
- ``drill_down``: The cases behind one figure of the dashboard: a fixed list of case ids, shown as a caseload.
- ``exports``: The dashboard's exports: where to save (a dialog tests replace) and the export itself.
- ``figures``: How the dashboard writes a figure (7, 57%, 10.5 h), and the clickable tile that shows one.
- ``kits``: The dashboard's Kits tab: resupplies by reason, kits expiring, and a batch recall search.
- ``ndtms_dialog``: After an NDTMS extract: the cases left out and why, in a dialog the lead can keep open.
- ``tables``: The dashboard's tables by worker and by area: every figure per row, the team's total last.
- ``timeliness``: The dashboard's Timeliness tab: time from receipt to first attempt and to first contact, in buckets.
- ``traceability``: The dashboard's Traceability tab (issue 17): could the period's referrals be traced at all?
- ``view``: The team lead's dashboard: a period, its funnel, rates, trend and breakdowns, and exports.
"""

__all__ = [
    "alerts",
    "benchmarks",
    "charts",
    "drill_down",
    "exports",
    "figures",
    "kits",
    "ndtms_dialog",
    "tables",
    "timeliness",
    "traceability",
    "view",
]
