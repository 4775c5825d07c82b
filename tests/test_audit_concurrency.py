"""Several writers at once (threads, and processes with their own engines, as uvicorn workers are)
keep one valid tree: sequence numbers without gaps or duplicates, every head verifying. Concurrent
requests' events are committed together."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from gateway.audit.committer import GroupCommitter
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.audit.verify import verify_log
from gateway.keys.keyring import Keyring
from gateway.store import db

WRITERS_PER_PROCESS = 3
APPENDS_PER_WRITER = 15


def _document(writer: str, n: int) -> dict[str, object]:
    return draft_document(
        time=datetime.now(UTC),
        request_id=f"{writer}-{n}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id=writer, role="partner"),
        client=None,
        outcome=RequestOutcome.ANSWERED,
        http_status=200,
        duration_us=n,
    )


def _log(keyring: Keyring) -> AuditLog:
    return AuditLog(
        HeadSigner(keyring), HeadSchedule(every_events=7, every_seconds=3600), lambda: datetime.now(UTC)
    )


def _write(url: str, keyring_json: str, name: str) -> int:
    """One process: a few threads appending 1 to 3 events at a time through their own engine."""
    keyring = Keyring.from_json(keyring_json)
    engine = db.make_engine(url)
    audit_log = _log(keyring)

    def writer(w: int) -> int:
        written = 0
        for n in range(APPENDS_PER_WRITER):
            size = 1 + (n + w) % 3
            with engine.begin() as conn:
                audit_log.append(conn, [_document(f"{name}-{w}", n * 10 + i) for i in range(size)])
            written += size
        return written

    try:
        with ThreadPoolExecutor(WRITERS_PER_PROCESS) as pool:
            return sum(pool.map(writer, range(WRITERS_PER_PROCESS)))
    finally:
        engine.dispose()


def test_threads_and_processes_appending_at_once_keep_a_gapless_valid_tree(
    migrated_url: str, keyring: Keyring, engine: Engine
) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        others = pool.starmap_async(_write, [(migrated_url, keyring.to_json(), f"p{i}") for i in range(2)])
        here = _write(migrated_url, keyring.to_json(), "main")
        total = here + sum(others.get(timeout=120))
    with engine.connect() as conn:
        seqs = [int(s) for s in conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars()]
        assert seqs == list(range(total))
        callers = set(conn.execute(text("SELECT DISTINCT caller_id FROM audit_events")).scalars())
        assert len(callers) == 3 * WRITERS_PER_PROCESS  # every writer of every process got in
        report = verify_log(conn, audit_public_keys(keyring))
        assert report.ok, report.finding
        assert report.events == total and report.heads >= total // 7 // 2


def test_events_submitted_while_the_writer_waits_are_committed_in_one_transaction(
    engine: Engine, keyring: Keyring
) -> None:
    committer = GroupCommitter(engine, _log(keyring), window=0.0, max_events=512)
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(text("UPDATE audit_state SET size = size WHERE id = 1"))  # hold the log's lock
    try:
        first = committer.submit([_document("a", 0)])
        rest = [committer.submit([_document("b", n), _document("b", n + 100)]) for n in range(20)]
        assert not first.done()  # nothing is released before it is durable
    finally:
        blocker.rollback()
        blocker.close()
    results = [first.result(30), *(f.result(30) for f in rest)]
    assert sorted(s for r in results for s in r) == list(range(41))
    assert all(r == list(range(r[0], r[0] + len(r))) for r in results)  # a request's events stay together
    assert committer.events == 41
    assert committer.transactions <= 2  # one for whatever the writer held, one for all that queued
    committer.close()
    with engine.connect() as conn:
        assert verify_log(conn, audit_public_keys(keyring)).ok


def test_a_closed_committer_commits_what_was_queued(engine: Engine, keyring: Keyring) -> None:
    committer = GroupCommitter(engine, _log(keyring), window=0.05)
    futures = [committer.submit([_document("c", n)]) for n in range(5)]
    closer = threading.Thread(target=committer.close)
    closer.start()
    closer.join(30)
    assert sorted(s for f in futures for s in f.result(0)) == list(range(5))


def test_a_lone_client_never_waits_the_group_window(engine: Engine, keyring: Keyring) -> None:
    # A window this long would hold every request for ten seconds if the writer waited it alone.
    committer = GroupCommitter(engine, _log(keyring), window=10.0)
    try:
        seqs = [committer.append([_document("lone", n)], timeout=30) for n in range(5)]
    finally:
        committer.close()
    assert seqs == [[0], [1], [2], [3], [4]]
    assert committer.transactions == 5
    assert committer.windows_waited == 0


def test_a_request_that_stops_waiting_leaves_the_writer_serving_the_next(
    engine: Engine, keyring: Keyring
) -> None:
    """A request past its audit write timeout cancels its future; the writer commits its event anyway
    (the answer was refused, fail closed) and must go on serving every later request."""
    committer = GroupCommitter(engine, _log(keyring), window=0.0)
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(text("UPDATE audit_state SET size = size WHERE id = 1"))  # hold the log's lock
    try:
        gave_up = committer.submit([_document("late", 0)])
        assert gave_up.cancel()  # what asyncio.wait_for does to the wrapped future on its timeout
    finally:
        blocker.rollback()
        blocker.close()
    try:
        assert committer.append([_document("next", 1)], timeout=30) == [1]
    finally:
        committer.close()
    with engine.connect() as conn:
        assert verify_log(conn, audit_public_keys(keyring)).events == 2
