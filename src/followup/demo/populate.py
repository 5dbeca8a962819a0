"""`followup demo`: fills an empty database with synthetic but realistic demonstration data.

Everything is made up and cannot reach a real person: names from Faker, phone numbers from
Ofcom's drama ranges, NHS numbers from the 999 test range, e-mail at example domains. The same
seed and ``now`` give the same rows. Rows are written with bulk Core inserts and ids chosen
here, in chunks of ten thousand cases, a transaction each, so that memory stays flat and a
million cases take a few minutes on SQLite.
"""

from __future__ import annotations

import gc
import logging
import random
from collections.abc import Sized
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter

from faker import Faker
from sqlalchemy import Connection, Date, Table, func, select, text, update
from sqlalchemy.orm import Session

from followup import audit
from followup.accounts import hash_password
from followup.casework import milestones
from followup.db.engine import Database, enforced_by_server
from followup.db.models import (
    Case,
    CaseStatusChange,
    ConsentEntry,
    ContactAttempt,
    NaloxoneSupply,
    Person,
    Referral,
    Service,
    Setting,
    TreatmentReferral,
    User,
    table_of,
)
from followup.db.types import UTCDateTime
from followup.demo.cases import CaseWriter
from followup.demo.data import (
    DEMO_LETTERHEAD,
    DEMO_PASSWORD,
    DEMO_SERVICES,
    DEMO_USERS,
    FORCE_PREFIX,
)
from followup.demo.people import PeopleMaker, Row, Who
from followup.errors import FollowupError
from followup.vocab import AuditAction, ServiceType

__all__ = ["NOT_EMPTY", "DemoResult", "populate"]

log = logging.getLogger(__name__)

NOT_EMPTY = (
    "This database already holds cases; demonstration data goes only into an empty database, "
    "so it never mixes with real data. Use a new database file with --db."
)
# Rows per INSERT statement: many rows per statement is several times faster on SQLite than
# executemany, which re-evaluates each statement's set-up (such as the check constraints'
# value lists) for every row. 30,000 parameters stay under every backend's limit.
_PARAMETERS_PER_STATEMENT = 30_000
# Cases made and written per transaction: enough that each statement is well used, few enough
# that a chunk's rows take tens of megabytes.
CHUNK_CASES = 10_000


@dataclass(frozen=True)
class DemoResult:
    """What `followup demo` added."""

    cases: int
    people: int
    referrals: int
    attempts: int
    consents: int
    kits: int
    treatment_referrals: int
    status_changes: int
    services: int
    users: int
    users_created: tuple[str, ...] = ()
    users_kept: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["users_created"] = list(self.users_created)
        data["users_kept"] = list(self.users_kept)
        data["password"] = DEMO_PASSWORD
        data["demonstration_database"] = True
        return data

    def describe(self) -> str:
        lines = [
            f"Added demonstration data: {self.cases:,} cases for {self.people:,} people from "
            f"{self.referrals:,} police referrals, with {self.attempts:,} contact attempts, "
            f"{self.consents:,} consent entries, {self.kits:,} naloxone kits and "
            f"{self.treatment_referrals:,} treatment referrals."
        ]
        if self.users_created:
            lines.append(
                f"Created the users {_names(self.users_created)}, each with the password "
                f"`{DEMO_PASSWORD}`."
            )
        if self.users_kept:
            lines.append(
                f"The users {_names(self.users_kept)} already existed and were left as they were."
            )
        lines.append(
            "The database is marked as a demonstration database: every person, phone number "
            "and NHS number in it is made up."
        )
        return "\n".join(lines)


def _names(names: tuple[str, ...]) -> str:
    workers = [n for n in names if n.startswith("worker")]
    others = [n for n in names if not n.startswith("worker")]
    if len(workers) > 2 and workers == [f"worker{i}" for i in range(1, len(workers) + 1)]:
        others.append(f"{workers[0]} to {workers[-1]}")
    else:
        others.extend(workers)
    return others[0] if len(others) == 1 else ", ".join(others[:-1]) + " and " + others[-1]


