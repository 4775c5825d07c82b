"""docs/partner-guide.md stays true: its example data imports cleanly and every code it cites is
documented in docs/errors.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gateway.access.tokens import Role, TokenIssuer
from gateway.domain import AgencyKind, Category, ConsentPurpose, ConsentScope, StatutoryPurpose
from gateway.keys.keyring import load_keyring
from gateway.lifecycle.rules.checks import CheckRules
from gateway.settings import Settings
from tests.cli import SCRIPT, run_cli
from tests.clock import Clock, app_with_clock
from tests.gateway_fixtures import REPO
from tests.server import running
from tests.test_errors_doc import documented_codes

GUIDE = REPO / "docs" / "partner-guide.md"
FINANCE_PARTNER = "913717020000882005"
COURT_PARTNER = "11371700004200500P"
PERSON_ID_NUMBER = "371702197805060316"


def test_the_guides_example_data_imports_without_rejections(database_url: str, keyring_path: Path) -> None:
    assert run_cli("db", "upgrade", keyring=keyring_path, database_url=database_url).returncode == 0
    data = REPO / "docs" / "examples" / "partner-guide.jsonl"
    result = run_cli("import", str(data), keyring=keyring_path, database_url=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 rows" in result.stdout + result.stderr


def test_every_code_the_guide_cites_is_documented() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    quoted = set(re.findall(r"`([A-Z]+(?:_[A-Z]+)+)`", text)) | set(re.findall(r'"code":"([A-Z_]+)"', text))
    enum_values = {
        m.value for e in (AgencyKind, Category, ConsentPurpose, ConsentScope, StatutoryPurpose) for m in e
    }
    rules = CheckRules.load(REPO / "policies")
    measures = {
        m.code for table in (rules.restrictions, rules.facilitation) for ms in table.values() for m in ms
    }
    codes = {c for c in quoted if not c.startswith("GATEWAY_")} - enum_values - measures
    assert {"PERSON_UNAVAILABLE", "CONSENT_EXHAUSTED", "FORBIDDEN_FIELD", "TOKEN_SIGNATURE_INVALID"} <= codes
    assert codes <= documented_codes(), sorted(codes - documented_codes())


def _organization_examples() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(token variable or "", request body, printed answer) of each `organization(...)` example."""
    text = GUIDE.read_text(encoding="utf-8")
    examples = []
    for command, answer in re.findall(r"```sh\n([^`]*)```\n```json\n([^`]*?)\n```", text):
        if "organization(creditCode" not in command:
            continue
        token = re.search(r"Bearer \$(\w+)", command)
        body = re.search(r"-d '(.*)'", command)
        assert body is not None, command
        examples.append((token.group(1) if token else "", json.loads(body.group(1)), json.loads(answer)))
    return examples


