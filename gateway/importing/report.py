"""What an import did with every line of the file: counts, rejections, timing, or a file error.

The same report is printed as a table and written as JSON (``--report``); its shape is documented in
``docs/import-format.md``. Rejections name the line, the field (the JSON field, or the CSV header as
the national standard spells it) and the reason, never the rejected value: values may be identity
numbers or names, and reports travel further than the data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.store.writer import WriteOutcome

EXIT_OK = 0
EXIT_ROWS_REJECTED = 1
EXIT_FILE_ERROR = 2


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class ImportReport:
    file: str
    format: str
    encoding: str | None = None
    layout: str | None = None
    counts: Counter[WriteOutcome] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0
    error_code: str | None = None
    error_message: str | None = None

    def accept(self, outcome: WriteOutcome) -> None:
        self.counts[outcome] += 1

    def reject(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)

    def fail(self, code: str, message: str) -> None:
        self.error_code, self.error_message = code, message

    @property
    def rows(self) -> int:
        return sum(self.counts.values()) + len(self.rejections)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        if self.error_code is not None:
            return EXIT_FILE_ERROR
        return EXIT_ROWS_REJECTED if self.rejections else EXIT_OK

    def sorted_rejections(self) -> list[Rejection]:
        return sorted(self.rejections, key=lambda r: r.line)

    def summary(self) -> dict[str, int]:
        """Rows by outcome, in the order the report shows them."""
        return {
            "created": self.counts[WriteOutcome.CREATED],
            "updated": self.counts[WriteOutcome.UPDATED],
            "unchanged": self.counts[WriteOutcome.UNCHANGED],
            "rejected": len(self.rejections),
        }

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "layout": self.layout,
            "rows": self.rows,
            **self.summary(),
            "rejections": [r.to_dict() for r in self.sorted_rejections()],
            "seconds": round(self.seconds, 3),
            "rowsPerSecond": round(self.rows_per_second, 1),
        }
        if self.error_code is not None:
            doc["error"] = {"code": self.error_code, "message": self.error_message}
        return doc
