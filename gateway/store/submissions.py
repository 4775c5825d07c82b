"""Records submitted by a data provider over the API: the import's validation and write path, plus
the rule that a provider writes only records of its own authority ("who produces is responsible").

A record about an organisation may carry the organisation's responsible persons (落实到人): they are
written with it, as an import's organisation line writes them (``gateway.store.responsibilities``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import InvalidInput
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.quality import record_rejections
from gateway.store.inputs import (
    RecordInput,
    RecordKey,
    ResponsibilitiesInput,
    parse_record,
    parse_responsible_persons,
)
from gateway.store.models import CreditRecord
from gateway.store.writer import ItemResult, StoreWriter, WriteOutcome
from gateway.workdays import WorkCalendar

MAX_RECORDS_PER_SUBMISSION = 500


@dataclass(slots=True)
class SubmissionResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)
    # Record ids created or updated, by the subject they are about: what the audit's change event names.
    changed: dict[str, list[str]] = field(default_factory=dict)


def submit_records(
    session: Session,
    cipher: FieldCipher,
    *,
    provider_code: str,
    records: Sequence[Mapping[str, Any]],
    calendar: WorkCalendar,
    now: datetime,
) -> SubmissionResult:
    if len(records) > MAX_RECORDS_PER_SUBMISSION:
        raise InvalidInput("records", f"at most {MAX_RECORDS_PER_SUBMISSION} records per submission")
    result = SubmissionResult()
    valid: list[tuple[int, RecordInput]] = []
    held: dict[int, ResponsibilitiesInput] = {}
    first_seen: dict[RecordKey, int] = {}
    for index, raw in enumerate(records):
        try:
            record = parse_record({**raw, "providerCode": provider_code}, today=now.date())
            persons = parse_responsible_persons(raw)
            if persons and record.subject.credit_code is None:
                raise InvalidInput("responsiblePersons", "only an organisation has responsible persons")
        except InvalidInput as exc:
            result.rejected.append((index, exc.field, exc.reason))
            continue
        if record.authority_code != provider_code:
            result.rejected.append(
                (index, "authorityCode", "a provider submits records of its own authority only")
            )
            continue
        if record.key in first_seen:
            result.rejected.append((index, "documentNumber", f"duplicate of record {first_seen[record.key]}"))
            continue
        first_seen[record.key] = index
        valid.append((index, record))
        if persons:
            held[index] = ResponsibilitiesInput(record.subject.credit_code, persons)
    writer = StoreWriter(session, cipher, calendar=calendar, clock=lambda: now, actor=provider_code)
    written = writer.write([r for _, r in valid] + list(held.values()))
    held_outcomes = dict(zip(held, written[len(valid) :], strict=True))
    changed_ids: list[str] = []
    for (index, _), outcome in zip(valid, written[: len(valid)], strict=True):
        outcome = _with_holdings(outcome, held_outcomes.get(index))
        if outcome.outcome is WriteOutcome.CREATED:
            result.created += 1
            changed_ids.append(str(outcome.id))
        elif outcome.outcome is WriteOutcome.UPDATED:
            result.updated += 1
            changed_ids.append(str(outcome.id))
        elif outcome.outcome is WriteOutcome.UNCHANGED:
            result.unchanged += 1
        else:
            result.rejected.append((index, outcome.field, outcome.reason or "rejected"))
    result.rejected.sort()
    if changed_ids:
        rows = session.execute(
            select(CreditRecord.subject_id, CreditRecord.id).where(CreditRecord.id.in_(changed_ids))
        )
        for subject_id, record_id in rows:
            result.changed.setdefault(subject_id, []).append(record_id)
    # Kept for the data-quality measures (share of rows that passed validation).
    record_rejections(
        session, authority_code=provider_code, source="api", rejections=result.rejected, now=now
    )
    return result


def _with_holdings(record: ItemResult, holdings: ItemResult | None) -> ItemResult:
    """A record's outcome with its responsible persons': their refusal refuses the item, and an
    unchanged record whose responsible persons changed was updated."""
    if holdings is None or record.outcome is WriteOutcome.REJECTED:
        return record
    if holdings.outcome is WriteOutcome.REJECTED:
        return ItemResult(
            WriteOutcome.REJECTED, record.id, field="responsiblePersons", reason=holdings.reason
        )
    if record.outcome is WriteOutcome.UNCHANGED and holdings.outcome is WriteOutcome.UPDATED:
        return ItemResult(WriteOutcome.UPDATED, record.id, subject_id=holdings.subject_id)
    return record
