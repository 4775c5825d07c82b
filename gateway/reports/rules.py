"""``policies/reports.toml``: how long a report stays valid, by purpose (local defaults).

Pure: read once at start-up, validated whole; a bad file stops the gateway with a
``ConfigurationError`` naming it, rather than issuing reports with a period nobody chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from gateway.domain import ConsentPurpose
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.config import read_toml, table, whole, words

REPORTS_FILE = "reports.toml"
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class ReportRules:
    default_days: int
    days_by_purpose: dict[ConsentPurpose, int]
    source: str

    @classmethod
    def load(cls, policy_dir: Path) -> ReportRules:
        path = Path(policy_dir) / REPORTS_FILE
        document = read_toml(path)
        unknown = sorted(set(document) - {"source", "validity"})
        if unknown:
            raise ConfigurationError(f"{path}: unknown key {unknown[0]!r}")
        validity = table(document, "validity", str(path), ("default_days", "purposes"))
        default = whole(validity.get("default_days"), f"{path}: validity.default_days", low=1, high=MAX_DAYS)
        purposes = validity.get("purposes", {})
        if not isinstance(purposes, dict):
            raise ConfigurationError(f"{path}: [validity.purposes] must be a table")
        by_purpose: dict[ConsentPurpose, int] = {}
        for name, days in purposes.items():
            try:
                purpose = ConsentPurpose(name)
            except ValueError:
                raise ConfigurationError(f"{path}: [validity.purposes] names no purpose {name!r}") from None
            by_purpose[purpose] = whole(days, f"{path}: validity.purposes.{name}", low=1, high=MAX_DAYS)
        return cls(default, by_purpose, words(document.get("source"), f"{path}: source"))

    def validity(self, purpose: ConsentPurpose) -> timedelta:
        """How long a report for ``purpose`` is valid from its issue."""
        return timedelta(days=self.days_by_purpose.get(purpose, self.default_days))
