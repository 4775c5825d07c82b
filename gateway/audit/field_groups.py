"""The groups of a person's record an event read, as the person sees them in their query history.

A group is named by the consent scope that opens its fields (``IDENTITY``, ``CONTACT``, ``RECORDS``,
``LISTS``) or, for a field no consent opens, by the catalogue's ``audit_group`` (``SENSITIVE``,
``HISTORY``). Nothing here restates which field belongs where: the scopes come from the consent rules
of ``policies/fields.csv`` and the rest from the field catalogue (``gateway.store.fields``). A record
or list entry belongs to the group of the person's field that returns it (``Person.records`` ->
``RECORDS``), so every ``CreditRecord`` field is ``RECORDS``.

The consent rules are read by the field policy (``gateway.access.policy.FieldPolicy.consent_fields``)
and passed in by the GraphQL layer, rather than read here: the audit modules sit beside the policy,
not above it, and importing ``gateway.access`` from the log's readers would tie the audit's pure
modules to Casbin and the policy's loading. Groups are computed when an event is shown, from its
document, never stored: the event format does not change with the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from gateway.store.fields import CATALOGUE

# (``Type.field``, consent scope), as ``FieldPolicy.consent_fields`` gives them.
ConsentFields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class FieldGroups:
    """Group by field (``Person.phone`` -> ``CONTACT``), and by type for the types a grouped field
    returns (``CreditRecord`` -> ``RECORDS``)."""

    fields: Mapping[str, str]
    types: Mapping[str, str]

    def group(self, field: str) -> str | None:
        if field in self.fields:
            return self.fields[field]
        return self.types.get(field.partition(".")[0])

    def of(self, document: Mapping[str, Any]) -> list[str]:
        """Groups of a person's record the event's fields read whole or masked."""
        fields = document.get("fields") or {}
        names = [*(fields.get("whole") or {}), *(fields.get("masked") or {})]
        return sorted({g for g in (self.group(f) for f in names) if g is not None})


@cache
def groups_under(consent_fields: ConsentFields) -> FieldGroups:
    """The groups under this policy's consent rules. A field opened by two scopes is in the first one's
    group (in the policy file's order); a type returned by fields of two groups, in the first one's
    (in catalogue order). Cached: the rules change only when the policy is reloaded."""
    scope_of: dict[str, str] = {}
    for field, scope in consent_fields:
        scope_of.setdefault(field, scope)
    fields: dict[str, str] = {}
    types: dict[str, str] = {}
    for f in CATALOGUE:
        group = f.audit_group or scope_of.get(f.schema_field)
        if group is None:
            continue
        fields[f.schema_field] = group
        if f.returns is not None:
            types.setdefault(f.returns, group)
    return FieldGroups(MappingProxyType(fields), MappingProxyType(types))
