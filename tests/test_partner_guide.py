"""docs/partner-guide.md stays true: its example data imports cleanly and every code it cites is
documented in docs/errors.md."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.domain import AgencyKind, Category, ConsentPurpose, ConsentScope
from tests.cli import run_cli
from tests.gateway_fixtures import REPO
from tests.test_errors_doc import documented_codes

GUIDE = REPO / "docs" / "partner-guide.md"


def test_the_guides_example_data_imports_without_rejections(database_url: str, keyring_path: Path) -> None:
    assert run_cli("db", "upgrade", keyring=keyring_path, database_url=database_url).returncode == 0
    data = REPO / "docs" / "examples" / "partner-guide.jsonl"
    result = run_cli("import", str(data), keyring=keyring_path, database_url=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 rows" in result.stdout + result.stderr


def test_every_code_the_guide_cites_is_documented() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    quoted = set(re.findall(r"`([A-Z]+(?:_[A-Z]+)+)`", text)) | set(re.findall(r'"code":"([A-Z_]+)"', text))
    enum_values = {m.value for e in (AgencyKind, Category, ConsentPurpose, ConsentScope) for m in e}
    codes = {c for c in quoted if not c.startswith("GATEWAY_")} - enum_values
    assert {"PERSON_UNAVAILABLE", "CONSENT_EXHAUSTED", "FORBIDDEN_FIELD", "TOKEN_SIGNATURE_INVALID"} <= codes
    assert codes <= documented_codes(), sorted(codes - documented_codes())
