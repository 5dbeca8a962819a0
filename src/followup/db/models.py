"""The domain model of DESIGN.md as SQLAlchemy 2 typed models.

Enumerations are enforced by check constraints built from ``followup.vocab``; constraint names
follow one naming convention so that Alembic migrations can refer to them on every backend.
A few caseload columns are kept on ``case`` (police reference, referral time, area, next action
due) so that the caseload of 100,000 cases can be listed, sorted and searched without joins
across every referral.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from followup import vocab
from followup.db.traceability import traceability_of
from followup.db.types import UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "add_postgresql_options",
    "AuditEvent",
    "AuditPrivateValue",
    "Base",
    "Case",
    "CaseStatusChange",
    "ConsentEntry",
    "ContactAttempt",
    "DestructionLog",
    "Letter",
    "LetterPrint",
    "MatchReview",
    "NaloxoneSupply",
    "Person",
    "PersonMerge",
    "Referral",
    "ReferralWarning",
    "Service",
    "Setting",
    "TreatmentReferral",
    "User",
    "one_of",
    "person_display_name",
    "table_of",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), date: Date()}


def table_of(model: type[Base]) -> Table:
    """The table a model is mapped to, for bulk Core statements (typed as a ``Table``)."""
    table = model.__table__
    assert isinstance(table, Table)  # every model here maps one declared table
    return table


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """A check constraint that keeps ``column`` within a vocabulary (NULL allowed)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or column)


