"""Synthetic demonstration data: made-up people, referrals and case histories.

- ``bulk``: Writing the demonstration data in bulk: one connection for the whole build, a transaction per chunk.
- ``cases``: Case histories for the demonstration data: how each follow-up went, up to now.
- ``data``: Fixed material for the demonstration data: Birmingham places, police stations, services.
- ``people``: Made-up people and police referrals for the demonstration data.
- ``populate``: `followup demo`: fills an empty database with synthetic but realistic demonstration data.
"""

__all__ = ["bulk", "cases", "data", "people", "populate"]
