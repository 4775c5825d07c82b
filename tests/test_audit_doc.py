"""The worked example of docs/audit.md is true: its event bytes, hashes and steps verify."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.audit.canonical import parse
from gateway.audit.merkle import leaf_hash, node_hash, root_from_inclusion_proof

DOC = (Path(__file__).resolve().parent.parent / "docs" / "audit.md").read_text(encoding="utf-8")


def _value(name: str) -> bytes:
    match = re.search(rf"^{re.escape(name)}\s*=.*?([0-9a-f]{{64}})$", DOC, re.MULTILINE)
    assert match, name
    return bytes.fromhex(match.group(1))


def test_the_worked_inclusion_example_verifies() -> None:
    event = next(line for line in DOC.splitlines() if line.startswith('{"agency_kind"'))
    body = event.encode("utf-8")
    assert parse(body)["seq"] == 2  # the bytes are canonical
    leaf = leaf_hash(body)
    assert leaf == _value("leaf hash")
    path = [_value(f"path[{i}]") for i in range(3)]
    root = _value("root of the head of size 5")
    assert root_from_inclusion_proof(2, 5, leaf, path) == root
    steps = re.findall(r"→ r = H\(01 \|\| (r \|\| p|p \|\| r)\) = ([0-9a-f]{64})", DOC)
    r = leaf
    for (order, expected), p in zip(steps, path, strict=True):
        r = node_hash(r, p) if order.startswith("r") else node_hash(p, r)
        assert r.hex() == expected
    assert r == root
