"""Letters in the app: the new-letter dialog, the letters due and batch printing, templates.

- ``choices``: Which letters a case can have now: each template with the reason it would be refused.
- ``dialog``: The "New letter" dialog for one case: choose a template, preview it, save it to the case.
- ``due_model``: The table model of the letters due: one row per letter, with a tick box to choose it.
- ``due_view``: The Letters view: the letters due, and batch printing of the chosen ones in one PDF.
- ``settings_view``: Letter templates and letterhead, for administrators.
"""

__all__ = ["choices", "dialog", "due_model", "due_view", "settings_view"]
