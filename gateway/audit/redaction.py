"""Identity values out of what an audit event keeps of a request: the GraphQL document and variables.

An identity number, phone number, consent token or individual business's credit code never enters
the log; each is replaced by a blind-index pseudonym (``gateway.audit.pseudonyms``). Two passes:

1. By position: a value given for an argument or input field whose name says what it is
   (``idNumber``, ``subjectIdNumber``, ``phone``, ``consent``, ``…Token``, ``creditCode``) is
   pseudonymised whole, whatever it looks like: in variables (a variable takes the names of the
   places it is used at) and in literals written into the document.
2. Anywhere else (other strings, operation and alias names, the printed document, a caller's id):
   anything shaped like an identity number, a mainland phone number or a signed token (JWS) is
   replaced where it stands. An 18-character number is shaped like an identity number when it holds
   a real birth date and is not an organisation's credit code
   (``gateway.identifiers.may_be_id_number``): an all-digit credit code, such as a partner agency's
   own, stays as it is, so the agency's events are found under its id; 15-digit numbers (the first
   generation, no check character) are always replaced.

The document is hashed after both passes, so a hash never stands for a document that embeds an
identity number: a SHA-256 over a low-entropy value is a lookup table away from the value.
Uses graphql-core's AST only; no Strawberry, no database.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from gateway.audit.canonical import clean_text
from gateway.identifiers import may_be_id_number

# (kind, value) -> pseudonym; returns the value itself for values that are public (a company's code)
Pseudonymize = Callable[[str, str], str]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # JWS compact serialisation (caller and consent tokens): header and payload are base64url JSON.
    ("token", re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    # GB 11643 identity numbers (18 characters) and the 15-digit numbers of the first generation.
    ("id_number", re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")),
    # Mainland mobile numbers and landlines with area code, as gateway.personal_traits finds them.
    ("phone", re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")),
)


def sensitive_kind(name: str) -> str | None:
    """The identity kind an argument or input field name stands for, if any."""
    if name == "idNumber" or name.endswith("IdNumber"):
        return "id_number"
    if name == "phone" or name.endswith("Phone"):
        return "phone"
    if name in ("consent", "token") or name.endswith("Token"):
        return "token"
    if name == "creditCode" or name.endswith("CreditCode"):
        return "credit_code"
    return None


@dataclass(slots=True)
class Redactor:
    """Redacts with one pseudonymiser, collecting every pseudonym it wrote (``found``)."""

    pseudonymize: Pseudonymize
    found: set[str] = field(default_factory=set)

    def value(self, kind: str, raw: str) -> str:
        out = self.pseudonymize(kind, raw)
        if out != raw:
            self.found.add(out)
        return out

    def scrub(self, text: str) -> str:
        """Pass 2: replace whatever looks like an identity value, where it stands."""
        text = clean_text(text)
        for kind, pattern in _PATTERNS:
            if pattern.search(text):
                text = pattern.sub(functools.partial(self._replace, kind), text)
        return text

    def _replace(self, kind: str, match: re.Match[str]) -> str:
        raw = match.group(0)
        if kind == "id_number" and len(raw) == 18 and not may_be_id_number(raw):
            return raw
        return self.value(kind, raw)

    def variables(self, values: dict[str, Any], positions: dict[str, frozenset[str]]) -> dict[str, Any]:
        """Declared variables, redacted; ``positions`` names where each is used (undeclared ones,
        which execution ignores, are dropped)."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name not in positions:
                continue
            kinds = sorted(filter(None, (sensitive_kind(p) for p in positions[name])))
            out[self.scrub(name)] = self._walk(value, kinds[0] if kinds else None, 0)
        return out

    def _walk(self, value: Any, kind: str | None, depth: int) -> Any:
        if depth > MAX_VARIABLE_DEPTH and isinstance(value, dict | list):
            # Absurdly nested variables are refused by coercion anyway; the event keeps a marker.
            return TOO_DEEP
        if isinstance(value, dict):
            return {
                self.scrub(str(k)): self._walk(v, sensitive_kind(str(k)), depth + 1) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._walk(v, kind, depth + 1) for v in value]
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int) and kind is None:
            text = str(value)
            scrubbed = self.scrub(text)
            return value if scrubbed == text else scrubbed
        text = _text(value)
        return self.value(kind, text) if kind is not None else self.scrub(text)


