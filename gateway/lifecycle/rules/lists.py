"""Lists with a lifecycle (002 二(三)2 "认定、发布、修复、退出", "防止泛化"), without the database.

A provider lists a subject on a red or black list of its own authority, citing the records that
justify the entry; each cited record must be the subject's and justify the list's kind today
(``gateway.lifecycle.rules.checks.justifies``), so a list is never wider than its basis. An entry
exits on its planned exit day at the latest (``[lists]`` in ``policies/lifecycle.toml``, a local
default), when the provider delists it, or when an objection to it succeeds (REVOKED). Objections to
entries take the deadline of objections to records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gateway.domain import ListKind, ListStatus, ObjectionStatus
from gateway.errors import InvalidInput, InvalidState
from gateway.lifecycle.rules.checks import justifies
from gateway.lifecycle.rules.config import table, whole, words
from gateway.lifecycle.rules.periods import DisplayPeriods, add_months
from gateway.store.models import CreditRecord

MAX_CITED = 50
MAX_LIST_NAME = 120
MAX_REASON = 5_000
# What a listed subject's objection can do to an entry: keep it, or take it off the list. A wrong
# entry is not corrected in place: the provider delists it and lists anew.
LIST_OUTCOMES = frozenset({ObjectionStatus.REVOKED, ObjectionStatus.UPHELD})


@dataclass(frozen=True, slots=True)
class ListRules:
    black_years: int
    red_years: int
    source: str

    @classmethod
    def from_document(cls, document: dict[str, object], where: str) -> ListRules:
        lists = table(document, "lists", where, ("black_years", "red_years", "source"))
        return cls(
            black_years=whole(lists.get("black_years"), f"{where}: lists.black_years", low=1, high=10),
            red_years=whole(lists.get("red_years"), f"{where}: lists.red_years", low=1, high=10),
            source=words(lists.get("source"), f"{where}: lists.source"),
        )

    def longest_exit(self, kind: ListKind, listed_on: date) -> date:
        years = self.black_years if kind is ListKind.BLACK else self.red_years
        return add_months(listed_on, 12 * years)


def planned_exit(kind: ListKind, given: date | None, *, listed_on: date, rules: ListRules) -> date:
    """The entry's planned exit: the one given, after the listing day and no later than the longest
    the policy allows; the longest when none is given."""
    longest = rules.longest_exit(kind, listed_on)
    if given is None:
        return longest
    if given <= listed_on:
        raise InvalidInput("plannedExit", "must be after the listing day")
    if given > longest:
        raise InvalidInput("plannedExit", f"must be on or before {longest.isoformat()} (the longest listing)")
    return given


def check_basis(
    kind: ListKind, records: Sequence[CreditRecord], *, today: date, periods: DisplayPeriods
) -> str:
    """The one subject the cited records are about, when every one of them justifies an entry of
    ``kind`` today; InvalidInput naming the first that does not."""
    if not records:
        raise InvalidInput("records", "cite at least one record that justifies the entry")
    subjects = {r.subject_id for r in records}
    if len(subjects) != 1:
        raise InvalidInput("records", "the cited records must all be about the same subject")
    for index, record in enumerate(records):
        if not justifies(kind, record, today=today, periods=periods):
            nature = "a dishonesty record" if kind is ListKind.BLACK else "a record of trustworthiness"
            raise InvalidInput(
                f"records[{index}]",
                f"is no basis for a {kind.value.lower()} list entry: it must count today and be {nature}",
            )
    return subjects.pop()


def check_listed(status: ListStatus, action: str) -> None:
    if status is not ListStatus.LISTED:
        raise InvalidState(f"the entry is {status.value.lower()}; only a listed entry can be {action}")


def check_list_outcome(outcome: ObjectionStatus) -> None:
    if outcome not in LIST_OUTCOMES:
        raise InvalidInput(
            "outcome", "must be REVOKED or UPHELD: a wrong entry is revoked, not corrected in place"
        )
