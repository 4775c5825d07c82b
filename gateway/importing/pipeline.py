"""From a file to the store: detect, read, de-duplicate, write in batches, and report every line.

Each batch of rows is written through ``gateway.store.writer.StoreWriter`` in one transaction. Rows that
fail validation never reach the writer; they are reported and the rest go on. When the database
refuses a batch, the batch is rolled back and its rows are written again one per transaction, so
only the row the database refuses is rejected and the good ones around it are stored. Re-importing
a file is idempotent: the writer recognises every row it already holds (UNCHANGED).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.clock import utcnow
from gateway.importing import background
from gateway.importing.agencies import AgencyDirectory
from gateway.importing.changes import ImportChanges
from gateway.importing.double_publicity import DoublePublicityTable, check_structure
from gateway.importing.errors import DatabaseUnavailable, ImportFileError
from gateway.importing.jsonl import read_jsonl
from gateway.importing.report import ImportReport, Rejection
from gateway.importing.rows import SourceRow
from gateway.importing.source import FileFormat, TextSource, detect_encoding, detect_format
from gateway.keys.crypto import FieldCipher
from gateway.store.inputs import RecordKey
from gateway.store.writer import ItemResult, StoreWriter, WriteOutcome
from gateway.workdays import WorkCalendar

DEFAULT_BATCH_SIZE = 1_000
# Decision dates are calendar dates in mainland China. "Today", for refusing decisions dated in the
# future, is today there: in UTC it is still yesterday until 08:00 Beijing time.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
DATABASE_REFUSED = "the database refused this row; the rows around it were stored"

Progress = Callable[[int, int], None]
"""Called with (bytes read, file size) after every batch."""


@dataclass
class Importer:
    """Writes rows through the store writer in batches; one instance per import."""

    engine: Engine
    cipher: FieldCipher
    calendar: WorkCalendar
    batch_size: int = DEFAULT_BATCH_SIZE
    clock: Callable[[], datetime] = utcnow
    on_batch: Callable[[], None] = lambda: None
    actor: str | None = None  # who the records' versions are made by (StoreWriter's ``actor``)
    changes: ImportChanges | None = None  # collects what changed, for the audit log
    _seen: dict[RecordKey, int] = field(default_factory=dict, init=False)

    def run(self, rows: Iterable[SourceRow], report: ImportReport) -> None:
        batch: list[SourceRow] = []
        for row in rows:
            if row.rejection is not None:
                report.reject(row.rejection)
                continue
            duplicate_of = self._first_line(row)
            if duplicate_of is not None:
                report.reject(
                    Rejection(row.line, row.label("documentNumber"), f"duplicate of line {duplicate_of}")
                )
                continue
            batch.append(row)
            if len(batch) >= self.batch_size:
                self._write(batch, report)
                batch = []
        if batch:
            self._write(batch, report)

    def _first_line(self, row: SourceRow) -> int | None:
        """The line that already carried this row's record key, or None (and remember this one)."""
        key = row.record_key
        if key is None:
            return None
        first = self._seen.setdefault(key, row.line)
        return None if first == row.line else first

    def _write(self, batch: Sequence[SourceRow], report: ImportReport) -> None:
        try:
            results = self._write_rows(batch)
        except SQLAlchemyError as exc:
            _raise_if_connection_lost(exc)
            for row in batch:
                self._write_alone(row, report)
        else:
            for row, row_results in zip(batch, results, strict=True):
                _tally(row, row_results, report)
        self.on_batch()

    def _write_alone(self, row: SourceRow, report: ImportReport) -> None:
        try:
            (results,) = self._write_rows([row])
        except SQLAlchemyError as exc:
            _raise_if_connection_lost(exc)
            # The driver's message may quote the row's values; the report must not.
            report.reject(Rejection(row.line, None, DATABASE_REFUSED))
        else:
            _tally(row, results, report)

    def _write_rows(self, rows: Sequence[SourceRow]) -> list[list[ItemResult]]:
        items = [item for row in rows for item in row.items]
        with Session(self.engine) as session, session.begin():
            writer = StoreWriter(
                session, self.cipher, calendar=self.calendar, clock=self.clock, actor=self.actor
            )
            results = writer.write(items)
        if self.changes is not None:  # only once the batch is committed
            self.changes.note(items, results)
        flat = iter(results)
        return [[next(flat) for _ in row.items] for row in rows]