def _example_after(heading: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request body and the printed answer of the first example under ``heading``."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    found = re.search(r"```sh\n([^`]*)```\n```json\n([^`]*?)\n```", section)
    assert found is not None
    body = re.search(r"-d '(.*)'", found.group(1))
    assert body is not None
    return json.loads(body.group(1)), json.loads(found.group(2))


def test_the_guides_organization_examples_answer_what_the_guide_prints(
    tmp_path: Path, database_url: str
) -> None:
    keyring_path = tmp_path / "keyring.json"
    assert run_cli("keys", "init", keyring=keyring_path).returncode == 0
    assert run_cli("db", "upgrade", keyring=keyring_path, database_url=database_url).returncode == 0
    data = REPO / "docs" / "examples" / "partner-guide.jsonl"
    assert run_cli("import", str(data), keyring=keyring_path, database_url=database_url).returncode == 0
    settings = Settings(database_url=database_url, keyring_path=keyring_path, policy_dir=REPO / "policies")
    issuer = TokenIssuer(load_keyring(keyring_path), issuer=settings.issuer_id)
    tokens = {
        "": None,
        "PARTNER": issuer.issue(role=Role.PARTNER, org_code=FINANCE_PARTNER, agency_kind=AgencyKind.FINANCE),
        "COURT": issuer.issue(role=Role.PARTNER, org_code=COURT_PARTNER, agency_kind=AgencyKind.COURT),
    }
    examples = _organization_examples()
    assert [t for t, _, _ in examples] == ["", "PARTNER", "COURT"]
    # The day the guide was last run; its answers hold from 2026-06-06 (the minor penalty's period
    # ended) to 2029-02-26 (the serious penalty's ends).
    clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    with running(app_with_clock(settings, clock)) as base, httpx.Client(base_url=base, timeout=10) as http:
        for name, body, printed in examples:
            token = tokens[name]
            headers = {"Authorization": f"Bearer {token.value}"} if token else {}
            answer = http.post("/graphql", json=body, headers=headers).json()
            assert answer == printed, name
        # "Who looked at me": the guide's query runs as printed, for the person's own token.
        command, printed = _example_after("## Who looked at me")
        me = run_cli("token", "issue", "--role", "individual", "--id-number", PERSON_ID_NUMBER,
                     keyring=keyring_path, database_url=database_url).stdout.strip()  # fmt: skip
        answer = http.post("/graphql", json=command, headers={"Authorization": f"Bearer {me}"}).json()
        assert "errors" not in answer, answer
        history = answer["data"]["me"]["queryHistory"]
        assert history.keys() == printed["data"]["me"]["queryHistory"].keys()
        # The three organisation lookups above showed him as the company's legal representative.
        assert history["summary"]["lastMonth"] == 3
        assert [e["role"] for e in history["entries"]] == ["partner", "partner", "public"]
        # A court's lookup without consent, under the legal basis the guide prints, answers as printed.
        body, printed = _example_after("## Looking a person up without consent")
        court = {"Authorization": f"Bearer {tokens['COURT'].value}"}  # type: ignore[union-attr]
        assert http.post("/graphql", json=body, headers=court).json() == printed
        bank = {"Authorization": f"Bearer {tokens['PARTNER'].value}"}  # type: ignore[union-attr]
        refused = http.post("/graphql", json=body, headers=bank).json()
        assert refused["errors"][0]["extensions"]["code"] == "PERSON_UNAVAILABLE"
    # The FINANCE partner's promise: every record within its display period, the minor one is past it.
    partner_records = examples[1][2]["data"]["organization"]["records"]
    assert [r["documentNumber"] for r in partner_records] == ["菏市监罚〔2026〕31号", "菏市监许〔2026〕33号"]


def _try_it_locally_commands() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Try it locally") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = [
        line
        for line in block.group(1).splitlines()
        if not line.startswith(("python3 -m venv", "credit-gateway serve"))
    ]
    return "\n".join(lines).replace("docs/examples/", f"{REPO}/docs/examples/")


def test_try_it_locally_runs_in_a_checkout_where_the_quick_start_already_ran(tmp_path: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Try it locally") :]
    port = re.search(r"credit-gateway serve --port (\d+) &", section)
    assert port is not None and port.group(1) != "8000"  # the quick start's port
    assert f"GATEWAY=http://127.0.0.1:{port.group(1)}/graphql" in section
    # The quick start's keyring and database exist; the guide's commands must not need them.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    environ["PATH"] = f"{SCRIPT.parent}{os.pathsep}{environ.get('PATH', '')}"
    assert run_cli("keys", "init", keyring=tmp_path / "var" / "keyring.json").returncode == 0
    script = _try_it_locally_commands() + '\necho "$PARTNER" "$COURT" "$ME"\n'
    for _ in range(2):  # and again, in the same checkout
        done = subprocess.run(
            ["bash", "-e", "-c", script], cwd=tmp_path, env=environ, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(done.stdout.splitlines()[-1].split()) == 3, done.stdout
    assert (tmp_path / "var" / "guide" / "keyring.json").exists()
    assert (tmp_path / "var" / "guide" / "credit.db").exists()
