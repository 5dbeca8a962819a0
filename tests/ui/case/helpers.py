"""Helpers for the case view tests: a synthetic case, opening the view, waiting, choosing.

The person is obviously made up; phone numbers come from Ofcom's drama range and NHS numbers
from the 999 test range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from sqlalchemy import select

from followup.casework import lifecycle
from followup.db import models as m
from followup.ui.case.view import CaseView

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


def make_case(
    db,
    team,
    *,
    worker: str | None = "worker1",
    status: str = "new",
    days_ago: int = 20,
    scene_consent: bool = True,
    first: str = "Testy",
    last: str = "McTestface",
    due_hours: int = -5,
) -> int:
    """A case received ``days_ago`` days ago, with phone/text/letter consent from the scene."""
    now = datetime.now(UTC)
    with db.session() as s:
        person = m.Person(
            first_name=first,
            last_name=last,
            date_of_birth=date(1980, 1, 2),
            phone="+447700900001",
            address="1 Test Street\nTestville",
            postcode="B5 6DD",
            gender="not_known",
        )
        s.add(person)
        s.flush()
        case = m.Case(
            person_id=person.id,
            police_reference=f"TST-{person.id:04d}",
            area="B5",
            status=status,
            referred_at=now - timedelta(days=days_ago),
            assigned_worker_id=team[worker].id if worker else None,
            next_action_due_at=now + timedelta(hours=due_hours),
        )
        s.add(case)
        s.flush()
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=person.id,
                police_reference=case.police_reference,
                force="Test Force",
                incident_at=case.referred_at - timedelta(hours=1),
                naloxone_doses=1,
                consent_at_scene="Y" if scene_consent else "unknown",
            )
        )
        if scene_consent:
            for scope in ("contact_phone", "contact_sms", "contact_letter"):
                s.add(
                    m.ConsentEntry(
                        person_id=person.id,
                        case_id=case.id,
                        scope=scope,
                        state="given",
                        method="verbal_at_scene_via_police",
                        source="PC Test (1234)",
                        recorded_at=case.referred_at,
                    )
                )
        if s.scalar(select(m.Service.id)) is None:
            s.add(
                m.Service(
                    name="Test Treatment Service",
                    service_type="treatment",
                    referral_notes="Refer by secure email.",
                )
            )
        return case.id


def add_attempts(session, team, case_id: int, count: int, start: datetime, hours: int) -> None:
    """``count`` attempts (phone unanswered and text sent, in turn) by worker1, ``hours``
    apart from ``start``, noted "Try 0", "Try 1"…"""
    for i in range(count):
        session.add(
            m.ContactAttempt(
                case_id=case_id,
                method=("phone", "sms")[i % 2],
                outcome=("no_answer", "message_sent")[i % 2],
                attempted_at=start + timedelta(hours=hours * i),
                worker_id=team["worker1"].id,
                notes=f"Try {i}",
            )
        )


def version(db, case_id: int) -> int:
    with db.session() as s:
        return s.get(m.Case, case_id).version


def service_attempt(
    db,
    actor,
    case_id: int,
    method: str = "phone",
    outcome: str = "no_answer",
    days_ago: float = 0.0,
    notes: str | None = None,
) -> None:
    """Another user (or the test set-up) logs an attempt through the service."""
    with db.session() as s:
        lifecycle.record_contact_attempt(
            s,
            actor,
            case_id,
            method,
            outcome,
            version(db, case_id),
            when=datetime.now(UTC) - timedelta(days=days_ago),
            notes=notes,
        )


def open_view(qtbot, db, actor, case_id: int) -> CaseView:
    view = CaseView(db, actor, case_id)
    qtbot.addWidget(view)
    view.resize(1300, 850)
    view.show()
    qtbot.waitUntil(lambda: view.detail is not None and not view.busy, timeout=WAIT)
    return view


def show_tab(qtbot, view: CaseView, title: str) -> None:
    """Click the tab whose title starts with ``title``, as a user would."""
    bar = view.tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i).startswith(title))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: view.tabs.currentIndex() == index, timeout=WAIT)


def settle(qtbot, view: CaseView) -> None:
    """Wait until the view's background save and reload have finished."""
    qtbot.waitUntil(lambda: not view.busy, timeout=WAIT)


def choose(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not a choice"
    combo.setCurrentIndex(index)


def case_status(db, case_id: int) -> str:
    with db.session() as s:
        return s.get(m.Case, case_id).status
