"""Measure ``keys rotate`` throughput: write N persons through StoreWriter, then rotate once.

    python scripts/bench_rotation.py --persons 100000 [--batch-size 1000] [--url postgresql://...]

Without ``--url`` it works in a temporary SQLite file. With ``--url`` it needs an empty, migrated
schema it may fill (the persons are left there). Prints rows/s and values/s of the rotation.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.identifiers import id_number_check_char
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import create_keyring_file
from gateway.keys.rotation import rotate
from gateway.store import db
from gateway.store.inputs import PersonInput
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar

NOW = datetime(2026, 3, 2, tzinfo=UTC)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        keyring_path = Path(tmp) / "keyring.json"
        cipher = FieldCipher(create_keyring_file(keyring_path))
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        for start in range(0, args.persons, 1_000):
            with Session(engine) as session, session.begin():
                writer = StoreWriter(session, cipher, calendar=WorkCalendar.load(), clock=lambda: NOW)
                writer.write([person(n) for n in range(start, min(start + 1_000, args.persons))])
        wrote = time.perf_counter() - started
        print(f"wrote {args.persons} persons in {wrote:.1f} s ({args.persons / wrote:,.0f}/s)")

        result = rotate(keyring_path, engine, batch_size=args.batch_size)
        engine.dispose()
        rate = result.rotated / result.seconds
        print(
            f"rotated {result.rotated} rows (6 values each) in {result.seconds:.1f} s: "
            f"{rate:,.0f} rows/s, {6 * rate:,.0f} values/s (batch size {args.batch_size})"
        )


if __name__ == "__main__":
    main()
