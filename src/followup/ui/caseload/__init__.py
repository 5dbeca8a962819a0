"""The caseload and My work: lazy tables of cases, search and filters.

- ``model``: The caseload as a lazy Qt table model: only loaded rows are held, pages arrive in the background.
- ``my_work``: My work: a worker's home view, overdue cases first, then those due today, then the rest.
- ``reassign``: A lead's allocation actions: reassign the selected cases, or move a worker's whole caseload.
- ``view``: The caseload: search, filters and the lazy table of cases; opening a case is handed upwards.
- ``spike_prompts``: My work's prompts for spike alerts in a worker's districts.
"""

__all__ = ["model", "my_work", "reassign", "view", "spike_prompts"]
