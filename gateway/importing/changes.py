"""What an import changed, for the audit log: the file (its content hash and row counts) and, per
subject, the identities, records and list entries created or updated (002 二(七)1). The change events
themselves are built from this by the command (``gateway.commands.importing``), through
``gateway.audit.changes``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.audit.changes import Change, ChangeKind
from gateway.importing.report import ImportReport
from gateway.store.inputs import Item, ListEntryInput, RecordInput
from gateway.store.write_outcomes import ItemResult, WriteOutcome

_CHANGED = (WriteOutcome.CREATED, WriteOutcome.UPDATED)
_READ_SIZE = 1 << 20


@dataclass(slots=True)
class SubjectChanges:
    identity: str | None = None  # CREATED or UPDATED when the subject's own row was
    records: dict[str, list[str]] = field(default_factory=lambda: {"CREATED": [], "UPDATED": []})
    entries: dict[str, list[str]] = field(default_factory=lambda: {"CREATED": [], "UPDATED": []})


@dataclass(slots=True)
class ImportChanges:
    """Collects, batch by batch, what the writer created or updated, by subject."""

    subjects: dict[str, SubjectChanges] = field(default_factory=dict)

    def note(self, items: Sequence[Item], results: Sequence[ItemResult]) -> None:
        for item, result in zip(items, results, strict=True):
            if result.outcome not in _CHANGED or result.subject_id is None or result.id is None:
                continue
            changes = self.subjects.setdefault(result.subject_id, SubjectChanges())
            if isinstance(item, RecordInput):
                changes.records[result.outcome.value].append(result.id)
            elif isinstance(item, ListEntryInput):
                changes.entries[result.outcome.value].append(result.id)
            else:
                changes.identity = result.outcome.value

    def events(self, path: Path, report: ImportReport) -> Iterator[Change]:
        """One change for the file, then one per changed subject."""
        digest = file_sha256(path)
        yield Change(
            ChangeKind.IMPORT_FILE, (), file_detail(path, report, digest) | {"subjects": len(self.subjects)}
        )
        for subject_id, changes in self.subjects.items():
            detail: dict[str, Any] = {"file_sha256": digest, "identity": changes.identity}
            detail["records"] = {k: sorted(v) for k, v in changes.records.items() if v}
            detail["list_entries"] = {k: sorted(v) for k, v in changes.entries.items() if v}
            yield Change(ChangeKind.IMPORT_SUBJECT, (subject_id,), detail)


def file_detail(path: Path, report: ImportReport, digest: str | None) -> dict[str, Any]:
    """The file as the log records it: its name (not the folder), content hash, format and counts."""
    return {
        "file": path.name,
        "file_sha256": digest,
        "format": report.format,
        "encoding": report.encoding,
        "layout": report.layout,
        "rows": report.rows,
        **report.summary(),
        "error_code": report.error_code,
    }


def file_sha256(path: Path) -> str | None:
    """SHA-256 of the file's bytes; None when it cannot be read (the import's report says why)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_READ_SIZE):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
