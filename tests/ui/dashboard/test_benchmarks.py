"""The dashboard's published programmes beside our rates, and its network engagement stage,
on the hand-worked network dataset, on SQLite and PostgreSQL: what a lead sees, the tooltips'
sources, and the cases behind "Engaged through their network"."""

from __future__ import annotations

from datetime import date

import pytest

from followup.reports.benchmarks import BENCHMARKS
from followup.reports.definitions import tooltip
from followup.ui.dashboard.view import DashboardView
from tests.reports.test_network_engagement import MARCH, build_network_dataset
from tests.ui.accessibility import unnamed_controls
from tests.ui.dashboard.test_view import drilled, funnel_shown, listed_ids, loaded

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


@pytest.fixture
def view(ui_any_db, team, qtbot):
    ids = build_network_dataset(ui_any_db, team)
    view = DashboardView(ui_any_db, team["lead"], lambda _: None, today=lambda: date(2025, 4, 20))
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitUntil(lambda: loaded(view), timeout=WAIT)
    view.choose_custom(date(2025, 3, 1), date(2025, 3, 31))
    qtbot.waitUntil(lambda: loaded(view, MARCH), timeout=WAIT)
    view.ids = ids
    return view


def test_published_figures_sit_beside_ours_with_their_sources(view):
    lines = view.benchmarks.lines
    post = lines["ma_post_engaged"]
    assert "53.5% (3,014 of 5,634)" in post.theirs.text()
    assert post.ours.text() == "Engaged: 71.4% (5 of 7)"
    assert lines["hamilton_qrt_connected"].theirs.text().endswith("26.7% (212 of 795)")
    assert lines["hamilton_qrt_connected"].ours.text() == "Referred: 14.3% (1 of 7)"
    assert lines["huntington_qrt_treatment"].theirs.text().endswith("12.4% (14 of 113)")
    assert lines["huntington_qrt_treatment"].ours.text() == "In treatment: 14.3% (1 of 7)"
    # Each line's tooltip names its source and how its definition differs.
    sources = {
        "ma_post_engaged": "Journal of Public Health Management and Practice 2022",
        "hamilton_qrt_connected": "WVXU (Cincinnati Public Radio)",
        "huntington_qrt_treatment": "Huntington News",
    }
    for b in BENCHMARKS:
        for label in (lines[b.key].programme, lines[b.key].theirs, lines[b.key].ours):
            tip = label.toolTip()
            assert sources[b.key] in tip
            assert "How it differs from ours:" in tip
    assert "reached them directly or only through family or friends" in post.theirs.toolTip()
    assert "113 overdose calls, 71 added" in lines["huntington_qrt_treatment"].ours.toolTip()
    assert unnamed_controls(view) == []


def test_the_funnel_shows_network_engagement_and_lists_its_cases(view, qtbot):
    shown = funnel_shown(view)
    assert shown["engaged"] == 5 and shown["engaged_network"] == 2
    assert tooltip("engaged_network").startswith("Engaged through their network:")
    view.drill_down("engaged_network")
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    assert listed_ids(view) == sorted([view.ids["N3"], view.ids["N5"]])
