"""``keys rotate`` throughput: write N persons through ``StoreWriter``, then rotate once.

    python scripts/bench rotation [--quick] [--persons 100000] [--batch-size 1000] [--database-url URL]
        [--out bench-results]

The store is ``stores.fresh_store``'s: a temporary SQLite file, or with ``--database-url`` the
PostgreSQL schema ``bench_rotation`` (prefix ``--pg-schema``), made afresh (the persons are left
there). Every person has all six encrypted fields, the worst case of a rotation. Prints rows/s and values/s of the rotation and
writes them as ``rotation.json``. ``--quick``: 2,000 persons.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import options
import reports
import stores

from gateway.identifiers import id_number_check_char
from gateway.keys.rotation import rotate
from gateway.store.inputs import PersonInput

NOW = datetime(2026, 3, 2, tzinfo=UTC)
VALUES_PER_ROW = 6  # the encrypted fields of a person


def person(n: int) -> PersonInput:
    """Every field set, as the worst case for rotation (six values per row)."""
    first17 = f"530102{date(1950, 1, 1) + timedelta(days=n // 999):%Y%m%d}{n % 999:03d}"
    return PersonInput(
        name=f"测试人{n}",
        id_number=first17 + id_number_check_char(first17),
        phone=f"139{n:08d}",
        address=f"云南省昆明市五华区翠湖南路{n}号",
        health_status="良好",
        religion="无",
    )


FULL: dict[str, Any] = {"persons": 100_000}
QUICK: dict[str, Any] = {"persons": 2_000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--persons",
        type=int,
        help=options.default_help("persons written, then rotated", FULL, QUICK, "persons"),
    )
    parser.add_argument("--batch-size", type=int, default=1_000, help="rows re-encrypted per transaction")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument(
        "--pg-schema", default="bench", help="on PostgreSQL the store is the schema <this>_rotation"
    )


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        home = stores.fresh_store(Path(tmp) / "store", args.database_url, schema=f"{args.pg_schema}_rotation")
        cipher = home.cipher()
        engine = home.engine()
        try:
            started = time.perf_counter()
            for start in range(0, args.persons, 1_000):
                batch = [person(n) for n in range(start, min(start + 1_000, args.persons))]
                stores.write(engine, cipher, batch, now=NOW)
            wrote = time.perf_counter() - started
            print(f"wrote {args.persons} persons in {wrote:.1f} s ({args.persons / wrote:,.0f}/s)")
            result = rotate(home.keyring_path, engine, batch_size=args.batch_size)
        finally:
            engine.dispose()
    rate = result.rotated / result.seconds
    print(
        f"rotated {result.rotated} rows ({VALUES_PER_ROW} values each) in {result.seconds:.1f} s: "
        f"{rate:,.0f} rows/s, {VALUES_PER_ROW * rate:,.0f} values/s (batch size {args.batch_size})"
    )
    document = {
        "database": home.database, "persons": args.persons, "write_seconds": round(wrote, 3),
        "rotated": result.rotated, "seconds": round(result.seconds, 3), "batch_size": args.batch_size,
        "rows_per_s": round(rate, 1), "values_per_s": round(VALUES_PER_ROW * rate, 1),
    }  # fmt: skip
    reports.write_report(document, args.out, "rotation")
    return 0
