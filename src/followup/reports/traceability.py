"""The traceability figures of a period (issue 17): how many referrals could be traced at all.

One service function, ``traceability_report``, serves the dashboard's Traceability tab and
`followup report traceability` alike; ``traceability_cases`` gives the case ids behind a
figure. What each figure means is written in ``followup.reports.definitions``
(``TRACEABILITY_DEFS``) and docs/metrics.md:

- referrals received in the period (each referral's own received time) by the class given at
  intake (``referral.traceability``), and how many were not traceable at intake (Name only,
  Description only);
- cases of the period's cohort (referral received in the period, as the engagement figures)
  closed without any contact, by no-contact reason (``case_file.no_contact_reason``; cases
  closed before the reason was asked are "not recorded"), and how many of them were never
  traced (a reason that says the details never led to the person).

Every count is one SQL aggregate; no personal data is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor, require
from followup.db.models import Case, Referral
from followup.errors import FollowupError
from followup.reports import queries as q
from followup.reports.definitions import TRACEABILITY, Period
from followup.spreadsheets import CellKind, Column, Sheet
from followup.vocab import AuditAction, CaseStatus

__all__ = [
    "NOT_RECORDED",
    "TraceabilityReport",
    "traceability_cases",
    "traceability_report",
    "traceability_sheets",
]

# The key of closed-without-contact cases whose reason was never asked (closed before 0022).
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class TraceabilityReport:
    period: Period
    made_at: datetime
    by_class: tuple[tuple[str, int], ...]  # every class, in vocabulary order
    closed_by_reason: tuple[tuple[str, int], ...]  # every reason, then "not recorded"

    @property
    def referrals(self) -> int:
        return sum(n for _, n in self.by_class)

    @property
    def not_traceable_at_intake(self) -> int:
        return sum(n for k, n in self.by_class if k in vocab.UNTRACEABLE)

    @property
    def closed_without_contact(self) -> int:
        return sum(n for _, n in self.closed_by_reason)

    @property
    def never_traced(self) -> int:
        return sum(n for k, n in self.closed_by_reason if k in vocab.NO_TRACE_REASONS)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "traceability",
            "period": self.period.as_json(),
            "made_at": self.made_at.isoformat(),
            "figures": {
                "referrals": self.referrals,
                "not_traceable_at_intake": self.not_traceable_at_intake,
                "closed_without_contact": self.closed_without_contact,
                "never_traced": self.never_traced,
            },
            "referrals_by_traceability": dict(self.by_class),
            "closed_without_contact_by_reason": dict(self.closed_by_reason),
            "definitions": {k: d.text for k, d in TRACEABILITY.items()},
        }


def _closed_without_contact(period: Period) -> list[Any]:
    """The cohort's cases closed now that never had contact (milestone ``first_contact_at``,
    kept from the attempts not voided with a contact-made outcome)."""
    return [
        q.in_period(Case.referred_at, period),
        Case.status == CaseStatus.CLOSED,
        Case.first_contact_at.is_(None),
    ]


def traceability_report(
    session: Session,
    actor: Actor,
    period: Period,
    now: datetime | None = None,
    *,
    record: bool = True,
) -> TraceabilityReport:
    """The traceability figures of ``period`` (a team lead's report, audited like the others;
    ``record=False`` for an export, which audits itself)."""
    require(actor, "reports")
    counts = dict(
        session.execute(
            select(Referral.traceability, func.count())
            .where(q.in_period(Referral.received_at, period))
            .group_by(Referral.traceability)
        ).all()
    )
    closed = dict(
        session.execute(
            select(Case.no_contact_reason, func.count())
            .where(*_closed_without_contact(period))
            .group_by(Case.no_contact_reason)
        ).all()
    )
    by_class = tuple((str(c), int(counts.get(c, 0))) for c in vocab.TRACEABILITY)
    by_reason = tuple((str(r), int(closed.get(r, 0))) for r in vocab.NO_CONTACT_REASONS)
    by_reason += ((NOT_RECORDED, int(closed.get(None, 0))),)
    report = TraceabilityReport(period, now or datetime.now(UTC), by_class, by_reason)
    if not record:
        return report
    audit.record(
        session,
        actor.id,
        AuditAction.VIEW,
        "report",
        None,
        {
            "report": "traceability",
            "from": period.start,
            "to": period.last_day,
            "referrals": report.referrals,
        },
    )
    return report


def traceability_cases(
    session: Session, actor: Actor, period: Period, figure: str, key: str | None = None
) -> list[int]:
    """The case ids behind a traceability figure (``key``: one class or one reason)."""
    require(actor, "reports")
    if figure not in TRACEABILITY:
        raise FollowupError(f"There is no traceability figure {figure!r}.")
    if figure in ("referrals_by_traceability", "not_traceable_at_intake"):
        classes = vocab.UNTRACEABLE if figure == "not_traceable_at_intake" else vocab.TRACEABILITY
        if key is not None:
            classes = tuple(c for c in classes if c == key)
        stmt = (
            select(Referral.case_id)
            .where(
                q.in_period(Referral.received_at, period),
                Referral.traceability.in_(classes),
            )
            .distinct()
        )
    else:
        where = _closed_without_contact(period)
        if figure == "never_traced":
            where.append(Case.no_contact_reason.in_(vocab.NO_TRACE_REASONS))
        if key == NOT_RECORDED:
            where.append(Case.no_contact_reason.is_(None))
        elif key is not None:
            where.append(Case.no_contact_reason == key)
        stmt = select(Case.id).where(*where)
    return sorted(session.scalars(stmt))


def traceability_sheets(report: TraceabilityReport) -> list[Sheet]:
    """Two worksheets for the dashboard-tables workbook: the period's referrals by
    traceability class, and its cases closed without contact by the reason given."""
    shown = [
        ("Traceability", "Traceability at intake", report.by_class, report.referrals),
        (
            "Why no contact",
            "Why contact was never made",
            report.closed_by_reason,
            report.closed_without_contact,
        ),
    ]
    sheets = []
    for name, heading, counts, total in shown:
        columns = [
            Column("row", heading, CellKind.TEXT, 34),
            Column("count", "Count", CellKind.WHOLE, 10),
        ]
        rows: list[list[Any]] = [[vocab.label(key), n] for key, n in counts]
        rows.append(["Total", total])
        sheets.append(Sheet(name, columns, rows))
    return sheets
