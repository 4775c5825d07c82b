"""Every subcommand of ``python scripts/bench`` runs end to end in its ``--quick`` form, as CI runs
it, so that no benchmark rots (the audit benchmark's run is in test_bench_audit.py).

No timing is asserted: the machine decides those. What must hold is the shape of each report and
that what it measured happened: for the request path, every variant of every lookup measured with
answers and no errors, the ratios computed, the targets evaluated, the profile taken, and the chart
drawn as a PNG; for the others, every part done with a positive rate, a ratio or a target verdict.
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


def test_the_quick_bulk_benchmark_seeds_imports_twice_and_verifies_against_its_targets(
    tmp_path: Path,
) -> None:
    done = run_bench("bulk", tmp_path)
    report = read_report(tmp_path, "bulk")
    assert report["database"] == "sqlite"
    parts = report["parts"]
    assert set(parts) == {"seed", "import", "reimport", "verify"}
    for name, part in parts.items():
        assert part["rate"] > 0 and part["seconds"] > 0 and part["cpu_seconds"] > 0, name
        assert part["target"] > 0 and isinstance(part["met"], bool) and part["of_target"] > 0, name
    assert parts["seed"]["people"] == 1000 and parts["seed"]["records"] > 0
    assert parts["import"]["summary"] == {"created": 500, "updated": 0, "unchanged": 0, "rejected": 0}
    assert parts["reimport"]["summary"] == {"created": 0, "updated": 0, "unchanged": 500, "rejected": 0}
    assert parts["verify"]["events"] == 2000 and parts["verify"]["heads"] >= 2
    assert '"parts"' in done.stdout  # the JSON is the answer on stdout as well


def test_the_quick_flatness_benchmark_compares_the_p50s_of_two_store_sizes(tmp_path: Path) -> None:
    run_bench("flatness", tmp_path, "--dir", str(tmp_path / "stores"))
    report = read_report(tmp_path, "flatness")
    assert set(report["sizes"]) == {"500", "2000"}
    for size in report["sizes"].values():
        for lookup in ("person", "organization"):
            assert size[lookup]["lookups"] > 0 and 0 < size[lookup]["p50_ms"] <= size[lookup]["p95_ms"]
    assert set(report["p50_ratio"]) == {"person", "organization"}
    assert all(ratio > 0 for ratio in report["p50_ratio"].values())
    assert report["target_ratio"] == 1.2 and isinstance(report["met"], bool)
    assert (tmp_path / "stores" / "sqlite-2000" / "store.json").exists()  # kept for the next run


def test_the_quick_rotation_benchmark_re_encrypts_every_person(tmp_path: Path) -> None:
    done = run_bench("rotation", tmp_path)
    report = read_report(tmp_path, "rotation")
    assert report["persons"] == report["rotated"] == 2000
    assert report["rows_per_s"] > 0 and report["seconds"] > 0
    assert abs(report["values_per_s"] - 6 * report["rows_per_s"]) < 1  # six encrypted fields a person
    assert "rotated 2000 rows" in done.stdout


def test_the_quick_shared_state_benchmark_times_each_statement_a_worker_shares(tmp_path: Path) -> None:
    done = run_bench("shared", tmp_path)
    report = read_report(tmp_path, "shared")
    assert report["database"] == "sqlite" and report["calls"] == 200
    names = {"rate", "revocation_cached", "revocation_read", "use_counted", "use_reserved", "pair"}
    assert set(report["costs"]) == names
    assert all(0 < cost["p50_us"] <= cost["p95_us"] for cost in report["costs"].values())
    assert "use_reserved" in done.stdout


def test_the_quick_checks_benchmark_checks_both_batches_on_both_paths(tmp_path: Path) -> None:
    done = run_bench("checks", tmp_path, "--dir", str(tmp_path / "stores"))
    report = read_report(tmp_path, "checks")
    assert report["database"] == "sqlite" and report["people"] == 2000
    assert set(report["cells"]) == {"graphql-100", "graphql-1000", "service-100", "service-1000"}
    for name, cell in report["cells"].items():
        assert cell["subjects"] == int(name.split("-")[1]) and cell["refused"] == 0, name
        assert cell["orgs_per_s"] > 0 and cell["peak_rss_mib"] > 0 and cell["growth_mib"] >= 0, name
    # Both paths find the same black-listed organisations in the same batch.
    assert report["cells"]["graphql-1000"]["black_listed"] == report["cells"]["service-1000"]["black_listed"]
    assert report["target"]["orgs_per_s"] == 5000 and isinstance(report["target"]["met"], bool)
    assert '"memory_growth_ratio"' in done.stdout


def test_the_quick_trusted_documents_benchmark_runs_each_operation_as_text_and_by_id(tmp_path: Path) -> None:
    done = run_bench("trusted", tmp_path)
    report = read_report(tmp_path, "trusted")
    assert report["database"] == "sqlite" and report["calls"] == 100
    cells = report["cells"]
    assert {(c["layer"], c["operation"]) for c in cells} == {
        (layer, op) for layer in ("operation", "request") for op in ("organization", "name")
    }
    for cell in cells:  # every call answered without an error, or the tool would have stopped
        assert cell["text"]["calls"] == cell["id"]["calls"] == 100
        assert cell["text"]["per_s"] > 0 and cell["id"]["per_s"] > 0
    assert set(report["ratios"]) == {f"{c['layer']}/{c['operation']}" for c in cells}
    assert all(isinstance(t["met"], bool) for t in report["targets"]) and len(report["load_average"]) == 3
    assert "load average" in done.stdout
