"""Seed batches drawn in a child process while the parent encrypts and writes the previous ones.

Drawing the data is about a quarter of the work of seeding; on a two-core machine it overlaps with
the writer this way. One process draws every batch from one random stream, so order and content
are exactly those of :func:`gateway.demo.plan.generate`.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from queue import Empty
from typing import Any

from gateway.demo.plan import Batch, SeedPlan, generate
from gateway.demo.seeding import GC_THRESHOLD
from gateway.keys.crypto import FieldCipher
from gateway.store.child_pickling import send_by_constructor
from gateway.store.inputs import Item, OrganizationInput, PersonInput

# Batches generated ahead of the writer; each holds a few megabytes of inputs.
QUEUE_BATCHES = 3


def blind_indexes(items: Iterable[Item], cipher: FieldCipher) -> dict[tuple[str, str], bytes]:
    """The blind indexes the writer needs for these items: every person's identity number and
    phone, every organisation's credit code (looked up by index when not found in clear, stored
    for individual businesses) and its legal representative's number."""
    found: dict[tuple[str, str], bytes] = {}

    def add(kind: str, value: str | None) -> None:
        if value and (kind, value) not in found:
            found[kind, value] = cipher.blind_index(kind, value)

    for item in items:
        if isinstance(item, PersonInput):
            add("id_number", item.id_number)
            add("phone", item.phone)
        elif isinstance(item, OrganizationInput):
            add("credit_code", item.credit_code)
            if item.legal_representative is not None:
                add("id_number", item.legal_representative.id_number)
    return found


def _produce(plan: SeedPlan, queue: Any, cipher: FieldCipher | None) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*GC_THRESHOLD)  # this process only draws batches
    send_by_constructor()
    try:
        for batch in generate(plan):
            if cipher is not None:
                batch.blind_indexes = blind_indexes(batch.items, cipher)
            queue.put(batch)
        queue.put(None)
    except BaseException as exc:  # reported to the parent, which raises it
        queue.put(f"{type(exc).__name__}: {exc}")


@contextmanager
def background_batches(plan: SeedPlan, cipher: FieldCipher | None = None) -> Iterator[Iterable[Batch]]:
    """``generate(plan)`` in a child process; with ``cipher``, the child also computes each batch's
    blind indexes (a tenth of the writer's work, which the writer then skips).

    The child is forked (spawning would re-run the caller's main module): enter this before starting
    any thread, such as a progress display. A single batch, or a platform without fork, is generated
    in-process."""
    if plan.batches == 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield generate(plan)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=QUEUE_BATCHES)
    child = context.Process(target=_produce, args=(plan, queue, cipher), name="seed-generator", daemon=True)
    child.start()
    try:
        yield _receive(queue, child)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


def _receive(queue: Any, child: Any) -> Iterator[Batch]:
    while True:
        try:
            item = queue.get(timeout=1.0)
        except Empty:
            if not child.is_alive():
                raise RuntimeError("the seed generator process stopped unexpectedly") from None
            continue
        if item is None:
            return
        if isinstance(item, str):
            raise RuntimeError(f"the seed generator failed: {item}")
        yield item
