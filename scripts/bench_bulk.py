"""Bulk rates in one run: seeding (people/s with their records), import (rows/s), audit verification
(events/s), each against its target, as JSON.

    python scripts/bench_bulk.py [--people 100000] [--orgs 10000] [--rows 20000] [--events 200000]
                                 [--database-url URL] [--out rates.json] [--only seed,import,verify]

Each part works in its own fresh store: by default a SQLite file in a temporary directory; with
``--database-url`` (PostgreSQL) each part empties the schema first. The parts take the paths of the
commands: seeding runs ``run_seed`` over batches drawn in a background process, as
``credit-gateway seed`` does; import runs ``import_file`` on the generated current-layout CSV of
``scripts/bench_import.py``, as ``credit-gateway import`` does; verification runs ``verify_log`` on a
log built through ``AuditLog.append`` in large batches (heads every 1,000 events, as by default), as
``credit-gateway audit verify`` does. Only the command's own work is timed: not building its input.

Rates are wall-clock; ``cpu_seconds`` is this process's CPU time over the same span, steadier on a
shared machine (for seeding it leaves out the child process that draws the batches); verification
runs in worker processes as the command does (one per CPU), whose CPU time is ``worker_cpu_seconds``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import write_csv

from gateway.audit.events import CallerFacts, Outcome, draft_document
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.audit.verify import default_workers, verify_log
from gateway.demo.background import background_batches
from gateway.demo.plan import SeedPlan
from gateway.demo.seeding import run_seed, tune_sqlite
from gateway.importing.pipeline import import_file
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring
from gateway.store import db
from gateway.store.writer import Outcome as WriteOutcome
from gateway.workdays import WorkCalendar

TARGETS = {"seed": 10_000.0, "import": 20_000.0, "verify": 200_000.0}
UNITS = {"seed": "people/s", "import": "rows/s", "verify": "events/s"}
APPEND_BATCH = 5_000
START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)


def fresh_store(base: str | None, tmp: Path, name: str) -> str:
    """An empty, migrated store for one part."""
    if base is None:
        url = f"sqlite:///{tmp / f'{name}.db'}"
    else:
        url = base
        engine = db.make_engine(url)
        try:
            meta = MetaData()
            meta.reflect(engine)
            with engine.begin() as conn:
                meta.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        finally:
            engine.dispose()
    db.upgrade(url)
    return url


def bench_seed(url: str, cipher: FieldCipher, people: int, orgs: int) -> dict[str, Any]:
    plan = SeedPlan(seed=1, people=people, orgs=orgs)
    engine = db.make_engine(url)
    tune_sqlite(engine)
    try:
        with background_batches(plan, cipher) as batches:
            started, cpu = time.perf_counter(), time.process_time()
            tally = run_seed(engine, cipher, plan, calendar=WorkCalendar.load(), batches=batches)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        engine.dispose()
    records = sum(sum(c.values()) for c in tally.counts["records by category"].values())
    assert tally.total(WriteOutcome.REJECTED) == 0
    return {"people": people, "orgs": orgs, "records": records, "seconds": seconds, "rate": people / seconds,
            "cpu_seconds": cpu}  # fmt: skip


def bench_import(url: str, cipher: FieldCipher, rows: int, tmp: Path) -> dict[str, Any]:
    path = tmp / "penalties.csv"
    write_csv(path, rows)
    engine = db.make_engine(url)
    try:
        cpu = time.process_time()
        report = import_file(path, engine=engine, cipher=cipher, calendar=WorkCalendar.load())
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
        outcome=Outcome.REFUSED if n % 10 == 0 else Outcome.ANSWERED,
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


def bench_verify(url: str, keyring: Keyring, events: int) -> dict[str, Any]:
    engine = db.make_engine(url)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--database-url", help="default: fresh SQLite files in a temporary directory")
    parser.add_argument("--only", default="seed,import,verify", help="comma-separated parts to run")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    keyring = Keyring.generate()
    cipher = FieldCipher(keyring)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        runs: dict[str, Callable[[str], dict[str, Any]]] = {
            "seed": lambda url: bench_seed(url, cipher, args.people, args.orgs),
            "import": lambda url: bench_import(url, cipher, args.rows, tmp),
            "verify": lambda url: bench_verify(url, keyring, args.events),
        }
        for part in parts:
            url = fresh_store(args.database_url, tmp, part)
            result = runs[part](url)
            result |= {"unit": UNITS[part], "target": TARGETS[part], "met": result["rate"] >= TARGETS[part]}
            result["of_target"] = round(result["rate"] / TARGETS[part], 3)
            results[part] = result
            print(
                f"{part}: {result['rate']:,.0f} {UNITS[part]} (target {TARGETS[part]:,.0f})", file=sys.stderr
            )
    dialect = "sqlite" if args.database_url is None else db.make_engine(args.database_url).dialect.name
    document = {"database": dialect, "parts": results}
    rendered = json.dumps(document, indent=2, default=str)
    print(rendered)
    if args.out is not None:
        args.out.write_text(rendered + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
