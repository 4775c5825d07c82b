"""docs/security.md names, for every threat and every checklist item, the test that covers it: each
``tests/<file>.py::<test>`` it names must exist, so that a renamed or removed test cannot leave the
threat model pointing at nothing."""

from __future__ import annotations

import ast
import re

from tests.gateway_fixtures import REPO

DOC = REPO / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _tests_in(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_the_security_page_names_exists() -> None:
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert len(references) > 50  # the threat model, the checklists and the fault table
    missing = [f"{path}::{name}" for path, name in references
               if not (REPO / path).is_file() or name not in _tests_in(path)]  # fmt: skip
    assert missing == []


def test_each_stride_boundary_and_checklist_has_its_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## Assets", "## Callers", "## Trust boundaries", "## STRIDE per boundary",
                    "## OWASP GraphQL cheat sheet", "## ASVS 4.0, level 2", "## Fuzzing", "## Load",
                    "## Faults"):  # fmt: skip
        assert heading in text, heading
