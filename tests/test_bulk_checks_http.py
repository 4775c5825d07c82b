"""creditChecks through real HTTP: every row of a bulk check is what creditCheck answers for its subject
alone (or the code it refuses it with), a person's row needs their consent without failing the batch,
a batch over the policy's size is refused whole, and every subject checked is in the audit event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.audit_helpers import events
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, ZHANG, build_env
from tests.gql import Served, codes, serve

FIELDS = """
    matter checkedOn blackListed redListed threeYearsClean cleanFrom
    listEntries { kind listName }
    dishonestyRecords { documentNumber }
    restrictions { code source listEntries { listName } records { documentNumber } reasons }
    facilitation { code listEntries { listName } }
    responsibilities { role organizationCode reason }
"""
SINGLE = f"""
query($subject: CheckSubject!, $matter: CheckMatter!, $purpose: ConsentPurpose, $consent: String) {{
  creditCheck(subject: $subject, matter: $matter, purpose: $purpose, consent: $consent) {{ {FIELDS} }}
}}"""
BULK = f"""
query($subjects: [BulkCheckSubject!]!, $matter: CheckMatter!, $purpose: ConsentPurpose) {{
  creditChecks(subjects: $subjects, matter: $matter, purpose: $purpose) {{
    index errorCode check {{ {FIELDS} }}
  }}
}}"""
GRANT = """
mutation($grantee: String!, $scopes: [ConsentScope!]!) {
  grantConsent(input: {grantee: $grantee, purpose: ADMINISTRATIVE_LICENSING, scopes: $scopes, maxUses: 5}) {
    token
  }
}"""
MATTER = "ADMINISTRATIVE_LICENSING"
UNKNOWN_CODE = BANK_CODE  # a valid credit code no organisation in the store has


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    # A body of 10,001 subjects is larger than the default request limit.
    env = build_env(tmp_path, database_url, max_request_bytes=2_000_000)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        yield s


def consent(s: Served, scopes: list[str]) -> str:
    granted = s.data(GRANT, {"grantee": BANK_CODE, "scopes": scopes}, s.individual())
    return str(granted["grantConsent"]["token"])


def single(s: Served, subject: dict[str, str], consent_token: str | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"subject": subject, "matter": MATTER, "purpose": "ADMINISTRATIVE_LICENSING"}
    if consent_token is not None:
        variables["consent"] = consent_token
    return s.gql(SINGLE, variables, s.partner())


def bulk(s: Served, subjects: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    variables = {"subjects": subjects, "matter": MATTER, "purpose": "ADMINISTRATIVE_LICENSING", **extra}
    return s.gql(BULK, variables, s.partner())


def test_each_row_is_what_a_single_credit_check_answers_for_its_subject(served: Served) -> None:
    wide = consent(served, ["RECORDS", "LISTS"])
    narrow = consent(served, ["IDENTITY"])
    subjects: list[dict[str, Any]] = [
        {"creditCode": COMPANY.credit_code},
        {"creditCode": MARKET.credit_code},
        {"idNumber": ZHANG.id_number, "consent": wide},
        {"creditCode": UNKNOWN_CODE},
        {"idNumber": ZHANG.id_number},  # no consent
        {"idNumber": LI.id_number, "consent": wide},  # Zhang's consent, not Li's
        {"idNumber": ZHANG.id_number, "consent": narrow},
        {"creditCode": "91370000MA3C8XXXXX"},  # fails its check character
        {},
        {"creditCode": COMPANY.credit_code, "idNumber": ZHANG.id_number},
        {"creditCode": COMPANY.credit_code},  # named twice: checked twice
    ]
    body = bulk(served, subjects)
    assert "errors" not in body, body["errors"]
    rows = body["data"]["creditChecks"]
    assert [r["index"] for r in rows] == list(range(len(subjects)))

    for row, subject in zip(rows, subjects, strict=True):
        alone = single(
            served,
            {k: v for k, v in subject.items() if k != "consent"},
            subject.get("consent"),
        )
        expected_codes = codes(alone)
        if expected_codes:
            assert (row["errorCode"], row["check"]) == (expected_codes[0], None), subject
        else:
            assert row["errorCode"] is None and row["check"] == alone["data"]["creditCheck"], subject

    assert [r["errorCode"] for r in rows] == [
        None,
        None,
        None,
        "NOT_FOUND",
        "PERSON_UNAVAILABLE",
        "PERSON_UNAVAILABLE",
        "CONSENT_SCOPE_MISSING",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        None,
    ]
    company, zhang = rows[0]["check"], rows[2]["check"]
    assert company["blackListed"] is True and [m["code"] for m in company["restrictions"]] == [
        "STRICT_REVIEW"
    ]
    # The company's black listing reaches Zhang as its legal representative (落实到人).
    assert zhang["blackListed"] is True and zhang["responsibilities"] != []


def test_every_subject_checked_is_a_subject_of_the_requests_audit_event(served: Served) -> None:
    wide = consent(served, ["RECORDS", "LISTS"])
    subjects = [
        {"creditCode": COMPANY.credit_code},
        {"creditCode": MARKET.credit_code},
        {"idNumber": ZHANG.id_number, "consent": wide},
        {"idNumber": LI.id_number},  # refused: not looked at
    ]
    assert "errors" not in bulk(served, subjects)
    event = next(
        e for e in reversed(events(served.env.settings.database_url)) if "creditChecks" in e["root_fields"]
    )
    ids = served.env.ids
    assert event["subjects"] == sorted({ids["company"], ids["market"], ids["zhang"]})
    assert event["purpose"] == "ADMINISTRATIVE_LICENSING" and event["outcome"] == "ANSWERED"
    # No identity number or consent token enters the log; each is a pseudonym.
    text = str(event)
    assert ZHANG.id_number not in text and LI.id_number not in text and wide not in text
    # Zhang finds the check in "who looked at me".
    history = served.data(
        "{ me { queryHistory(first: 10) { entries { seq organization purpose } } } }", {}, served.individual()
    )["me"]["queryHistory"]["entries"]
    assert any(e["organization"] == BANK_CODE and e["purpose"] == "ADMINISTRATIVE_LICENSING" for e in history)


def test_a_batch_over_the_policys_size_is_refused_whole(served: Served) -> None:
    body = bulk(served, [{"creditCode": COMPANY.credit_code}] * 10_001)
    assert codes(body) == ["BATCH_TOO_LARGE"] and body["data"] is None
    assert body["errors"][0]["extensions"]["field"] == "subjects"
    # Refused before anybody is looked up: the event names no subject.
    event = next(
        e for e in reversed(events(served.env.settings.database_url)) if "creditChecks" in e["root_fields"]
    )
    assert event["subjects"] == [] and event["errors"] == ["BATCH_TOO_LARGE"]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"purpose": None, "subjects": [{"idNumber": ZHANG.id_number}]}, "INVALID_INPUT"),
        ({"purpose": None, "subjects": [{"idNumber": ZHANG.id_number, "consent": "x"}]}, "INVALID_INPUT"),
    ],
)
def test_a_batch_naming_persons_states_its_purpose(served: Served, extra: dict[str, Any], code: str) -> None:
    body = served.gql(BULK, {"matter": MATTER, **extra}, served.partner())
    assert codes(body) == [code]


@pytest.mark.parametrize("who", ["public", "individual", "provider"])
def test_only_partners_run_bulk_checks(served: Served, who: str) -> None:
    headers = {
        "public": {},
        "individual": served.individual(),
        "provider": served.provider(MARKET.credit_code),
    }[who]
    variables = {"subjects": [{"creditCode": COMPANY.credit_code}], "matter": MATTER}
    assert codes(served.gql(BULK, variables, headers)) == ["FORBIDDEN_OPERATION"]
