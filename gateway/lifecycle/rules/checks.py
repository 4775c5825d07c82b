"""Credit checks (信用核查): what an agency finds when it checks a subject inside an approval, and the
measures that follow. Pure: the service hands in the subject's rows and the request's date.

- A subject on a black list in force faces the restrictions of the matter (001 (十七), 004 六(二),
  000 个人 六(二)); it gets no facilitation, whatever else holds.
- A subject on a red list in force, or with no dishonesty record in force decided in the last three
  years (连续三年以上无不良信用记录), gets the facilitation of the matter: green channel, accepting an
  application with minor documents missing (容缺受理), priority (000 个人 六(一), 001 (十六), 004 六(一)).
- A list entry is in force while listed and before its planned exit, and while at least one record
  it cites still justifies it (``justifies``: counts, and dishonesty for a black list; a repaired,
  revoked or expired record is no basis for punishment, 002 二(七)4); an entry whose cited records all
  lapsed is flagged (``basis_lapsed``); an entry citing no record stands on the listing authority's
  own decision.
- Only records that count (``gateway.access.visibility.counts``) are used: past their period, repaired,
  revoked or expired records never are.
- A person is also reached by the black listings and serious dishonesty of organisations they answer
  for (``gateway.lifecycle.rules.responsibility``): a reaching black listing restricts them in the
  matters the policy names, with its reason, and, like their own, takes away facilitation; a reaching
  serious dishonesty breaks three-years-clean as their own would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.access.visibility import counts
from gateway.domain import CheckMatter, ListKind, ListStatus, is_dishonesty
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.config import read_toml, table, whole, words
from gateway.lifecycle.rules.periods import DisplayPeriods, add_months
from gateway.store.models import CreditRecord, ListEntry

if TYPE_CHECKING:  # the reach rules read listings from here
    from gateway.lifecycle.rules.responsibility import Reach

FILE_NAME = "credit-check.toml"
_MEASURE_KEYS = frozenset({"matter", "code", "description", "source"})


@dataclass(frozen=True, slots=True)
class Measure:
    code: str
    description: str
    source: str


@dataclass(frozen=True, slots=True)
class CheckRules:
    clean_years: int
    restrictions: dict[CheckMatter, tuple[Measure, ...]]
    facilitation: dict[CheckMatter, tuple[Measure, ...]]
    # The most subjects one bulk check (``creditChecks``) takes: [bulk] max_subjects, a local default.
    max_bulk_subjects: int

    @classmethod
    def load(cls, policy_dir: Path) -> CheckRules:
        path = Path(policy_dir) / FILE_NAME
        document = read_toml(path)
        # [responsible_persons] is read by gateway.lifecycle.rules.responsibility.
        unknown = sorted(
            set(document) - {"clean_years", "restriction", "facilitation", "responsible_persons", "bulk"}
        )
        if unknown:
            raise ConfigurationError(f"{path}: unknown key {unknown[0]!r}")
        return cls(
            clean_years=whole(document.get("clean_years"), f"{path}: clean_years", low=1, high=10),
            restrictions=_measures(document.get("restriction"), f"{path}: restriction"),
            facilitation=_measures(document.get("facilitation"), f"{path}: facilitation"),
            max_bulk_subjects=whole(
                table(document, "bulk", str(path), ("max_subjects", "local_default", "source")).get(
                    "max_subjects"
                ),
                f"{path}: bulk.max_subjects",
                low=1,
                high=100_000,
            ),
        )


def _measures(rows: object, where: str) -> dict[CheckMatter, tuple[Measure, ...]]:
    if not isinstance(rows, list):
        raise ConfigurationError(f"{where}: expected [[{where.rsplit(' ', 1)[-1]}]] tables")
    found: dict[CheckMatter, list[Measure]] = {matter: [] for matter in CheckMatter}
    for number, row in enumerate(rows, start=1):
        here = f"{where} {number}"
        if not isinstance(row, dict) or set(row) != _MEASURE_KEYS:
            raise ConfigurationError(f"{here}: needs exactly {', '.join(sorted(_MEASURE_KEYS))}")
        try:
            matter = CheckMatter(row["matter"])
        except ValueError:
            raise ConfigurationError(f"{here}: matter must be among {', '.join(CheckMatter)}") from None
        found[matter].append(
            Measure(
                code=words(row["code"], f"{here}: code"),
                description=words(row["description"], f"{here}: description"),
                source=words(row["source"], f"{here}: source"),
            )
        )
    missing = [m.value for m, measures in found.items() if not measures]
    if missing:
        raise ConfigurationError(f"{where}: no measure for {', '.join(missing)}")
    return {m: tuple(measures) for m, measures in found.items()}


@dataclass(frozen=True, slots=True)
class Listing:
    """A list entry with the records that justify it."""

    entry: ListEntry
    records: tuple[CreditRecord, ...]


@dataclass(frozen=True, slots=True)
class AppliedMeasure:
    measure: Measure
    listings: tuple[Listing, ...]  # the entries that justify it (none for three-years-clean)
    records: tuple[CreditRecord, ...]  # the records behind those entries that count
    reasons: tuple[str, ...] = ()  # why it reaches a person through an organisation (落实到人)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    matter: CheckMatter
    checked_on: date
    black: tuple[Listing, ...]
    red: tuple[Listing, ...]
    dishonesty: tuple[CreditRecord, ...]  # records that count and break three-years-clean
    clean_from: date | None  # first day the subject would be three-years-clean; None: it is
    restrictions: tuple[AppliedMeasure, ...]
    facilitation: tuple[AppliedMeasure, ...]
    reached: tuple[Reach, ...] = ()  # organisations' black listings and serious dishonesty reaching a person

    @property
    def three_years_clean(self) -> bool:
        return not self.dishonesty


def justifies(kind: ListKind, record: CreditRecord, *, today: date, periods: DisplayPeriods) -> bool:
    """Whether ``record`` is a basis for a list entry of ``kind`` today: it counts (not revoked,
    repaired or expired, within its display period) and is of the list's nature: dishonesty for a
    black list, anything else for a red one. A record corrected into something else (a penalty
    revoked into a warning of another category, a commitment corrected to kept) no longer is."""
    if not counts(record, today=today, periods=periods):
        return False
    dishonest = is_dishonesty(record.category, record.severity, record.kept)
    return dishonest if kind is ListKind.BLACK else not dishonest


def basis_lapsed(listing: Listing, *, today: date, periods: DisplayPeriods) -> bool:
    """An entry that cited records, none of which justifies it any more (all revoked, corrected away,
    repaired or expired): flagged to its listing authority and out of checks and grades (002 二(三)2
    退出, 二(七)4: a repaired or revoked record is no basis for punishment). An entry citing no
    record stands on the listing authority's own decision."""
    if not listing.records:
        return False
    return not any(justifies(listing.entry.kind, r, today=today, periods=periods) for r in listing.records)