def _text(value: Any) -> str:
    return clean_text(repr(value) if isinstance(value, float) else str(value))


# --- documents --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperationFacts:
    name: str | None
    type: str
    root_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What the log keeps of a parsed document: its hash after redaction, its operations, where each
    variable is used, and the pseudonyms of identity values written into it."""

    sha256: str
    operations: tuple[OperationFacts, ...]
    positions: dict[str, frozenset[str]]
    pseudonyms: frozenset[str]

    def operation(self, name: str | None) -> OperationFacts | None:
        """The operation a request runs: the one named, or the only one."""
        if name is None:
            return self.operations[0] if len(self.operations) == 1 else None
        return next((op for op in self.operations if op.name == name), None)


def document_facts(document: DocumentNode, pseudonymize: Pseudonymize) -> DocumentFacts:
    redactor = Redactor(pseudonymize)
    redacted = visit(document, _LiteralRedactor(redactor))
    printed = redactor.scrub(print_ast(redacted))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = tuple(
        OperationFacts(
            name=redactor.scrub(d.name.value) if d.name else None,
            type=d.operation.value,
            root_fields=tuple(
                redactor.scrub(f) for f in _root_fields(d.selection_set, fragments, frozenset())
            ),
        )
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    positions = _variable_positions(document)
    return DocumentFacts(
        sha256=hashlib.sha256(printed.encode("utf-8")).hexdigest(),
        operations=operations,
        positions=positions,
        pseudonyms=frozenset(redactor.found),
    )


def _position(parent: Any, ancestors: Any) -> str | None:
    """The name of the nearest argument or input-object field around a value node."""
    for node in reversed([*ancestors, parent]):
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            return str(node.name.value)
        if isinstance(node, FieldNode):
            return None
    return None


MAX_VARIABLE_DEPTH = 32
TOO_DEEP = "[nested too deep]"


class _LiteralRedactor(Visitor):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def _replace(self, node: Node, raw: str, parent: Any, ancestors: Any) -> StringValueNode | None:
        position = _position(parent, ancestors)
        kind = sensitive_kind(position) if position else None
        value = self.redactor.value(kind, raw) if kind else self.redactor.scrub(raw)
        return None if value == raw and isinstance(node, StringValueNode) else StringValueNode(value=value)

    def enter_string_value(
        self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> Any:
        return self._replace(node, node.value, parent, ancestors)

    def enter_int_value(self, node: IntValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any) -> Any:
        position = _position(parent, ancestors)
        if (position and sensitive_kind(position)) or self.redactor.scrub(node.value) != node.value:
            return self._replace(node, node.value, parent, ancestors)
        return None

    def enter_float_value(
        self, node: FloatValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> Any:
        position = _position(parent, ancestors)
        return (
            self._replace(node, node.value, parent, ancestors)
            if position and sensitive_kind(position)
            else None
        )


def _variable_positions(document: DocumentNode) -> dict[str, frozenset[str]]:
    """Variable name -> names of the arguments and input fields it is used at (over the whole
    document; a variable used nowhere maps to no names). Declared variables only."""
    declared: set[str] = set()
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            declared.update(v.variable.name.value for v in d.variable_definitions or ())
    used: dict[str, set[str]] = {name: set() for name in declared}

    class Uses(Visitor):
        def enter_variable(
            self, node: VariableNode, _key: Any, parent: Any, _path: Any, ancestors: Any
        ) -> None:
            position = _position(parent, ancestors)
            if node.name.value in used and position is not None:
                used[node.name.value].add(position)

    visit(document, Uses())
    return {name: frozenset(places) for name, places in used.items()}


def _root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> list[str]:
    names: list[str] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            names.extend(_root_fields(node.selection_set, fragments, seen))
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None and node.name.value not in seen:
                names.extend(_root_fields(fragment.selection_set, fragments, seen | {node.name.value}))
    return names