def _raise_if_connection_lost(exc: SQLAlchemyError) -> None:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        raise DatabaseUnavailable(
            "lost the connection to the database; batches before it were stored, run the import again"
        ) from None


def row_outcome(results: Sequence[ItemResult]) -> ItemResult:
    """One outcome per line. Any rejected item rejects the line. Otherwise the last item (the
    record of a CSV row, the only item of a JSON line) decides, except that an unchanged record
    whose subject was updated makes the line UPDATED: something the line said was new."""
    for result in results:
        if result.outcome is WriteOutcome.REJECTED:
            return result
    main = results[-1]
    if main.outcome is WriteOutcome.UNCHANGED and any(r.outcome is WriteOutcome.UPDATED for r in results):
        return ItemResult(WriteOutcome.UPDATED, main.id)
    return main


def _tally(row: SourceRow, results: Sequence[ItemResult], report: ImportReport) -> None:
    outcome = row_outcome(results)
    if outcome.outcome is WriteOutcome.REJECTED:
        report.reject(Rejection(row.line, row.label(outcome.field), outcome.reason or "rejected"))
    else:
        report.accept(outcome.outcome)


def import_file(
    path: Path,
    *,
    engine: Engine,
    cipher: FieldCipher,
    calendar: WorkCalendar,
    file_format: FileFormat = FileFormat.AUTO,
    batch_size: int = DEFAULT_BATCH_SIZE,
    clock: Callable[[], datetime] = utcnow,
    today: date | None = None,
    on_progress: Progress | None = None,
    actor: str | None = None,
    changes: ImportChanges | None = None,
) -> ImportReport:
    """Import one file and report on every line. File-level problems (unreadable, encoding, layout,
    missing columns) end up in the report's error, with nothing written. Files of
    ``background.MIN_BYTES`` or more are read and validated in a child process while this one writes
    (``gateway.importing.background``); the rows, their order and the report are the same."""
    started = time.perf_counter()
    report = ImportReport(file=str(path), format=file_format.value)
    try:
        fmt = detect_format(path, file_format)
        report.format = fmt.value
        report.encoding = detect_encoding(path, allow_gb18030=fmt is FileFormat.CSV)
        with TextSource(path, report.encoding) as source:
            if fmt is FileFormat.CSV:
                check_structure(source.text)
        progress = on_progress or (lambda done, total: None)
        with TextSource(path, report.encoding) as source, ExitStack() as stack:
            rows = _rows(fmt, source, report, engine, today or clock().astimezone(CHINA_STANDARD_TIME).date())
            reader: background.BackgroundRows | None = None
            if source.size >= background.MIN_BYTES and background.can_fork():
                reader = stack.enter_context(background.background_rows(rows, source))
            importer = Importer(
                engine,
                cipher,
                calendar,
                batch_size=batch_size,
                clock=clock,
                on_batch=lambda: progress(
                    source.bytes_read if reader is None else reader.bytes_read, source.size
                ),
                actor=actor,
                changes=changes,
            )
            importer.run(rows if reader is None else reader, report)
            progress(source.size, source.size)
    except (ImportFileError, DatabaseUnavailable) as exc:
        report.fail(exc.code, exc.message)
    report.seconds = time.perf_counter() - started
    return report


def _rows(
    fmt: FileFormat, source: TextSource, report: ImportReport, engine: Engine, today: date
) -> Iterable[SourceRow]:
    """A lazy reader of the file's rows. A CSV header is read and matched here, so that its file-level
    errors come before any row, and the agency directory is read, so that reading rows needs no
    database connection."""
    if fmt is FileFormat.JSONL:
        return read_jsonl(source.text, today=today)
    table = DoublePublicityTable(source.text)
    report.layout = table.layout.id
    return table.rows(today=today, agencies=AgencyDirectory(engine).code_for)
