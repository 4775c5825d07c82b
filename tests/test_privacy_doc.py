"""docs/privacy-model.md shows the table the current policy generates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "privacy-model.md"


def regenerated(tmp_path: Path, *args: str) -> str:
    """The document as scripts/docs/privacy_table.py --write would leave it (written to a copy)."""
    copy = tmp_path / "privacy-model.md"
    shutil.copyfile(DOCUMENT, copy)
    script = ROOT / "scripts" / "docs" / "privacy_table.py"
    subprocess.run([sys.executable, str(script), "--write", str(copy), *args], check=True)
    return copy.read_text(encoding="utf-8")


def test_privacy_model_document_shows_the_generated_table(tmp_path: Path) -> None:
    assert regenerated(tmp_path) == DOCUMENT.read_text(encoding="utf-8"), (
        "docs/privacy-model.md is out of date: run python scripts/docs/privacy_table.py --write docs/privacy-model.md"
    )


def test_a_policy_change_changes_the_generated_table(tmp_path: Path) -> None:
    policies = Path(shutil.copytree(ROOT / "policies", tmp_path / "policies"))
    fields = policies / "fields.csv"
    fields.write_text(fields.read_text(encoding="utf-8").replace("p, public, Person.name, mask\n", ""))
    document = regenerated(tmp_path, "--policy-dir", str(policies))
    assert "| `Person.name` | — | — | whole | — | masked | masked |" in document
    assert document != DOCUMENT.read_text(encoding="utf-8")
