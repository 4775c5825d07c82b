"""Punishment that reaches the responsible people (落实到人): an organisation's black listing or serious
dishonesty reaches the persons who answer for it, as the seeds require of joint punishment (001 (十七),
004 个人 六(二), 000 个人 六(二), 003 新型监管 二(四)). Pure: the service hands in the person's
holdings with their organisations' rows, and the request's date.

- Which roles are reached, and in which matters a check restricts them, is the operator's policy:
  ``[responsible_persons]`` in ``policies/credit-check.toml`` (local default: all three roles, every
  matter).
- A holding reaches a person for a black list entry in force (``listing_in_force``) when the person
  held the role on the day of the listing, and for a serious dishonesty record that counts when they held
  it on the day of the act (the decision's when no act date is given): responsibility follows the
  time of the dishonesty, so a representative appointed after it is not reached, and one who left
  after it still is. Local default; the seeds name the roles, not the day.
- The reach lasts as long as its basis: when the entry exits (or its justifying records stop
  counting) or the record leaves its period, the reach goes with it.
- Each reach carries its reason: "legal representative of 91…, black list entry …, since …".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from gateway.access.visibility import counts
from gateway.domain import CheckMatter, ListKind, ResponsibleRole, reaches_legal_representative
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.checks import Listing, listing_in_force
from gateway.lifecycle.rules.config import words
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord

SECTION = "responsible_persons"
E = TypeVar("E", ResponsibleRole, CheckMatter)
ROLE_LABELS = {
    ResponsibleRole.LEGAL_REPRESENTATIVE: "legal representative (法定代表人)",
    ResponsibleRole.PRINCIPAL: "principal responsible person (主要负责人)",
    ResponsibleRole.ACTUAL_CONTROLLER: "actual controller (实际控制人)",
}


@dataclass(frozen=True, slots=True)
class ReachRules:
    """Which roles an organisation's black listing and serious dishonesty reach, and in which check
    matters the black listing restricts them."""

    roles: frozenset[ResponsibleRole]
    matters: frozenset[CheckMatter]
    source: str
    local_default: bool

    @classmethod
    def parse(cls, document: dict[str, Any], where: str) -> ReachRules:
        row = document.get(SECTION)
        here = f"{where}: {SECTION}"
        if not isinstance(row, dict):
            raise ConfigurationError(f"{here}: expected a [{SECTION}] table with roles, matters, source")
        unknown = sorted(set(row) - {"roles", "matters", "source", "local_default"})
        if unknown:
            raise ConfigurationError(f"{here}: unknown key {unknown[0]!r}")
        if not isinstance(row.get("local_default"), bool):
            raise ConfigurationError(f"{here}: local_default must be true or false")
        return cls(
            roles=frozenset(_names(row.get("roles"), ResponsibleRole, f"{here}: roles")),
            matters=frozenset(_names(row.get("matters"), CheckMatter, f"{here}: matters")),
            source=words(row.get("source"), f"{here}: source"),
            local_default=row["local_default"],
        )


def _names(raw: object, enum: type[E], where: str) -> list[E]:
    if raw == "*":
        return list(enum)
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigurationError(f'{where} must be a list of names or "*"')
    try:
        return [enum(v) for v in raw]
    except ValueError:
        raise ConfigurationError(f"{where} must be among {', '.join(enum)}") from None


@dataclass(frozen=True, slots=True)
class Holding:
    """A person's role in one organisation, with that organisation's list entries (and their
    justifying records) and records."""

    role: ResponsibleRole
    since: date | None
    until: date | None
    organization_id: str
    organization_code: str  # as the reason shows it (an individual business's masked)
    listings: tuple[Listing, ...]
    records: tuple[CreditRecord, ...]

    def held_on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)


class ReachBasis(StrEnum):
    BLACK_LIST = "BLACK_LIST"
    SERIOUS_DISHONESTY = "SERIOUS_DISHONESTY"


@dataclass(frozen=True, slots=True)
class Reach:
    """One black list entry or serious dishonesty of an organisation reaching a person through one
    holding; ``matters`` are those in which a check restricts them for it (a black listing only)."""

    holding: Holding
    listing: Listing | None
    record: CreditRecord | None
    matters: frozenset[CheckMatter]
    reason: str

    @property
    def basis(self) -> ReachBasis:
        return ReachBasis.BLACK_LIST if self.listing is not None else ReachBasis.SERIOUS_DISHONESTY


def reason_for(holding: Holding, *, listing: Listing | None, record: CreditRecord | None) -> str:
    who = f"{ROLE_LABELS[holding.role]} of {holding.organization_code}"
    if listing is not None:
        e = listing.entry
        return f"{who}, black list entry {e.list_name} ({e.authority_code}), since {e.listed_on.isoformat()}"
    assert record is not None
    return (
        f"{who}, serious dishonesty {record.document_number} ({record.authority_code}), "
        f"since {record.decision_date.isoformat()}"
    )


def reaches(
    holdings: Sequence[Holding], *, today: date, periods: DisplayPeriods, rules: ReachRules
) -> tuple[Reach, ...]:
    """Every reach of these holdings today, black listings first, each in the order given."""
    found: list[Reach] = []
    held = [h for h in holdings if h.role in rules.roles]
    for h in held:
        for x in h.listings:
            if (
                x.entry.kind is ListKind.BLACK
                and listing_in_force(x, today=today, periods=periods)
                and h.held_on(x.entry.listed_on)
            ):
                found.append(Reach(h, x, None, rules.matters, reason_for(h, listing=x, record=None)))
    for h in held:
        for r in h.records:
            if (
                reaches_legal_representative(r.category, r.severity, r.kept)
                and counts(r, today=today, periods=periods)
                and h.held_on(r.act_date or r.decision_date)
            ):
                found.append(Reach(h, None, r, frozenset(), reason_for(h, listing=None, record=r)))
    return tuple(found)
