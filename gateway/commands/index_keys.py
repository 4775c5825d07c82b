"""``credit-gateway keys rotate-index``: a new blind-index key, every index recomputed, the old key
deleted. Prints version numbers and row counts only, never key material."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.progress import (
    TaskID,
)
from sqlalchemy import Engine

from gateway.audit.changes import Change, ChangeKind
from gateway.commands.audit_log import append_changes
from gateway.commands.common import console, progress_bar, settings, user_errors
from gateway.errors import RotationUnfinished
from gateway.keys.index_rotation import (
    DEFAULT_BATCH_SIZE,
    IndexRotationPlan,
    IndexRotationResult,
    rotate_index,
)
from gateway.store.db import make_engine

# Test hook: stop the run after this many committed batches, as a crash there would. The command
# exits like any interrupted run and the next run finishes the rotation.
STOP_AFTER_BATCHES = "GATEWAY_TEST_INDEX_ROTATION_STOP_AFTER"


class _Stopped(KeyboardInterrupt):
    """Raised by the test hook; a KeyboardInterrupt so the command ends as Ctrl-C would end it."""


def register(app: typer.Typer) -> None:
    app.command("rotate-index")(rotate_index_command)


def rotate_index_command(
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Rows recomputed per transaction."
    ),
    add_only: bool = typer.Option(
        False, "--add-only", help="Only add the new index key; the next run recomputes (see docs/keys.md)."
    ),
) -> None:
    """Rotate the blind-index key: add a new one, recompute every index (resumable), delete the old.

    Lookups work throughout: a gateway holding the keyring with both keys looks up under both. If
    an earlier rotation did not finish, this finishes it instead of adding another key.
    """
    cfg = settings()
    stop_after = int(os.environ.get(STOP_AFTER_BATCHES, "0") or 0)
    engine = make_engine(cfg.database_url)
    try:
        with user_errors():
            result = _run(cfg.keyring_path, engine, batch_size, add_only, stop_after)
    except KeyboardInterrupt:
        # Every finished batch is committed and the one under way rolled back: nothing to repair.
        console.print(
            "index rotation interrupted after a committed batch; run "
            "'credit-gateway keys rotate-index' again to finish it",
            highlight=False,
        )
        raise typer.Exit(130) from None
    finally:
        engine.dispose()
    with user_errors():
        written = append_changes(cfg, [_change(result, add_only=add_only)])
    console.print(f"{written} change event written to the audit log", highlight=False)
    if add_only:
        console.print(
            f"{result.remaining} rows wait on older index keys; 'credit-gateway keys rotate-index' "
            "recomputes them",
            highlight=False,
        )
        return
    console.print(
        f"recomputed the indexes of {result.recomputed} rows under index key version {result.plan.version} "
        f"in {result.seconds:.1f} s",
        highlight=False,
    )
    if result.remaining:
        with user_errors():
            raise RotationUnfinished(
                f"{result.remaining} rows were filed under an older index key during the run (does a "
                "process still hold an older keyring?); the previous key is kept. Run "
                "'credit-gateway keys rotate-index' again to finish"
            )
    if result.retired is not None:
        console.print(
            f"index key version {result.retired} deleted from {cfg.keyring_path}; back up the keyring now",
            highlight=False,
        )


def _change(result: IndexRotationResult, *, add_only: bool) -> Change:
    """The run as the audit log keeps it: which key, how far, which key was deleted."""
    return Change(
        ChangeKind.INDEX_KEY_ROTATED,
        detail={
            "index_key_version": result.plan.version,
            "version_added": result.plan.added,
            "add_only": add_only,
            "recomputed": result.recomputed,
            "remaining": result.remaining,
            "retired": result.retired,
        },
    )


def _run(
    keyring_path: Path, engine: Engine, batch_size: int, add_only: bool, stop_after: int
) -> IndexRotationResult:
    with progress_bar() as progress:
        task: list[TaskID] = []
        batches = [0]

        def on_plan(plan: IndexRotationPlan) -> None:
            progress.console.print(_plan_message(plan, str(keyring_path)), highlight=False)
            if not add_only:
                task.append(progress.add_task(f"indexes under v{plan.version}", total=plan.pending))

        def on_batch(rows: int) -> None:
            progress.advance(task[0], rows)
            batches[0] += 1
            if stop_after and batches[0] >= stop_after:
                raise _Stopped

        return rotate_index(
            keyring_path, engine, batch_size=batch_size, on_plan=on_plan, on_batch=on_batch, add_only=add_only
        )


def _plan_message(plan: IndexRotationPlan, path: str) -> str:
    if plan.added:
        return (
            f"added index key version {plan.version} to {path} (mode 0600; the previous key is kept "
            "until every index is recomputed); back up the keyring now"
        )
    return (
        f"an index rotation to version {plan.version} is unfinished ({plan.pending} rows on older keys): "
        "finishing it; no new key added"
    )
