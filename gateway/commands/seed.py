"""``credit-gateway seed``: deterministic synthetic demo data, written through the encrypted path."""

from __future__ import annotations

import sys
import time
from datetime import date

import typer
from rich import box
from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from gateway.commands.common import console, settings, user_errors
from gateway.demo.background import background_batches
from gateway.demo.plan import REFERENCE_DAY, Batch, SeedPlan
from gateway.demo.seeding import GROUPS, SeedTally, run_seed, tune_sqlite
from gateway.errors import InvalidInput, KeyringError
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file, load_keyring
from gateway.settings import Settings
from gateway.store import db
from gateway.store.writer import WriteOutcome
from gateway.workdays import WorkCalendar

# Pipes and files get room for the widest category name instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 100)


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} people/s" if task.speed else "", style="progress.data.speed")


def seed(
    people: int = typer.Option(1_000, "--people", help="Natural persons to create."),
    orgs: int = typer.Option(100, "--orgs", help="Organisations to create (besides ~20 agencies)."),
    seed_value: int = typer.Option(1, "--seed", help="Same seed, same data."),
    batch_size: int = typer.Option(5_000, "--batch-size", help="People per transaction."),
    as_of: str = typer.Option(
        REFERENCE_DAY.isoformat(), "--as-of", help="The data's 'today' (YYYY-MM-DD); records end there."
    ),
    init_keys: bool = typer.Option(False, "--init-keys", help="Create the keyring if it is missing."),
) -> None:
    """Write deterministic demo people, organisations, agencies, records and list entries.

    Re-running with the same arguments changes nothing; an interrupted run completes when re-run.
    """
    config = settings()
    with user_errors():
        plan = SeedPlan(
            seed=seed_value,
            people=people,
            orgs=orgs,
            batch_size=batch_size,
            reference_day=_as_of(as_of),
        )
        keyring = _keyring(config, init_keys)
        calendar = WorkCalendar.load(config.holidays_path)
        db.upgrade(config.database_url)
        engine = db.make_engine(config.database_url)
        tune_sqlite(engine)
        try:
            started = time.perf_counter()
            tally = _run(engine, FieldCipher(keyring), plan, calendar)
            elapsed = time.perf_counter() - started
        finally:
            engine.dispose()
    out.print(summary(tally))
    out.print(
        f"{tally.people:,} people in {elapsed:,.1f} s ({tally.people / max(elapsed, 1e-9):,.0f} people/s): "
        f"{tally.total(WriteOutcome.CREATED):,} created, {tally.total(WriteOutcome.UPDATED):,} updated, "
        f"{tally.total(WriteOutcome.UNCHANGED):,} unchanged, {tally.total(WriteOutcome.REJECTED):,} rejected",
        highlight=False,
    )
    if tally.total(WriteOutcome.REJECTED):
        console.print("[red]error:[/red] the writer rejected some generated items")
        raise typer.Exit(1)


def _as_of(raw: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("asOf", "must be a date as YYYY-MM-DD") from None
    if day > date.today() and day != REFERENCE_DAY:  # the default stays usable on any clock
        raise InvalidInput("asOf", "is in the future")
    return day


def _keyring(config: Settings, init_keys: bool) -> Keyring:
    path = config.keyring_path
    if path.exists():
        return load_keyring(path)
    if not init_keys:
        raise KeyringError(
            f"no keyring at {path}; create one with 'credit-gateway keys init' or pass --init-keys"
        )
    console.print(f"creating a keyring at {path}")
    return create_keyring_file(path)


def _run(engine: Engine, cipher: FieldCipher, plan: SeedPlan, calendar: WorkCalendar) -> SeedTally:
    columns = (
        TextColumn("seeding"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    done = 0
    try:
        # The generator process starts before the progress display's thread: it is forked.
        with background_batches(plan, cipher) as batches, Progress(*columns, console=console) as progress:
            task = progress.add_task("seed", total=plan.people)

            def advance(batch: Batch) -> None:
                nonlocal done
                done += batch.people
                progress.advance(task, batch.people)

            return run_seed(engine, cipher, plan, calendar=calendar, on_batch=advance, batches=batches)
    except KeyboardInterrupt:
        # Every finished batch is committed and the one under way rolled back: nothing to repair.
        console.print(
            f"interrupted after {done:,} of {plan.people:,} people; "
            "run the same command again to complete (finished batches come back unchanged)"
        )
        raise typer.Exit(130) from None


def summary(tally: SeedTally) -> Group:
    """One table per group (subject kinds, record categories, record statuses, lists), one row per
    kind, with the writer's outcomes."""
    tables = []
    for group in GROUPS:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left", title=group)
        table.add_column("", no_wrap=True)
        for outcome in ("total", *WriteOutcome):
            table.add_column(str(outcome).lower(), justify="right")
        for label, counts in sorted(tally.counts[group].items()):
            values = [sum(counts.values()), *(counts[o] for o in WriteOutcome)]
            table.add_row(str(label), *(f"{v:,}" for v in values))
        tables.append(table)
    return Group(*tables)
