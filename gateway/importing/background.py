"""Import rows read and validated in a child process while the parent writes the previous ones.

Converting a line into validated inputs is about half of an import's work and needs no database
(the CSV agency directory is read before the child starts); on a two-core machine it overlaps with
the writer this way. The child reads the rows in file order and hands them over in chunks through a
bounded queue, so at most ``QUEUE_CHUNKS`` chunks wait in memory whatever the file's size. What
reaches the writer, and in which order, is exactly what reading in-process gives: the pipeline's
de-duplication, batching and reporting stay in the parent.

The child is forked, which copies the open file and the reader already past the header: file-level
errors (layout, missing columns) are raised in the parent before it starts. The command's progress
display runs a thread; the forked child never prints and leaves through ``os._exit``, so it neither
flushes streams that thread may hold nor closes the parent's inherited database connections.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from queue import Empty
from typing import Any

from gateway.importing.report import Rejection
from gateway.importing.rows import SourceRow
from gateway.importing.source import TextSource
from gateway.store.child_pickling import send_by_constructor

# Files smaller than this are read in-process: starting a child costs more than it saves.
MIN_BYTES = 256 * 1024
CHUNK_ROWS = 500
QUEUE_CHUNKS = 8
# Besides the input classes: what a chunk wraps them in.
_ROW_CLASSES = (SourceRow, Rejection)


class ParserFailed(RuntimeError):
    """The child reading the file stopped with an error that could not be handed over as it was."""


class BackgroundRows:
    """The rows, as received from the child, and how far into the file the child had read when it
    sent the last chunk received (for the progress display)."""

    def __init__(self, queue: Any, child: Any, start: int) -> None:
        self._queue = queue
        self._child = child
        self.bytes_read = start

    def __iter__(self) -> Iterator[SourceRow]:
        while True:
            try:
                message = self._queue.get(timeout=1.0)
            except Empty:
                if not self._child.is_alive():
                    raise ParserFailed("the process reading the file stopped unexpectedly") from None
                continue
            kind, payload, position = message
            if kind == "rows":
                self.bytes_read = position
                yield from payload
            elif kind == "done":
                self.bytes_read = position
                return
            elif isinstance(payload, BaseException):
                raise payload
            else:
                raise ParserFailed(f"reading the file failed: {payload}")


def _produce(rows: Iterable[SourceRow], source: TextSource, queue: Any) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    send_by_constructor(_ROW_CLASSES)
    code = 0
    chunk: list[SourceRow] = []
    try:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                queue.put(("rows", chunk, source.bytes_read))
                chunk = []
        if chunk:
            queue.put(("rows", chunk, source.bytes_read))
        queue.put(("done", None, source.bytes_read))
    except BaseException as exc:  # handed to the parent, which raises it after the rows before it
        if chunk:
            queue.put(("rows", chunk, source.bytes_read))
        queue.put(("error", _portable(exc), source.bytes_read))
        code = 1
    finally:
        queue.close()
        queue.join_thread()
        os._exit(code)


def _portable(exc: BaseException) -> BaseException | str:
    """The exception itself when it survives pickling (the pipeline's file errors do), else its text."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:
        return f"{type(exc).__name__}: {exc}"
    return exc


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def background_rows(rows: Iterable[SourceRow], source: TextSource) -> Iterator[BackgroundRows]:
    """``rows`` (a lazy reader over ``source``) iterated in a forked child; see the module's doc."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=QUEUE_CHUNKS)
    child = context.Process(target=_produce, args=(rows, source, queue), name="import-reader", daemon=True)
    start = source.bytes_read
    child.start()
    try:
        yield BackgroundRows(queue, child, start)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()
