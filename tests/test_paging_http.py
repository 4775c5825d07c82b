"""Keyset pages of consents, objections and repair applications over real HTTP: the new
``consentsPage``, ``objectionsPage`` and ``repairApplicationsPage`` walk the same rows as the old
lists, in the same order, with ``first`` bounded 1–500 and foreign cursors refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, build_env
from tests.gql import Served, codes, serve
from tests.test_objections_http import file, record_id

GRANT = """
mutation($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } } }"""
APPLY = """
mutation($record: ID!) {
  applyForRepair(input: {recordId: $record, statement: "罚款已缴清，承诺守法经营", evidence: "缴款凭证"}) { id }
}"""
PAGES = {
    "consents": "query($first: Int!, $after: String) { consentsPage(first: $first, after: $after) "
    "{ nodes { id } pageInfo { endCursor hasNextPage } } }",
    "objections": "query($first: Int!, $after: String) { objectionsPage(first: $first, after: $after) "
    "{ nodes { id } pageInfo { endCursor hasNextPage } } }",
    "repairApplications": "query($first: Int!, $after: String) { repairApplicationsPage(first: $first, "
    "after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }",
}


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    clock = Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    with serve(env, clock) as s:
        me = s.individual()
        for n in range(5):  # two of them at the same instant: the id breaks the tie
            if n != 3:
                clock.on(date(2026, 3, 12 + n))
            grant = {
                "grantee": BANK_CODE,
                "purpose": "FINANCIAL_SERVICE",
                "scopes": ["IDENTITY"],
                "maxUses": 1,
            }
            s.data(GRANT, {"input": grant}, me)
        clock.on(date(2026, 3, 20))
        for document in ("菏市监罚〔2026〕1号", "菏市监许〔2026〕3号"):
            assert "errors" not in file(s, document, me)
        # The minor penalty is repairable at once; the general one after its 3-month minimum.
        for day, document in (
            (date(2026, 3, 20), "菏市监罚〔2026〕2号"),
            (date(2026, 6, 10), "菏市监罚〔2026〕4号"),
        ):
            clock.on(day)
            assert "errors" not in s.gql(APPLY, {"record": record_id(s, document)}, me)
        yield s


def walk(s: Served, name: str, first: int) -> tuple[list[str], int]:
    ids: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        body = s.data(PAGES[name], {"first": first, "after": after}, s.individual())
        page = next(iter(body.values()))
        ids += [n["id"] for n in page["nodes"]]
        pages += 1
        assert len(page["nodes"]) <= first
        if not page["pageInfo"]["hasNextPage"]:
            return ids, pages
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(("name", "count"), [("consents", 5), ("objections", 2), ("repairApplications", 2)])
def test_pages_walk_the_old_list_in_its_order(served: Served, name: str, count: int) -> None:
    old = served.data(f"{{ {name} {{ id }} }}", None, served.individual())[name]
    assert len(old) == count
    for first in (1, 2, 500):
        ids, pages = walk(served, name, first)
        assert ids == [row["id"] for row in old]
        assert pages == max(1, -(-count // first))


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize(("variables", "field"), [
    ({"first": 0}, "first"), ({"first": 501}, "first"), ({"first": -1}, "first"),
    ({"first": 2, "after": "bm90IGEgY3Vyc29y"}, "after"), ({"first": 2, "after": "c2VxOjE"}, "after"),
])  # fmt: skip
def test_bad_paging_is_invalid_input_naming_the_argument(
    served: Served, name: str, variables: dict[str, Any], field: str
) -> None:
    body = served.gql(PAGES[name], variables, served.individual())
    assert body["data"] is None and codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field


def test_a_page_past_the_end_is_empty_and_keeps_its_cursor(served: Served) -> None:
    first = served.data(PAGES["consents"], {"first": 5}, served.individual())["consentsPage"]
    cursor = first["pageInfo"]["endCursor"]
    assert first["pageInfo"]["hasNextPage"] is False
    rest = served.data(PAGES["consents"], {"first": 5, "after": cursor}, served.individual())["consentsPage"]
    assert rest == {"nodes": [], "pageInfo": {"endCursor": cursor, "hasNextPage": False}}


def test_consents_page_is_for_individuals_only(served: Served) -> None:
    body = served.gql(PAGES["consents"], {"first": 5}, served.partner())
    assert codes(body) == ["FORBIDDEN_OPERATION"]
