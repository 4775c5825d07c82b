"""docs/errors.md lists every error code the gateway defines, and nothing it does not.

The codes the gateway defines are those of its one error tree (``gateway.errors.error_classes`` once
every module is loaded); the statuses of the request codes are those the tree's classes carry. A scan
of the source for codes written out literally checks that none lives outside the tree.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import gateway
from gateway.errors import RequestRefused, error_classes
from tests.gateway_fixtures import REPO

DOC = REPO / "docs" / "errors.md"
# Where a code is written out literally: an error class, an extension dict, error_body(...).
PATTERNS = [
    re.compile(r'\bcode = "([A-Z][A-Z_]+)"'),
    re.compile(r'"code": "([A-Z][A-Z_]+)"'),
    re.compile(r'error_body\(\s*"([A-Z][A-Z_]+)"'),
]


def _load_every_module() -> None:
    """Subclasses join the tree when their module is imported (migrations are scripts, not modules)."""
    for module in pkgutil.walk_packages(gateway.__path__, "gateway."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


def defined_codes() -> set[str]:
    _load_every_module()
    return {cls.code for cls in error_classes()}


def written_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "gateway").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            codes.update(pattern.findall(text))
    return codes


def _doc_rows() -> list[list[str]]:
    return [
        line.split("|")[1:-1]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]


def documented_codes() -> set[str]:
    codes: set[str] = set()
    for cells in _doc_rows():
        codes.update(re.findall(r"`([A-Z][A-Z_]+)`", cells[0]))
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


def test_every_code_written_in_the_source_is_a_code_of_the_tree() -> None:
    outside = written_codes() - defined_codes()
    assert not outside, f"give these codes a class in gateway/errors.py: {sorted(outside)}"


def test_every_request_refusal_has_the_documented_status() -> None:
    _load_every_module()
    statuses = {
        code: int(cells[1])
        for cells in _doc_rows()
        if cells[1].strip().isdigit()
        for code in re.findall(r"`([A-Z][A-Z_]+)`", cells[0])
    }
    refusals = {cls.code: cls.http_status for cls in error_classes() if issubclass(cls, RequestRefused)}
    refusals.pop(RequestRefused.code)  # the root's code is the tree's root, GATEWAY_ERROR
    assert refusals == statuses
