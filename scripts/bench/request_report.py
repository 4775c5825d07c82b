"""What the request-path benchmark reports: the machine, ratios, targets, a Markdown table and a chart.

Ratios are taken within one run, cell by cell (same data, same transport, same concurrency, variants
run back to back): on a shared machine absolute numbers drift between runs, ratios much less.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from gateway.store import db

CellKey = tuple[str, int, str, str, int]  # database, people, transport, query, concurrency
TARGETS = {
    "full_over_bare": 0.7,  # consented person lookup: full path at least 0.7 x bare
    "audited_over_unaudited": 0.8,  # at 32 concurrent clients
    "lookups_per_s": 3_000.0,  # in-process full-path person lookups
    "p99_ms": 3.0,
    "p50_growth": 1.2,  # p50 at the largest population / p50 at the smallest
}


def machine(args: argparse.Namespace, pg_urls: list[str]) -> dict[str, Any]:
    """The machine and software a run measured, without paths or host names."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in (
        "strawberry-graphql",
        "graphql-core",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "httpx",
        "pycasbin",
    ):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    postgres = []
    for url in pg_urls:
        engine = create_engine(db.normalize_url(url))
        try:
            with engine.connect() as conn:
                postgres.append(str(conn.execute(text("SHOW server_version")).scalar()))
        finally:
            engine.dispose()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "packages": versions,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "arguments": {
            "quick": args.quick,
            "databases": ["sqlite" if u == "sqlite" else "postgresql" for u in args.database_url],
            "people": [f"{only}:{n}" if only else str(n) for only, n in args.people],
            "transports": args.transports,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "requests": args.requests,
        },
    }


