"""Credit evaluation through real HTTP: each record's contribution, the clock moving records out, a
repair removing one, and who may ask."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gateway.domain import AgencyKind
from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, MARKET, build_env
from tests.gql import Served, codes, serve

EVALUATE = """
query($code: String!) {
  creditEvaluation(creditCode: $code) {
    evaluatedOn startScore score grade cappedBy
    contributions { points rule record { documentNumber } listEntry { listName } }
  }
}"""
MINE = "{ myCreditEvaluation { score grade contributions { points rule record { documentNumber } } } }"
SERIOUS = "菏市监罚〔2026〕1号"
MINOR = "菏市监罚〔2026〕2号"
LICENCE = "菏市监许〔2026〕3号"
PERSONAL = "菏市监罚〔2026〕4号"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        yield s


def evaluate(s: Served) -> dict:  # type: ignore[type-arg]
    return s.data(EVALUATE, {"code": COMPANY.credit_code}, s.partner())["creditEvaluation"]


def test_every_record_and_listing_is_explained(served: Served) -> None:
    evaluation = evaluate(served)
    assert (evaluation["evaluatedOn"], evaluation["startScore"], evaluation["score"]) == ("2026-03-12", 90, 5)
    assert evaluation["grade"] == "D" and evaluation["cappedBy"] is None
    assert [(c["points"], c["rule"], c["record"], c["listEntry"]) for c in evaluation["contributions"]] == [
        # Newest first, then by document number: all three were decided on 2026-03-02.
        (-40, "serious dishonesty: -40", {"documentNumber": SERIOUS}, None),
        (-5, "minor dishonesty: -5", {"documentNumber": MINOR}, None),
        (0, "administrative_licensing: neutral", {"documentNumber": LICENCE}, None),
        (-40, "black list entry in force: -40", None, {"listName": "严重违法失信名单"}),
    ]


def test_records_leave_the_score_when_their_period_ends_or_they_are_repaired(served: Served) -> None:
    served.clock.on(date(2026, 6, 2))
    assert evaluate(served)["score"] == 5
    served.clock.on(date(2026, 6, 3))  # the minor penalty's three months are over
    assert evaluate(served)["score"] == 10
    served.clock.on(date(2027, 3, 3))
    admin = served.data(
        "query($c: String!) { organization(creditCode: $c) { records { id documentNumber } } }",
        {"c": COMPANY.credit_code},
        served.admin(),
    )
    record = next(r["id"] for r in admin["organization"]["records"] if r["documentNumber"] == SERIOUS)
    application = served.data(
        'mutation($r: ID!) { applyForRepair(input: {recordId: $r, statement: "已整改", evidence: "凭证"}) { id } }',
        {"r": record},
        served.individual(),
    )["applyForRepair"]["id"]
    served.data(
        'mutation($a: ID!) { decideRepair(input: {applicationId: $a, approve: true, reason: "同意"}) { status } }',
        {"a": application},
        served.provider(MARKET.credit_code),
    )
    evaluation = evaluate(served)  # the black listing rested on the repaired record: gone too
    assert (evaluation["score"], evaluation["grade"]) == (90, "A")
    assert [c["record"] for c in evaluation["contributions"]] == [{"documentNumber": LICENCE}]


def test_an_individual_sees_their_own_evaluation(served: Served) -> None:
    mine = served.data(MINE, None, served.individual())["myCreditEvaluation"]
    assert (mine["score"], mine["grade"]) == (0, "D")
    assert {c["record"]["documentNumber"]: c["points"] for c in mine["contributions"] if c["record"]} == {
        PERSONAL: -15,
        SERIOUS: -40,  # reaches him as the company's legal representative
    }
    # So does the company's black listing (落实到人): once, with its reason.
    (listed,) = [c for c in mine["contributions"] if c["record"] is None]
    assert listed["points"] == -40 and listed["rule"].startswith(
        f"black list entry in force, as legal representative (法定代表人) of {COMPANY.credit_code}"
    )
    li = served.data(MINE, None, served.individual("li"))["myCreditEvaluation"]
    assert (li["score"], li["grade"], li["contributions"]) == (90, "A", [])


def test_who_may_ask(served: Served) -> None:
    for headers in (served.provider(MARKET.credit_code), served.auditor(), served.admin(),
                    served.partner(MARKET.credit_code, AgencyKind.MARKET_REGULATION)):  # fmt: skip
        assert evaluate_as(served, headers) == 5
    for headers in ({}, served.individual()):
        assert codes(served.gql(EVALUATE, {"code": COMPANY.credit_code}, headers)) == ["FORBIDDEN_OPERATION"]
    assert codes(served.gql(MINE, None, served.partner())) == ["FORBIDDEN_OPERATION"]


def evaluate_as(s: Served, headers: dict[str, str]) -> int:
    return s.data(EVALUATE, {"code": COMPANY.credit_code}, headers)["creditEvaluation"]["score"]
