"""The public GraphQL-over-HTTP conformance audit (``auditServer`` of the graphql-http package, run
by Node from ``scripts/graphql-http-audit``) against the gateway under uvicorn: no MUST failure and
no SHOULD warning in dev mode, as ``serve --demo`` runs it; in production mode exactly the two audits
that read ``__type``, refused there because introspection is off (docs/graphql-over-http.md).

Node and the package are installed by ``.ci/run`` (``npm ci`` from the lock file), which sets
``GATEWAY_TEST_REQUIRE_NODE=1``: there a missing Node fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.api.app import create_app
from tests.gateway_fixtures import REPO, GatewayEnv, build_env
from tests.server import running

AUDIT = REPO / "scripts" / "graphql-http-audit"
# The two audits that select `__type(name: $name)` with a map of variables.
INTROSPECTING = {"28B9": "error", "2EA1": "warn"}


@pytest.fixture
def node() -> str:
    required = os.environ.get("GATEWAY_TEST_REQUIRE_NODE") == "1"  # set by .ci/run
    found = shutil.which("node")
    installed = (AUDIT / "node_modules" / "graphql-http" / "package.json").exists()
    if found is None or not installed:
        problem = "no node" if found is None else "graphql-http is not installed"
        if required:
            pytest.fail(f"{problem} (GATEWAY_TEST_REQUIRE_NODE=1)")
        pytest.skip(f"{problem}: apt-get install nodejs npm, then npm ci in scripts/graphql-http-audit")
    return found


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


def run_audit(node: str, env: GatewayEnv, *, dev_mode: bool) -> dict[str, Any]:
    with running(create_app(env.settings.with_overrides(dev_mode=dev_mode))) as base:
        done = subprocess.run(
            [node, str(AUDIT / "audit.mjs"), f"{base}/graphql"],
            cwd=AUDIT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode in (0, 1), done.stderr + done.stdout
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["output"] = done.stdout
    return summary


def test_the_conformance_audit_finds_no_must_failure_nor_should_warning(node: str, env: GatewayEnv) -> None:
    summary = run_audit(node, env, dev_mode=True)
    assert (summary["error"], summary["warn"]) == (0, 0), summary["output"]
    assert summary["audits"] >= 60 and summary["ok"] >= 40, summary["output"]


def test_in_production_mode_only_the_introspecting_audits_fail(node: str, env: GatewayEnv) -> None:
    summary = run_audit(node, env, dev_mode=False)
    failed = {f["id"]: f["status"] for f in summary["failed"] if f["status"] in ("error", "warn")}
    assert failed == INTROSPECTING, summary["output"]
