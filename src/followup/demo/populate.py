"""`followup demo`: fills an empty database with synthetic but realistic demonstration data.

Everything is made up and cannot reach a real person: names from Faker, phone numbers from
Ofcom's drama ranges, NHS numbers from the 999 test range, e-mail at example domains. The same
seed and ``now`` give the same rows. The rows are made as tuples with ids chosen here, in
chunks of ten thousand cases, and written in bulk a chunk at a time (``demo.bulk``), so that
memory stays flat and a million cases take minutes.
"""

from __future__ import annotations

import gc
import logging
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from faker import Faker
from sqlalchemy import Connection, Table, func, select, text, update
from sqlalchemy.orm import Session

from followup import audit
from followup.accounts import hash_password
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
from followup.demo.bulk import Chunk, bulk_loading
from followup.demo.cases import (
    ATTEMPT_COLUMNS,
    CASE_COLUMNS,
    CHANGE_COLUMNS,
    CONSENT_COLUMNS,
    KIT_COLUMNS,
    TREATMENT_COLUMNS,
    CaseWriter,
)
from followup.demo.data import (
    DEMO_LETTERHEAD,
    DEMO_PASSWORD,
    DEMO_SERVICES,
    DEMO_USERS,
    FORCE_PREFIX,
)
from followup.demo.people import PERSON_COLUMNS, REFERRAL_COLUMNS, PeopleMaker, Row
from followup.errors import FollowupError
from followup.vocab import AuditAction, ServiceType

__all__ = ["CHUNK_CASES", "NOT_EMPTY", "DemoResult", "populate"]

log = logging.getLogger(__name__)

NOT_EMPTY = (
    "This database already holds cases; demonstration data goes only into an empty database, "
    "so it never mixes with real data. Use a new database file with --db."
)
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
    database in the first transaction, before any case is written. Each case's report
    milestones are written with it, as casework would have kept them.
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
        ids.next,
    )
    # What DemoResult counts, under the name of the table it counts.
    totals = dict.fromkeys(("person", "case_file", "referral", "case_status_change",
                            "consent_entry", "contact_attempt", "treatment_referral",
                            "naloxone_supply"), 0)  # fmt: skip
    # The rows are tuples of plain values, with no cycles between them: the cyclic garbage
    # collector, set off again and again by millions of new tuples, would find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with bulk_loading(db, [t.name for t in ids.tables]) as loader:
            while totals["case_file"] < cases:
                writer.start_chunk()
                persons, referrals = _histories(people, writer, ids, totals["case_file"], cases)
                chunk: Chunk = (
                    ("person", PERSON_COLUMNS, persons),
                    ("case_file", CASE_COLUMNS, [c.row() for c in writer.cases]),
                    ("referral", REFERRAL_COLUMNS, referrals),
                    ("case_status_change", CHANGE_COLUMNS, writer.changes),
                    ("consent_entry", CONSENT_COLUMNS, writer.consents),
                    ("contact_attempt", ATTEMPT_COLUMNS, writer.attempts),
                    ("treatment_referral", TREATMENT_COLUMNS, writer.treatment),
                    ("naloxone_supply", KIT_COLUMNS, writer.kits),
                )
                loader.write(chunk)
                for table, _columns, rows in chunk:
                    totals[table] += len(rows)
                del chunk, persons, referrals
                log.debug("Demonstration data: %d of %d cases written", totals["case_file"], cases)
            writer.start_chunk()
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
    result = DemoResult(
        cases=totals["case_file"],
        people=totals["person"],
        referrals=totals["referral"],
        attempts=totals["contact_attempt"],
        consents=totals["consent_entry"],
        kits=totals["naloxone_supply"],
        treatment_referrals=totals["treatment_referral"],
        status_changes=totals["case_status_change"],
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
    # One hash for them all: the password is the same and published, so a salt of each user's
    # own would protect nothing, and each hash costs a second of CPU and 128 MB by design.
    shared_hash = ""
    for username, role, display_name in DEMO_USERS:
        user = existing.get(username)
        if user is not None:
            kept.append(username)
        else:
            if not on_server and not shared_hash:
                shared_hash = hash_password(DEMO_PASSWORD)
            user = User(
                username=username,
                display_name=display_name,
                role=role,
                active=True,
                password_hash=shared_hash,
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
    people: PeopleMaker, writer: CaseWriter, ids: _Ids, made: int, cases: int
) -> tuple[list[Row], list[Row]]:
    """People and their referrals for one chunk: until the chunk holds ``CHUNK_CASES`` cases
    or ``cases`` cases are made in all (``made`` of them by earlier chunks).

    A repeat overdose while a case is still open joins that case; a later one opens a new case
    for the same person. Only the total limits a person's cases, so the rows do not depend on
    the chunk size. Ids follow the order the rows are made in: a person's referrals and cases
    one after the other, and the rows of each case in time order, so these ids follow time
    within a case and within a person's consent.
    """
    persons: list[Row] = []
    referrals: list[Row] = []
    person0, referral0 = ids.next["person"], ids.next["referral"]
    while len(writer.cases) < CHUNK_CASES and made + len(writer.cases) < cases:
        who = people.person()
        who.id = person0 + len(persons)
        case = None
        open_until: datetime | None = None
        for overdose in who.referrals:
            if case is not None and open_until is not None and overdose.received_at < open_until:
                reference = ids.police_reference(overdose.incident_at)
                writer.attach(who, overdose, case)
            elif made + len(writer.cases) < cases and not who.died:
                reference = ids.police_reference(overdose.incident_at)
                case, open_until = writer.open_case(who, overdose, reference)
            else:
                break
            referrals.append(
                overdose.row((referral0 + len(referrals), case.id, who.id), reference, who)
            )
            who.updated_at = overdose.received_at
        persons.append(who.row())
    ids.next["person"] += len(persons)
    ids.next["referral"] += len(referrals)
    return persons, referrals


class _Ids:
    """The next id of each demo table, read once before the first chunk and counted on from
    there (by ``_histories`` and the ``CaseWriter``); and each day's police reference sequence."""

    def __init__(self, conn: Connection) -> None:
        self.tables = [table_of(m) for m in _MODELS]
        self.next = {
            t.name: (conn.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
            for t in self.tables
        }
        self.day_seq: dict[str, int] = {}

    def police_reference(self, incident_at: datetime) -> str:
        stamp = incident_at.strftime("%Y%m%d")
        seq = self.day_seq[stamp] = self.day_seq.get(stamp, 0) + 1
        return f"{FORCE_PREFIX}-{stamp}-{seq:04d}"


_MODELS = (Person, Case, Referral, CaseStatusChange, ConsentEntry, ContactAttempt,
           TreatmentReferral, NaloxoneSupply)  # fmt: skip


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL's id sequences past the ids chosen here, so later inserts never collide."""
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )
