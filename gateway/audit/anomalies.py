"""Anomaly flags over audit events: pure functions of rows the log's queries read (``queries``).

- PERSONS_PER_HOUR: one caller named more distinct persons (identity-number pseudonyms) within one
  clock hour than ``persons_per_hour``: a partner's norm is a handful of approvals an hour, a scan
  of many people is what the registration and review duty exists to catch (000 个人 四(一));
- REFUSAL_BURST: ``refusal_burst`` or more refused requests of one caller within
  ``refusal_window``: probing for consents, identity numbers or permissions;
- OFF_HOURS: person lookups outside working hours (China Standard Time) or on a day that is not a
  working day by the calendar (weekends, holidays, adjusted workdays);
- CONSENT_NOT_GRANTEE: a request that named a consent granted to another organisation than the
  caller's (whether the gateway refused it or not: the consent token left its grantee);
- LAWFUL_ACCESS: lookups without consent, counted per agency (caller and organisation) and per legal
  basis stated (law, article, case or document number): each group is flagged, since every use of
  the exception to consent is for the auditor to review (000 个人 四(一): query registration and
  review), and one basis named for many lookups stands out by its count.

Each flag names the caller, its time window, the count that crossed the threshold and the events'
sequence numbers (the first ``MAX_SEQS``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum

from gateway.workdays import WorkCalendar

CST = timezone(timedelta(hours=8), "CST")
MAX_SEQS = 100


class AnomalyKind(StrEnum):
    PERSONS_PER_HOUR = "PERSONS_PER_HOUR"
    REFUSAL_BURST = "REFUSAL_BURST"
    OFF_HOURS = "OFF_HOURS"
    CONSENT_NOT_GRANTEE = "CONSENT_NOT_GRANTEE"
    LAWFUL_ACCESS = "LAWFUL_ACCESS"


@dataclass(frozen=True, slots=True)
class Lookup:
    """One identity number (as its pseudonym) named by one event."""

    seq: int
    time: datetime
    caller_id: str | None
    organization: str | None
    person: str


@dataclass(frozen=True, slots=True)
class Refusal:
    seq: int
    time: datetime
    caller_id: str | None
    organization: str | None


@dataclass(frozen=True, slots=True)
class ConsentUse:
    seq: int
    time: datetime
    caller_id: str | None
    organization: str | None
    consent_id: str
    grantee: str | None  # None: no such consent in the store


@dataclass(frozen=True, slots=True)
class BasisUse:
    """One event that stated a legal basis (``law|article|reference``) for a lookup without consent."""

    seq: int
    time: datetime
    caller_id: str | None
    organization: str | None
    basis: str
    refused: bool


@dataclass(frozen=True, slots=True)
class Thresholds:
    persons_per_hour: int
    refusal_burst: int
    refusal_window: timedelta
    working_hours: tuple[time, time]
    calendar: WorkCalendar


@dataclass(frozen=True, slots=True)
class Flag:
    kind: AnomalyKind
    caller_id: str | None
    organization: str | None
    start: datetime
    end: datetime
    count: int
    threshold: int
    seqs: tuple[int, ...]
    truncated: bool
    detail: str


def _flag(
    kind: AnomalyKind, caller: tuple[str | None, str | None], times: Sequence[datetime], seqs: Iterable[int],
    count: int, threshold: int, detail: str, *, start: datetime | None = None, end: datetime | None = None,
) -> Flag:  # fmt: skip
    ordered = sorted(set(seqs))
    return Flag(
        kind=kind,
        caller_id=caller[0],
        organization=caller[1],
        start=start or min(times),
        end=end or max(times),
        count=count,
        threshold=threshold,
        seqs=tuple(ordered[:MAX_SEQS]),
        truncated=len(ordered) > MAX_SEQS,
        detail=detail,
    )


def persons_per_hour(lookups: Iterable[Lookup], limit: int) -> list[Flag]:
    """A flag per caller and clock hour (UTC and CST hours coincide) with more than ``limit``
    distinct persons named."""
    hours: dict[tuple[str | None, str | None, datetime], list[Lookup]] = defaultdict(list)
    for item in lookups:
        hour = item.time.replace(minute=0, second=0, microsecond=0)
        hours[(item.caller_id, item.organization, hour)].append(item)
    flags = []
    for (caller, org, hour), items in sorted(hours.items(), key=lambda kv: (kv[0][2], kv[0][0] or "")):
        persons = len({i.person for i in items})
        if persons > limit:
            flags.append(
                _flag(AnomalyKind.PERSONS_PER_HOUR, (caller, org), [], (i.seq for i in items), persons, limit,
                      f"{persons} distinct persons in one hour (threshold {limit})",
                      start=hour, end=hour + timedelta(hours=1))
            )  # fmt: skip
    return flags


def refusal_bursts(refusals: Iterable[Refusal], threshold: int, window: timedelta) -> list[Flag]:
    """A flag per run of at least ``threshold`` refusals of one caller whose first and last lie
    within ``window``; the run is extended as long as that holds, then the search resumes after it."""
    by_caller: dict[tuple[str | None, str | None], list[Refusal]] = defaultdict(list)
    for item in refusals:
        by_caller[(item.caller_id, item.organization)].append(item)
    flags = []
    for caller, items in by_caller.items():
        items.sort(key=lambda r: (r.time, r.seq))
        i = 0
        while i < len(items):
            j = i
            while j + 1 < len(items) and items[j + 1].time - items[i].time <= window:
                j += 1
            run = items[i : j + 1]
            if len(run) >= threshold:
                flags.append(
                    _flag(AnomalyKind.REFUSAL_BURST, caller, [r.time for r in run], (r.seq for r in run),
                          len(run), threshold,
                          f"{len(run)} refusals within {int(window.total_seconds() // 60)} minutes")
                )  # fmt: skip
                i = j + 1
            else:
                i += 1
    flags.sort(key=lambda f: (f.start, f.caller_id or ""))
    return flags


def is_working_time(moment: datetime, hours: tuple[time, time], calendar: WorkCalendar) -> bool:
    local = moment.astimezone(CST)
    return calendar.is_workday(local.date()) and hours[0] <= local.time().replace(tzinfo=None) < hours[1]


def off_hours(lookups: Iterable[Lookup], hours: tuple[time, time], calendar: WorkCalendar) -> list[Flag]:
    """A flag per caller and China calendar day with person lookups outside working time; the count
    is the number of such lookup events."""
    days: dict[tuple[str | None, str | None, str], dict[int, datetime]] = defaultdict(dict)
    for item in lookups:
        if not is_working_time(item.time, hours, calendar):
            day = item.time.astimezone(CST).date().isoformat()
            days[(item.caller_id, item.organization, day)][item.seq] = item.time
    flags = []
    for (caller, org, day), events in sorted(days.items(), key=lambda kv: (kv[0][2], kv[0][0] or "")):
        flags.append(
            _flag(AnomalyKind.OFF_HOURS, (caller, org), list(events.values()), events, len(events), 1,
                  f"{len(events)} person lookups outside {hours[0]:%H:%M}-{hours[1]:%H:%M} on working days (CST), {day}")
        )  # fmt: skip
    return flags


def consent_not_grantee(uses: Iterable[ConsentUse]) -> list[Flag]:
    """A flag per caller and consent named by a caller whose organisation is not the grantee."""
    groups: dict[tuple[str | None, str | None, str, str | None], list[ConsentUse]] = defaultdict(list)
    for use in uses:
        if use.grantee is None or use.organization != use.grantee:
            groups[(use.caller_id, use.organization, use.consent_id, use.grantee)].append(use)
    flags = []
    for (caller, org, consent, grantee), items in groups.items():
        whose = f"granted to {grantee}" if grantee else "not in the store"
        flags.append(
            _flag(AnomalyKind.CONSENT_NOT_GRANTEE, (caller, org), [u.time for u in items], (u.seq for u in items),
                  len(items), 1, f"consent {consent} ({whose}) named by {org or 'a caller without organisation'}")
        )  # fmt: skip
    flags.sort(key=lambda f: (f.start, f.caller_id or ""))
    return flags


def lawful_access(uses: Iterable[BasisUse]) -> list[Flag]:
    """A flag per caller and legal basis: the count is the events that stated the basis, refused
    ones included (a basis stated by an agency the policy does not name is refused, and still shown)."""
    groups: dict[tuple[str | None, str | None, str], list[BasisUse]] = defaultdict(list)
    for use in uses:
        groups[(use.caller_id, use.organization, use.basis)].append(use)
    flags = []
    for (caller, org, basis), items in groups.items():
        refused = sum(1 for u in items if u.refused)
        stated = " ".join(basis.split("|"))
        flags.append(
            _flag(AnomalyKind.LAWFUL_ACCESS, (caller, org), [u.time for u in items], (u.seq for u in items),
                  len(items), 1, f"{len(items)} lookups without consent under {stated} ({refused} refused)")
        )  # fmt: skip
    flags.sort(key=lambda f: (f.start, f.caller_id or ""))
    return flags


def detect(
    lookups: Sequence[Lookup],
    refusals: Sequence[Refusal],
    uses: Sequence[ConsentUse],
    thresholds: Thresholds,
    bases: Sequence[BasisUse] = (),
) -> list[Flag]:
    """Every flag, ordered by kind, then by the start of its window."""
    return [
        *persons_per_hour(lookups, thresholds.persons_per_hour),
        *refusal_bursts(refusals, thresholds.refusal_burst, thresholds.refusal_window),
        *off_hours(lookups, thresholds.working_hours, thresholds.calendar),
        *consent_not_grantee(uses),
        *lawful_access(bases),
    ]
