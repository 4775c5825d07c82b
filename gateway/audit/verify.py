"""``audit verify``: recompute the log from its events and check every stored head against it.

Streams the events in sequence order (a chunk at a time, never the whole log) and stops at the first
problem, naming its index:

- MISSING: a sequence number has no event (deleted);
- OUT_OF_PLACE: the event at index i says it is event j (inserted, deleted and renumbered, or
  reordered); the first bad index is min(i, j);
- MODIFIED: the bytes are not canonical, their leaf hash is not the one written at append time, or
  the indexed columns or keys say something other than the bytes;
- HEAD_MISMATCH: the recomputed root differs from a signed head's root (an event was rewritten
  together with its stored leaf hash and index): the index is the first one that head covers beyond
  the last head that matched;
- TRUNCATED: a head (or the tree state) counts more events than the log holds;
- BAD_SIGNATURE, HEAD_ORDER: a head does not verify with the audit key, or heads shrink or go back
  in time; NODE_MISMATCH, STATE_MISMATCH, CHECKPOINT_MISMATCH: stored tree data that later proofs and
  appends rely on differs from the recomputed one.

Heads an outside party kept (``audit export-heads``) can be passed in and are checked the same way.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from gateway.audit.canonical import parse
from gateway.audit.events import Projection, project
from gateway.audit.findings import Finding, Problem, Report, Stop
from gateway.audit.head_checks import CheckedHead, check_exported_heads_kept, checked_heads
from gateway.audit.heads import TreeHead
from gateway.audit.merkle import HASH_SIZE, Frontier, leaf_hash
from gateway.audit.models import (
    STATE_ID,
    AuditNode,
    AuditPrune,
    AuditState,
)
from gateway.audit.store import NODE_LEVEL
from gateway.audit.verify_chunk import check_chunk, check_page, init_worker, read_page

CHUNK = 2_000
# Below this many events worker processes cost more to start (~0.5 s) than they save.
PARALLEL_FROM = 50_000


def verify_log(
    conn: Connection,
    public_keys: dict[str, bytes],
    *,
    external_heads: Sequence[TreeHead] = (),
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
) -> Report:
    """Check the whole log; ``public_keys`` are the audit keys by key id (raw Ed25519).

    With ``workers`` > 1, and at least ``parallel_from`` events to check, pages are read and checked
    in that many worker processes (``check_page``; spawned, so safe from a threaded process), their
    results taken in log order, so the first bad index and every finding are the same as with one.
    Not for an in-memory SQLite database, which other processes cannot open."""
    checkpoint = conn.execute(select(AuditPrune).order_by(AuditPrune.tree_size.desc()).limit(1)).first()
    frontier = (
        Frontier.from_bytes(int(checkpoint.tree_size), bytes(checkpoint.frontier))
        if checkpoint is not None
        else Frontier()
    )
    start = frontier.size
    with ExitStack() as stack:
        pool = None
        url = conn.engine.url
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        size = conn.execute(select(AuditState.size).where(AuditState.id == STATE_ID)).scalar() or 0
        if workers > 1 and not in_memory and int(size) - start >= parallel_from:
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(url.render_as_string(hide_password=False),),
                )
            )
            # On a finding, drop the pages still queued rather than check them.
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        state = _Walk(conn, frontier, chunk, progress, pool, workers, int(size))
        try:
            heads = checked_heads(conn, public_keys, external_heads)
            state.expect(heads)
            state.stream()
            state.finish()
            check_exported_heads_kept(heads, external_heads)
        except Stop as stop:
            return Report(state.checked, state.frontier.size, len(state.heads_seen), start, stop.finding)
    return Report(state.checked, state.frontier.size, len(state.heads_seen), start, None)


def default_workers() -> int:
    """Worker processes for ``audit verify``: one per CPU this process may run on, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


@dataclass(frozen=True, slots=True)
class _Page:
    rows: Sequence[Any]  # EVENT_COLUMNS of each event, in sequence order
    keys: Sequence[Any]  # (seq, kind, value) stored for the sequence numbers the rows span


