"""Data-quality measures of the double-publicity assessment, per providing authority: publication
rate, share published within 7 working days, share of rows that passed validation, coverage of the
"ten publicities" (000 双公示 三(二): 公示率、优质数据占比、数据范围覆盖率; 二(三): 7 working days;
002 二(二)2: find invalid and missing data). Pure: the service hands in the rows of one window.

The gateway sees what reached it, not every decision an agency made: the publication rate's
denominator is the authority's in-scope records plus the rows it sent that failed validation (and so
were never published); the assessor combines it with the agency's own case count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.access.visibility import in_publication_scope, publishable
from gateway.domain import TEN_PUBLICITIES, Category, SubjectKind
from gateway.lifecycle.rules.periods import DisplayPeriods


@dataclass(frozen=True, slots=True)
class QualityMeasures:
    authority_code: str
    records: int  # received in the window
    in_scope: int  # the portal may show them by rule (organisations, not simple procedure, public period)
    published: int  # in scope and shown today
    within_deadline: int  # received within 7 working days of the decision
    rejected_rows: int  # refused by validation in the window
    covered: frozenset[Category]  # ten-publicity categories with at least one record

    @property
    def publication_rate(self) -> float | None:
        return _share(self.published, self.in_scope + self.rejected_rows)

    @property
    def within_deadline_rate(self) -> float | None:
        return _share(self.within_deadline, self.records)

    @property
    def validation_pass_rate(self) -> float | None:
        return _share(self.records, self.records + self.rejected_rows)

    @property
    def category_coverage(self) -> float:
        return len(self.covered) / len(TEN_PUBLICITIES)

    @property
    def missing(self) -> frozenset[Category]:
        return TEN_PUBLICITIES - self.covered


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def measure(
    authority_code: str,
    *,
    records: Sequence[tuple[Any, SubjectKind]],
    rejected_rows: int,
    today: date,
    periods: DisplayPeriods,
) -> QualityMeasures:
    """``records``: (record, kind of its subject) for the authority's records received in the window."""
    scoped = [(r, k) for r, k in records if in_publication_scope(r, k, periods=periods)]
    return QualityMeasures(
        authority_code=authority_code,
        records=len(records),
        in_scope=len(scoped),
        published=sum(publishable(r, k, today=today, periods=periods) for r, k in scoped),
        within_deadline=sum(bool(r.received_within_deadline) for r, _ in records),
        rejected_rows=rejected_rows,
        covered=frozenset(r.category for r, _ in records) & TEN_PUBLICITIES,
    )
