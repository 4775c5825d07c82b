"""``python scripts/bench request --quick`` runs end to end, as CI runs it, so that the request-path
benchmark never rots.

No timing is asserted: the machine decides those. What must hold is the shape of the report: every
variant of every lookup measured with answers and no errors, the ratios computed, the targets
evaluated, the profile taken, and the chart drawn as a PNG.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from gateway.store import db
from tests.bench_tool import report as read_report
from tests.bench_tool import run_bench
from tests.conftest import PG_ENV

QUERIES = {"person", "organization", "public"}
VARIANTS = {"bare", "full", "noaudit"}


def test_the_quick_benchmark_measures_every_variant_and_writes_json_and_a_png(tmp_path: Path) -> None:
    options = ["--profile"]
    base = os.environ.get(PG_ENV)
    prefix = f"t_{uuid.uuid4().hex[:12]}"
    if base:
        options += ["--database-url", base, "--pg-schema", prefix]
    try:
        run_bench("request", tmp_path, *options, timeout=600)
    finally:
        if base:
            admin = create_engine(db.normalize_url(base), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_2000" CASCADE'))
            admin.dispose()
    report = read_report(tmp_path, "bench")

    cells = report["cells"]
    database = "postgresql" if base else "sqlite"
    assert {(c["transport"], c["query"], c["variant"], c["concurrency"]) for c in cells} == {
        (t, q, v, n) for t in ("asgi", "uvicorn1") for q in QUERIES for v in VARIANTS for n in (1, 4)
    }
    for cell in cells:
        assert cell["database"] == database and cell["people"] == 2000
        assert cell["requests"] > 0 and cell["errors"] == 0, cell
        assert cell["lookups_per_s"] > 0 and 0 < cell["p50_ms"] <= cell["p95_ms"] <= cell["p99_ms"]

    assert len(report["ratios"]) == len(cells) // 3
    for ratio in report["ratios"]:
        assert ratio["full_over_bare"] > 0 and ratio["audited_over_unaudited"] > 0
    names = {t["target"] for t in report["targets"]}
    assert {"full >= 0.7 x bare (person)", "in-process full person >= 3000/s"} <= names
    assert all(isinstance(t["met"], bool) for t in report["targets"])

    profile = report["profile"]
    assert profile["requests"] > 0 and profile["errors"] == 0
    landmarks = {m["landmark"]: m["us_per_request"] for m in profile["landmarks"]}
    assert landmarks["GraphQL execution (Schema.execute_sync)"] > 0
    assert landmarks["audit append, writer thread (per request)"] > 0
    assert (tmp_path / "profile.txt").stat().st_size > 0

    png = (tmp_path / "bench.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
