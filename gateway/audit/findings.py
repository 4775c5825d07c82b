"""What ``audit verify`` reports: the first problem found, with the index it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Problem(StrEnum):
    MISSING = "MISSING"
    OUT_OF_PLACE = "OUT_OF_PLACE"
    MODIFIED = "MODIFIED"
    HEAD_MISMATCH = "HEAD_MISMATCH"
    TRUNCATED = "TRUNCATED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    HEAD_ORDER = "HEAD_ORDER"
    HEAD_MISSING = "HEAD_MISSING"
    NODE_MISMATCH = "NODE_MISMATCH"
    STATE_MISMATCH = "STATE_MISMATCH"
    CHECKPOINT_MISMATCH = "CHECKPOINT_MISMATCH"


@dataclass(frozen=True, slots=True)
class Finding:
    problem: Problem
    index: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Report:
    events: int  # events checked
    size: int  # tree size reached
    heads: int  # heads checked
    start: int  # first index checked (the retention checkpoint, or 0)
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None


class Stop(Exception):
    """Raised inside verification at the first problem; ``verify_log`` turns it into its report."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
