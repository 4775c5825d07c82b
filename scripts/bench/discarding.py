"""An event writer that writes nothing: what the benchmarks compare the audited gateway with.

It exists only here, beside the benchmarks: the gateway itself has no way to turn its audit log off
(docs/audit.md). Both the audit benchmark and the request path's ``noaudit`` variant install it in
place of the group committer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any


class DiscardingCommitter:
    """Stands in for the group committer: every event is "written" at once, nowhere."""

    healthy = True
    transactions = 0
    events = 0

    def submit(
        self, documents: Sequence[Mapping[str, Any]], keys: Sequence[tuple[int, str]] = ()
    ) -> Future[list[int]]:
        """``keys`` (consent uses to pair) are dropped with the events: the uses stay reserved."""
        done: Future[list[int]] = Future()
        done.set_result([-1] * len(documents))
        return done

    def probe(self) -> bool:
        return True

    def close(self, timeout: float = 0) -> None:
        return None
