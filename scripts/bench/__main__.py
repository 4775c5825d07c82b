"""The gateway's benchmarks, one tool: ``python scripts/bench <subcommand> [--quick] [--out DIR] …``.

    request   the request path: bare framework, full gateway and gateway without audit, side by side
              (in process and over uvicorn), with its chart; ``--profile`` adds a cProfile of the
              full path, ``--seed-only`` builds the kept stores (docs/performance.md)
    audit     lookups/s with and without the audit log, and events per group commit (docs/audit.md)
    bulk      seeding, import (first and again) and audit verification against their targets
              (docs/performance-bulk.md)
    checks    bulk credit checks (creditChecks) in process: organisations/s, peak memory at two batch
              sizes (docs/performance.md, "Bulk credit checks")
    flatness  reads-layer lookup latency at two store sizes (docs/performance-bulk.md, "Indexes")
    rotation  ``keys rotate`` throughput (docs/keys.md)
    shared    per-request cost of the shared rate bucket, revocation list and consent-use pairing
              (docs/performance.md, "Shared state")
    trusted   the same operation sent as text and as a trusted document's id, side by side
              (docs/performance.md, "Trusted documents")

Every subcommand writes its report as ``<out>/<name>.json`` (``--out``, default ``bench-results/``)
and has a ``--quick`` form, a run of a few seconds on tiny data that the test suite makes so that no
benchmark rots. Each builds its stores with ``stores.py`` and writes its report with ``reports.py``.
Run as a directory, this folder is the import path of its modules: no package, no path set-up.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each subcommand's module is imported only when it runs: one that cannot be imported never stops
# the others.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "request": ("request_path", "bare, full and unaudited request paths side by side (docs/performance.md)"),
    "audit": ("audit_path", "lookups/s with and without the audit log (docs/audit.md)"),
    "bulk": ("bulk", "seeding, import and audit verification rates (docs/performance-bulk.md)"),
    "checks": (
        "checks",
        "bulk credit checks: organisations/s and memory at two batch sizes (docs/performance.md)",
    ),
    "flatness": ("flatness", "lookup latency at two store sizes (docs/performance-bulk.md)"),
    "rotation": ("rotation", "keys rotate throughput (docs/keys.md)"),
    "shared": ("shared_state", "per-request cost of the state the workers share (docs/performance.md)"),
    "trusted": ("trusted", "the same operation as text and as a trusted document id (docs/performance.md)"),
}


def parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The tool's parser; the options of ``chosen`` (the subcommand named) are read from its module."""
    top = argparse.ArgumentParser(
        prog="python scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
    for name, (module_name, summary) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name) if name == chosen else None
        sub = commands.add_parser(
            name,
            help=summary,
            description=module.__doc__ if module is not None else summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--quick", action="store_true", help="a run of seconds on tiny data (the tests)")
        sub.add_argument(
            "--out", type=Path, default=ROOT / "bench-results", help="directory of the report (JSON, chart)"
        )
        if module is not None:
            module.add_arguments(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in given if a in SUBCOMMANDS), None)
    args = parser(chosen).parse_args(given)
    module = importlib.import_module(SUBCOMMANDS[args.subcommand][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
