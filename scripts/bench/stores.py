"""The one way the benchmarks build their stores, through the gateway's own code.

Every benchmark measures the gateway against a store it built: an empty, migrated database and a new
keyring (``fresh_store``), filled either with demo data by the path of ``credit-gateway seed``
(``seed``: ``SeedPlan`` batches drawn in a forked child, written by ``run_seed``) or with a
benchmark's own inputs through ``StoreWriter`` (``write``). A store that takes minutes to seed is
kept between runs (``seeded_store``): its directory holds the keyring, the SQLite file and a
``store.json`` that says what it holds.

On PostgreSQL a store is a schema of the given database, dropped and created afresh, so that a
benchmark never empties tables it did not make.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gateway.demo.background import background_batches
from gateway.demo.plan import SeedPlan
from gateway.demo.seeding import SeedTally, run_seed, tune_sqlite
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file, load_keyring
from gateway.store import db
from gateway.store.inputs import OrganizationInput, PersonInput, RecordInput
from gateway.store.writer import ItemResult, StoreWriter
from gateway.workdays import WorkCalendar

SEED = 1  # the demo data's seed: the same people in every benchmark run
Log = Callable[[str], None]


@dataclass(frozen=True)
class StoreHome:
    """Where a store is: its database URL and its keyring file."""

    database: str  # "sqlite" or "postgresql"
    url: str
    keyring_path: Path

    def keyring(self) -> Keyring:
        return load_keyring(self.keyring_path)

    def cipher(self) -> FieldCipher:
        return FieldCipher(self.keyring())

    def engine(self) -> Engine:
        """An engine of the store as the gateway makes it (seeding adds its page cache itself)."""
        return db.make_engine(self.url)


def pg_schema_url(base: str, schema: str) -> str:
    """``base`` with its search path set to ``schema``."""
    url = make_url(db.normalize_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def fresh_store(home: Path, database_url: str | None = None, *, schema: str = "bench") -> StoreHome:
    """An empty, migrated store with a new keyring in ``home``: a SQLite file there by default, or the
    PostgreSQL schema ``schema`` of ``database_url``, dropped first if it exists."""
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    if database_url is None or database_url.startswith("sqlite"):
        database, url = "sqlite", f"sqlite:///{home / 'credit.db'}"
    else:
        database, url = "postgresql", pg_schema_url(database_url, schema)
        _fresh_schema(database_url, schema)
    keyring_path = home / "keyring.json"
    create_keyring_file(keyring_path, Keyring.generate())
    db.upgrade(url)
    return StoreHome(database, url, keyring_path)


def _fresh_schema(base: str, schema: str) -> None:
    admin = create_engine(db.normalize_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()


def write(
    engine: Engine,
    cipher: FieldCipher,
    inputs: Iterable[OrganizationInput | PersonInput | RecordInput],
    *,
    now: datetime,
) -> list[ItemResult]:
    """Inputs written in one transaction through ``StoreWriter``, the gateway's one write path."""
    with Session(engine) as session, session.begin():
        writer = StoreWriter(session, cipher, calendar=WorkCalendar.load(), clock=lambda: now)
        return writer.write(list(inputs))


@dataclass(frozen=True)
class Seeded:
    """What seeding wrote and what it cost: wall and CPU seconds of the writing process (the child
    that draws the batches comes on top)."""

    plan: SeedPlan
    tally: SeedTally
    seconds: float
    cpu_seconds: float


def seed(home: StoreHome, people: int, orgs: int) -> Seeded:
    """Demo data as ``credit-gateway seed`` writes it; only the writing is timed."""
    plan = SeedPlan(seed=SEED, people=people, orgs=orgs)
    cipher = home.cipher()
    engine = home.engine()
    tune_sqlite(engine)
    try:
        with background_batches(plan, cipher) as batches:
            started, cpu = time.perf_counter(), time.process_time()
            tally = run_seed(engine, cipher, plan, calendar=WorkCalendar.load(), batches=batches)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        engine.dispose()
    return Seeded(plan, tally, seconds, cpu)


def seeded_store(
    cache: Path,
    people: int,
    *,
    orgs: int,
    database_url: str | None = None,
    pg_schema: str = "bench",
    finish: Callable[[StoreHome], dict[str, Any]] | None = None,
    log: Log = print,
) -> tuple[StoreHome, dict[str, Any]]:
    """The kept store of ``people`` demo people and ``orgs`` organisations under ``cache``, seeded now
    if no earlier run left it. ``finish`` adds what a benchmark needs beside the demo data and returns
    facts kept with the store (JSON); they come back with it, with ``seed_seconds``."""
    sqlite = database_url is None or database_url.startswith("sqlite")
    dialect = "sqlite" if sqlite else "postgresql"
    home = cache / (f"sqlite-{people}" if sqlite else f"postgresql-{pg_schema}-{people}")
    schema = f"{pg_schema}_{people}"
    marker = home / "store.json"
    if marker.exists():
        kept = json.loads(marker.read_text())
        if (kept.get("database"), kept.get("people"), kept.get("orgs")) == (dialect, people, orgs):
            log(f"{dialect} {people:,} people: reusing the kept store")
            url = f"sqlite:///{home / 'credit.db'}" if sqlite else pg_schema_url(str(database_url), schema)
            return StoreHome(dialect, url, home / "keyring.json"), kept
    store = fresh_store(home, database_url, schema=schema)
    log(f"{dialect} {people:,} people: seeding …")
    seeded = seed(store, people, orgs)
    log(f"{dialect} {people:,} people: seeded in {seeded.seconds:.0f} s")
    facts = finish(store) if finish is not None else {}
    kept = {"database": dialect, "people": people, "orgs": orgs, "seed_seconds": round(seeded.seconds, 1)}
    kept |= facts
    marker.write_text(json.dumps(kept, indent=1))
    return store, kept
