"""Lookup latency at two store sizes, at the reads layer: p50 at the large size over p50 at the small.

    python scripts/bench flatness [--quick] [--small 10000] [--large 1000000] [--lookups 2000] [--dir DIR]
        [--out bench-results]

Seeds a SQLite store of ``--small`` and one of ``--large`` people (with organisations at one per ten
people, and their records) with ``stores.seeded_store``, by the ``credit-gateway seed`` path, or
reuses the stores a previous run left in ``--dir`` (each with its keyring). Then, on each store, times ``--lookups``
lookups of people and organisations picked at random over the whole store:

- person: ``reads.find_person_id`` by identity number (the blind-index path of a consented lookup);
- organisation: ``reads.find_organization`` by credit code, then the organisation's records and list
  entries and the kinds of their subjects (what the public organisation page reads).

Each lookup runs in its own session, as a request does; the two stores are measured in turn, 50
lookups at a time, so that a shared machine's load falls on both alike, after each store's file was
read once into the OS cache. Prints p50 and p95 per size and the ratio of the p50s as JSON and
writes it as ``flatness.json``; the target is a ratio of at most 1.2. ``--quick``: 500 and 2,000
people, 100 lookups of each kind.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import options
import reports
import stores
from sqlalchemy import Engine, func, literal_column, select
from sqlalchemy.orm import Session

from gateway.keys.crypto import FieldCipher
from gateway.store import db, reads
from gateway.store.models import Organization, Person

TARGET_RATIO = 1.2
# SQLite numbers rows in insertion order: random rowids are random places in the store.
ROWID = literal_column("rowid")


def store(directory: Path, people: int) -> tuple[str, FieldCipher]:
    """The store of ``people`` people in ``directory``: seeded now unless a previous run left it."""

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    home, kept = stores.seeded_store(directory, people, orgs=max(1, people // 10), log=log)
    log(f"{people:,} people: seeding took {kept['seed_seconds']:,.1f} s")
    return home.url, home.cipher()


def samples(
    engine: Engine, cipher: FieldCipher, count: int, rng: random.Random
) -> tuple[list[str], list[str]]:
    """Identity numbers and credit codes of people and organisations at random places in the store."""
    with Session(engine) as session:
        people = int(session.scalar(select(func.max(ROWID)).select_from(Person)) or 0)
        orgs = int(session.scalar(select(func.max(ROWID)).select_from(Organization)) or 0)
        rowids = sorted({rng.randint(1, people) for _ in range(count)})
        numbers = [
            cipher.decrypt(p.id_number_enc, table="persons", column="id_number_enc", row=p.subject_id)
            for p in session.scalars(select(Person).where(ROWID.in_(rowids)))
        ]
        org_rowids = sorted({rng.randint(1, orgs) for _ in range(count)})
        stmt = select(Organization).where(ROWID.in_(org_rowids))
        codes = [reads.organization_code(cipher, o) for o in session.scalars(stmt)]
    rng.shuffle(numbers)
    rng.shuffle(codes)
    return numbers, codes


BLOCK = 50  # lookups per store in turn: both stores see the same moments of a shared machine


@dataclass
class Store:
    """One store under measurement: its engine and the keys it is looked up by."""

    engine: Engine
    cipher: FieldCipher
    numbers: list[str]
    codes: list[str]

    def person(self, session: Session, number: str) -> object:
        return reads.find_person_id(session, self.cipher, number)

    def organization(self, session: Session, code: str) -> object:
        view = reads.find_organization(session, self.cipher, code)
        assert view is not None
        records = reads.records_of(session, [view.subject_id]).get(view.subject_id, [])
        reads.list_entries_of(session, [view.subject_id])
        reads.subject_kinds(session, {r.subject_id for r in records})
        return view


def open_store(url: str, cipher: FieldCipher, lookups: int) -> Store:
    """The store's engine and random keys, its file read once so that the OS holds it in memory (as a
    serving database's working set is): the measure is of the indexes, not of a cold disk."""
    path = Path(url.removeprefix("sqlite:///"))
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass
    engine = db.make_engine(url)
    numbers, codes = samples(engine, cipher, lookups, random.Random(20261202))
    return Store(engine, cipher, numbers, codes)


def timed(store: Store, lookup: Callable[[Store, Session, str], object], keys: list[str]) -> list[float]:
    """Milliseconds per lookup, each in a fresh session, as a request has."""
    times: list[float] = []
    for key in keys:
        started = time.perf_counter()
        with Session(store.engine) as session:
            found = lookup(store, session, key)
        times.append((time.perf_counter() - started) * 1000)
        assert found, key
    return times


def measure(stores: dict[int, Store]) -> dict[int, dict[str, Any]]:
    """Both stores in turn, ``BLOCK`` lookups at a time; the first tenth of each warms and is dropped."""
    results: dict[int, dict[str, Any]] = {size: {} for size in stores}
    for name, lookup in (("person", Store.person), ("organization", Store.organization)):
        times: dict[int, list[float]] = {size: [] for size in stores}
        keys = {size: s.numbers if name == "person" else s.codes for size, s in stores.items()}
        longest = max(len(k) for k in keys.values())
        for start in range(0, longest, BLOCK):
            for size, store in stores.items():
                times[size] += timed(store, lookup, keys[size][start : start + BLOCK])
        for size, measured in times.items():
            kept = sorted(measured[len(measured) // 10 :])
            results[size][name] = {
                "lookups": len(kept),
                "p50_ms": round(statistics.median(kept), 4),
                "p95_ms": round(kept[int(len(kept) * 0.95)], 4),
            }
    return results


FULL: dict[str, Any] = {"small": 10_000, "large": 1_000_000, "lookups": 2_000}
QUICK: dict[str, Any] = {"small": 500, "large": 2_000, "lookups": 100}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def helped(text: str, name: str) -> str:
        return options.default_help(text, FULL, QUICK, name)

    parser.add_argument("--small", type=int, help=helped("people in the small store", "small"))
    parser.add_argument("--large", type=int, help=helped("people in the large store", "large"))
    parser.add_argument("--lookups", type=int, help=helped("lookups of each kind per store", "lookups"))
    parser.add_argument("--dir", type=Path, help="keep the stores here and reuse them (default: temporary)")


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        opened = {
            size: open_store(*store(directory, size), args.lookups) for size in (args.small, args.large)
        }
        try:
            sizes = measure(opened)
        finally:
            for each in opened.values():
                each.engine.dispose()
    small, large = sizes[args.small], sizes[args.large]
    ratios = {name: round(large[name]["p50_ms"] / small[name]["p50_ms"], 3) for name in small}
    document = {
        "database": "sqlite",
        "sizes": {str(size): result for size, result in sizes.items()},
        "p50_ratio": ratios,
        "target_ratio": TARGET_RATIO,
        "met": all(r <= TARGET_RATIO for r in ratios.values()),
    }
    reports.write_report(document, args.out, "flatness", echo=True)
    return 0
