"""Published figures of other post-overdose programmes, to read our own rates against.

Each ``Benchmark`` is one figure a programme published: what it counts, over what, the counts
behind it, how its definition differs from ours, and where it was published. ``comparisons``
puts each beside our nearest figure for the period (a count of ours over Referrals received),
for the dashboard; ``benchmarks_markdown`` writes them for docs/metrics.md. The rates are
worked out here from the published counts, so they always agree with them.

The sources were read in stored copies of the pages named (not on the live sites, which
cannot be reached from where this was written): ``checked`` says what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "Comparison",
    "benchmarks_markdown",
    "comparisons",
]


@dataclass(frozen=True)
class Benchmark:
    """One published figure of another programme."""

    key: str
    programme: str
    place: str
    period: str
    counts: str  # what the numerator is, in the programme's own terms
    numerator: int
    denominator: int
    out_of: str  # what the denominator is
    ours: str  # the count of ours it is nearest to (a FIGURES key), over Referrals received
    ours_label: str  # that figure's label (as FIGURES has it)
    difference: str  # how its definition differs from ours
    source: str
    checked: str  # what of the source could be checked here, said plainly
    stages: tuple[tuple[str, int], ...] = ()  # a published funnel, when there is one

    @property
    def rate(self) -> float:
        return self.numerator / self.denominator

    @property
    def figure_text(self) -> str:
        """53.5% (3,014 of 5,634)."""
        return f"{self.rate * 100:.1f}% ({self.numerator:,} of {self.denominator:,})"

    @property
    def tooltip(self) -> str:
        """Source and definition difference, for the dashboard's tooltip."""
        lines = [
            f"{self.programme}, {self.place} ({self.period}): {self.counts}, "
            f"{self.figure_text} of {self.out_of}.",
        ]
        if self.stages:
            lines.append("Published funnel: " + ", ".join(f"{n:,} {s}" for s, n in self.stages))
        lines += [
            f"How it differs from ours: {self.difference}",
            f"Source: {self.source}",
            f"Checked: {self.checked}",
        ]
        return "\n".join(lines)


_STORED = (
    "read here in a stored copy of that page, not on the live site; the rate is worked out "
    "from the published counts."
)

BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        key="ma_post_engaged",
        programme="Post Overdose Support Team (POST) initiative",
        place="Massachusetts",
        period="October 2017 to October 2021, nine agencies covering 28 municipalities",
        counts="overdose survivors engaged, directly or through contact with their social "
        "network (family and friends)",
        numerator=3014,
        denominator=5634,
        out_of="overdose survivors the teams attempted to reach (10,536 outreach visits)",
        ours="engaged",
        ours_label="Engaged",
        difference="POST counts a survivor as engaged when the team reached them directly or "
        "only through family or friends; our Engaged is the case's status (Engaged or beyond), "
        "set by the worker, and our Engaged through their network shows how many of those were "
        "reached only through family or friends. POST's denominator is survivors the teams "
        "tried to reach (people, over four years); ours is cases whose police referral was "
        "received in the period, attempted or not.",
        source="Formica SW, Reilly B, Duska M, Ruiz SC, Lagasse P, Wheeler M, Delaney A, "
        "Walley AY. The Massachusetts Department of Public Health Post Overdose Support Team "
        "Initiative: a public health-centered co-response model for post-overdose outreach. "
        "Journal of Public Health Management and Practice 2022;28(Suppl 6):S311-S319. "
        "doi:10.1097/PHH.0000000000001574 (PMC9531990).",
        checked="the counts (5,634 attempted, 3,014 engaged, 53.5%) were seen in the PRONTO "
        "study's summary of the paper (prontopostoverdose.org) and the period and setting in "
        "the paper's abstract; " + _STORED,
    ),
    Benchmark(
        key="hamilton_qrt_connected",
        programme="Quick Response Team (QRT)",
        place="Hamilton County, Ohio",
        period="April 2018 to January 2020, 21 months; preliminary results",
        counts="people connected or referred to treatment",
        numerator=212,
        denominator=795,
        out_of="people the teams tried to reach after a non-fatal overdose",
        ours="referred",
        ours_label="Referred",
        difference="'Connected or referred to treatment' is closest to our Referred (a "
        "treatment referral made, whether or not treatment started), not to our Engaged or "
        "In treatment. The denominator is people the team tried to reach; ours is cases "
        "whose police referral was received in the period, attempted or not. The figures "
        "were preliminary, given for a federal grant's evaluation.",
        source="WVXU (Cincinnati Public Radio), 'Hamilton County To Determine If Quick "
        "Response Teams Are Working', 28 January 2020: preliminary results presented to the "
        "Hamilton County commissioners by Sarah Manchak, University of Cincinnati School of "
        "Criminal Justice. The programme is described in Manchak SM, Gosney ME, Haberman C, "
        "Firesheets KC. A data-driven response to the addiction crisis in Hamilton County, "
        "Ohio. Journal of Public Health Management and Practice 2022;28(Suppl 6):S320-S325.",
        checked="the counts (795 and 212, over 21 months) were seen in the WVXU report; "
        "whether the journal article gives the same counts could not be checked here; " + _STORED,
    ),
    Benchmark(
        key="huntington_qrt_treatment",
        programme="Quick Response Team (QRT)",
        place="Huntington (Cabell County), West Virginia",
        period="one month, January 2018",
        counts="people who entered treatment",
        numerator=14,
        denominator=113,
        out_of="overdose calls to Cabell County EMS",
        ours="in_treatment",
        ours_label="In treatment",
        difference="One month only, and counted from overdose calls, not from referrals: "
        "of 113 calls only 71 could be added to the team's list and 35 were contacted, most "
        "of the loss coming before any attempt, because the address given at the scene was "
        "not current. Our denominator starts at the police referral, after that loss; the "
        "nearest of ours is Treatment entry (In treatment over Referrals received).",
        source="Huntington News (huntingtonnews.net), Tony E. Rutherford, report of the "
        "Huntington City Council meeting of 12 February 2018: figures given by Connie Priddy, "
        "Cabell County EMS, coordinator of the Quick Response Team.",
        checked="the four counts (113 calls, 71 added, 35 contacted, 14 entered treatment) "
        "were seen in that news report; no published evaluation of the same month could be "
        "checked here; " + _STORED,
        stages=(
            ("overdose calls", 113),
            ("added to the team's list", 71),
            ("contacted", 35),
            ("entered treatment", 14),
        ),
    ),
)


@dataclass(frozen=True)
class Comparison:
    """One published figure beside ours for the period."""

    benchmark: Benchmark
    our_label: str
    our_count: int
    received: int

    @property
    def our_rate(self) -> float | None:
        return self.our_count / self.received if self.received else None

    @property
    def our_text(self) -> str:
        """50.0% (3 of 6), or '–' when the period has no cases."""
        if self.our_rate is None:
            return "–"
        return f"{self.our_rate * 100:.1f}% ({self.our_count:,} of {self.received:,})"


class _Figures(Protocol):
    """What ``comparisons`` reads of ``reports.engagement.Figures``."""

    @property
    def received(self) -> int: ...

    def value(self, key: str) -> int | float | None: ...


def comparisons(figures: _Figures) -> list[Comparison]:
    """Every benchmark beside our figure for the same slice (``engagement.Figures``)."""
    return [
        Comparison(b, b.ours_label, int(figures.value(b.ours) or 0), figures.received)
        for b in BENCHMARKS
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def benchmarks_markdown() -> str:
    """The published figures as the Markdown table kept in docs/metrics.md."""
    lines = [
        "| programme | figure | counts | out of | ours to read it against | how its definition "
        "differs from ours | source | what could be checked here |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in BENCHMARKS:
        stages = (
            " Published funnel: " + ", ".join(f"{n:,} {s}" for s, n in b.stages) + "."
            if b.stages
            else ""
        )
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    f"{b.programme}, {b.place} ({b.period}) `{b.key}`",
                    b.figure_text,
                    b.counts + "." + stages,
                    b.out_of,
                    f"`{b.ours}` over Referrals received",
                    b.difference,
                    b.source,
                    b.checked,
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"
