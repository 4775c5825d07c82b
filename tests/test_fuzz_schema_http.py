"""Schema-driven fuzzing over real HTTP: hypothesis-graphql builds queries and mutations from the
committed SDL (``schema/credit-gateway.graphql``) and each role sends them to the gateway under
uvicorn. Seeded (``derandomize``) and bounded (``EXAMPLES`` per role), so every run sends the same
documents. Whatever is asked: no 5xx, no ``INTERNAL_ERROR``, and no fixture's identity number in
plain text for a caller that may not see it whole: never in ``data``, and in an error message only
where the caller's own document holds it (a literal quoted back by validation), never from the
store (docs/security.md, "Fuzzing").

Two in three ``String`` and ``ID`` literals of the generated documents are swapped for values the
fixtures know (identity numbers, credit codes, subject and record ids, a consent token), so that
lookups find someone and resolvers run past "not found" into the field guard.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.permission import PermissionExtension

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.api.schema import build_schema
from gateway.domain import AgencyKind
from gateway.store import db
from gateway.store.models import CreditRecord
from tests.api_client import grant, individual, partner
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, REPO, ZHANG, GatewayEnv, build_env
from tests.server import running

EXAMPLES = 150  # per role; docs/security.md records the figures
SDL = (REPO / "schema" / "credit-gateway.graphql").read_text(encoding="utf-8")
SCHEMA = graphql.build_schema(SDL)
IDENTITY_NUMBERS = {"zhang": ZHANG.id_number, "li": LI.id_number}
CODE = re.compile(r"[A-Z][A-Z_]+")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


def _int(values: st.SearchStrategy[int]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda n: graphql.IntValueNode(value=str(n)))


# Values of the custom scalars: mostly well-formed (a malformed literal fails the whole document's
# validation, and the resolvers behind it are what the fuzzing is for), sometimes not.
CUSTOM_SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Long": st.one_of(
        _int(st.integers(min_value=0, max_value=50)),
        _int(st.integers(min_value=-(2**70), max_value=2**70)),
        st.sampled_from(["1.5", "1e3", "-0.0"]).map(lambda v: graphql.FloatValueNode(value=v)),
        _string(st.sampled_from(["7", "", "FOO"])),
    ),
    "Date": st.one_of(
        _string(st.dates().map(lambda d: d.isoformat())),
        _string(st.dates().map(lambda d: d.isoformat())),
        _string(st.sampled_from(["2026-02-30", "today", ""])),
    ),
    "DateTime": st.one_of(
        _string(st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat())),
        _string(st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat())),
        _string(st.sampled_from(["2026-03-12T09:00:00", "2026-13-01T00:00:00Z", "x"])),
    ),
    "Decimal": st.one_of(
        _string(st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)),
        _int(st.integers()),
        _string(st.sampled_from(["1e400", "NaN", "Infinity", "abc"])),
    ),
}


def root_fields(role: Role) -> list[str]:
    """The root fields (queries and mutations) ``role`` may run, read off the roles declared on
    each field (``gateway.api.roles``); a field with none is for everyone."""
    schema = build_schema()._schema
    allowed: list[str] = []
    for root in (schema.query_type, schema.mutation_type):
        for name, field in (root.fields if root else {}).items():
            definition = field.extensions.get("strawberry-definition")
            roles = {
                granted
                for extension in (definition.extensions if definition else [])
                if isinstance(extension, PermissionExtension)
                for permission in extension.permissions
                for granted in getattr(permission, "roles", ())
            }
            if not roles or role in roles:
                allowed.append(name)
    return allowed


def _text_literals(document: graphql.DocumentNode) -> list[graphql.StringValueNode]:
    """The string literals of ``document`` given as a ``String`` or an ``ID``: identity numbers, codes
    and ids go there (a ``Date`` or ``Long`` literal keeps its own generated value)."""
    found: list[graphql.StringValueNode] = []
    info = graphql.TypeInfo(SCHEMA)

    class Collect(graphql.Visitor):
        def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> None:
            named = graphql.get_named_type(info.get_input_type())
            if named is not None and named.name in ("String", "ID"):
                found.append(node)

    graphql.visit(document, graphql.TypeInfoVisitor(info, Collect()))
    return found


class _Swap(graphql.Visitor):
    """Replaces the string literals in ``swaps`` (by identity) by their new values."""

    def __init__(self, swaps: dict[int, str]) -> None:
        super().__init__()
        self.swaps = swaps

    def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> graphql.StringValueNode | None:
        value = self.swaps.get(id(node))
        return graphql.StringValueNode(value=value) if value is not None else None


def _as_node(document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


@functools.cache
def schema_documents(role: Role) -> st.SearchStrategy[graphql.DocumentNode]:
    """Documents of the role's own root fields three times in four, of any root field otherwise (the
    refusal path). Built once per role: building parses nothing again but prepares every type."""
    own = from_schema(SCHEMA, fields=root_fields(role), custom_scalars=CUSTOM_SCALARS, print_ast=_as_node)
    every = from_schema(SCHEMA, custom_scalars=CUSTOM_SCALARS, print_ast=_as_node)
    return st.one_of(own, own, own, every)


@st.composite
def documents(draw: st.DrawFn, role: Role, known: list[str]) -> str:
    """A document of the schema, about two in three of its text literals replaced by values the
    fixtures know."""
    document = draw(schema_documents(role))
    assert isinstance(document, graphql.DocumentNode)
    literals = _text_literals(document)
    pick = st.sampled_from(known)
    choices = draw(st.lists(st.one_of(st.none(), pick, pick), min_size=len(literals), max_size=len(literals)))
    swaps = {id(node): value for node, value in zip(literals, choices, strict=True) if value is not None}
    return graphql.print_ast(graphql.visit(document, _Swap(swaps)))


# role -> the fixtures' identity numbers it may see whole (docs/privacy-model.md)
VISIBLE: dict[str, set[str]] = {
    "public": set(),
    "partner": set(),  # a finance agency: masked, and its consent does not open the identity scope
    "individual": {"zhang"},  # the person themself
    "provider": set(),
    "auditor": set(),
    "admin": {"zhang", "li"},
}


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url, rate_per_second=0.0)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def role_headers(env: GatewayEnv, role: str) -> dict[str, str]:
    if role == "public":
        return {}
    if role == "partner":
        return partner(env, AgencyKind.FINANCE)
    if role == "individual":
        return individual(env)
    if role == "provider":
        return env.headers(Role.PROVIDER, org_code=MARKET.credit_code)
    return env.headers(Role(role), subject=f"fuzz-{role}")


def record_ids(env: GatewayEnv) -> list[str]:
    """The fixtures' record ids: objections and repair applications name a record by id."""
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(CreditRecord.id).order_by(CreditRecord.id)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("role", list(VISIBLE))
def test_generated_operations_never_fail_the_server_nor_leak_an_identity_number(
    client: httpx.Client, env: GatewayEnv, role: str, record_property: Any
) -> None:
    # Zhang's consent for the bank opens records and lists, not the identity scope.
    _, consent = grant(client, env, ["RECORDS", "LISTS"], uses=1_000)
    known = [*IDENTITY_NUMBERS.values(), COMPANY.credit_code, MARKET.credit_code, BANK_CODE, consent,
             *env.ids.values(), *record_ids(env)]  # fmt: skip
    headers = role_headers(env, role)
    hidden = {number for who, number in IDENTITY_NUMBERS.items() if who not in VISIBLE[role]}
    ran: list[int] = []
    codes: set[str] = set()
    answered, executed = [0], [0]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(query=documents(Role(role), known), accept=st.sampled_from([None, GRAPHQL_RESPONSE]))
    def check(query: str, accept: str | None) -> None:
        ran.append(1)
        sent = {**headers, "Content-Type": "application/json", **({"Accept": accept} if accept else {})}
        response = client.post("/graphql", content=json.dumps({"query": query}), headers=sent)
        context = f"{role}: {query[:300]!r} -> {response.status_code} {response.text[:300]!r}"
        assert response.status_code < 500, context
        assert "Traceback" not in response.text, context
        body = response.json()
        # Stored values come out in data; an error message may quote only what the caller sent.
        data, errors = json.dumps(body.get("data"), ensure_ascii=False), json.dumps(body.get("errors"))
        for number in hidden:
            assert number not in data, context
            assert number not in errors or number in query, context
        if body.get("data"):
            answered[0] += 1
        if body.get("data") or any("path" in error for error in body.get("errors", [])):
            executed[0] += 1  # a resolver ran: data, or an error at a field's path
        for error in body.get("errors", []):
            code = error["extensions"]["code"]
            assert CODE.fullmatch(code) and code != "INTERNAL_ERROR", context
            codes.add(code)

    check()
    record_property("examples", len(ran))
    record_property("with_data", answered[0])
    record_property("executed", executed[0])
    print(
        f"{role}: {len(ran)} examples, {executed[0]} executed, {answered[0]} with data, codes {sorted(codes)}"
    )
    assert len(ran) >= EXAMPLES // 2, "hypothesis ran far fewer examples than asked"
