"""``credit-gateway import FILE``: load JSON Lines or double-publicity CSV into the credit store.

Exit codes: 0 every row stored, 1 some rows rejected (the others stored), 2 nothing could be
imported (unreadable file, bad encoding, unknown layout, missing columns, keyring or database).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.changes import operator_facts
from gateway.commands.audit_log import append_changes
from gateway.commands.common import console, settings
from gateway.errors import AuditUnavailable, GatewayError
from gateway.importing.changes import ImportChanges
from gateway.importing.errors import DatabaseUnavailable
from gateway.importing.pipeline import DEFAULT_BATCH_SIZE, import_file
from gateway.importing.report import EXIT_FILE_ERROR, ImportReport
from gateway.importing.source import FileFormat
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.settings import Settings
from gateway.store import db
from gateway.workdays import WorkCalendar

MAX_PRINTED_REJECTIONS = 100
out = Console(highlight=False)


def run(
    file: Annotated[Path, typer.Argument(help="JSON Lines (.jsonl) or double-publicity CSV (.csv) file.")],
    file_format: Annotated[
        FileFormat,
        typer.Option("--format", help="auto: by extension, else by content.", case_sensitive=False),
    ] = FileFormat.AUTO,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per transaction.")] = (
        DEFAULT_BATCH_SIZE
    ),
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Also write the report as JSON here.")
    ] = None,
) -> None:
    """Import a file; re-running it is safe (stored rows come back UNCHANGED)."""
    cfg = settings()
    report = ImportReport(file=str(file), format=file_format.value)
    try:
        cipher = FieldCipher(load_keyring(cfg.keyring_path))
        calendar = WorkCalendar.load(cfg.holidays_path)
        db.upgrade(cfg.database_url)
        engine = db.make_engine(cfg.database_url)
    except GatewayError as exc:
        report.fail(exc.code, exc.message)
    except SQLAlchemyError as exc:
        report.fail(DatabaseUnavailable.code, f"cannot open the database ({exc.__class__.__name__})")
    else:
        changes = ImportChanges()
        try:
            with _progress() as progress:
                task = progress.add_task("importing", total=None)
                report = import_file(
                    file,
                    engine=engine,
                    cipher=cipher,
                    calendar=calendar,
                    file_format=file_format,
                    batch_size=batch_size,
                    on_progress=lambda done, total: progress.update(task, completed=done, total=total),
                    actor=operator_facts().id,
                    changes=changes,
                )
        except GatewayError as exc:
            report.fail(exc.code, exc.message)
        finally:
            engine.dispose()
        _audit(cfg, file, report, changes)
    _show(report)
    if report_path is not None:
        report_path.write_text(
            json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    raise typer.Exit(report.exit_code)


def _audit(cfg: Settings, file: Path, report: ImportReport, changes: ImportChanges) -> None:
    """One change event for the file and one per changed subject (docs/audit.md, "Change events").
    A log that refuses them fails the import's exit code: the rows are stored, but unaudited."""
    try:
        written = append_changes(cfg, changes.events(file, report))
    except (GatewayError, SQLAlchemyError) as exc:
        message = exc.message if isinstance(exc, GatewayError) else exc.__class__.__name__
        report.fail(AuditUnavailable.code, f"the rows are stored but their audit events are not: {message}")
        return
    console.print(f"{written} change events written to the audit log", highlight=False)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _show(report: ImportReport) -> None:
    if report.exit_code == EXIT_FILE_ERROR:
        console.print(f"[red]error[/red] [{report.error_code}]: {report.error_message}", highlight=False)
        if report.rows == 0:
            return
    summary = Table(title=f"import of {report.file}", title_justify="left")
    for name in ("created", "updated", "unchanged", "rejected"):
        summary.add_column(name, justify="right")
    summary.add_row(*(str(n) for n in report.summary().values()))
    out.print(summary)
    rejections = report.sorted_rejections()
    if rejections:
        table = Table(title="rejected rows", title_justify="left")
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("field", overflow="fold")
        table.add_column("reason", overflow="fold")
        for r in rejections[:MAX_PRINTED_REJECTIONS]:
            table.add_row(str(r.line), r.field or "-", r.reason)
        out.print(table)
        if len(rejections) > MAX_PRINTED_REJECTIONS:
            out.print(f"… and {len(rejections) - MAX_PRINTED_REJECTIONS} more (see --report)")
    layout = f", layout {report.layout}" if report.layout else ""
    out.print(
        f"{report.rows} rows ({report.format}, {report.encoding}{layout}) in {report.seconds:.2f} s: "
        f"{report.rows_per_second:,.0f} rows/s"
    )
