"""Bulk rates in one run: seeding (people/s with their records), import (rows/s), audit verification
(events/s), each against its target, as JSON.

    python scripts/bench bulk [--quick] [--people 100000] [--orgs 10000] [--rows 20000] [--events 200000]
        [--database-url URL] [--out bench-results] [--only seed,import,verify] [--batch-size 1000]

Each part works in its own fresh store (``stores.fresh_store``): by default a SQLite file in a
temporary directory; with ``--database-url`` (PostgreSQL) the schema ``bench_<part>`` (prefix
``--pg-schema``). The parts take the paths of the commands: seeding is ``stores.seed``, ``run_seed`` over batches
drawn in a background process, as ``credit-gateway seed`` does; import runs ``import_file`` on the
generated current-layout CSV of ``penalty_csv.py``, as ``credit-gateway import`` does; ``reimport``
(not run by default) imports that file a second time into the same store, every row ``UNCHANGED``;
verification runs ``verify_log`` on a log built through ``AuditLog.append`` in large batches (heads
every 1,000 events, as by default), as ``credit-gateway audit verify`` does. Only the command's own
work is timed: not building its input. Writes ``bulk.json`` and prints it. ``--quick``: 1,000
people, 100 organisations, 500 rows, 2,000 events, every part.

Rates are wall-clock; ``cpu_seconds`` is this process's CPU time over the same span, steadier on a
shared machine (for seeding it leaves out the child process that draws the batches); verification
runs in worker processes as the command does (one per CPU), whose CPU time is ``worker_cpu_seconds``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import options
import reports
import stores
from penalty_csv import write_csv
from sqlalchemy import Engine

from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.audit.verify import default_workers, verify_log
from gateway.importing.pipeline import import_file
from gateway.keys.keyring import Keyring
from gateway.store.writer import WriteOutcome
from gateway.workdays import WorkCalendar

PARTS = ("seed", "import", "reimport", "verify")
TARGETS = {"seed": 10_000.0, "import": 20_000.0, "reimport": 20_000.0, "verify": 200_000.0}
UNITS = {"seed": "people/s", "import": "rows/s", "reimport": "rows/s", "verify": "events/s"}
APPEND_BATCH = 5_000
START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)


def bench_seed(home: stores.StoreHome, people: int, orgs: int) -> dict[str, Any]:
    seeded = stores.seed(home, people, orgs)
    tally = seeded.tally
    records = sum(sum(c.values()) for c in tally.counts["records by category"].values())
    assert tally.total(WriteOutcome.REJECTED) == 0
    return {"people": people, "orgs": orgs, "records": records, "seconds": seeded.seconds,
            "rate": people / seeded.seconds, "cpu_seconds": seeded.cpu_seconds}  # fmt: skip


def bench_import(
    home: stores.StoreHome, rows: int, tmp: Path, *, batch_size: int, again: bool = False
) -> dict[str, Any]:
    """The generated CSV imported once; with ``again``, imported a second time and only that timed."""
    path = tmp / "penalties.csv"
    if not path.exists():
        write_csv(path, rows)
    cipher, calendar = home.cipher(), WorkCalendar.load()
    engine = home.engine()
    try:
        if again:
            import_file(path, engine=engine, cipher=cipher, calendar=calendar, batch_size=batch_size)
        cpu = time.process_time()
        report = import_file(path, engine=engine, cipher=cipher, calendar=calendar, batch_size=batch_size)
        cpu = time.process_time() - cpu
    finally:
        engine.dispose()
    assert report.error_code is None, report.error_message
    return {
        "rows": report.rows,
        "summary": report.summary(),
        "seconds": report.seconds,
        "rate": report.rows_per_second,
        "cpu_seconds": cpu,
    }


def event_document(n: int) -> dict[str, Any]:
    """A plausible request event: a partner's lookup touching one subject, every tenth one refused."""
    return draft_document(
        time=START + timedelta(milliseconds=50 * n),
        request_id=f"{n:016x}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id=f"caller-{n % 97}", role="partner", organization="91370000999999100Q"),
        client="10.0.0.1",
        operation_type="query",
        root_fields=["organization"],
        subjects=[f"{n * 7919 % 1_000_003:032x}"],
        outcome=RequestOutcome.REFUSED if n % 10 == 0 else RequestOutcome.ANSWERED,
        errors=["FORBIDDEN_OPERATION"] if n % 10 == 0 else [],
        http_status=200,
        duration_us=1_000 + n % 5_000,
    )