def populate(db: Database, cases: int, seed: int, now: datetime | None = None) -> DemoResult:
    """Fill an empty database with ``cases`` made-up cases; refuses one that holds cases.

    The cases are made and written in chunks of about ``CHUNK_CASES``, each in its own
    transaction, and nothing is kept from one chunk to the next but the id counters, so memory
    stays flat however many cases are asked for. The database is marked as a demonstration
    database in the first transaction, before any case is written.
    """
    if cases < 1:
        raise FollowupError("Ask for at least one demonstration case.")
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC throughout
    now = now.replace(microsecond=0)
    with db.session() as session:
        if session.scalar(select(Case.id).limit(1)) is not None:
            raise FollowupError(NOT_EMPTY)
        created, kept, user_ids = _users(session)
        seeded, treatment, other = _services(session)
        _letterhead(session, user_ids["admin"])
        session.merge(Setting(key="demo", value="1"))
        ids = _Ids(session.connection())
    master = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    people = PeopleMaker(random.Random(master.getrandbits(64)), fake, now, cases)
    writer = CaseWriter(
        random.Random(master.getrandbits(64)),
        now,
        [user_ids[f"worker{i}"] for i in range(1, 9)],
        user_ids["lead"],
        treatment,
        other,
    )
    totals = dict.fromkeys(("cases", "people", "referrals", "attempts", "consents", "kits",
                            "treatment", "changes"), 0)  # fmt: skip
    # A million new rows would set off the cyclic garbage collector again and again, to find
    # nothing: the cycles between a chunk's rows are broken when they are numbered, and one
    # collection after each chunk frees whatever is left.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while totals["cases"] < cases:
            writer.start_chunk()
            whos, referrals = _histories(people, writer, totals["cases"], cases)
            tables = _numbered(ids, whos, referrals, writer)
            with db.session() as session:
                conn = session.connection()
                for table, rows in tables:
                    _bulk_insert(conn, table, rows)
            made: tuple[Sized, ...] = (writer.cases, whos, referrals, writer.attempts, writer.consents, writer.kits, writer.treatment, writer.changes)  # fmt: skip
            for key, written in zip(totals, made, strict=True):
                totals[key] += len(written)
            del whos, referrals, tables, made
            writer.start_chunk()
            gc.collect()
            log.debug("Demonstration data: %d of %d cases written", totals["cases"], cases)
    finally:
        if collecting:
            gc.enable()
    with db.session() as session:
        if session.connection().dialect.name == "postgresql":
            _reset_sequences(session.connection(), ids.tables)
        audit.record(
            session,
            user_ids["admin"],
            AuditAction.IMPORT,
            "demo_data",
            None,
            {"seed": seed, "cases": cases},
        )
        # The report milestones, set-based over the finished rows, in this last transaction.
        milestones.backfill(session, reset=False)
    result = DemoResult(
        cases=totals["cases"],
        people=totals["people"],
        referrals=totals["referrals"],
        attempts=totals["attempts"],
        consents=totals["consents"],
        kits=totals["kits"],
        treatment_referrals=totals["treatment"],
        status_changes=totals["changes"],
        services=seeded,
        users=len(created),
        users_created=tuple(created),
        users_kept=tuple(kept),
    )
    log.info(
        "Added demonstration data: %d cases, %d people, %d referrals",
        result.cases,
        result.people,
        result.referrals,
    )
    return result


def _users(session: Session) -> tuple[list[str], list[str], dict[str, int]]:
    """The demonstration team; a user whose name is taken already is left as it is."""
    existing = {u.username.lower(): u for u in session.scalars(select(User))}
    # On a team server the server keeps passwords (each user is a login): no hash is stored.
    on_server = enforced_by_server(session)
    created: list[str] = []
    kept: list[str] = []
    users: dict[str, User] = {}
    for username, role, display_name in DEMO_USERS:
        user = existing.get(username)
        if user is not None:
            kept.append(username)
        else:
            user = User(
                username=username,
                display_name=display_name,
                role=role,
                active=True,
                password_hash="" if on_server else hash_password(DEMO_PASSWORD),
            )
            session.add(user)
            created.append(username)
        users[username] = user
    session.flush()
    if on_server:
        from followup.protection import team_accounts

        for username in created:  # their logins, with the demonstration password
            team_accounts.change_user(session, None, username, password=DEMO_PASSWORD)
        # Everyone knows the demonstration password: nobody is made to choose another.
        session.execute(
            update(User).where(User.username.in_(created)).values(password_must_change=False)
        )
    for username in created:
        user = users[username]
        audit.record(
            session, users["admin"].id, AuditAction.CREATE, "user", user.id,
            {"username": username, "role": user.role, "demo": True},
        )  # fmt: skip
    return created, kept, {name: u.id for name, u in users.items()}


def _letterhead(session: Session, admin_id: int) -> None:
    """An obviously fictional organisation's letterhead, so that every letter can be made,
    unless an administrator has set one already."""
    from followup.accounts import actor_of
    from followup.letters.settings import letterhead_version, set_letterhead

    if letterhead_version(session) > 0:
        return
    admin = session.get(User, admin_id)
    assert admin is not None
    set_letterhead(
        session,
        actor_of(admin),
        name=DEMO_LETTERHEAD["name"],
        address=DEMO_LETTERHEAD["address"],
        phone=DEMO_LETTERHEAD["phone"],
    )


def _services(session: Session) -> tuple[int, list[int], list[int]]:
    """Seed the services directory when it is empty; returns (seeded, treatment, others)."""
    seeded = 0
    if session.scalar(select(Service.id).limit(1)) is None:
        session.add_all(Service(active=True, **fields) for fields in DEMO_SERVICES)
        session.flush()
        seeded = len(DEMO_SERVICES)
    rows = session.execute(
        select(Service.id, Service.service_type, Service.active).order_by(Service.id)
    ).all()
    active = [r for r in rows if r.active] or list(rows)
    treatment = [r.id for r in active if r.service_type == ServiceType.TREATMENT] or [
        r.id for r in active
    ]
    other = [
        r.id for r in active if r.service_type in (ServiceType.HOUSING, ServiceType.MENTAL_HEALTH)
    ]
    return seeded, treatment, other


