"""The NDTMS extract: what Followup holds, under the published NDTMS field names, one dataset
version at a time.

The national drug treatment monitoring system (NDTMS) publishes its adult dataset in lettered
versions ("core dataset O" from 1 April 2018, "core dataset P" from 1 April 2020). Each version
here is a ``DatasetVersion``: its fields in order, each with its source in Followup, its code
table, where the name and codes come from, and whether they could be confirmed from public
material (``confirmed``). docs/ndtms_extract.md is made from this registry
(``ndtms_markdown``); a test keeps the two in step.

One row per case (an episode) received in the period. Before a row is written it is checked
(``check_row``): the person is 18 or over on the referral date, the date of birth is before the
referral, and NDTMS consent is recorded (given or refused). A row that fails is left out and
listed with its reasons; nothing about who it is goes into the list beyond the case number.
A person who refused NDTMS consent keeps a row with only the agency, client id and consent
fields filled. The client id is an HMAC of the person's number under a key made once per
database (the ``setting`` table), so it is stable across extracts and says nothing outside
the service. The file is written whole or not at all, and the export is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from followup.access import Actor, require
from followup.casework import consent
from followup.casework.team_rules import NDTMS_AGENCY, get_setting, set_setting
from followup.db.models import Case, NaloxoneSupply, Person, TreatmentReferral
from followup.errors import FollowupError
from followup.reports.definitions import Period
from followup.reports.exports import ExportResult, record_export
from followup.spreadsheets import CellKind, Column, write_csv
from followup.uktime import short_date, to_uk
from followup.vocab import ConsentScope, ConsentState, Gender

__all__ = [
    "AGENCY_SETTING",
    "CLIENT_KEY_SETTING",
    "DEFAULT_VERSION",
    "KEEP_WHEN_REFUSED",
    "VERSIONS",
    "DatasetVersion",
    "Exclusion",
    "NdtmsField",
    "NdtmsResult",
    "check_row",
    "client_id",
    "dataset_version",
    "export_ndtms_csv",
    "ndtms_markdown",
    "suggested_filename",
]

AGENCY_SETTING = NDTMS_AGENCY
CLIENT_KEY_SETTING = "ndtms.client_id_key"
MIN_AGE = 18

# Public material the registry cites.
CANARY = (
    "Canary-NDTMS (github.com/CloudDataService/Canary-NDTMS), "
    "application/libraries/Ndtms/drivers/Ndtms_k.php: its dataset-K schema"
)
CANARY_CODES = "Canary-NDTMS application/config/datasets.php (its dataset-K code tables)"
CDS_P_CJIT = (
    "PHE, NDTMS CJIT reference data, core data set P, v4.1 (published September 2019, "
    "updated March 2020): revision history, 'CDS-P new fields'"
)
GOV_UK_VERSIONS = (
    "gov.uk, 'Criminal justice intervention teams (CJIT): technical definitions' and the "
    "NDTMS reference data pages: dataset N from 1 April 2017, O from 1 April 2018, "
    "P from 1 April 2020"
)


@dataclass(frozen=True)
class Source:
    """What one extract row is made from (one case, its person, its latest treatment)."""

    case_id: int
    person_id: int
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    gender: str | None
    postcode: str | None
    no_fixed_abode: bool
    referral_date: date
    triage_date: date | None
    treatment_start: date | None
    exit_date: date | None
    exit_reason: str | None
    naloxone_at_start: bool
    consent: consent.ConsentState | None
    agency: str
    client_id: str
    episode_id: str

    @property
    def consent_code(self) -> str:
        """``Y`` given and in force, ``N`` refused or withdrawn, blank when not recorded."""
        if self.consent is None or self.consent.state is None or self.consent.expired:
            return ""
        return "Y" if self.consent.state == ConsentState.GIVEN else "N"


@dataclass(frozen=True)
class NdtmsField:
    """One output field: its NDTMS name, what it holds, where Followup has it, its codes."""

    name: str
    meaning: str
    source: str
    value: Callable[[Source], Any]
    citation: str
    confirmed: bool
    kind: CellKind = CellKind.TEXT
    codes: Mapping[str, str] | None = None  # Followup value -> NDTMS code
    note: str = ""


@dataclass(frozen=True)
class DatasetVersion:
    key: str  # as --dataset-version takes it
    title: str
    effective_from: date
    fields: tuple[NdtmsField, ...]
    citation: str

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(Column(f.name, f.name, f.kind) for f in self.fields)


# Followup's gender to NDTMS SEX: 1 male and 2 female as Canary-NDTMS codes them; the rest
# could not be confirmed (NHS "person stated gender" uses 9 for indeterminate, X not known).
SEX_CODES: dict[str, str] = {
    Gender.MALE: "1",
    Gender.FEMALE: "2",
    Gender.NON_BINARY: "9",
    Gender.OTHER: "9",
    Gender.NOT_KNOWN: "X",
}
# Every Followup case starts with a police referral after an overdose. Canary-NDTMS's table
# codes "Arrest Referral / DIP" 5; the CDS-O/P reference data could not be read offline.
POLICE_REFERRAL_CODE = "5"
# NHS pseudo-postcode for no fixed abode (not confirmed against the NDTMS definitions).
NO_FIXED_ABODE_POSTCODE = "ZZ99 3VZ"
# Yes/no flags: CONSENT is Y/N in Canary-NDTMS (its whitelist tests for 'N').
YES, NO = "Y", "N"
# Kept for a person who refused NDTMS consent (Canary-NDTMS's whitelist).
KEEP_WHEN_REFUSED = ("AGNCY", "CLIENTID", "CONSENT")


def _initial(name: str | None) -> str:
    return name.strip()[0].upper() if name and name.strip() else ""


def _postcode(s: Source) -> str:
    if s.no_fixed_abode:
        return NO_FIXED_ABODE_POSTCODE
    return " ".join((s.postcode or "").upper().split())


_COMMON_HEAD: tuple[NdtmsField, ...] = (
    NdtmsField(
        "AGNCY",
        "agency code",
        f"team setting `{AGENCY_SETTING}` (or `--agency`)",
        lambda s: s.agency,
        CANARY,
        True,
        note="NDTMS issues the code; Followup does not check it",
    ),
    NdtmsField(
        "CLIENTID",
        "client id",
        "pseudonym: HMAC-SHA256 of the person's number under a key made once per database",
        lambda s: s.client_id,
        CANARY,
        True,
        note="format and length rules could not be confirmed",
    ),
    NdtmsField(
        "EPISODID",
        "episode id",
        "pseudonym of the case, made as CLIENTID is",
        lambda s: s.episode_id,
        CANARY,
        True,
    ),
    NdtmsField(
        "CONSENT",
        "consent to NDTMS",
        "the person's consent history, scope `ndtms_reporting`, in force when the extract is made",
        lambda s: s.consent_code,
        CANARY,
        True,
        codes={"given": YES, "refused": NO, "withdrawn": NO},
    ),
    NdtmsField(
        "FINITIAL",
        "first initial",
        "first letter of the first name",
        lambda s: _initial(s.first_name),
        CANARY,
        True,
    ),
    NdtmsField(
        "SINITIAL",
        "surname initial",
        "first letter of the surname",
        lambda s: _initial(s.last_name),
        CANARY,
        True,
    ),
    NdtmsField(
        "DOB",
        "date of birth",
        "person's date of birth",
        lambda s: s.date_of_birth,
        CANARY,
        True,
        CellKind.DATE,
    ),
    NdtmsField(
        "SEX",
        "sex",
        "person's gender",
        lambda s: SEX_CODES.get(s.gender or "", "X"),
        CANARY_CODES,
        False,
        codes=SEX_CODES,
        note="1 and 2 are Canary-NDTMS's; 9 and X follow the NHS data dictionary and could not "
        "be confirmed for NDTMS",
    ),
    NdtmsField(
        "PC",
        "postcode",
        "person's postcode, upper case; ZZ99 3VZ for no fixed abode",
        _postcode,
        CANARY,
        False,
        note="the field name is Canary-NDTMS's; the no-fixed-abode code could not be confirmed",
    ),
    NdtmsField(
        "REFLD",
        "referral date",
        "the day the police referral that opened the case was received (UK date)",
        lambda s: s.referral_date,
        CANARY,
        True,
        CellKind.DATE,
    ),
    NdtmsField(
        "RFLS",
        "referral source",
        "always the police (every case starts with a police referral)",
        lambda s: POLICE_REFERRAL_CODE,
        CANARY_CODES,
        False,
        codes={"police": POLICE_REFERRAL_CODE},
        note="5 is 'Arrest Referral / DIP' in Canary-NDTMS's table; the criminal-justice codes "
        "of CDS-O/P could not be confirmed",
    ),
    NdtmsField(
        "TRIAGED",
        "triage date",
        "the treatment assessment's date, when it was attended",
        lambda s: s.triage_date,
        CANARY,
        True,
        CellKind.DATE,
    ),
    NdtmsField(
        "MODST",
        "modality start date",
        "the day treatment started (the case's latest treatment referral)",
        lambda s: s.treatment_start,
        CANARY,
        True,
        CellKind.DATE,
    ),
    NdtmsField(
        "DISD",
        "discharge date",
        "the day treatment ended",
        lambda s: s.exit_date,
        CANARY,
        True,
        CellKind.DATE,
    ),
    NdtmsField(
        "DISRSN",
        "discharge reason",
        "Followup's exit reason, as stored",
        lambda s: s.exit_reason or "",
        CANARY,
        False,
        note="the numeric NDTMS codes for CDS-O/P could not be confirmed: Followup's names "
        "(which follow the NDTMS reasons) are written; map them before submission",
    ),
)

NALOXISS = NdtmsField(
    "NALOXISS",
    "client issued with naloxone at episode start",
    "Y when a take-home kit was supplied on the case (not entered in error) on or before the "
    "triage date, or at all while there is no triage date; else N",
    lambda s: YES if s.naloxone_at_start else NO,
    CDS_P_CJIT,
    False,
    codes={"yes": YES, "no": NO},
    note="the field and its meaning are confirmed (new in CDS-P); its codes (Y/N here) could "
    "not be",
)

VERSIONS: dict[str, DatasetVersion] = {
    "cds-o": DatasetVersion(
        "cds-o",
        "NDTMS adult core dataset O",
        date(2018, 4, 1),
        _COMMON_HEAD,
        GOV_UK_VERSIONS,
    ),
    "cds-p": DatasetVersion(
        "cds-p",
        "NDTMS adult core dataset P",
        date(2020, 4, 1),
        (*_COMMON_HEAD, NALOXISS),
        f"{GOV_UK_VERSIONS}; {CDS_P_CJIT}",
    ),
}
DEFAULT_VERSION = max(VERSIONS.values(), key=lambda v: v.effective_from).key


def dataset_version(key: str | None) -> DatasetVersion:
    """The version ``key`` names (default the newest); a clear refusal for any other."""
    if key is None:
        return VERSIONS[DEFAULT_VERSION]
    found = VERSIONS.get(key.strip().lower())
    if found is None:
        known = ", ".join(VERSIONS)
        raise FollowupError(f"There is no NDTMS dataset version {key!r}; choose one of {known}.")
    return found


# ------------------------------------------------------------------------ pseudonyms


def _client_key(session: Session) -> bytes:
    key = get_setting(session, CLIENT_KEY_SETTING)
    if not key:
        key = secrets.token_hex(32)
        set_setting(session, CLIENT_KEY_SETTING, key, expected_version=0, what="the NDTMS key")
    return bytes.fromhex(key)


def client_id(key: bytes, kind: str, number: int) -> str:
    """A stable pseudonym: ``FU`` and 16 hex digits of HMAC-SHA256 of ``kind:number``."""
    digest = hmac.new(key, f"{kind}:{number}".encode(), hashlib.sha256).hexdigest()
    return f"FU{digest[:16].upper()}"


# ------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Exclusion:
    """A case left out of the extract and why (no personal data: the case number only)."""

    case_id: int
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reasons": list(self.reasons)}

    @property
    def text(self) -> str:
        return f"Case {self.case_id}: {'; '.join(self.reasons)}"


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_row(s: Source) -> tuple[str, ...]:
    """Why this row cannot go to NDTMS (empty when it can)."""
    reasons: list[str] = []
    if s.date_of_birth is None:
        reasons.append("no date of birth recorded")
    elif s.date_of_birth >= s.referral_date:
        reasons.append("the date of birth is not before the referral date")
    elif _age_on(s.date_of_birth, s.referral_date) < MIN_AGE:
        reasons.append(f"under {MIN_AGE} on the referral date")
    state = s.consent
    if state is None or state.state is None:
        reasons.append("NDTMS consent not recorded")
    elif state.expired:
        reasons.append(f"NDTMS consent expired on {short_date(state.expires_on)}")
    return tuple(reasons)


def row_values(version: DatasetVersion, s: Source) -> list[Any]:
    refused = s.consent_code == NO
    return [
        None if refused and f.name not in KEEP_WHEN_REFUSED else f.value(s) for f in version.fields
    ]


# ------------------------------------------------------------------------- the export


@dataclass(frozen=True)
class NdtmsResult(ExportResult):
    dataset_version: str = DEFAULT_VERSION
    excluded: tuple[Exclusion, ...] = ()
    refused: int = 0  # rows blanked for refused consent
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        text = super().describe().replace("NDTMS extract", f"NDTMS extract ({self.title})", 1)
        if self.refused:
            text += f" {self.refused} for people who refused NDTMS consent (consent fields only)."
        if self.excluded:
            n = len(self.excluded)
            text += f" {n} case{'s' if n != 1 else ''} left out: see the list of reasons."
        for warning in self.warnings:
            text += f" {warning}"
        return text

    @property
    def title(self) -> str:
        return VERSIONS[self.dataset_version].title

    def report_text(self) -> str:
        """What the command line prints: the summary, then each case left out and why."""
        lines = [self.describe()]
        lines += [f"  Left out: {e.text}" for e in self.excluded]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": str(self.path),
            "rows": self.rows,
            "dataset_version": self.dataset_version,
            "refused_consent_rows": self.refused,
            "excluded": [e.as_json() for e in self.excluded],
            "warnings": list(self.warnings),
            "period": self.period.as_json() if self.period else None,
            "made_at": self.made_at.astimezone(UTC).isoformat(timespec="seconds"),
        }


def suggested_filename(version: str, period: Period, made_at: datetime) -> str:
    return f"followup-ndtms-{version}_{period.slug}_made-{made_at.astimezone(UTC):%Y%m%dT%H%MZ}.csv"


def _sources(session: Session, period: Period, agency: str, now: datetime) -> Iterable[Source]:
    other = aliased(TreatmentReferral)
    latest_treatment = (
        select(func.max(other.id))
        .where(other.case_id == Case.id, other.voided_at.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.id.label("case_id"),
            Case.person_id,
            Case.referred_at,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
            Person.gender,
            Person.postcode,
            Person.no_fixed_abode,
            TreatmentReferral.assessment_booked_for,
            TreatmentReferral.assessment_attended,
            TreatmentReferral.treatment_started_on,
            TreatmentReferral.exit_on,
            TreatmentReferral.exit_reason,
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(TreatmentReferral, TreatmentReferral.id == latest_treatment)
        .where(Case.referred_at >= period.start_at, Case.referred_at < period.end_at)
        .order_by(Case.referred_at, Case.id)
    )
    rows = session.execute(stmt).all()
    case_ids = [r.case_id for r in rows]
    kits: dict[int, list[date]] = {}
    for start in range(0, len(case_ids), 500):
        for case_id, day in session.execute(
            select(NaloxoneSupply.case_id, NaloxoneSupply.supplied_on).where(
                NaloxoneSupply.case_id.in_(case_ids[start : start + 500]),
                NaloxoneSupply.voided_at.is_(None),
            )
        ):
            kits.setdefault(case_id, []).append(day)
    states = consent.consent_states_of(session, (r.person_id for r in rows), to_uk(now).date())
    key = _client_key(session)
    for r in rows:
        triage = _day(r.assessment_booked_for) if r.assessment_attended else None
        supplied = kits.get(r.case_id, [])
        yield Source(
            case_id=r.case_id,
            person_id=r.person_id,
            first_name=r.first_name,
            last_name=r.last_name,
            date_of_birth=r.date_of_birth,
            gender=r.gender,
            postcode=r.postcode,
            no_fixed_abode=bool(r.no_fixed_abode),
            referral_date=to_uk(r.referred_at).date(),
            triage_date=triage,
            treatment_start=r.treatment_started_on,
            exit_date=r.exit_on,
            exit_reason=r.exit_reason,
            naloxone_at_start=any(triage is None or d <= triage for d in supplied),
            consent=states.get(r.person_id, {}).get(ConsentScope.NDTMS_REPORTING),
            agency=agency,
            client_id=client_id(key, "person", r.person_id),
            episode_id=client_id(key, "case", r.case_id),
        )


def _day(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return to_uk(value).date()
    return value


def export_ndtms_csv(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period,
    now: datetime | None = None,
    *,
    version: str | None = None,
    agency: str | None = None,
) -> NdtmsResult:
    """The period's cases as the chosen NDTMS dataset version; rows that fail the checks are
    left out and listed. Needs the lead's "export" permission; audited."""
    require(actor, "export")
    chosen = dataset_version(version)
    now = now or datetime.now(UTC)
    target = Path(path)
    if target.is_dir():
        target = target / suggested_filename(chosen.key, period, now)
    if not target.parent.is_dir():
        raise FollowupError(f"There is no folder {target.parent}; choose an existing folder.")
    agency = (agency if agency is not None else get_setting(session, AGENCY_SETTING) or "").strip()
    excluded: list[Exclusion] = []
    refused = 0
    rows: list[list[Any]] = []
    for source in _sources(session, period, agency, now):
        reasons = check_row(source)
        if reasons:
            excluded.append(Exclusion(source.case_id, reasons))
            continue
        refused += source.consent_code == NO
        rows.append(row_values(chosen, source))
    n = write_csv(target, chosen.columns, rows)
    record_export(session, actor, "ndtms_csv", period, n)
    warnings = () if agency else ("No NDTMS agency code is set, so AGNCY is blank.",)
    return NdtmsResult(
        "ndtms_csv",
        target,
        n,
        period,
        now,
        dataset_version=chosen.key,
        excluded=tuple(excluded),
        refused=refused,
        warnings=warnings,
    )


# ------------------------------------------------------------------------- the document


def ndtms_markdown() -> str:
    """The field tables of docs/ndtms_extract.md, made from the registry."""
    out: list[str] = []
    for v in VERSIONS.values():
        default = " (the default)" if v.key == DEFAULT_VERSION else ""
        out.append(f"### `{v.key}`: {v.title}, from {short_date(v.effective_from)}{default}")
        out.append("")
        out.append(f"Version and dates: {v.citation}.")
        out.append("")
        out.append("| field | meaning | source in Followup | codes | name from | confirmed |")
        out.append("|---|---|---|---|---|---|")
        for f in v.fields:
            codes = ", ".join(f"{k} → `{c}`" for k, c in f.codes.items()) if f.codes else ""
            confirmed = "yes, in the source cited" if f.confirmed else "**could not be confirmed**"
            if f.note:
                confirmed += f": {f.note}"
            out.append(
                f"| `{f.name}` | {f.meaning} | {f.source} | {codes} | {f.citation} | {confirmed} |"
            )
        out.append("")
    return "\n".join(out)