def build_log(engine: Engine, keyring: Keyring, events: int) -> None:
    clock = iter(START + timedelta(seconds=s) for s in range(10**9))
    log = AuditLog(
        HeadSigner(keyring), HeadSchedule(every_events=1_000, every_seconds=1e9), lambda: next(clock)
    )
    for start in range(0, events, APPEND_BATCH):
        # An append signs at most one head; appending 1,000 at a time keeps one head per 1,000 events.
        with engine.begin() as conn:
            for sub in range(start, min(events, start + APPEND_BATCH), 1_000):
                log.append(conn, [event_document(n) for n in range(sub, min(events, sub + 1_000))])


def bench_verify(home: stores.StoreHome, events: int) -> dict[str, Any]:
    keyring = home.keyring()
    engine = home.engine()
    try:
        built = time.perf_counter()
        build_log(engine, keyring, events)
        build_seconds = time.perf_counter() - built
        workers = default_workers()
        with engine.connect() as conn:
            started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            report = verify_log(conn, audit_public_keys(keyring), workers=workers)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            children = _children_cpu() - children  # the workers, reaped when verify_log returns
    finally:
        engine.dispose()
    assert report.ok, report.finding
    return {"events": report.events, "heads": report.heads, "build_seconds": build_seconds, "seconds": seconds,
            "cpu_seconds": cpu, "workers": workers, "worker_cpu_seconds": children,
            "rate": report.events / seconds}  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


FULL: dict[str, Any] = {
    "people": 100_000, "orgs": 10_000, "rows": 20_000, "events": 200_000, "only": "seed,import,verify"
}  # fmt: skip
QUICK: dict[str, Any] = {"people": 1_000, "orgs": 100, "rows": 500, "events": 2_000, "only": ",".join(PARTS)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def helped(text: str, name: str) -> str:
        return options.default_help(text, FULL, QUICK, name)

    parser.add_argument("--people", type=int, help=helped("people seeded", "people"))
    parser.add_argument("--orgs", type=int, help=helped("organisations seeded", "orgs"))
    parser.add_argument("--rows", type=int, help=helped("CSV rows imported", "rows"))
    parser.add_argument("--events", type=int, help=helped("audit events verified", "events"))
    parser.add_argument("--batch-size", type=int, default=1_000, help="rows per import transaction")
    parser.add_argument("--database-url", help="default: fresh SQLite files in a temporary directory")
    parser.add_argument(
        "--pg-schema", default="bench", help="on PostgreSQL the store is the schema <this>_<part>"
    )
    parser.add_argument("--only", help=helped(f"comma-separated parts, of {','.join(PARTS)}", "only"))


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts {', '.join(sorted(unknown))}: {', '.join(PARTS)}")
    results: dict[str, Any] = {}
    database = "sqlite"
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        runs: dict[str, Callable[[stores.StoreHome], dict[str, Any]]] = {
            "seed": lambda home: bench_seed(home, args.people, args.orgs),
            "import": lambda home: bench_import(home, args.rows, tmp, batch_size=args.batch_size),
            "reimport": lambda home: bench_import(
                home, args.rows, tmp, batch_size=args.batch_size, again=True
            ),
            "verify": lambda home: bench_verify(home, args.events),
        }
        for part in parts:
            home = stores.fresh_store(tmp / part, args.database_url, schema=f"{args.pg_schema}_{part}")
            database = home.database
            result = runs[part](home)
            result |= {"unit": UNITS[part], "target": TARGETS[part], "met": result["rate"] >= TARGETS[part]}
            result["of_target"] = round(result["rate"] / TARGETS[part], 3)
            results[part] = result
            print(
                f"{part}: {result['rate']:,.0f} {UNITS[part]} (target {TARGETS[part]:,.0f})", file=sys.stderr
            )
    reports.write_report({"database": database, "parts": results}, args.out, "bulk", echo=True)
    return 0
