"""Display periods at their boundaries, through real HTTP, for the public, partners, the person
themself and the archive; the clock is moved across China's midnight, never slept on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, build_env
from tests.gql import Served, serve

ORG = """
query($code: String!) {
  organization(creditCode: $code) {
    records { documentNumber displayUntil }
    listEntries { records { documentNumber } }
  }
}"""
ME = "{ me { records { documentNumber displayUntil } linkedRecords { documentNumber } } }"
SERIOUS = "菏市监罚〔2026〕1号"  # the company's serious penalty, decided 2026-03-02: shown through 2029-03-02
MINOR_SIMPLE = "菏市监罚〔2026〕2号"  # minor, simple procedure: never public, used through 2026-06-02
LICENCE = "菏市监许〔2026〕3号"  # no end
PERSONAL = "菏市监罚〔2026〕4号"  # Zhang's general penalty: through 2027-03-02
JUST_BEFORE_MIDNIGHT = time(23, 59)
JUST_AFTER_MIDNIGHT = time(0, 1)


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 9, 0, tzinfo=UTC))) as s:
        yield s


def org_docs(s: Served, headers: dict[str, str] | None = None) -> tuple[set[str], set[str]]:
    org = s.data(ORG, {"code": COMPANY.credit_code}, headers)["organization"]
    listed = {r["documentNumber"] for e in org["listEntries"] for r in e["records"]}
    return {r["documentNumber"] for r in org["records"]}, listed


def test_a_serious_penalty_is_shown_through_the_last_day_of_its_three_years(served: Served) -> None:
    served.clock.on(date(2029, 3, 2), JUST_BEFORE_MIDNIGHT)
    for headers in (None, served.partner(), served.admin()):
        records, listed = org_docs(served, headers)
        assert SERIOUS in records and listed == {SERIOUS}
    org = served.data(ORG, {"code": COMPANY.credit_code})["organization"]
    until = {r["documentNumber"]: r["displayUntil"] for r in org["records"]}
    assert until == {SERIOUS: "2029-03-02", LICENCE: None}

    served.clock.on(date(2029, 3, 3), JUST_AFTER_MIDNIGHT)
    for headers in (None, served.partner()):
        records, listed = org_docs(served, headers)
        assert records == {LICENCE} and listed == set()
    records, listed = org_docs(served, served.admin())  # the archive keeps it
    assert SERIOUS in records and listed == {SERIOUS}


def test_a_minor_penalty_is_never_public_and_used_for_three_months(served: Served) -> None:
    served.clock.on(date(2026, 6, 2), JUST_BEFORE_MIDNIGHT)
    assert MINOR_SIMPLE not in org_docs(served)[0]
    assert MINOR_SIMPLE in org_docs(served, served.partner())[0]
    served.clock.on(date(2026, 6, 3), JUST_AFTER_MIDNIGHT)
    assert MINOR_SIMPLE not in org_docs(served, served.partner())[0]
    assert MINOR_SIMPLE in org_docs(served, served.admin())[0]


def test_a_persons_own_general_penalty_leaves_their_view_after_one_year(served: Served) -> None:
    served.clock.on(date(2027, 3, 2), JUST_BEFORE_MIDNIGHT)
    me = served.data(ME, None, served.individual())["me"]
    assert me["records"] == [{"documentNumber": PERSONAL, "displayUntil": "2027-03-02"}]
    assert me["linkedRecords"] == [{"documentNumber": SERIOUS}]
    served.clock.on(date(2027, 3, 3), JUST_AFTER_MIDNIGHT)
    me = served.data(ME, None, served.individual())["me"]
    assert me["records"] == []
    assert me["linkedRecords"] == [{"documentNumber": SERIOUS}]  # serious: three years
