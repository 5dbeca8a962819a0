"""A hand-worked dataset for the timeliness buckets (March 2026, across the start of BST on
Sunday 29 March at 01:00 UTC), shared by the service, command-line and dashboard tests.

| case | worker | area | received (UTC)      | UK weekday | first attempt | first contact |
|------|--------|------|---------------------|------------|---------------|---------------|
| A1   | W1     | B5   | Mon 02/03 10:00     | Monday     | +23:59:59     | +47 h         |
| A2   | W1     | B5   | Tue 03/03 10:00     | Tuesday    | +24 h exactly | not yet       |
| A3   | W2     | ZZ99 | Wed 04/03 10:00     | Wednesday  | +47 h         | +71 h 59 min  |
| A4   | W2     | B5   | Thu 05/03 10:00     | Thursday   | +71 h 59 min  | +72 h exactly |
| A5   | W1     | ZZ99 | Fri 06/03 10:00     | Friday     | +72 h exactly | +72 h         |
| A6   | W2     | B5   | Sat 07/03 10:00     | Saturday   | +6 d 23 h     | +7 d exactly  |
| A7   | W1     | B5   | Sat 28/03 23:30     | Saturday   | +7 d exactly  | not yet       |
| A8   | -      | -    | Sun 29/03 00:30     | Sunday     | not yet       | not yet       |
| A9   | W2     | ZZ99 | Sun 29/03 23:30     | Monday     | not yet       | not yet       |
| A10  | W1     | B5   | Mon 30/03 23:30     | Tuesday    | +1 h          | +1 h          |
| X1   | W1     | B5   | Sat 28/02 23:59:59  | (February) | +1 h          | +1 h          |
| X2   | W2     | B5   | Wed 01/04 00:00     | (April)    | +1 h          | +1 h          |

A9 is Sunday in UTC but 00:30 on Monday in the UK (BST); A10 is Monday in UTC but 00:30 on
Tuesday 31 March in the UK. Periods are UK days: X1 (23:59:59 GMT on 28 February) and X2
(01:00 BST on 1 April) are just outside March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.casework import milestones
from followup.db import models as m
from followup.reports.definitions import Period

MARCH_2026 = Period(date(2026, 3, 1), date(2026, 4, 1))
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
S = timedelta(seconds=1)
D = timedelta(days=1)

# name: (worker, area, received, [(after receipt, outcome), ...])
CASES = {
    "A1": (
        "W1",
        "B5",
        datetime(2026, 3, 2, 10),
        [(24 * H - S, "no_answer"), (47 * H, "spoke_engaged")],
    ),
    "A2": ("W1", "B5", datetime(2026, 3, 3, 10), [(24 * H, "no_answer")]),
    "A3": (
        "W2",
        "ZZ99",
        datetime(2026, 3, 4, 10),
        [(47 * H, "no_answer"), (72 * H - MIN, "spoke_engaged")],
    ),
    "A4": (
        "W2",
        "B5",
        datetime(2026, 3, 5, 10),
        [(72 * H - MIN, "no_answer"), (72 * H, "spoke_declined")],
    ),
    "A5": ("W1", "ZZ99", datetime(2026, 3, 6, 10), [(72 * H, "spoke_declined")]),
    "A6": (
        "W2",
        "B5",
        datetime(2026, 3, 7, 10),
        [(7 * D - H, "no_answer"), (7 * D, "spoke_engaged")],
    ),
    "A7": ("W1", "B5", datetime(2026, 3, 28, 23, 30), [(7 * D, "no_answer")]),
    "A8": (None, None, datetime(2026, 3, 29, 0, 30), []),
    "A9": ("W2", "ZZ99", datetime(2026, 3, 29, 23, 30), []),
    "A10": ("W1", "B5", datetime(2026, 3, 30, 23, 30), [(H, "spoke_engaged")]),
    "X1": ("W1", "B5", datetime(2026, 2, 28, 23, 59, 59), [(H, "spoke_engaged")]),
    "X2": ("W2", "B5", datetime(2026, 4, 1), [(H, "spoke_engaged")]),
}


def build_timeliness(db, team) -> dict[str, int]:
    workers = {"W1": team["worker1"].id, "W2": team["worker2"].id, None: None}
    ids: dict[str, int] = {}
    with db.session() as s:
        for n, (name, (worker, area, received, attempts)) in enumerate(CASES.items()):
            at = received.replace(tzinfo=UTC)
            person = m.Person(
                first_name="Testperson",
                last_name=f"Timely{name}",
                date_of_birth=date(1980, 1, 2),
                phone=f"07700 900{100 + n}",
                postcode="ZZ99 1ZZ",
            )
            s.add(person)
            s.flush()
            c = m.Case(
                person_id=person.id,
                police_reference=f"TST-T{name}",
                area=area,
                referred_at=at,
                assigned_worker_id=workers[worker],
                status="contacting" if attempts else "new",
            )
            s.add(c)
            s.flush()
            s.add(
                m.Referral(
                    case_id=c.id,
                    person_id=person.id,
                    police_reference=f"TST-T{name}",
                    force="Test Force",
                    incident_at=at - H,
                    received_at=at,
                )
            )
            s.add(
                m.CaseStatusChange(case_id=c.id, from_status=None, to_status="new", changed_at=at)
            )
            for after, outcome in attempts:
                s.add(
                    m.ContactAttempt(
                        case_id=c.id,
                        attempted_at=at + after,
                        method="phone",
                        outcome=outcome,
                        worker_id=team["lead"].id,
                    )
                )
            ids[name] = c.id
        s.flush()
        milestones.backfill(s)
    return ids
