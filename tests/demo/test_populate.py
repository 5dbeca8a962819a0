"""`followup demo`: synthetic data through the real command line, and its service on each backend."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from stdnum.gb import nhs

from followup import vocab
from followup.accounts import sign_in
from followup.casework.schedule import DEFAULT_SCHEDULE
from followup.cli import main
from followup.db.migrate import open_database
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
)
from followup.demo.populate import NOT_EMPTY, populate
from followup.validation import nhs_number_problem, normalise_phone, postcode_district

NOW = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)


def _run_demo(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["demo", "--cases", "300", "--seed", "7", "--db", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """One demonstration database made through the command line, shared by the read-only tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    # capsys is per test, so this module-wide run captures its output by hand.
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", "--cases", "300", "--seed", "7", "--db", str(path)])
    assert err.getvalue() == ""
    return path, code, out.getvalue()


@pytest.fixture
def demo_db(demo_file, tmp_path: Path):
    db = open_database("sqlite:///" + str(demo_file[0]), backup_dir=tmp_path / "backups")
    yield db
    db.dispose()


def test_cli_reports_what_it_added(demo_file) -> None:
    _, code, out = demo_file
    assert code == 0
    assert "300 cases" in out
    assert "admin, lead and worker1 to worker8" in out
    assert "password `demo`" in out
    assert "demonstration database" in out


