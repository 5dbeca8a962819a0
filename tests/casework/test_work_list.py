"""My work cut to the most urgent cases of each group: the same cases, in the same order, as
the whole list, and every group's count in full (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.casework.my_work import BUCKET_ORDER, work_list
from followup.db import models as m

NOW = datetime.now(UTC)


def test_each_group_cut_to_its_first_cases_counts_them_all(database, team):
    w = team["worker1"]
    dues: list[tuple[timedelta | None, bool]] = [  # due in, new overdose not yet acknowledged
        (timedelta(hours=-30), False),
        (timedelta(hours=-2), False),
        (timedelta(hours=-50), False),
        (timedelta(minutes=1), False),
        (timedelta(days=3), False),
        (None, False),
        (timedelta(days=9), False),
        (timedelta(hours=-1), True),
        (None, True),
    ]
    with database.session() as s:
        person = m.Person(
            first_name="Testy", last_name="McTestface", date_of_birth=date(1980, 1, 2)
        )
        s.add(person)
        s.flush()
        for n, (due, alerted) in enumerate(dues):
            s.add(
                m.Case(
                    person_id=person.id,
                    police_reference=f"TST-{n:03d}",
                    referred_at=NOW - timedelta(days=5),
                    assigned_worker_id=w.id,
                    next_action_due_at=None if due is None else NOW + due,
                    status="contacting",
                    reoverdose_at=NOW - timedelta(hours=3) if alerted else None,
                )
            )
        s.add(  # someone else's, and a closed one: in no group
            m.Case(
                person_id=person.id,
                police_reference="TST-OTHER",
                referred_at=NOW,
                assigned_worker_id=team["worker2"].id,
                status="new",
            )
        )
        s.add(
            m.Case(
                person_id=person.id,
                police_reference="TST-CLOSED",
                referred_at=NOW,
                assigned_worker_id=w.id,
                status="closed",
                closure_reason="declined",
            )
        )
    with database.session() as s:
        whole = work_list(s, w, now=NOW)
        assert whole.total == len(dues) and whole.counts["alert"] == 2
        for per_group in (1, 2, 3):
            cut = work_list(s, w, now=NOW, per_group=per_group)
            assert cut.counts == whole.counts
            expected = [
                item
                for key in BUCKET_ORDER
                for item in [i for i in whole.items if i.bucket == key][:per_group]
            ]
            assert cut.items == expected
