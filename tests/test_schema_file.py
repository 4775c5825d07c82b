from __future__ import annotations

from pathlib import Path

from gateway.api.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "credit-gateway.graphql"


def test_committed_sdl_is_the_served_schema() -> None:
    # Regenerate with: credit-gateway schema > schema/credit-gateway.graphql
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl()