def test_counts_cover_the_whole_model(demo_db) -> None:
    with demo_db.session() as s:
        count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Case) == 300
        assert 200 <= count(Person) < 300
        assert count(Referral) >= 300
        assert count(ContactAttempt) > 300
        assert count(ConsentEntry) > 100
        assert count(NaloxoneSupply) > 20
        assert count(TreatmentReferral) > 20
        assert count(Service) >= 4
        assert count(CaseStatusChange) >= 300
        statuses = dict(s.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        assert set(statuses) <= set(vocab.CASE_STATUSES)
        assert statuses.get("closed", 0) > 150
        assert sum(statuses.get(st, 0) for st in vocab.OPEN_STATUSES) > 0


def test_engagement_and_repeats_are_realistic(demo_db) -> None:
    with demo_db.session() as s:
        cases = s.scalar(select(func.count()).select_from(Case))
        engaged = s.scalar(
            select(func.count(func.distinct(CaseStatusChange.case_id))).where(
                CaseStatusChange.to_status == "engaged"
            )
        )
        assert 0.25 <= engaged / cases <= 0.55
        people = s.scalar(select(func.count()).select_from(Person))
        repeat = (
            select(Referral.person_id)
            .group_by(Referral.person_id)
            .having(func.count() > 1)
            .subquery()
        )
        repeaters = s.scalar(select(func.count()).select_from(repeat))
        assert 0.10 <= repeaters / people <= 0.24
        # Engaged cases end their attempts with a conversation that went well.
        for case_id in s.scalars(select(Case.id).where(Case.status == "engaged")):
            last = s.scalar(
                select(ContactAttempt.outcome)
                .where(ContactAttempt.case_id == case_id)
                .order_by(ContactAttempt.attempted_at.desc())
                .limit(1)
            )
            assert last == "spoke_engaged"


def test_nothing_belongs_to_a_real_person(demo_db) -> None:
    with demo_db.session() as s:
        people = s.execute(select(Person.phone, Person.nhs_number, Person.email)).all()
        services = s.scalars(select(Service.phone)).all()
    phones = [p.phone for p in people if p.phone] + [p for p in services if p]
    assert phones
    for phone in phones:
        assert normalise_phone(phone) == phone
        assert re.fullmatch(r"\+447700900\d{3}|\+441214960\d{3}", phone), phone
    numbers = [p.nhs_number for p in people if p.nhs_number]
    assert numbers and len(set(numbers)) == len(numbers)
    for number in numbers:
        assert number.startswith("999") and nhs.is_valid(number)
        assert nhs_number_problem(number) is None
    for email in (p.email for p in people if p.email):
        assert email.rsplit("@", 1)[1] in ("example.com", "example.org")


def test_cases_follow_the_rules(demo_db) -> None:
    with demo_db.session() as s:
        cases = s.scalars(select(Case)).all()
        for case in cases:
            if case.status == "closed":
                assert case.closure_reason and case.next_action_due_at is None
            elif case.status not in ("new", "contacting"):
                # As in casework: nothing is due once the person has been reached.
                assert case.next_action_due_at is None
            else:
                attempts = s.scalars(
                    select(ContactAttempt.attempted_at).where(ContactAttempt.case_id == case.id)
                ).all()
                assert case.next_action_due_at == DEFAULT_SCHEDULE.next_attempt_due(
                    case.referred_at, list(attempts)
                )
            if case.status != "new":
                assert case.assigned_worker_id is not None
            first = s.scalar(
                select(Referral)
                .where(Referral.case_id == case.id)
                .order_by(Referral.received_at)
                .limit(1)
            )
            assert case.police_reference == first.police_reference
            assert case.referred_at == first.received_at
            assert re.fullmatch(r"WMP-\d{8}-\d{4}", case.police_reference)
            assert case.area == postcode_district(case.person.postcode or first.incident_postcode)
        # A referral needs sharing consent in force before it is made.
        referred = s.scalars(
            select(CaseStatusChange).where(CaseStatusChange.to_status == "referred")
        ).all()
        for change in referred:
            case = s.get(Case, change.case_id)
            consent = s.scalar(
                select(ConsentEntry.state)
                .where(
                    ConsentEntry.person_id == case.person_id,
                    ConsentEntry.scope == "share_with_treatment",
                    ConsentEntry.recorded_at <= change.changed_at,
                )
                .order_by(ConsentEntry.recorded_at.desc())
                .limit(1)
            )
            assert consent == "given"
        unnamed = s.scalars(select(Person).where(Person.first_name.is_(None))).all()
        assert unnamed and all(p.description and p.last_name is None for p in unnamed)


def test_demo_users_sign_in_and_the_database_is_marked(demo_db) -> None:
    with demo_db.session() as s:
        roles = dict(s.execute(select(User.username, User.role)).all())
        assert roles["admin"] == "admin" and roles["lead"] == "lead"
        assert all(roles[f"worker{i}"] == "worker" for i in range(1, 9))
        assert s.get(Setting, "demo").value == "1"
    for name in ("admin", "lead", "worker1", "worker8"):
        with demo_db.session() as s:
            assert sign_in(s, name, "demo").username == name


def test_refuses_a_database_that_holds_cases(
    demo_file,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "copy.sqlite"
    path.write_bytes(demo_file[0].read_bytes())
    code, out, err = _run_demo(path, capsys)
    assert code == 2
    assert out == ""
    assert err == f"followup: {NOT_EMPTY}\n"
    assert err.count("\n") == 1 and "Traceback" not in err  # the plain message, no traceback
    db = open_database("sqlite:///" + str(path), backup_dir=tmp_path / "backups")
    try:
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 300
    finally:
        db.dispose()


def test_same_seed_same_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    names = []
    for path in (first, second):
        assert _run_demo(path, capsys)[0] == 0
        db = open_database("sqlite:///" + str(path), backup_dir=tmp_path / "backups")
        try:
            with db.session() as s:
                names.append(
                    sorted(
                        [tuple(r) for r in s.execute(select(Person.first_name, Person.last_name))],
                        key=str,
                    )
                )
        finally:
            db.dispose()
    assert names[0] == names[1]


def test_same_seed_and_now_give_identical_rows(tmp_path: Path) -> None:
    rows = []
    for name in ("a", "b"):
        db = open_database(
            f"sqlite:///{tmp_path / name}.sqlite", create=True, backup_dir=tmp_path / "backups"
        )
        try:
            populate(db, 120, seed=3, now=NOW)
            with db.session() as s:
                rows.append(
                    (
                        s.execute(
                            select(Person.id, Person.first_name, Person.last_name, Person.phone)
                        ).all(),
                        s.execute(
                            select(Referral.id, Referral.police_reference, Referral.incident_at)
                        ).all(),
                        s.execute(select(Case.id, Case.status, Case.next_action_due_at)).all(),
                        s.scalar(select(func.count()).select_from(ContactAttempt)),
                    )
                )
        finally:
            db.dispose()
    assert rows[0] == rows[1]
    assert all(incident_at < NOW for _, _, incident_at in rows[0][1])


def test_on_each_backend_later_inserts_get_fresh_ids(database) -> None:
    result = populate(database, 40, seed=11, now=NOW)
    assert result.cases == 40
    with database.session() as s:
        newest = s.scalar(select(func.max(Person.id)))
        person = Person(first_name="Test", last_name="Person")
        s.add(person)
        s.flush()
        assert person.id > newest
        case_id = s.scalar(select(func.min(Case.id)))
        attempt = ContactAttempt(case_id=case_id, method="phone", outcome="no_answer")
        s.add(attempt)
        s.flush()
        assert attempt.id > s.scalar(
            select(func.max(ContactAttempt.id)).where(ContactAttempt.id != attempt.id)
        )
        assert s.scalar(select(func.count()).select_from(Case)) == 40
        assert s.get(Setting, "demo").value == "1"


def test_a_demo_database_can_make_every_letter_at_once(demo_db) -> None:
    """The demo sets a fictional letterhead (a phone number from Ofcom's drama range), so no
    letter waits for an administrator to type one in."""
    from followup.accounts import actor_of
    from followup.letters.batch import letterhead_gaps, letters_due
    from followup.letters.settings import letterhead

    with demo_db.session() as s:
        head = letterhead(s)
        assert "(demonstration)" in head.name
        assert normalise_phone(head.phone) == "+441214960500"  # 0121 496 0000-0999: drama
        assert letterhead_gaps(s) == {}
        lead = actor_of(s.scalar(select(User).where(User.username == "lead")))
        due = letters_due(s, lead)
    assert due
    assert not any(d.problem and "letterhead" in d.problem for d in due)


def _indexes(db) -> set[str]:
    """The indexes and triggers of the tables the demo writes, as the database lists them."""
    tables = (
        "person", "case_file", "referral", "case_status_change", "consent_entry",
        "contact_attempt", "treatment_referral", "naloxone_supply",
    )  # fmt: skip
    names = ", ".join(f"'{t}'" for t in tables)
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.exec_driver_sql(
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master "
                f"WHERE type IN ('index', 'trigger') AND tbl_name IN ({names})"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                f"AND tablename IN ({names})"
            )
        return {r[0] for r in rows}


def test_the_bulk_rows_pass_the_apps_own_checks(database) -> None:
    """The demo writes its rows straight to the driver, each case's report milestones with
    them: every case's milestones match what casework computes from its attempts and status
    history, the audit chain holds, every index and search trigger is back as the schema has
    it, and part of a phone number finds its person's cases."""
    from followup.audit.chain import verify_chain
    from followup.casework.milestones import MILESTONES, compare_sample
    from followup.db.queries import CaseQuery, count_cases

    schema = _indexes(database)  # as migrated, before the demo drops any
    populate(database, 150, seed=5, now=NOW)
    assert _indexes(database) == schema
    with database.session() as s:
        ids = list(s.scalars(select(Case.id)))
        check = compare_sample(s, case_ids=ids)
        assert check.checked == 150 and check.ok, check.describe()
        for name in MILESTONES:  # every milestone is reached by some case, and not by all
            reached = s.scalar(select(func.count()).where(getattr(Case, name).is_not(None)))
            assert reached > 0, name
        assert verify_chain(s).ok
        phone = s.scalar(select(Person.phone).where(Person.phone.is_not(None)).limit(1))
        part = phone[-6:]  # "900123" of +447700900123: the trigram search index
        people = s.scalars(select(Person.id).where(Person.phone.contains(part))).all()
        want = s.scalar(select(func.count()).where(Case.person_id.in_(people)))
        assert count_cases(s, CaseQuery(search=part, now=NOW)) == want > 0
    if database.is_sqlite:
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL again


def test_check_passes_on_a_demo_file(demo_file, tmp_path: Path, capsys) -> None:
    """`followup check` recomputes every case's milestones of a demo file and finds them right."""
    path = tmp_path / "copy.sqlite"
    path.write_bytes(demo_file[0].read_bytes())
    assert main(["check", "--db", str(path), "--sample", "1000"]) == 0
    out = capsys.readouterr().out
    assert "Integrity: ok" in out
    assert "Report milestones: ok (300 cases recomputed and compared)" in out
    assert "Problem" not in out
