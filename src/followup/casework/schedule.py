"""Timeliness: when the next contact attempt on a case is due.

The first attempt is due within 72 hours of the referral being received. Later attempts
follow a schedule counted in days from the first attempt (default day 1, 3, 7 and 14). Both
are team settings. Once the schedule is used up, the case is due for review a week after
the last attempt, so that it never drops out of sight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DEFAULT_SCHEDULE", "Schedule"]


@dataclass(frozen=True)
class Schedule:
    """When contact attempts are due: the first within hours, later ones on set days."""

    first_attempt_hours: int = 72
    follow_up_days: tuple[int, ...] = (1, 3, 7, 14)
    review_after_days: int = 7

    def first_attempt_due(self, received_at: datetime) -> datetime:
        return received_at + timedelta(hours=self.first_attempt_hours)

    def next_attempt_due(self, received_at: datetime, attempts: Sequence[datetime]) -> datetime:
        """When the next attempt is due, given the times of the attempts made so far."""
        if not attempts:
            return self.first_attempt_due(received_at)
        first, last = min(attempts), max(attempts)
        made = len(attempts)
        if made - 1 < len(self.follow_up_days):
            due = first + timedelta(days=self.follow_up_days[made - 1])
            # An attempt made late moves the next one on, never into the past of the last one.
            return max(due, last + timedelta(hours=12))
        return last + timedelta(days=self.review_after_days)


DEFAULT_SCHEDULE = Schedule()
