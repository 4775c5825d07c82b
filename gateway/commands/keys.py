"""``credit-gateway keys``: the keyring, its rotation, and which versions the stored values use.

Nothing here prints key material: only version numbers, row counts and the keyring's path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    TaskID,
)
from rich.table import Table
from sqlalchemy import Engine

from gateway.audit.changes import Change, ChangeKind
from gateway.commands.audit_log import append_changes
from gateway.commands.common import console, progress_bar, settings, user_errors
from gateway.errors import KeyringError, RotationUnfinished
from gateway.keys.index_rotation import IndexStatus, index_status
from gateway.keys.keyring import create_keyring_file, load_keyring
from gateway.keys.rotation import DEFAULT_BATCH_SIZE, RotationPlan, rotate
from gateway.keys.usage import KeyStatus, key_status, prune_unused_versions
from gateway.store.db import make_engine

app = typer.Typer(help="Keyring of data keys and the blind-index key.", no_args_is_help=True)
stdout = Console()


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command("init")
def init() -> None:
    """Write a new keyring to GATEWAY_KEYRING (mode 0600); refuses to overwrite an existing one."""
    path = settings().keyring_path
    with user_errors():
        keyring = create_keyring_file(path)
    console.print(f"keyring written to {path} (data key version {keyring.current_version}, mode 0600)")


@app.command("rotate")
def rotate_command(
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Rows re-encrypted per transaction."
    ),
    add_only: bool = typer.Option(
        False, "--add-only", help="Only add the version; the next run re-encrypts (see docs/keys.md)."
    ),
) -> None:
    """Add a data-key version and re-encrypt every identity value under it (resumable).

    If an earlier rotation did not finish, this finishes it instead of adding another version.
    """
    cfg = settings()
    with user_errors(), _engine(cfg.database_url) as engine:
        with progress_bar() as progress:
            task: list[TaskID] = []

            def on_plan(plan: RotationPlan) -> None:
                progress.console.print(_plan_message(plan, str(cfg.keyring_path)), highlight=False)
                if not add_only:
                    task.append(progress.add_task(f"re-encrypting under v{plan.version}", total=plan.pending))

            def on_batch(rows: int) -> None:
                progress.advance(task[0], rows)

            result = rotate(
                cfg.keyring_path,
                engine,
                batch_size=batch_size,
                on_plan=on_plan,
                on_batch=on_batch,
                add_only=add_only,
            )
        written = append_changes(
            cfg,
            [
                Change(
                    ChangeKind.KEYS_ROTATED,
                    detail={
                        "data_key_version": result.plan.version,
                        "version_added": result.plan.added,
                        "add_only": add_only,
                        "rotated": result.rotated,
                        "remaining": result.remaining,
                    },
                )
            ],
        )
        console.print(f"{written} change event written to the audit log", highlight=False)
        if add_only:
            console.print(
                f"{result.remaining} rows wait on older versions; 'credit-gateway keys rotate' re-encrypts them",
                highlight=False,
            )
            return
        rate = result.rotated / result.seconds if result.seconds > 0 else 0.0
        console.print(
            f"re-encrypted {result.rotated} rows under key version {result.plan.version} "
            f"in {result.seconds:.1f} s ({rate:,.0f} rows/s)",
            highlight=False,
        )
        if result.remaining:
            raise RotationUnfinished(
                f"{result.remaining} rows were rewritten under an older key version during the run (does "
                "a process still hold the old keyring?); run 'credit-gateway keys rotate' again to finish"
            )
    console.print(
        f"every encrypted row is on version {result.plan.version}; older versions stay in the keyring "
        "('credit-gateway keys prune' drops those no row uses)",
        highlight=False,
    )


def _plan_message(plan: RotationPlan, path: str) -> str:
    if plan.added:
        return (
            f"added data key version {plan.version} to {path} (mode 0600, older versions kept); "
            "back up the keyring now"
        )
    return (
        f"a rotation to key version {plan.version} is unfinished ({plan.pending} rows on older versions): "
        "finishing it; no new version added. Run 'credit-gateway keys rotate' again afterwards for a fresh key"
    )


@app.command("status")
def status() -> None:
    """Key versions in the keyring and rows per key version; never shows key material."""
    cfg = settings()
    with user_errors(), _engine(cfg.database_url) as engine:
        keyring = load_keyring(cfg.keyring_path)
        report = key_status(keyring, engine)
        _print_status(report)
        _print_index_status(index_status(keyring, engine))
        if report.missing:
            raise KeyringError(
                f"rows use key version(s) {', '.join(map(str, report.missing))}, which the keyring lacks: "
                "those values cannot be read with this keyring"
            )


def _print_status(report: KeyStatus) -> None:
    stdout.print(
        f"keyring versions: {', '.join(map(str, report.versions))} (current {report.current})",
        highlight=False,
    )
    table = Table("table", "key version", "rows")
    for name, per_version in report.counts.items():
        for version, rows in sorted(per_version.items()):
            table.add_row(name, str(version), str(rows))
    stdout.print(table)
    if report.pending:
        stdout.print(
            f"rotation unfinished: {report.pending} rows below version {report.current}; "
            "'credit-gateway keys rotate' finishes it",
            highlight=False,
        )
    else:
        stdout.print(f"every encrypted row is on version {report.current}", highlight=False)


def _print_index_status(report: IndexStatus) -> None:
    kept = f", previous {report.previous} kept for the rotation" if report.previous is not None else ""
    stdout.print(f"index key version: {report.version}{kept}", highlight=False)
    table = Table("table", "index version", "rows")
    for name, per_version in report.counts.items():
        for version, rows in sorted(per_version.items()):
            table.add_row(name, str(version), str(rows))
    stdout.print(table)
    if report.pending or report.previous is not None:
        stdout.print(
            f"index rotation unfinished: {report.pending} rows below index version {report.version}; "
            "'credit-gateway keys rotate-index' finishes it",
            highlight=False,
        )


@app.command("prune")
def prune(
    yes: bool = typer.Option(False, "--yes", help="Drop the unused versions (without it: only list them)."),
) -> None:
    """Drop data-key versions that no stored value uses (never the current one).

    Database backups taken before the last rotation still need the old versions: keep a copy of
    the keyring as it was with those backups before pruning.
    """
    cfg = settings()
    with user_errors(), _engine(cfg.database_url) as engine:
        result = prune_unused_versions(cfg.keyring_path, engine, apply=yes)
    dropped = ", ".join(map(str, result.dropped)) or "none"
    kept = ", ".join(map(str, result.kept))
    if result.applied:
        console.print(f"dropped key version(s) {dropped}; the keyring keeps {kept}", highlight=False)
    elif result.dropped:
        console.print(f"unused key version(s): {dropped}; run with --yes to drop them", highlight=False)
    else:
        console.print(f"no unused key versions; the keyring keeps {kept}", highlight=False)