class Correctable:
    """Columns of an entry that is corrected, never deleted (an attempt, consent, kit …).

    "Entered in error" sets ``voided_at``, ``voided_by_id`` and ``void_reason``; an amendment
    does the same and adds the corrected entry, whose ``amends_id`` names the one it replaces.
    Everything that computes state reads only entries whose ``voided_at`` is empty.
    """

    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def voided_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("user_account.id"))

    @declared_attr
    def amends_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"))  # type: ignore[attr-defined]


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (one_of("role", vocab.ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # scrypt on SQLite; empty on a PostgreSQL team server, whose own login roles check passwords.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Failed sign-ins since the last good one, and until when the account is locked.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    # Set by an administrator's password reset: the user chooses their own at next sign-in.
    password_must_change: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class Setting(Base):
    """Team-wide settings kept in the database (schedule, thresholds, letterhead, demo flag)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        one_of("gender", vocab.GENDERS),
        Index("ix_person_last_name_lower", text("lower(last_name)")),
        Index("ix_person_first_name_lower", text("lower(first_name)")),
        # The caseload's sorts by name and by age (migration 0017).
        Index(
            "ix_person_sort_name",
            text("lower(last_name)"),
            text("coalesce(lower(first_name), '')"),
            "id",
        ),
        Index("ix_person_sort_age", "date_of_birth", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    # Appearance as the police gave it, for people whose name is not known.
    description: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date | None] = mapped_column(index=True)
    gender: Mapped[str | None] = mapped_column(String(16))
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    no_fixed_abode: Mapped[bool] = mapped_column(Boolean, default=False)
    # Phone numbers are stored in E.164 (+447700900123) so that search matches any spelling.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    gp_practice: Mapped[str | None] = mapped_column(String(200))
    # Set when this record was merged into another; the merge can be undone.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    cases: Mapped[list[Case]] = relationship(back_populates="person")
    referrals: Mapped[list[Referral]] = relationship(back_populates="person")

    @property
    def display_name(self) -> str:
        return person_display_name(self.first_name, self.last_name, self.description)


def person_display_name(first: str | None, last: str | None, description: str | None) -> str:
    name = " ".join(part for part in (first, last) if part)
    if name:
        return name
    return f"Unnamed: {description}" if description else "Unnamed person"


# The partial indexes' predicate on PostgreSQL, put on them by ``add_postgresql_options`` when
# the first PostgreSQL engine is made (``db.engine.make_engine``): naming a dialect's option
# imports that dialect (all its drivers, asyncio among them), which a command line that only
# reads a SQLite file should not wait for.
_POSTGRESQL_WHERE: list[tuple[Index, Any]] = []


def _partial_index(name: str, *columns: str, where: Any) -> Index:
    """An index of the rows ``where`` holds for (SQLite now, PostgreSQL once it is used)."""
    index = Index(name, *columns, sqlite_where=where)
    _POSTGRESQL_WHERE.append((index, where))
    return index


def add_postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL predicate (before any PostgreSQL DDL, schema
    comparison or migration); any thread may call it, as often as it likes."""
    while _POSTGRESQL_WHERE:
        try:
            index, where = _POSTGRESQL_WHERE.pop()
        except IndexError:  # another thread took the last one
            return
        index.dialect_kwargs["postgresql_where"] = where


def _caseload_sort_indexes() -> list[Index]:
    sorts = {
        "reference": "police_reference",
        "area": "area",
        "status": "status",
        "worker": "assigned_worker_id",
        "due": "next_action_due_at",
        "days": "incident_at",
    }
    open_only = text("status <> 'closed'")
    indexes = [
        _partial_index(f"ix_case_file_open_{name}", column, "id", where=open_only)
        for name, column in sorts.items()
    ]
    # police_reference, next_action_due_at and incident_at have an index of their own already.
    indexes += [
        Index(f"ix_case_file_sort_{name}", sorts[name], "id")
        for name in ("area", "status", "worker")
    ]
    return indexes


class Case(Base):
    __tablename__ = "case_file"
    __table_args__ = (
        one_of("status", vocab.CASE_STATUSES),
        one_of("closure_reason", vocab.CLOSURE_REASONS),
        CheckConstraint(
            "(status = 'closed') = (closure_reason IS NOT NULL)", name="closed_has_reason"
        ),
        Index("ix_case_file_status_next_due", "status", "next_action_due_at"),
        Index("ix_case_file_worker_status", "assigned_worker_id", "status"),
        # The caseload's sorts, each with the case id after it for keyset paging, and each
        # for open cases alone too (migration 0017).
        *_caseload_sort_indexes(),
        # The reports' cohort of a period (cases by referral time) with every column the
        # figures read, so that a period costs its own cases and is read from the index alone.
        Index(
            "ix_case_file_report_cohort",
            "referred_at",
            "assigned_worker_id",
            "area",
            "first_attempt_at",
            "first_contact_at",
            "engaged_at",
            "treatment_referred_at",
            "in_treatment_at",
            "closure_reason",
            "first_direct_contact_at",
        ),
        # The same columns led by the slice keys (migration 0028): on SQLite, whose GROUP BY
        # sorts, the report reads each month as a range per worker and area in group order.
        Index(
            "ix_case_file_report_slices",
            "assigned_worker_id",
            "area",
            "referred_at",
            "first_attempt_at",
            "first_contact_at",
            "engaged_at",
            "treatment_referred_at",
            "in_treatment_at",
            "closure_reason",
            "first_direct_contact_at",
        ),
        # A case's slice keys by its id, for the report's joins from kits and repeat
        # referrals (migration 0019): read from this small index, not the wide row.
        Index("ix_case_file_slice", "id", "assigned_worker_id", "area"),
        one_of("no_contact_reason", vocab.NO_CONTACT_REASONS),
        # "Overdue now": open cases by when their next attempt is due.
        _partial_index(
            "ix_case_file_overdue",
            "next_action_due_at",
            "assigned_worker_id",
            "area",
            where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=vocab.CaseStatus.NEW)
    assigned_worker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Copied from the referral that opened the case, for a fast caseload list.
    police_reference: Mapped[str] = mapped_column(String(64), index=True)
    referred_at: Mapped[datetime] = mapped_column(index=True)
    area: Mapped[str | None] = mapped_column(String(8), index=True)
    next_action_due_at: Mapped[datetime | None] = mapped_column(index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    closure_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The latest overdose (incident time) among the case's referrals, for the caseload list.
    incident_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the current round of contact attempts began (a new overdose or a reopening
    # restarts it); None means when the case was referred.
    round_started_at: Mapped[datetime | None]
    # A new overdose of the person while the case is open (or one that reopened it): the
    # referral (no foreign key: the two tables refer to each other), its incident time, and
    # when and by whom the case's worker acknowledged it.
    reoverdose_referral_id: Mapped[int | None]
    reoverdose_at: Mapped[datetime | None] = mapped_column(index=True)
    reoverdose_acknowledged_at: Mapped[datetime | None]
    reoverdose_acknowledged_by_id: Mapped[int | None]
    # Milestones, kept by ``casework.milestones`` from the case's attempts and status history
    # in the same transaction as the change, for the reports: the first attempt and the first
    # contact (attempts not voided), and when the case first reached Engaged, Referred and In
    # treatment (or beyond).
    first_attempt_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    engaged_at: Mapped[datetime | None]
    treatment_referred_at: Mapped[datetime | None]
    in_treatment_at: Mapped[datetime | None]
    # The first contact made with the person themselves, not through family or friends
    # (migration 0026): "Engaged through their network" is engaged with none.
    first_direct_contact_at: Mapped[datetime | None]
    # Why a case closed without the worker ever speaking with the person (migration 0022);
    # read only while the case is closed.
    no_contact_reason: Mapped[str | None] = mapped_column(String(32))

    person: Mapped[Person] = relationship(back_populates="cases")
    assigned_worker: Mapped[User | None] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="case")

    __mapper_args__ = {"version_id_col": version}


class CaseStatusChange(Base):
    """Every status change of a case, for the timeline and for period reports."""

    __tablename__ = "case_status_change"
    __table_args__ = (
        one_of("from_status", vocab.CASE_STATUSES),
        one_of("to_status", vocab.CASE_STATUSES),
        # Covers "which stages did this case reach" for the reports.
        Index("ix_case_status_change_case_status", "case_id", "to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)


def _referral_traceability(context: Any) -> str:
    """The default class of a referral written without one: from its person's record."""
    person_id = context.get_current_parameters().get("person_id")
    return traceability_of(context.connection, Person.__table__, person_id)


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (
        UniqueConstraint("force", "police_reference"),
        one_of("consent_at_scene", vocab.SCENE_CONSENT),
        CheckConstraint("naloxone_doses BETWEEN 0 AND 10", name="naloxone_doses_range"),
        # Covers repeat overdoses: a person's earlier referrals.
        Index("ix_referral_person_received", "person_id", "received_at"),
        # A period's repeat overdoses, with their cases, as one range (migration 0019).
        Index("ix_referral_repeat", "repeat_overdose", "received_at", "case_id"),
        # Each person's first referral, the one that is not a repeat: the repeat-flag trigger's
        # one probe when a referral arrives (migration 0027).
        _partial_index("ix_referral_first", "person_id", where=text("NOT repeat_overdose")),
        one_of("traceability", vocab.TRACEABILITY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # Indexed on its own for search by reference (the unique index leads with force).
    police_reference: Mapped[str] = mapped_column(String(64), index=True)
    force: Mapped[str] = mapped_column(String(100))
    incident_at: Mapped[datetime] = mapped_column(index=True)  # spike alerts (migration 0020)
    incident_location: Mapped[str | None] = mapped_column(Text)
    incident_postcode: Mapped[str | None] = mapped_column(String(10))
    officer_id: Mapped[str | None] = mapped_column(String(32))
    officer_name: Mapped[str | None] = mapped_column(String(120))
    station: Mapped[str | None] = mapped_column(String(120))
    naloxone_doses: Mapped[int | None]
    naloxone_product: Mapped[str | None] = mapped_column(String(64))
    ambulance_called: Mapped[bool | None]
    conveyed_to_hospital: Mapped[bool | None]
    substances: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    consent_at_scene: Mapped[str] = mapped_column(String(8), default=vocab.SceneConsent.UNKNOWN)
    notes: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source_file: Mapped[str | None] = mapped_column(String(255))
    # The person already had an earlier referral (received before this one, or at the same
    # time with a lower id). Kept by the database's own triggers (migration 0019) whenever a
    # referral is added, moved to another person, re-timed or removed; never set by the app.
    repeat_overdose: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # How traceable the referral was at intake (``followup.intake.traceability``; migration
    # 0022). Intake sets it from the referral's own fields; a referral written without it
    # gets it from its person's record.
    traceability: Mapped[str] = mapped_column(String(20), default=_referral_traceability)

    case: Mapped[Case] = relationship(back_populates="referrals")
    person: Mapped[Person] = relationship(back_populates="referrals")
    warnings: Mapped[list[ReferralWarning]] = relationship(back_populates="referral")


class ReferralWarning(Base):
    """An optional field left out at intake: the row, the field and why."""

    __tablename__ = "referral_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    row_number: Mapped[int | None]
    field: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="warnings")


class MatchReview(Base):
    """An uncertain match between an incoming person and a known one, waiting for a decision."""

    __tablename__ = "match_review"
    __table_args__ = (one_of("state", vocab.MATCH_REVIEW_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    incoming_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    candidate_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    score: Mapped[float]
    state: Mapped[str] = mapped_column(
        String(20), default=vocab.MatchReviewState.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PersonMerge(Base):
    """A merge of two person records, with what is needed to undo it."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    merged_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # JSON: the ids of rows moved from the merged person to the kept one.
    moved: Mapped[str] = mapped_column(Text)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ConsentEntry(Correctable, Base):
    """One entry in a person's consent history; the latest per scope is in force."""

    __tablename__ = "consent_entry"
    __table_args__ = (
        one_of("scope", vocab.CONSENT_SCOPES),
        one_of("state", vocab.CONSENT_STATES),
        one_of("method", vocab.CONSENT_METHODS),
        Index("ix_consent_entry_person_scope", "person_id", "scope", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Who gave or relayed it when it is not a user of the app, e.g. the police officer.
    source: Mapped[str | None] = mapped_column(String(200))
    expires_on: Mapped[date | None]
    evidence: Mapped[str | None] = mapped_column(Text)


class ContactAttempt(Correctable, Base):
    __tablename__ = "contact_attempt"
    __table_args__ = (
        one_of("method", vocab.CONTACT_METHODS),
        one_of("outcome", vocab.CONTACT_OUTCOMES),
        # Covers first attempt and first contact per case for the reports.
        Index("ix_contact_attempt_case_time_outcome", "case_id", "attempted_at", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Made while consent to the method was not yet asked, to ask it (phone or text only).
    seeking_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Service(Base):
    """A treatment or support service in the directory."""

    __tablename__ = "service"
    __table_args__ = (one_of("service_type", vocab.SERVICE_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    service_type: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    secure_email: Mapped[str | None] = mapped_column(String(254))
    referral_notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class TreatmentReferral(Correctable, Base):
    __tablename__ = "treatment_referral"
    __table_args__ = (one_of("exit_reason", vocab.TREATMENT_EXIT_REASONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    referred_on: Mapped[date]
    assessment_booked_for: Mapped[datetime | None]
    assessment_attended: Mapped[bool | None]
    treatment_started_on: Mapped[date | None]
    exit_on: Mapped[date | None]
    exit_reason: Mapped[str | None] = mapped_column(String(40))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class NaloxoneSupply(Correctable, Base):
    """A take-home naloxone kit supplied by the service (not police doses at the scene)."""

    __tablename__ = "naloxone_supply"
    __table_args__ = (
        one_of("kit_type", vocab.KIT_TYPES),
        one_of("recipient", vocab.KIT_RECIPIENTS),
        one_of("supply_type", vocab.SUPPLY_TYPES),
        one_of("resupply_reason", vocab.RESUPPLY_REASONS),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        # A period's kits that count, with their case and quantity, from the index alone.
        Index("ix_naloxone_supply_report", "supplied_on", "voided_at", "case_id", "quantity"),
        # A batch recall in any case, and each person's latest kit (casework.kits; 0023).
        Index("ix_naloxone_supply_batch_lower", text("lower(batch_number)")),
        Index("ix_naloxone_supply_person_latest", "person_id", "supplied_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    supplied_on: Mapped[date] = mapped_column(index=True)
    kit_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    recipient: Mapped[str] = mapped_column(String(16), default=vocab.KitRecipient.PERSON)
    supply_type: Mapped[str] = mapped_column(String(16), default=vocab.SupplyType.NEW)
    resupply_reason: Mapped[str | None] = mapped_column(String(32))
    training_given: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_number: Mapped[str | None] = mapped_column(String(64))
    expires_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Checked on every update: a save made on an old reading raises instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class Letter(Base):
    """A letter made, its PDF, and where it is: due, printed, posted or returned."""

    __tablename__ = "letter"
    __table_args__ = (
        one_of("template", vocab.LETTER_TEMPLATES),
        one_of("state", vocab.LETTER_STATES, name="letter_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    template: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # Due until a print the system accepted (or a saved copy); posted and returned are the
    # user's word. The time is that of the latest change of state.
    state: Mapped[str] = mapped_column(
        String(16), default=vocab.LetterState.DUE, server_default="due", index=True
    )
    state_at: Mapped[datetime | None]


class LetterPrint(Base):
    __tablename__ = "letter_print"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    destination: Mapped[str | None] = mapped_column(String(200))
    # The print system's id for the job (a CUPS request id such as "office-42"), if it gave one.
    job: Mapped[str | None] = mapped_column(String(100))


class AuditEvent(Base):
    """Append-only record of who did what. Nothing in the code updates or deletes these rows."""

    __tablename__ = "audit_event"
    __table_args__ = (
        one_of("action", vocab.AUDIT_ACTIONS),
        Index("ix_audit_event_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The name typed at sign-in, kept for failed attempts where no user matches.
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    # JSON: {"field": [before, after], ...} or other details of the action.
    details: Mapped[str | None] = mapped_column(Text)
    # This event's hash, chained to the one before (followup.audit.chain); None before 0006.
    chain: Mapped[str | None] = mapped_column(String(64))


class AuditPrivateValue(Base):
    """The personal values of one audit event (before and after), kept apart from the event.

    ``audit_event`` is append-only, so personal data written there could never be destroyed.
    The event keeps which fields changed; the values live here, and the retention purge
    deletes them with the person. Nothing else deletes or changes these rows.
    """

    __tablename__ = "audit_private_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), index=True)
    # None for a value that is nobody's in particular (the text of a search).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # JSON: {"field": [before, after], ...}
    details: Mapped[str] = mapped_column(Text)

    event: Mapped[AuditEvent] = relationship()


class DestructionLog(Base):
    """One person destroyed under the retention rule: identifiers, dates and who approved it.

    Append-only, like the audit trail. No foreign key to the person: the person is gone.
    """

    __tablename__ = "destruction_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    destroyed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    person_id: Mapped[int]
    # JSON: the ids of the cases destroyed with the person.
    case_ids: Mapped[str] = mapped_column(Text)
    closed_on: Mapped[date]
    retention_years: Mapped[int]
    letters_removed: Mapped[int] = mapped_column(Integer, default=0)


class QuarantinedRow(Base):
    """A rejected row of a referral file, kept as it stood until a lead imports or dismisses it.

    ``original`` is the record's text in the file (a CSV line, or a JSON object), ``header``
    the CSV header line it is read with, ``reasons`` a JSON list of {"field", "reason"}.
    Removed by the retention run once the retention period has passed since it was received
    or decided.
    """

    __tablename__ = "quarantined_row"
    # No RETURNING on insert: on a team server a worker's import adds rows it may not read.
    __table_args__ = (one_of("state", vocab.QUARANTINE_STATES), {"implicit_returning": False})

    id: Mapped[int] = mapped_column(primary_key=True)
    source_file: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    row_number: Mapped[int]
    line_number: Mapped[int]
    header: Mapped[str] = mapped_column(Text, default="")
    original: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(16), default=vocab.QuarantineState.PENDING)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    # The referral it became; no foreign key, since retention may destroy that referral first.
    referral_id: Mapped[int | None]


__all__ += ["QuarantinedRow"]


class CaseNote(Correctable, Base):
    """A free-text note on a case: timestamped, in the timeline, never in a letter."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)


class PersonChange(Correctable, Base):
    """One field of a person's details changed from the case screen, with both values.

    Kept beside the audit trail (which names only the field) so that the case timeline and the
    subject-access pack can show it, and so that it can be marked entered in error; removed
    with the person by the retention purge.
    """

    __tablename__ = "person_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    field: Mapped[str] = mapped_column(String(32))
    # The values as JSON (a date as ISO text), so that one column holds any field's value.
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


def not_voided(model: type[Correctable]) -> ColumnElement[bool]:
    """The condition for entries that count: not marked entered in error or amended."""
    return model.voided_at.is_(None)


__all__ += ["CaseNote", "Correctable", "PersonChange", "not_voided"]


class SpikeAlert(Base):
    """A spike: ``referral_count`` referrals for incidents in one postcode district within the
    team's window (``casework.spikes``); one per district and window, extended as more come."""

    __tablename__ = "spike_alert"
    __table_args__ = (Index("ix_spike_alert_district_window", "district", "window_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(8))
    # The first and the last incident time of its referrals.
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    referral_count: Mapped[int] = mapped_column(Integer)
    # What the police noted, counted: "heroin (3), spice (1)"; never any person's details.
    substances: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    extended_at: Mapped[datetime | None]


class SpikeAlertCase(Base):
    """A referral behind a spike alert (its case is the referral's: a merge that moves the
    referral moves it); a referral is behind one alert at most."""

    __tablename__ = "spike_alert_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("spike_alert.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), unique=True)


class SpikeAlertAck(Base):
    """A user has seen a spike alert at ``referral_count`` referrals (a larger count shows it
    to them again)."""

    __tablename__ = "spike_alert_ack"
    __table_args__ = (Index("ix_spike_alert_ack_alert_user", "alert_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("spike_alert.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    referral_count: Mapped[int] = mapped_column(Integer)


__all__ += ["SpikeAlert", "SpikeAlertAck", "SpikeAlertCase"]
