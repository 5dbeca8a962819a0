"""Help › User guide, Keyboard shortcuts and About: what the app says about itself.

- ``about``: The About dialog: the version, the database in use, the licences of what ships.
- ``guide``: The user guide for workers, leads and administrators (resources/guide/), on screen.
- ``keys_dialog``: Help › Keyboard shortcuts, listed from the same list that makes the actions.
- ``menu``: The Help menu of the main window.
"""

__all__ = ["about", "guide", "keys_dialog", "menu"]
