"""Which callers may send query text and which must name a trusted document.

``GATEWAY_TRUSTED_DOCUMENTS`` sets the mode: ``off`` (every request sends text; an id is unknown),
``allow`` (the default: text or a registered document's id, from any role), ``require`` (the roles
``policies/trusted-documents.toml`` lists may run only registered documents). The file also says how
long a worker keeps a document it read from the store. Pure: no database, no web framework;
``gateway.api.trusted_documents`` applies it on every operation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from gateway.access.tokens import Role
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.config import number, read_toml

TRUSTED_DOCUMENTS_FILE = "trusted-documents.toml"


class DocumentMode(enum.StrEnum):
    OFF = "off"
    ALLOW = "allow"
    REQUIRE = "require"

    @classmethod
    def parse(cls, value: str) -> DocumentMode:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError("GATEWAY_TRUSTED_DOCUMENTS must be off, allow or require") from None


@dataclass(frozen=True, slots=True)
class DocumentPolicy:
    mode: DocumentMode
    required_for: frozenset[Role]  # roles refused text under ``require``
    cache_seconds: float

    @property
    def accepts_ids(self) -> bool:
        return self.mode is not DocumentMode.OFF

    def requires_document(self, role: Role) -> bool:
        """Whether a caller of ``role`` must name a registered document instead of sending text."""
        return self.mode is DocumentMode.REQUIRE and role in self.required_for

    @classmethod
    def load(cls, policy_dir: Path, mode: DocumentMode) -> DocumentPolicy:
        path = Path(policy_dir) / TRUSTED_DOCUMENTS_FILE
        document = read_toml(path)
        unknown = sorted(set(document) - {"require", "cache_seconds"})
        if unknown:
            raise ConfigurationError(f"{path}: unknown key {unknown[0]!r}")
        names = document.get("require", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigurationError(f"{path}: require must be a list of role names")
        try:
            roles = frozenset(Role[n.upper()] for n in names)
        except KeyError as exc:
            raise ConfigurationError(f"{path}: require names an unknown role {exc.args[0]!r}") from None
        seconds = number(document.get("cache_seconds", 60), f"{path}: cache_seconds")
        if not 0 <= seconds <= 3600:
            raise ConfigurationError(f"{path}: cache_seconds must be from 0 to 3600")
        return cls(mode=mode, required_for=roles, cache_seconds=seconds)
