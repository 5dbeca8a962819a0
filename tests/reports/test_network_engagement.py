"""Engagement through family and friends, and the published programmes, on a hand-worked
dataset on SQLite and PostgreSQL: the service's figures, drill-down, `followup report
engagement` (text and --json), the tables export, and the benchmarks' numbers and sources."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from followup.casework import lifecycle, milestones
from followup.cli import main
from followup.db import models as m
from followup.errors import RuleViolation
from followup.reports.benchmarks import BENCHMARKS, benchmarks_markdown, comparisons
from followup.reports.definitions import FIGURES, FUNNEL, Period, metrics_markdown
from followup.reports.engagement import cases_behind, engagement_report
from followup.reports.exports import export_tables_xlsx
from followup.vocab import ContactMethod, label

MARCH = Period(date(2025, 3, 1), date(2025, 4, 1))
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=UTC)


def t(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def build_network_dataset(db, team) -> dict[str, int]:
    """Eight cases; N1..N7 received in March 2025, N8 in February.

    | case | worker | attempts (method: outcome)                                  | reached     |
    |------|--------|-------------------------------------------------------------|-------------|
    | N1   | W1     | phone: spoke engaged                                        | engaged     |
    | N2   | W2     | home visit: spoke engaged                                   | in treatment|
    | N3   | W1     | family: no answer, family: spoke engaged                    | engaged     |
    | N4   | W1     | family: spoke engaged, then phone: spoke engaged            | engaged     |
    | N5   | W2     | phone: spoke engaged (entered in error), family: spoke eng. | engaged     |
    | N6   | W2     | family: message sent                                        | contacting  |
    | N7   | W1     | family: spoke declined                                      | closed      |
    | N8   | W1     | family: spoke engaged (received 28 February)                | engaged     |

    March: received 7, attempted 7, contacted 6 (all but N6), engaged 5 (N1-N5), engaged
    through their network 2 (N3; N5, whose direct contact was entered in error), referred 1
    and in treatment 1 (N2). N4 was also reached directly; N7 declined; N8 is February's.
    """
    w1, w2, lead = team["worker1"].id, team["worker2"].id, team["lead"].id
    ids: dict[str, int] = {}
    with db.session() as s:
        service = m.Service(name="Test Treatment Service", service_type="treatment")
        s.add(service)
        s.flush()

        def case(name, n, worker, received, statuses, closure=None):
            person = m.Person(
                first_name="Testperson",
                last_name=name,
                date_of_birth=date(1980, 1, 2),
                phone=f"+447700900{200 + n}",
                postcode="ZZ99 9ZZ",
            )
            s.add(person)
            s.flush()
            c = m.Case(
                person_id=person.id,
                police_reference=f"TST-{name}",
                area="ZZ99",
                referred_at=received,
                assigned_worker_id=worker,
                status=statuses[-1],
                closure_reason=closure,
                closed_at=received + timedelta(days=5) if closure else None,
                next_action_due_at=None,
            )
            s.add(c)
            s.flush()
            s.add(
                m.Referral(
                    case_id=c.id,
                    person_id=person.id,
                    police_reference=f"TST-{name}",
                    force="Test Force",
                    incident_at=received - timedelta(hours=1),
                    received_at=received,
                )
            )
            before = None
            for i, status in enumerate(("new", *statuses)):
                s.add(
                    m.CaseStatusChange(
                        case_id=c.id,
                        from_status=before,
                        to_status=status,
                        changed_at=received + timedelta(hours=i),
                        changed_by_id=lead,
                    )
                )
                before = status
            ids[name] = c.id
            return c.id

        def attempt(case_id, when, method, outcome, voided=False):
            s.add(
                m.ContactAttempt(
                    case_id=case_id,
                    attempted_at=when,
                    method=method,
                    outcome=outcome,
                    worker_id=lead,
                    voided_at=when + timedelta(hours=1) if voided else None,
                    void_reason="test: entered in error" if voided else None,
                )
            )

        fam = ContactMethod.VIA_FAMILY
        n1 = case("N1", 1, w1, t(3, 2), ("contacting", "engaged"))
        attempt(n1, t(3, 2, 5), "phone", "spoke_engaged")
        n2 = case("N2", 2, w2, t(3, 3), ("contacting", "engaged", "referred", "in_treatment"))
        attempt(n2, t(3, 3, 5), "home_visit", "spoke_engaged")
        n3 = case("N3", 3, w1, t(3, 4), ("contacting", "engaged"))
        attempt(n3, t(3, 4, 5), fam, "no_answer")
        attempt(n3, t(3, 5, 5), fam, "spoke_engaged")
        n4 = case("N4", 4, w1, t(3, 5), ("contacting", "engaged"))
        attempt(n4, t(3, 5, 5), fam, "spoke_engaged")
        attempt(n4, t(3, 6, 5), "phone", "spoke_engaged")
        n5 = case("N5", 5, w2, t(3, 6), ("contacting", "engaged"))
        attempt(n5, t(3, 6, 5), "phone", "spoke_engaged", voided=True)
        attempt(n5, t(3, 7, 5), fam, "spoke_engaged")
        n6 = case("N6", 6, w2, t(3, 7), ("contacting",))
        attempt(n6, t(3, 7, 5), fam, "message_sent")
        n7 = case("N7", 7, w1, t(3, 8), ("contacting", "closed"), closure="declined")
        attempt(n7, t(3, 8, 5), fam, "spoke_declined")
        n8 = case("N8", 8, w1, t(2, 28), ("contacting", "engaged"))
        attempt(n8, t(2, 28, 5), fam, "spoke_engaged")
        s.flush()
        milestones.backfill(s)  # rows written directly: their milestones from the facts
    return ids


@pytest.fixture
def data(database, team):
    return build_network_dataset(database, team)


def test_network_engagement_counts_only_cases_reached_through_family_or_friends(
    database, team, data
):
    lead = team["lead"]
    with database.session() as s:
        report = engagement_report(s, lead, MARCH, by="worker", now=NOW)
        f = report.totals
        assert (f.received, f.attempted, f.contacted, f.engaged) == (7, 7, 6, 5)
        assert f.engaged_network == 2  # N3, and N5 (its direct contact entered in error)
        assert (f.referred, f.in_treatment) == (1, 1)
        # The funnel lists it after Engaged, as a stage of its own.
        assert [k for k, _, _ in report.funnel()][3:5] == ["engaged", "engaged_network"]
        assert dict((k, n) for k, _, n in report.funnel())["engaged_network"] == 2
        by_worker = {g.label: g.figures.engaged_network for g in report.groups["worker"]}
        assert by_worker == {"Walt Worker": 1, "Wendy Worker": 1}  # N5 (W2), N3 (W1)
        # Drill-down lists exactly those cases.
        assert cases_behind(s, lead, MARCH, "engaged_network") == sorted([data["N3"], data["N5"]])
        w1 = ("worker", team["worker1"].id)
        assert cases_behind(s, lead, MARCH, "engaged_network", w1) == [data["N3"]]
        # February's case reached through family counts in February.
        feb = engagement_report(s, lead, Period(date(2025, 2, 1), date(2025, 3, 1)), now=NOW)
        assert feb.totals.engaged_network == 1


def test_the_report_command_shows_network_engagement(
    database, db_url, team, data, capsys, monkeypatch
):
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    period = ("--from", "2025-03-01", "--to", "2025-03-31", "--user", "lead", "--db", db_url)
    assert main(["report", "engagement", *period, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["figures"]
    assert figures["engaged"] == 5 and figures["engaged_network"] == 2
    assert main(["report", "engagement", *period]) == 0
    assert "Engaged: 5  Engaged through their network: 2  Referred: 1" in capsys.readouterr().out


def test_the_tables_export_lists_network_engagement(database, team, data, tmp_path):
    with database.session() as s:
        result = export_tables_xlsx(s, team["lead"], tmp_path / "tables.xlsx", MARCH, now=NOW)
    sheet = openpyxl.load_workbook(result.path)["By worker"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Engaged through their network" in r)
    col = header.index("Engaged through their network")
    team_row = rows[-1]
    assert team_row[col] == 2


def test_a_worker_logs_contact_through_family_through_the_service(database, team):
    """The check constraint (migration 0021) takes the new method on both backends, and the
    gate offers it only its own outcomes."""
    ids = build_network_dataset(database, team)
    with database.session() as s:
        case = s.get(m.Case, ids["N6"])
        lifecycle.record_contact_attempt(
            s,
            team["lead"],
            case.id,
            ContactMethod.VIA_FAMILY,
            "spoke_engaged",
            case.version,
            when=t(3, 9, 5),
        )
    with database.session() as s:
        methods = s.scalars(
            select(m.ContactAttempt.method).where(m.ContactAttempt.case_id == ids["N6"])
        ).all()
        assert methods.count("via_family") == 2
        assert s.get(m.Case, ids["N6"]).status == "engaged"
        report = engagement_report(s, team["lead"], MARCH, now=NOW)
        assert report.totals.engaged_network == 3  # N3, N5 and now N6
        case = s.get(m.Case, ids["N6"])
        with pytest.raises(RuleViolation, match="not an outcome of contact through family"):
            lifecycle.record_contact_attempt(
                s, team["lead"], case.id, ContactMethod.VIA_FAMILY, "wrong_number", case.version
            )
    assert label(ContactMethod.VIA_FAMILY) == "Through family or friends"


def test_benchmarks_are_the_published_counts_with_their_sources():
    by_key = {b.key: b for b in BENCHMARKS}
    post = by_key["ma_post_engaged"]
    assert (post.numerator, post.denominator, round(post.rate * 100, 1)) == (3014, 5634, 53.5)
    assert "family" in post.counts and "10.1097/PHH.0000000000001574" in post.source
    qrt = by_key["hamilton_qrt_connected"]
    assert (qrt.numerator, qrt.denominator, round(qrt.rate * 100, 1)) == (212, 795, 26.7)
    assert qrt.ours == "referred" and "closest to our Referred" in qrt.difference
    hunt = by_key["huntington_qrt_treatment"]
    assert [n for _, n in hunt.stages] == [113, 71, 35, 14]
    assert "one month" in hunt.difference.lower() and "address" in hunt.difference
    for b in BENCHMARKS:
        assert FIGURES[b.ours].label == b.ours_label
        assert b.source in b.tooltip and b.difference in b.tooltip
        assert "stored copy" in b.checked  # says plainly what could not be checked live
    # docs/metrics.md's generated section lists them (the doc test checks the whole text).
    assert benchmarks_markdown() in metrics_markdown()
    assert "engaged_network" in FUNNEL


def test_our_figure_beside_each_benchmark(database, team, data):
    with database.session() as s:
        totals = engagement_report(s, team["lead"], MARCH, now=NOW).totals
    shown = {c.benchmark.key: (c.our_label, c.our_text) for c in comparisons(totals)}
    assert shown == {
        "ma_post_engaged": ("Engaged", "71.4% (5 of 7)"),
        "hamilton_qrt_connected": ("Referred", "14.3% (1 of 7)"),
        "huntington_qrt_treatment": ("In treatment", "14.3% (1 of 7)"),
    }
