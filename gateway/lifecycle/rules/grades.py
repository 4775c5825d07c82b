"""Public credit evaluation (公共信用综合评价): a deterministic score and grade A/B/C/D per subject, with
every contribution explained. Pure: the service hands in the subject's rows and the request's date.

The seeds ask for a public credit evaluation and supervision graded by it (002 二(四), 003 second plan
二(三)); the model is data in ``policies/credit-grades.toml``. Only records that count are scored
(``gateway.access.visibility.counts``): repaired, revoked, expired and past-period records never are, nor
records of acts committed before the person turned 18 (001 (十三), 004 个人 四(三)); list entries score
while in force (``gateway.lifecycle.rules.checks.listing_in_force``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.access.visibility import counts
from gateway.domain import Category, ListKind, Severity, is_dishonesty
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.checks import Listing, listing_in_force
from gateway.lifecycle.rules.config import read_toml, table, whole
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord

if TYPE_CHECKING:
    from gateway.lifecycle.rules.responsibility import Reach

FILE_NAME = "credit-grades.toml"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


@dataclass(frozen=True, slots=True)
class GradeRules:
    start: int
    floor: int
    ceiling: int
    minimums: dict[Grade, int]
    dishonesty: dict[Severity, int]
    lists: dict[ListKind, int]
    black_listed_at_best: Grade
    good_categories: frozenset[Category]
    kept_commitments: bool
    good_points: int
    good_cap: int

    def grade(self, score: int) -> Grade:
        return next(g for g in Grade if score >= self.minimums[g])

    @classmethod
    def load(cls, policy_dir: Path) -> GradeRules:
        path = Path(policy_dir) / FILE_NAME
        return cls.parse(read_toml(path), str(path))

    @classmethod
    def parse(cls, doc: dict[str, Any], where: str) -> GradeRules:
        unknown = sorted(
            set(doc) - {"start", "floor", "ceiling", "grades", "dishonesty", "lists", "good_records"}
        )
        if unknown:
            raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
        floor = whole(doc.get("floor"), f"{where}: floor", low=0, high=1_000)
        ceiling = whole(doc.get("ceiling"), f"{where}: ceiling", low=floor + 1, high=1_000)
        start = whole(doc.get("start"), f"{where}: start", low=floor, high=ceiling)
        grades = table(doc, "grades", where, [g.value for g in Grade])
        minimums = {
            g: whole(grades.get(g.value), f"{where}: grades.{g}", low=floor, high=ceiling) for g in Grade
        }
        ordered = [minimums[g] for g in Grade]
        if (
            ordered != sorted(ordered, reverse=True)
            or len(set(ordered)) != len(ordered)
            or ordered[-1] != floor
        ):
            raise ConfigurationError(
                f"{where}: grades must fall strictly from A to D, and D must be the floor"
            )
        dishonesty = table(doc, "dishonesty", where, [s.value for s in Severity])
        lists = table(doc, "lists", where, ["BLACK", "RED", "black_listed_at_best"])
        good = table(doc, "good_records", where, ["categories", "kept_commitments", "points", "cap"])
        try:
            at_best = Grade(str(lists.get("black_listed_at_best")))
            categories = frozenset(Category(c) for c in good.get("categories", []))
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{where}: black_listed_at_best or a good-record category is unknown"
            ) from None
        if not isinstance(good.get("kept_commitments"), bool):
            raise ConfigurationError(f"{where}: good_records.kept_commitments must be true or false")
        span = ceiling - floor
        return cls(
            start=start,
            floor=floor,
            ceiling=ceiling,
            minimums=minimums,
            dishonesty={
                s: whole(dishonesty.get(s.value), f"{where}: dishonesty.{s}", low=-span, high=0)
                for s in Severity
            },
            lists={
                ListKind.BLACK: whole(lists.get("BLACK"), f"{where}: lists.BLACK", low=-span, high=0),
                ListKind.RED: whole(lists.get("RED"), f"{where}: lists.RED", low=0, high=span),
            },
            black_listed_at_best=at_best,
            good_categories=categories,
            kept_commitments=good["kept_commitments"],
            good_points=whole(good.get("points"), f"{where}: good_records.points", low=0, high=span),
            good_cap=whole(good.get("cap"), f"{where}: good_records.cap", low=0, high=span),
        )


@dataclass(frozen=True, slots=True)
class Contribution:
    points: int
    rule: str
    record: CreditRecord | None = None
    listing: Listing | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    evaluated_on: date
    start: int
    score: int
    grade: Grade
    contributions: tuple[Contribution, ...]
    capped_by: str | None  # why the grade is lower than the score's


def _is_good(record: CreditRecord, rules: GradeRules) -> bool:
    if record.category is Category.CREDIT_COMMITMENT:
        return rules.kept_commitments and record.kept is True
    return record.category in rules.good_categories


def evaluate(
    *,
    records: Sequence[CreditRecord],
    listings: Sequence[Listing],
    today: date,
    periods: DisplayPeriods,
    rules: GradeRules,
    reached: Sequence[Reach] = (),
) -> Evaluation:
    """``reached``: organisations' black listings and serious dishonesty reaching a person
    (``gateway.lifecycle.rules.responsibility``); each scores as the person's own would, its rule
    naming the reason, and a record the person already has (a legal representative's linked record)
    is not scored twice."""
    contributions: list[Contribution] = []
    good_left = rules.good_cap
    counted = [r for r in records if counts(r, today=today, periods=periods) and not r.committed_as_minor]
    seen = {r.id for r in counted}
    for r in sorted(counted, key=lambda r: (-r.decision_date.toordinal(), r.document_number, r.id or "")):
        if is_dishonesty(r.category, r.severity, r.kept):
            points = rules.dishonesty[r.severity]
            contributions.append(Contribution(points, f"{r.severity.value.lower()} dishonesty: {points}", r))
        elif _is_good(r, rules):
            points = min(rules.good_points, good_left)
            good_left -= points
            rule = (
                f"good record: +{points}"
                if points
                else f"good record: 0 (the {rules.good_cap}-point cap is reached)"
            )
            contributions.append(Contribution(points, rule, r))
        else:
            contributions.append(Contribution(0, f"{r.category.value.lower()}: neutral", r))
    for x in reached:
        if x.record is not None and x.record.id not in seen and not x.record.committed_as_minor:
            seen.add(x.record.id)
            points = rules.dishonesty[x.record.severity]
            contributions.append(
                Contribution(points, f"serious dishonesty as {x.reason}: {points}", x.record)
            )
    in_force = [x for x in listings if listing_in_force(x, today=today, periods=periods)]
    for x in sorted(
        in_force, key=lambda x: (x.entry.kind, -x.entry.listed_on.toordinal(), x.entry.list_name)
    ):
        points = rules.lists[x.entry.kind]
        contributions.append(
            Contribution(points, f"{x.entry.kind.value.lower()} list entry in force: {points:+d}", listing=x)
        )
    listed: set[str] = set()
    for x in reached:
        if x.listing is not None and x.listing.entry.id not in listed:
            listed.add(x.listing.entry.id)
            points = rules.lists[ListKind.BLACK]
            contributions.append(
                Contribution(
                    points, f"black list entry in force, as {x.reason}: {points:+d}", listing=x.listing
                )
            )
    score = max(rules.floor, min(rules.ceiling, rules.start + sum(c.points for c in contributions)))
    grade = rules.grade(score)
    capped_by = None
    worst = list(Grade).index
    black = any(x.entry.kind is ListKind.BLACK for x in in_force) or bool(listed)
    if black and worst(grade) < worst(rules.black_listed_at_best):
        grade = rules.black_listed_at_best
        capped_by = f"black-listed: graded {grade.value} at best"
    return Evaluation(today, rules.start, score, grade, tuple(contributions), capped_by)
