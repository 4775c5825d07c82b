"""Writing selected events out: JSON Lines of the canonical bytes, or CSV of the projected columns.

JSON Lines keeps each event's bytes exactly as the leaf hashes them (one event per line; canonical
JSON has no raw newline), so a reader recomputes ``SHA-256(0x00 || line)`` and checks it against
proofs and heads without trusting the exporter. CSV is for spreadsheets: one row per event with the
columns an auditor filters on, identity values still pseudonymous.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import IO

from gateway.audit.queries import EventView


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


CSV_COLUMNS = (
    "seq", "time", "request", "caller_id", "role", "organization", "operation_name", "operation_type",
    "root_fields", "outcome", "errors", "http_status", "consent_id", "purpose", "subjects", "pseudonyms",
    "fields_whole", "fields_masked", "fields_denied", "duration_us", "document_sha256", "client", "leaf_hash",
)  # fmt: skip


def csv_row(event: EventView) -> list[str]:
    doc = event.document
    derived = {
        "root_fields": " ".join(doc.get("root_fields") or []),
        "errors": " ".join(doc.get("errors") or []),
        "subjects": " ".join(doc.get("subjects") or []),
        "pseudonyms": " ".join(doc.get("pseudonyms") or []),
        "fields_whole": event.field_counts("whole"),
        "fields_masked": event.field_counts("masked"),
        "fields_denied": event.field_counts("denied"),
        "leaf_hash": event.leaf_hash.hex(),
    }
    return ["" if (v := derived.get(c, doc.get(c))) is None else str(v) for c in CSV_COLUMNS]


def write_events(
    events: Iterable[EventView], out: IO[bytes], fmt: ExportFormat, progress: Callable[[], None] | None = None
) -> int:
    """Write ``events`` to the binary stream ``out``; return how many were written."""
    written = 0
    if fmt is ExportFormat.CSV:
        text = _TextSink(out)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for event in events:
            writer.writerow(csv_row(event))
            written += 1
            if progress is not None:
                progress()
        return written
    for event in events:
        out.write(event.body + b"\n")
        written += 1
        if progress is not None:
            progress()
    return written


class _TextSink:
    """A text ``write`` onto a binary stream, UTF-8 (the csv module writes str)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode("utf-8"))
