"""Data-quality services: record rejected rows, and measure an authority's data over a window of
receipt dates (China Standard Time). The measures are ``gateway.lifecycle.rules.quality``'s."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gateway.domain import SubjectKind
from gateway.errors import InvalidInput
from gateway.lifecycle.rules.periods import CHINA_STANDARD_TIME, DisplayPeriods
from gateway.lifecycle.rules.quality import QualityMeasures, measure
from gateway.store.models import CreditRecord, RejectedRow, Subject

MAX_WINDOW_DAYS = 366
MAX_REASON = 300


def record_rejections(
    session: Session,
    *,
    authority_code: str | None,
    source: str,
    rejections: Iterable[tuple[int | None, str | None, str]],
    now: datetime,
) -> int:
    """Keep (line, field, reason) of rows refused by validation; never their values."""
    rows = [
        {
            "authority_code": authority_code,
            "source": source[:200],
            "line": line,
            "field": field[:120] if field else None,
            "reason": reason[:MAX_REASON],
            "rejected_at": now,
        }
        for line, field, reason in rejections
    ]
    if rows:
        session.execute(insert(RejectedRow), rows)
    return len(rows)


def window(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in China Standard Time, as UTC instants."""
    if end < start:
        raise InvalidInput("to", "is before from")
    if (end - start).days >= MAX_WINDOW_DAYS:
        raise InvalidInput("to", f"a window spans at most {MAX_WINDOW_DAYS} days")
    try:  # 0001-01-01 00:00 in China is before the first instant UTC can hold; 9999-12-31 has no next day
        low = datetime.combine(start, time(), tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)
        high = datetime.combine(end + timedelta(days=1), time(), tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)
    except OverflowError:
        raise InvalidInput("from", "the window is outside the dates the gateway can count") from None
    return low, high


def quarter_start(today: date) -> date:
    """The assessment runs by quarter (000 双公示 三(一): 按季度)."""
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def measure_authorities(
    session: Session,
    *,
    authority_code: str | None,
    start: date,
    end: date,
    today: date,
    periods: DisplayPeriods,
) -> list[QualityMeasures]:
    """One report per authority with records or rejected rows in the window (only ``authority_code``'s
    when given), ordered by authority code."""
    low, high = window(start, end)
    stmt = (
        select(CreditRecord, Subject.kind)
        .join(Subject, Subject.id == CreditRecord.subject_id)
        .where(CreditRecord.received_at >= low, CreditRecord.received_at < high)
    )
    rejected_stmt = (
        select(RejectedRow.authority_code, func.count())
        .where(
            RejectedRow.rejected_at >= low,
            RejectedRow.rejected_at < high,
            RejectedRow.authority_code.is_not(None),
        )
        .group_by(RejectedRow.authority_code)
    )
    if authority_code is not None:
        stmt = stmt.where(CreditRecord.authority_code == authority_code)
        rejected_stmt = rejected_stmt.where(RejectedRow.authority_code == authority_code)
    grouped: dict[str, list[tuple[Any, SubjectKind]]] = defaultdict(list)
    for record, kind in session.execute(stmt):
        grouped[record.authority_code].append((record, kind))
    rejected: dict[str, int] = {
        code: count for code, count in session.execute(rejected_stmt) if code is not None
    }
    codes = sorted(set(grouped) | set(rejected) | ({authority_code} if authority_code else set()))
    return [
        measure(
            code,
            records=grouped.get(code, []),
            rejected_rows=rejected.get(code, 0),
            today=today,
            periods=periods,
        )
        for code in codes
    ]
