"""Naloxone resupplies by reason over a period: the one count the dashboard's Kits tab and
`followup report kits` show (definition: ``definitions.KIT_FIGURES["resupplies_by_reason"]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import vocab
from followup.access import Actor, require
from followup.db.models import NaloxoneSupply
from followup.reports.definitions import Period
from followup.reports.queries import kits_in
from followup.spreadsheets import CellKind, Column, Sheet

__all__ = ["ReasonCount", "ResupplyReport", "resupplies_by_reason", "resupplies_sheet"]


@dataclass(frozen=True)
class ReasonCount:
    reason: str  # a vocab.ResupplyReason value
    supplies: int  # resupplies recorded (one a supply, whatever its quantity)
    kits: int  # kits resupplied: the sum of their quantities

    @property
    def label(self) -> str:
        return vocab.label(self.reason)


@dataclass(frozen=True)
class ResupplyReport:
    period: Period
    reasons: tuple[ReasonCount, ...]  # every reason, in the order of vocab.RESUPPLY_REASONS
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def supplies(self) -> int:
        return sum(r.supplies for r in self.reasons)

    @property
    def kits(self) -> int:
        return sum(r.kits for r in self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.as_json(),
            "figure": "resupplies_by_reason",
            "reasons": {r.reason: {"supplies": r.supplies, "kits": r.kits} for r in self.reasons},
            "total": {"supplies": self.supplies, "kits": self.kits},
            "made_at": self.made_at.isoformat(),
        }


def resupplies_by_reason(session: Session, actor: Actor, period: Period) -> ResupplyReport:
    """Resupplies supplied in the period that count (not entered in error or amended), by the
    reason recorded: how many supplies and how many kits. For team leads (``reports``)."""
    require(actor, "reports")
    found = {
        reason: (int(supplies), int(kits or 0))
        for reason, supplies, kits in session.execute(
            select(
                NaloxoneSupply.resupply_reason,
                func.count(NaloxoneSupply.id),
                func.sum(NaloxoneSupply.quantity),
            )
            .where(kits_in(period), NaloxoneSupply.supply_type == vocab.SupplyType.RESUPPLY)
            .group_by(NaloxoneSupply.resupply_reason)
        )
    }
    reasons = tuple(
        ReasonCount(str(reason), *found.get(reason, (0, 0))) for reason in vocab.RESUPPLY_REASONS
    )
    return ResupplyReport(period, reasons)


def resupplies_sheet(report: ResupplyReport) -> Sheet:
    """The Kits tab's resupplies by reason, as a worksheet of the dashboard-tables workbook."""
    columns = [
        Column("reason", "Resupply reason", CellKind.TEXT, 26),
        Column("supplies", "Resupplies", CellKind.WHOLE, 12),
        Column("kits", "Kits", CellKind.WHOLE, 10),
    ]
    rows: list[list[Any]] = [[r.label, r.supplies, r.kits] for r in report.reasons]
    rows.append(["Total", report.supplies, sum(r.kits for r in report.reasons)])
    return Sheet("Resupplies by reason", columns, rows)