def listing_in_force(listing: Listing, *, today: date, periods: DisplayPeriods) -> bool:
    entry = listing.entry
    if entry.status is not ListStatus.LISTED or entry.listed_on > today:
        return False
    if entry.planned_exit is not None and today > entry.planned_exit:
        return False
    return not basis_lapsed(listing, today=today, periods=periods)


def check(
    *,
    matter: CheckMatter,
    records: Sequence[CreditRecord],
    listings: Sequence[Listing],
    today: date,
    periods: DisplayPeriods,
    rules: CheckRules,
    reached: Sequence[Reach] = (),
) -> CheckOutcome:
    """``reached``: what reaches a person from organisations they answer for
    (``gateway.lifecycle.rules.responsibility.reaches``)."""
    in_force = [x for x in listings if listing_in_force(x, today=today, periods=periods)]
    black = tuple(x for x in in_force if x.entry.kind is ListKind.BLACK)
    red = tuple(x for x in in_force if x.entry.kind is ListKind.RED)
    months = 12 * rules.clean_years
    # A record breaks "three years clean" through the last day of the three years after its decision,
    # counted as display periods are (民法典 第二百零二条).
    own_ids = {r.id for r in records}
    reached_records = [x.record for x in reached if x.record is not None and x.record.id not in own_ids]
    dishonesty = tuple(
        r
        for r in (*records, *dict.fromkeys(reached_records))
        if is_dishonesty(r.category, r.severity, r.kept)
        and today <= add_months(r.decision_date, months)
        and counts(r, today=today, periods=periods)
    )
    clean_from = (
        max(add_months(r.decision_date, months) for r in dishonesty) + timedelta(days=1)
        if dishonesty
        else None
    )

    def applied(
        measures: tuple[Measure, ...], basis: tuple[Listing, ...], reasons: tuple[str, ...] = ()
    ) -> tuple[AppliedMeasure, ...]:
        behind = tuple(r for x in basis for r in x.records if counts(r, today=today, periods=periods))
        return tuple(AppliedMeasure(m, basis, behind, reasons) for m in measures)

    reaching = [x for x in reached if x.listing is not None]
    restricting = [x for x in reaching if matter in x.matters]
    basis = black + tuple({x.listing.entry.id: x.listing for x in restricting if x.listing}.values())
    reasons = tuple(dict.fromkeys(x.reason for x in restricting))
    restrictions = applied(rules.restrictions[matter], basis, reasons) if basis else ()
    facilitation: tuple[AppliedMeasure, ...] = ()
    if not black and not reaching and (red or not dishonesty):
        facilitation = applied(rules.facilitation[matter], red)
    return CheckOutcome(
        matter, today, black, red, dishonesty, clean_from, restrictions, facilitation, tuple(reached)
    )
