"""docs/errors.md lists every error code the gateway defines, and nothing it does not."""

from __future__ import annotations

import re

from tests.gateway_fixtures import REPO

DOC = REPO / "docs" / "errors.md"
# Where a code is born: an error class, an extension dict, error_body(...), and the codes the API layer
# gives graphql-core's own errors (gateway/api/errors.py `_classify`).
PATTERNS = [
    re.compile(r'\bcode = "([A-Z][A-Z_]+)"'),
    re.compile(r'"code": "([A-Z][A-Z_]+)"'),
    re.compile(r'error_body\(\s*"([A-Z][A-Z_]+)"'),
    re.compile(r'_refuse\(\s*\w+,\s*"([A-Z][A-Z_]+)"'),
]
# graphql-core's own errors get their codes from the API layer's classifier.
CLASSIFIER = re.compile(r'^\s+return "([A-Z][A-Z_]+)"$', re.MULTILINE)


def defined_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "gateway").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            codes.update(pattern.findall(text))
    codes.update(CLASSIFIER.findall((REPO / "gateway" / "api" / "errors.py").read_text(encoding="utf-8")))
    return codes


def documented_codes() -> set[str]:
    codes: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            codes.update(re.findall(r"`([A-Z][A-Z_]+)`", first_cell))
    return codes


def test_the_scan_finds_the_codes_of_every_layer() -> None:
    codes = defined_codes()
    assert {"INVALID_INPUT", "TOKEN_EXPIRED", "FORBIDDEN_FIELD", "MALFORMED_REQUEST", "BAD_USER_INPUT",
            "RATE_LIMITED", "QUERY_TOO_DEEP", "IMPORT_BAD_ENCODING", "INTERNAL_ERROR"} <= codes  # fmt: skip
    assert len(codes) >= 45


def test_every_code_defined_in_the_gateway_is_documented() -> None:
    missing = defined_codes() - documented_codes()
    assert not missing, f"add these codes to docs/errors.md: {sorted(missing)}"


def test_every_documented_code_is_defined_in_the_gateway() -> None:
    stale = documented_codes() - defined_codes()
    assert not stale, f"docs/errors.md lists codes the gateway does not define: {sorted(stale)}"