class _Walk:
    def __init__(
        self,
        conn: Connection,
        frontier: Frontier,
        chunk: int,
        progress: Callable[[int], None] | None,
        pool: ProcessPoolExecutor | None,
        workers: int,
        stated_size: int,
    ) -> None:
        self.conn = conn
        self.pool = pool
        self.workers = workers
        # Workers read only below the tree size stated at the start; events appended while the
        # check runs are read by this connection, up to the end, as without workers.
        self.stated_size = stated_size
        self.frontier = frontier
        self.chunk = chunk
        self.progress = progress
        self.checked = 0
        self.expected: dict[int, list[CheckedHead]] = defaultdict(list)
        self.heads_seen: list[CheckedHead] = []
        self.confirmed = frontier.size  # every index below this is covered by a matching head
        self.bad_node: Finding | None = None  # reported only when nothing worse is found

    def expect(self, heads: Iterable[CheckedHead]) -> None:
        for item in heads:
            size = item.head.tree_size
            if size < self.frontier.size:
                self.heads_seen.append(item)  # behind the retention checkpoint: signature only
            elif size == self.frontier.size:
                self._match(item, Problem.CHECKPOINT_MISMATCH if size else Problem.HEAD_MISMATCH)
            else:
                self.expected[size].append(item)

    def _match(self, item: CheckedHead, problem: Problem = Problem.HEAD_MISMATCH) -> None:
        self.heads_seen.append(item)
        size = self.frontier.size
        if item.head.root_hash != self.frontier.root():
            raise Stop(
                Finding(
                    problem,
                    self.confirmed,
                    f"the events [{self.confirmed}, {size}) do not give the root {item.label} signed "
                    f"for size {size}: one of them was changed",
                )
            )
        self.confirmed = size

    def stream(self) -> None:
        """Check the events page by page, in order. With a pool, worker processes read and check
        the next pages while this one is applied; the log's last page, and anything the pages in
        flight did not foresee, are done here."""
        if self.pool is not None:
            self._stream_in_workers(self.pool)
        while (page := self._page(self.frontier.size)) is not None:
            self._apply(page, check_chunk(self.frontier.size, page.rows, page.keys))

    def _stream_in_workers(self, pool: ProcessPoolExecutor) -> None:
        """Full pages, each read and checked by a worker (``check_page``), at most ``2 * workers``
        ahead, taken in log order. A page a worker could not pass is read again and checked event
        by event here, which names its first bad index."""
        in_flight: deque[tuple[int, Future[tuple[int, bytes | None]]]] = deque()
        ahead = self.frontier.size
        while True:
            while len(in_flight) < 2 * self.workers and ahead + self.chunk <= self.stated_size:
                in_flight.append((ahead, pool.submit(check_page, ahead, self.chunk)))
                ahead += self.chunk
            if not in_flight:
                return
            start, future = in_flight.popleft()
            count, leaves = future.result()
            if start != self.frontier.size or count < self.chunk:
                return  # the end of the log: the caller reads on from the tree size
            if leaves is not None:
                self._apply(None, leaves)
            elif (page := self._page(start)) is not None:
                self._apply(page, None)
            else:
                return

    def _page(self, start: int) -> _Page | None:
        rows, keys = read_page(self.conn, start, self.chunk)
        return _Page(rows, keys) if rows else None

    def _apply(self, page: _Page | None, leaves: bytes | None) -> None:
        """Add a page's events to the tree. ``leaves`` are its leaf hashes when ``check_chunk``
        passed every per-event check for it; otherwise (None) each event of ``page`` is checked one
        by one, which names the first bad index (or finds nothing wrong after all)."""
        computed: dict[tuple[int, int], bytes] = {}
        if leaves is not None:
            for offset in range(0, len(leaves), HASH_SIZE):
                self._add(leaves[offset : offset + HASH_SIZE], computed)
        elif page is not None:
            keys: dict[int, set[tuple[str, str]]] = defaultdict(set)
            for seq, kind, value in page.keys:
                keys[int(seq)].add((kind, value))
            for row in page.rows:
                self._event(row, keys.get(int(row.seq), set()), computed)
        self._check_nodes(computed)
        if self.progress is not None:
            self.progress(self.checked)

    def _event(self, row: Any, keys: set[tuple[str, str]], computed: dict[tuple[int, int], bytes]) -> None:
        index = self.frontier.size
        seq = int(row.seq)
        if seq != index:
            raise Stop(Finding(Problem.MISSING, index, f"event {index} is missing (the next event is {seq})"))
        body = _raw(row.body)
        try:
            document = parse(body)
            claimed = int(document["seq"])
        except (ValueError, KeyError, TypeError):
            raise Stop(Finding(Problem.MODIFIED, index, f"event {index} is not a canonical event")) from None
        if claimed != index:
            raise Stop(
                Finding(
                    Problem.OUT_OF_PLACE,
                    min(index, claimed),
                    f"the event stored at {index} is event {claimed}: events were inserted, deleted or reordered",
                )
            )
        leaf = leaf_hash(body)
        if leaf != _raw(row.leaf_hash):
            raise Stop(
                Finding(Problem.MODIFIED, index, f"event {index} differs from the event appended there")
            )
        try:
            projection = project(document)
        except (ValueError, KeyError, TypeError):
            raise Stop(Finding(Problem.MODIFIED, index, f"event {index} is not a valid event")) from None
        if not _columns_agree(projection, row) or projection.keys != keys:
            raise Stop(
                Finding(
                    Problem.MODIFIED,
                    index,
                    f"the indexed columns or keys of event {index} differ from the event",
                )
            )
        self._add(leaf, computed)

    def _add(self, leaf: bytes, computed: dict[tuple[int, int], bytes]) -> None:
        """Append a checked event's leaf hash; match the heads signed for the size it makes."""
        for level, idx, digest in self.frontier.append(leaf):
            if level >= NODE_LEVEL:
                computed[(level, idx)] = digest
        self.checked += 1
        if self.frontier.size in self.expected:
            for item in self.expected.pop(self.frontier.size):
                self._match(item)

    def _check_nodes(self, computed: dict[tuple[int, int], bytes]) -> None:
        by_level: dict[int, list[int]] = defaultdict(list)
        for level, idx in computed:
            by_level[level].append(idx)
        for level, indexes in sorted(by_level.items()):
            stored = {
                int(idx): bytes(digest)
                for idx, digest in self.conn.execute(
                    select(AuditNode.idx, AuditNode.hash).where(
                        AuditNode.level == level, AuditNode.idx >= min(indexes), AuditNode.idx <= max(indexes)
                    )
                )
            }
            for idx in sorted(indexes):
                if stored.get(idx) != computed[(level, idx)] and self.bad_node is None:
                    first = idx << level
                    self.bad_node = Finding(
                        Problem.NODE_MISMATCH,
                        first,
                        f"the stored tree node over events [{first}, {(idx + 1) << level}) is wrong or missing",
                    )

    def finish(self) -> None:
        size = self.frontier.size
        if self.expected:
            wanted = max(self.expected)
            item = self.expected[wanted][0]
            raise Stop(
                Finding(
                    Problem.TRUNCATED,
                    size,
                    f"the log ends at {size} events but {item.label} was signed for {wanted}: events from {size} on were removed",
                )
            )
        row = self.conn.execute(
            select(AuditState.size, AuditState.frontier).where(AuditState.id == STATE_ID)
        ).first()
        if row is None:
            raise Stop(Finding(Problem.STATE_MISMATCH, size, "the audit_state row is missing"))
        if int(row.size) > size:
            raise Stop(
                Finding(
                    Problem.TRUNCATED,
                    size,
                    f"the log ends at {size} events but the tree state counts {int(row.size)}",
                )
            )
        if int(row.size) != size or bytes(row.frontier) != self.frontier.to_bytes():
            raise Stop(
                Finding(
                    Problem.STATE_MISMATCH, size, "the stored tree state differs from the recomputed tree"
                )
            )
        if self.bad_node is not None:
            raise Stop(self.bad_node)


def _raw(value: Any) -> bytes:
    """Stored bytes as bytes, even when raw SQL wrote text into the column."""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _columns_agree(projection: Projection, row: Any) -> bool:
    for name, expected in projection.columns().items():
        actual = getattr(row, name)
        if name == "time":
            if _aware(actual) != expected:
                return False
        elif actual != expected:
            return False
    return True