def _histories(
    people: PeopleMaker, writer: CaseWriter, made: int, cases: int
) -> tuple[list[Who], list[Row]]:
    """People and their referrals for one chunk: until the chunk holds ``CHUNK_CASES`` cases
    or ``cases`` cases are made in all (``made`` of them by earlier chunks).

    A repeat overdose while a case is still open joins that case; a later one opens a new case
    for the same person. Only the total limits a person's cases, so the rows do not depend on
    the chunk size.
    """
    whos: list[Who] = []
    referrals: list[Row] = []
    while len(writer.cases) < CHUNK_CASES and made + len(writer.cases) < cases:
        who = people.person()
        whos.append(who)
        case: Row | None = None
        open_until: datetime | None = None
        for referral in who.referrals:
            if case is not None and open_until is not None and referral["received_at"] < open_until:
                writer.attach(who, referral, case)
            elif made + len(writer.cases) < cases and not who.died:
                open_until = writer.open_case(who, referral)
                case = referral["case_id"]
            else:
                break
            referrals.append(referral)
            who.row["updated_at"] = referral["received_at"]
    return whos, referrals


class _Ids:
    """The next id of each demo table, read once before the first chunk and counted on here;
    and each day's police reference sequence."""

    def __init__(self, conn: Connection) -> None:
        self.tables = [table_of(m) for m in _MODELS]
        self.next = {
            t.name: (conn.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
            for t in self.tables
        }
        self.day_seq: dict[str, int] = {}

    def number(self, table: Table, rows: list[Row]) -> None:
        start = self.next[table.name]
        for i, row in enumerate(rows, start=start):
            row["id"] = i
        self.next[table.name] = start + len(rows)

    def police_reference(self, incident_at: datetime) -> str:
        stamp = incident_at.strftime("%Y%m%d")
        seq = self.day_seq[stamp] = self.day_seq.get(stamp, 0) + 1
        return f"{FORCE_PREFIX}-{stamp}-{seq:04d}"


_MODELS = (Person, Case, Referral, CaseStatusChange, ConsentEntry, ContactAttempt,
           TreatmentReferral, NaloxoneSupply)  # fmt: skip


def _numbered(
    ids: _Ids, whos: list[Who], referrals: list[Row], writer: CaseWriter
) -> list[tuple[Table, list[Row]]]:
    """Give every row of a chunk its id and turn references between rows into ids.

    Ids follow the order the rows were made in: a person's referrals and cases one after the
    other, and the rows of each case in time order, so these ids follow time within a case
    and within a person's consent.
    """
    people = [w.row for w in whos]
    for r in referrals:
        r["police_reference"] = ids.police_reference(r["incident_at"])
    tables: list[tuple[Table, list[Row]]] = [
        (table_of(Person), people),
        (table_of(Case), writer.cases),
        (table_of(Referral), referrals),
        (table_of(CaseStatusChange), writer.changes),
        (table_of(ConsentEntry), writer.consents),
        (table_of(ContactAttempt), writer.attempts),
        (table_of(TreatmentReferral), writer.treatment),
        (table_of(NaloxoneSupply), writer.kits),
    ]
    for table, rows in tables:
        ids.number(table, rows)
    for c in writer.cases:
        c["incident_at"] = None
    for r in referrals:  # each case's latest overdose, for the caseload
        c = r["case_id"]
        if c["incident_at"] is None or c["incident_at"] < r["incident_at"]:
            c["incident_at"] = r["incident_at"]
    for c in writer.cases:
        c["person_id"] = c["person_id"]["id"]
        c["police_reference"] = c["police_reference"]["police_reference"]
    for rows in (referrals, writer.consents, writer.kits):
        for r in rows:
            r["person_id"] = r["person_id"]["id"]
    for rows in (referrals, writer.changes, writer.consents, writer.attempts, writer.treatment, writer.kits):  # fmt: skip
        for r in rows:
            r["case_id"] = r["case_id"]["id"]
    return tables


def _bulk_insert(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Insert plain rows with multi-row INSERT statements straight to the driver.

    On SQLite, dates and times are written as text the way SQLAlchemy's own types write them
    (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``); PostgreSQL's driver takes them as they are.
    """
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "sqlite":
        for name in columns:
            kind = table.c[name].type
            if isinstance(kind, UTCDateTime):
                for row in rows:
                    value = row[name]
                    if value is not None:
                        text_value = value.isoformat(" ")
                        row[name] = text_value if value.microsecond else text_value + ".000000"
            elif isinstance(kind, Date):
                for row in rows:
                    if row[name] is not None:
                        row[name] = row[name].isoformat()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    per = max(1, _PARAMETERS_PER_STATEMENT // len(columns))
    full = head + ", ".join([one] * per)
    values = itemgetter(*columns)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(map(values, chunk))))


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL's id sequences past the ids chosen here, so later inserts never collide."""
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )
