"""Bulk credit checks (``creditChecks``) in process on SQLite: organisations per second, and peak memory
at two batch sizes.

    python scripts/bench checks [--quick] [--people 1000000] [--subjects 10000] [--small 1000]
        [--dir DIR] [--out bench-results]

The store is ``stores.seeded_store``'s demo store of ``--people`` people and one organisation per ten
(kept in ``--dir`` for the next run). The subjects are organisations drawn at random over the whole
store (repeated when the store has fewer). Two paths, each batch in a spawned child of its own so that
its peak RSS is its own:

- ``graphql``: the whole ``creditChecks`` operation through ``Gateway.execute`` (limits, resolvers,
  the field guard, the audit event's durable commit), selecting what ``credit-gateway check`` reads;
- ``service``: ``reads.organization_ids`` and ``bulk_checks.check_organizations`` alone, results
  consumed as they stream: what the GraphQL layer adds is the difference.

Each child warms on 10 subjects first. Memory: ``peak_rss_mib`` is the child's high-water mark,
``growth_mib`` that less its RSS before the batch; flat means ``growth_mib`` of the large batch is not
``subjects / small`` times the small one's. The target (issue 14): 5,000 organisations/s for 10,000
subjects. ``--quick``: 2,000 people, batches of 100 and 1,000.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import options
import reports
import stores
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller, Role
from gateway.api.app import Gateway
from gateway.clock import utcnow
from gateway.domain import AgencyKind, CheckMatter
from gateway.identifiers import credit_code_check_char
from gateway.lifecycle import bulk_checks
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.settings import Settings
from gateway.store import db, reads
from gateway.store.models import Organization

ROOT = Path(__file__).resolve().parents[2]
TARGET = 5_000  # organisations per second for 10,000 subjects (issue 14)
PARTNER_CODE = "91370000999999100" + credit_code_check_char("91370000999999100")
QUERY = """
query($subjects: [BulkCheckSubject!]!) {
  creditChecks(subjects: $subjects, matter: ADMINISTRATIVE_LICENSING) {
    index errorCode
    check { blackListed redListed threeYearsClean restrictions { code } facilitation { code } }
  }
}"""

FULL: dict[str, Any] = {"people": 1_000_000, "subjects": 10_000, "small": 1_000}
QUICK: dict[str, Any] = {"people": 2_000, "subjects": 1_000, "small": 100}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def helped(text: str, name: str) -> str:
        return options.default_help(text, FULL, QUICK, name)

    parser.add_argument(
        "--people", type=int, help=helped("people in the store (organisations: a tenth)", "people")
    )
    parser.add_argument(
        "--subjects", type=int, help=helped("organisations in the measured batch", "subjects")
    )
    parser.add_argument(
        "--small", type=int, help=helped("organisations in the batch compared for memory", "small")
    )
    parser.add_argument("--dir", type=Path, help="keep the store here and reuse it (default: temporary)")


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    """This process's RSS high-water mark (VmHWM): its own address space's, where getrusage's
    ``ru_maxrss`` would carry over the peak of the parent that started it."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def _graphql(settings: Settings, codes: list[str]) -> dict[str, Any]:
    gateway = Gateway.from_settings(settings)
    caller = Caller(id=PARTNER_CODE, role=Role.PARTNER, org_code=PARTNER_CODE, agency_kind=AgencyKind.FINANCE)
    try:
        gateway.execute(
            {"query": QUERY, "variables": {"subjects": [{"creditCode": c} for c in codes[:10]]}}, caller
        )
        before = _rss_mib()
        started, cpu = time.perf_counter(), time.process_time()
        body = gateway.execute(
            {"query": QUERY, "variables": {"subjects": [{"creditCode": c} for c in codes]}}, caller
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        gateway.dispose()
    rows = body["data"]["creditChecks"] if body.get("data") else []
    assert len(rows) == len(codes) and not body.get("errors"), body.get("errors")
    black = sum(1 for r in rows if r["check"] and r["check"]["blackListed"])
    return _cell(codes, seconds, cpu, before, black=black, refused=sum(1 for r in rows if r["errorCode"]))


def _service(settings: Settings, codes: list[str]) -> dict[str, Any]:
    engine = db.make_engine(settings.database_url)
    cipher = stores.StoreHome("sqlite", settings.database_url, settings.keyring_path).cipher()
    rules = LifecycleRules.load(settings.policy_dir)
    now = utcnow()

    def once(batch: list[str]) -> tuple[int, int]:
        with Session(engine) as session:
            found = reads.organization_ids(session, cipher, batch)
            ids = [found[c] for c in batch if c in found]
            black = 0
            for _id, outcome in bulk_checks.check_organizations(
                session, ids, matter=CheckMatter.ADMINISTRATIVE_LICENSING, rules=rules, now=now
            ):
                black += bool(outcome.black)
            return black, len(batch) - len(ids)

    try:
        once(codes[:10])
        before = _rss_mib()
        started, cpu = time.perf_counter(), time.process_time()
        black, refused = once(codes)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        engine.dispose()
    return _cell(codes, seconds, cpu, before, black=black, refused=refused)


def _cell(
    codes: list[str], seconds: float, cpu: float, before: float, *, black: int, refused: int
) -> dict[str, Any]:
    return {
        "subjects": len(codes),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "orgs_per_s": round(len(codes) / seconds, 1),
        "orgs_per_cpu_s": round(len(codes) / max(cpu, 1e-6), 1),  # the machine is shared: CPU time too
        "black_listed": black,
        "refused": refused,
        "peak_rss_mib": round(_peak_mib(), 1),
        "growth_mib": round(max(0.0, _peak_mib() - before), 1),
    }


def _child(path: str, settings: Settings, codes: list[str], queue: Any) -> None:
    queue.put((_graphql if path == "graphql" else _service)(settings, codes))


def in_child(path: str, settings: Settings, codes: list[str]) -> dict[str, Any]:
    """One measurement in a fresh (spawned) process, so that its peak RSS is its own: a forked child
    would start with the pages of the parent, which seeded the store."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(path, settings, codes, queue))
    child.start()
    result: dict[str, Any] = queue.get(timeout=3600)
    child.join()
    return result


def sample_codes(url: str, count: int) -> tuple[list[str], int]:
    """``count`` organisation codes drawn at random (with repeats when the store has fewer), and how many
    organisations the store has. Clear codes only: individual businesses' are encrypted."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            codes = list(
                session.scalars(select(Organization.credit_code).where(Organization.credit_code.is_not(None)))
            )
    finally:
        engine.dispose()
    rng = random.Random(20261207)
    picked = rng.sample(codes, count) if len(codes) >= count else [rng.choice(codes) for _ in range(count)]
    return picked, len(codes)


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        home, kept = stores.seeded_store(
            directory, args.people, orgs=max(1, args.people // 10), log=lambda m: print(m, file=sys.stderr)
        )
        settings = Settings(
            database_url=home.url, keyring_path=home.keyring_path, policy_dir=ROOT / "policies"
        )
        codes, organisations = sample_codes(home.url, args.subjects)
        cells: dict[str, dict[str, Any]] = {}
        for path in ("graphql", "service"):
            for size in (args.small, args.subjects):
                cells[f"{path}-{size}"] = in_child(path, settings, codes[:size])
                print(f"{path} {size}: {cells[f'{path}-{size}']}", file=sys.stderr)
    large = cells[f"graphql-{args.subjects}"]
    document = {
        "database": "sqlite",
        "people": args.people,
        "organisations": organisations,
        "seed_seconds": kept.get("seed_seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cells": cells,
        "memory_growth_ratio": {
            path: round(cells[f"{path}-{args.subjects}"]["growth_mib"] / max(0.1, cells[f"{path}-{args.small}"]["growth_mib"]), 2)
            for path in ("graphql", "service")
        },
        "target": {"orgs_per_s": TARGET, "subjects": args.subjects, "measured": large["orgs_per_s"],
                   "met": large["orgs_per_s"] >= TARGET, "of_target": round(large["orgs_per_s"] / TARGET, 3)},
    }  # fmt: skip
    reports.write_report(document, args.out, "checks", echo=True)
    return 0
