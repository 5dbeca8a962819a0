"""Spike alerts on a team server: a worker's import raises the alert under the server's own
rights, every signed-in lead and worker sees it (a worker, only their cases behind it), and
each acknowledges it for themselves."""

from __future__ import annotations

import pytest

from followup.casework import spikes
from followup.intake.importer import import_file
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.protection.team_helpers import Team

pytestmark = pytest.mark.postgres


def test_a_workers_import_raises_an_alert_everyone_sees(server_team: Team, tmp_path):
    path = write_csv(
        tmp_path / "spike.csv",
        [
            row(
                first_name="Testperson",
                last_name=f"Server{n}",
                nhs_number=nhs(700 + n),
                incident_postcode=f"B5 {n}QQ",
                incident_datetime=f"20/11/2026 0{n}:00",
                substances="heroin",
            )
            for n in (1, 2, 3)
        ],
    )
    db, worker_a = server_team.sign_in(server_team.worker_a)
    try:
        import_file(db, worker_a, path, now=NOW)
        with db.session(write=True) as s:
            [alert] = spikes.unacknowledged(s, worker_a)
            assert (alert.district, alert.referral_count) == ("B5", 3)
            spikes.acknowledge(s, worker_a, alert.id)
        with db.session() as s:
            assert spikes.unacknowledged(s, worker_a) == []
    finally:
        db.dispose()
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            [seen] = spikes.unacknowledged(s, lead)
            assert (seen.referral_count, len(seen.cases)) == (3, 3)
    finally:
        db.dispose()
