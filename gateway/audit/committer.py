"""Group commit: the events of concurrent requests are appended in one transaction.

Requests hand their events to ``submit`` and wait on the returned future. One writer thread per
worker takes the first waiting batch, collects whatever else arrives within ``window`` seconds (up to
``max_events``), appends everything in one transaction (one lock, one fsync) and then releases every
waiting request, each with its own sequence numbers, or with AUDIT_UNAVAILABLE when the transaction
failed. A request never answers before its event is durable.

The window is only waited when there is company to wait for: when the previous transaction carried
more than one request. A lone client would otherwise pay the whole window on every request for a
batch that never forms; under concurrency, requests queue while the writer commits, the next
transaction carries several, and the window is waited again.

When idle the writer signs a head if one is due (docs/audit.md, "Signed tree heads"). ``healthy`` is
False from a failed write until the next successful one; ``probe`` tries a write and rolls it back.

Rows written by a request's own unit of work that must count only with its event (a consent's use,
``gateway.access.consent_uses``) are named by key with the request's events: the same transaction
claims them before the append and pairs them with the events' sequence numbers after it, so a row
and its event are committed together or not at all. A request whose row can no longer be claimed
(released as abandoned) has its events logged and its answer withheld (AUDIT_UNAVAILABLE). The
writer also runs the housekeeping it is given (releasing abandoned rows) between transactions.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert

from gateway.audit.canonical import check
from gateway.audit.models import AuditEvent
from gateway.audit.store import AuditLog, lock_state
from gateway.errors import AuditUnavailable

log = logging.getLogger("gateway.audit")


@dataclass(frozen=True, slots=True)
class Pairing:
    """How rows that count only with their event are claimed (those still unpaired, of the keys
    given) and paired with their events' sequence numbers, inside the append's transaction."""

    claim: Callable[[Connection, Collection[str]], set[str]]
    pair: Callable[[Connection, Sequence[tuple[str, int]]], None]


@dataclass(slots=True)
class _Waiting:
    documents: Sequence[Mapping[str, Any]]
    future: Future[list[int]]
    keys: Sequence[tuple[int, str]] = ()  # (index of the document, key of a row paired with it)


class GroupCommitter:
    def __init__(
        self,
        engine: Engine,
        audit_log: AuditLog,
        *,
        window: float = 0.002,
        max_events: int = 512,
        idle_tick: float = 1.0,
        pairing: Pairing | None = None,
        housekeeping: Sequence[Callable[[float], None]] = (),
    ) -> None:
        self.engine = engine
        self.log = audit_log
        self.window = window
        self.max_events = max_events
        self.idle_tick = idle_tick
        self.pairing = pairing
        self.housekeeping = housekeeping  # each called with time.monotonic(), throttling itself
        self.healthy = True
        self.transactions = 0  # appends committed, for the benchmark and tests
        self.events = 0
        self.windows_waited = 0  # transactions that waited for company, for the benchmark and tests
        self._last_requests = 1  # requests in the previous transaction
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # --- requests ----------------------------------------------------------------------------------

    def submit(
        self, documents: Sequence[Mapping[str, Any]], keys: Sequence[tuple[int, str]] = ()
    ) -> Future[list[int]]:
        """Queue one request's events; the future resolves once they are committed. ``keys`` name
        the rows to pair with them: (index of the document, key of the row)."""
        future: Future[list[int]] = Future()
        try:
            for document in documents:
                check(document)  # a bad document fails its own request, not a whole batch
        except ValueError as exc:
            log.error("audit event has no canonical form: %s", exc)
            future.set_exception(AuditUnavailable())
            return future
        self._ensure_started()
        if keys and self.pairing is None:
            log.error("audit events name rows to pair but the writer has no pairing")
            future.set_exception(AuditUnavailable())
            return future
        self._queue.put(_Waiting(documents, future, keys))
        return future

    def append(self, documents: Sequence[Mapping[str, Any]], timeout: float = 30.0) -> list[int]:
        """Submit and wait (for callers outside the event loop)."""
        return self.submit(documents).result(timeout)

    def probe(self) -> bool:
        """Whether the log can be written right now, without writing anything to it: an append's first
        statements (the lock and an insert) rolled back, then the lock's no-op update of the state row
        committed. The rolled-back part finds a missing table or a revoked INSERT; only a commit finds
        what refuses commits (a full disk, a read-only file or server), which a rollback never meets.
        Marks the writer healthy or not by the answer."""
        try:
            with self.engine.connect() as conn:
                with conn.begin() as tx:
                    lock_state(conn)
                    conn.execute(
                        insert(AuditEvent).values(
                            seq=-1,
                            time=self.log.clock(),
                            outcome="PROBE",
                            body=b"",
                            leaf_hash=bytes(32),
                        )
                    )
                    tx.rollback()
                with conn.begin():
                    lock_state(conn)
        except Exception:
            log.warning("audit log probe failed", exc_info=True)
            self.healthy = False
            return False
        self.healthy = True
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the writer."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    # --- the writer --------------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_tick)
            except queue.Empty:
                self._sign_if_due()
                self._housekeep()
                continue
            if first is None:
                return
            batch, closing = self._collect(first)
            self._commit(batch)
            if closing:
                return
            self._housekeep()

    def _collect(self, first: _Waiting) -> tuple[list[_Waiting], bool]:
        batch = [first]
        count = len(first.documents)
        wait = self.window if self._last_requests > 1 else 0.0
        if wait:
            self.windows_waited += 1
        deadline = time.monotonic() + wait
        while count < self.max_events:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            count += len(item.documents)
        self._last_requests = len(batch)
        return batch, False

    def _commit(self, batch: list[_Waiting]) -> None:
        documents = [d for waiting in batch for d in waiting.documents]
        keys = [key for waiting in batch for _, key in waiting.keys]
        withheld: set[int] = set()  # positions in ``batch`` whose rows were released: no answer
        try:
            with self.engine.begin() as conn:
                claimed = self.pairing.claim(conn, keys) if keys and self.pairing is not None else set()
                seqs = self.log.append(conn, documents)
                pairs: list[tuple[str, int]] = []
                start = 0
                for position, waiting in enumerate(batch):
                    for index, key in waiting.keys:
                        if key in claimed:
                            pairs.append((key, seqs[start + index]))
                        else:
                            withheld.add(position)
                    start += len(waiting.documents)
                if pairs and self.pairing is not None:
                    self.pairing.pair(conn, pairs)
        except Exception:
            log.exception("audit append of %d events failed", len(documents))
            self.healthy = False
            for waiting in batch:
                _settle(waiting.future, error=AuditUnavailable())
            return
        self.healthy = True
        self.transactions += 1
        self.events += len(documents)
        start = 0
        for position, waiting in enumerate(batch):
            if position in withheld:
                log.error("a request's consent use was released before its event; its answer is withheld")
                _settle(waiting.future, error=AuditUnavailable())
            else:
                _settle(waiting.future, result=seqs[start : start + len(waiting.documents)])
            start += len(waiting.documents)

    def _housekeep(self) -> None:
        now = time.monotonic()
        for job in self.housekeeping:
            try:
                job(now)
            except Exception:
                log.exception("audit writer housekeeping failed")

    def _sign_if_due(self) -> None:
        try:
            with self.engine.connect() as conn:
                due = self.log.head_due(conn)
            if due:
                with self.engine.begin() as conn:
                    self.log.sign_if_due(conn)
        except Exception:
            log.exception("signing a due audit head failed")
            self.healthy = False


def _settle(
    future: Future[list[int]], *, result: list[int] | None = None, error: Exception | None = None
) -> None:
    """Resolve a request's future unless the request stopped waiting: a request past its audit
    write timeout cancels its future (its answer was already refused, fail closed), and resolving a
    cancelled future raises, which would end the writer thread and with it every later request."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result if result is not None else [])
    except InvalidStateError:
        log.warning("a request stopped waiting for its audit events before they were committed")