def _by_cell(rows: list[dict[str, Any]]) -> dict[CellKey, dict[str, dict[str, Any]]]:
    cells: dict[CellKey, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        key = (row["database"], row["people"], row["transport"], row["query"], row["concurrency"])
        cells[key][row["variant"]] = row
    return cells


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for (database, people, transport, query, concurrency), v in _by_cell(rows).items():
        if not {"bare", "full", "noaudit"} <= v.keys():
            continue
        out.append({
            "database": database, "people": people, "transport": transport, "query": query,
            "concurrency": concurrency,
            "full_over_bare": _ratio(v["full"]["lookups_per_s"], v["bare"]["lookups_per_s"]),
            "audited_over_unaudited": _ratio(v["full"]["lookups_per_s"], v["noaudit"]["lookups_per_s"]),
            "p50_full_over_bare": _ratio(v["full"]["p50_ms"], v["bare"]["p50_ms"]),
        })  # fmt: skip
    return out


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of issue 6, per cell it applies to: the measured value, the goal, met or not."""
    found: list[dict[str, Any]] = []

    def add(name: str, where: str, value: float | None, goal: float, met: bool) -> None:
        found.append({"target": name, "where": where, "value": value, "goal": goal, "met": met})

    for r in ratios(rows):
        where = f"{r['database']} {r['people']} {r['transport']} {r['query']} c={r['concurrency']}"
        if r["query"] == "person" and r["full_over_bare"] is not None:
            add("full >= 0.7 x bare (person)", where, r["full_over_bare"], TARGETS["full_over_bare"],
                r["full_over_bare"] >= TARGETS["full_over_bare"])  # fmt: skip
        if r["concurrency"] == 32 and r["audited_over_unaudited"] is not None:
            add("audited >= 0.8 x unaudited (32 clients)", where, r["audited_over_unaudited"],
                TARGETS["audited_over_unaudited"], r["audited_over_unaudited"] >= TARGETS["audited_over_unaudited"])  # fmt: skip
    person = [
        r for r in rows if r["transport"] == "asgi" and r["variant"] == "full" and r["query"] == "person"
    ]
    for r in person:
        where = f"{r['database']} {r['people']} asgi person c={r['concurrency']}"
        add("in-process full person >= 3000/s", where, r["lookups_per_s"], TARGETS["lookups_per_s"],
            r["lookups_per_s"] >= TARGETS["lookups_per_s"])  # fmt: skip
        add(
            "in-process full person p99 <= 3 ms",
            where,
            r["p99_ms"],
            TARGETS["p99_ms"],
            r["p99_ms"] <= TARGETS["p99_ms"],
        )
    by_size: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for r in person:
        by_size[(r["database"], r["concurrency"])][r["people"]] = r["p50_ms"]
    for (database, concurrency), sizes in by_size.items():
        small, large = min(sizes), max(sizes)
        if large > small and sizes[small]:
            growth = round(sizes[large] / sizes[small], 3)
            add(f"p50 at {large} <= 1.2 x p50 at {small}", f"{database} asgi person c={concurrency}", growth,
                TARGETS["p50_growth"], growth <= TARGETS["p50_growth"])  # fmt: skip
    return found


def table(report: dict[str, Any]) -> str:
    """The run as a Markdown table: lookups/s and p50/p95/p99 (ms) per variant, and the two ratios."""
    lines = [
        "| database | people | transport | lookup | clients | bare /s | full /s | no audit /s | full/bare"
        " | audited/unaudited | bare p50/p95/p99 ms | full p50/p95/p99 ms | no audit p50/p95/p99 ms |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    ratio_of = {
        (r["database"], r["people"], r["transport"], r["query"], r["concurrency"]): r
        for r in report["ratios"]
    }
    for key, v in _by_cell(report["cells"]).items():
        if key not in ratio_of:
            continue
        r = ratio_of[key]

        def pct(row: dict[str, Any]) -> str:
            return f"{row['p50_ms']:.2f} / {row['p95_ms']:.2f} / {row['p99_ms']:.2f}"

        lines.append(
            f"| {key[0]} | {key[1]:,} | {key[2]} | {key[3]} | {key[4]} | {v['bare']['lookups_per_s']:,.0f}"
            f" | {v['full']['lookups_per_s']:,.0f} | {v['noaudit']['lookups_per_s']:,.0f}"
            f" | {r['full_over_bare']:.2f} | {r['audited_over_unaudited']:.2f}"
            f" | {pct(v['bare'])} | {pct(v['full'])} | {pct(v['noaudit'])} |"
        )
    return "\n".join(lines)


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    """Per store (database, people) two rows of panels, one per lookup: lookups/s per variant, and
    latency (bar: p50; markers: p95 and p99, log scale), grouped by transport and concurrency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stores = sorted({(r["database"], r["people"]) for r in rows})
    queries = list(dict.fromkeys(r["query"] for r in rows))
    variants = ("bare", "full", "noaudit")
    colours = {"bare": "#9e9e9e", "full": "#1f77b4", "noaudit": "#ff7f0e"}
    figure, axes = plt.subplots(
        2 * len(stores), len(queries), figsize=(5.5 * len(queries), 3.6 * 2 * len(stores)), squeeze=False
    )
    cells = _by_cell(rows)
    for s, (database, people) in enumerate(stores):
        for q, query in enumerate(queries):
            groups = sorted(
                {(k[2], k[4]) for k in cells if k[0] == database and k[1] == people and k[3] == query},
                key=lambda g: (["asgi", "uvicorn1", "uvicorn2"].index(g[0]), g[1]),
            )
            labels = [f"{t}\nc={c}" for t, c in groups]
            top, bottom = axes[2 * s][q], axes[2 * s + 1][q]
            width = 0.27
            for i, variant in enumerate(variants):
                xs = [g + (i - 1) * width for g in range(len(groups))]
                got = [cells[(database, people, t, query, c)].get(variant) for t, c in groups]
                top.bar(
                    xs,
                    [r["lookups_per_s"] if r else 0 for r in got],
                    width,
                    label=variant,
                    color=colours[variant],
                )
                bottom.bar(xs, [r["p50_ms"] if r else 0 for r in got], width, color=colours[variant])
                bottom.scatter(xs, [r["p95_ms"] if r else 0 for r in got], marker="^", s=14, color="black")
                bottom.scatter(xs, [r["p99_ms"] if r else 0 for r in got], marker="x", s=14, color="red")
            for ax in (top, bottom):
                ax.set_xticks(range(len(groups)), labels, fontsize=7)
                ax.tick_params(axis="y", labelsize=7)
            top.set_title(f"{query} — {database}, {people:,} people", fontsize=9)
            top.set_ylabel("lookups/s", fontsize=8)
            bottom.set_ylabel("latency ms (bar p50, ▲ p95, × p99)", fontsize=7)
            bottom.set_yscale("log")
            if q == 0 and s == 0:
                top.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
