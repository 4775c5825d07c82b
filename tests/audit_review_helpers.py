"""Crafted audit events appended to a real database, for the review, anomaly and export tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.keys.keyring import Keyring

CST_MORNING = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in China, a working day


def person(n: int) -> str:
    """A pseudonym-shaped stand-in for the n-th identity number."""
    letters = "abcdefghijklmnop"
    return "idn:" + "".join(letters[(n >> (4 * i)) & 15] for i in range(8))


def event(
    at: datetime,
    *,
    caller: str = "bank",
    org: str | None = "91370000999999100Q",
    role: str = "partner",
    persons: Iterable[int] = (),
    outcome: RequestOutcome = RequestOutcome.ANSWERED,
    errors: Iterable[str] = (),
    consent_id: str | None = None,
    purpose: str | None = None,
    root: str = "person",
    operation_name: str | None = None,
) -> dict[str, Any]:
    return draft_document(
        time=at,
        request_id=f"{int(at.timestamp() * 1_000_000):016x}"[-16:],
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id=caller, role=role, organization=org),
        client="10.0.0.1",
        operation_name=operation_name,
        operation_type="query",
        root_fields=[root],
        pseudonyms=[person(n) for n in persons],
        consent_id=consent_id,
        purpose=purpose,
        outcome=outcome,
        errors=list(errors),
        http_status=200,
        duration_us=1_000,
    )


def append(engine: Engine, keyring: Keyring, documents: Iterable[Mapping[str, Any]]) -> list[int]:
    audit_log = AuditLog(HeadSigner(keyring), HeadSchedule(every_events=10**9, every_seconds=10**9),
                         clock=lambda: CST_MORNING)  # fmt: skip
    with engine.begin() as conn:
        return audit_log.append(conn, list(documents))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
