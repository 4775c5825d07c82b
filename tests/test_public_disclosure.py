"""The anonymous portal across a whole data set (a few hundred subjects in every lifecycle state): it
never shows a record of a natural person, an unmasked identity, or anything revoked, repaired, past
its period, minor or decided by simple procedure; and it does show what may be published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.access.masking import mask_name
from gateway.demo.plan import SeedPlan, generate, reference_instant
from gateway.demo.seeding import run_seed
from gateway.domain import Category, Procedure, RecordStatus, Severity, is_dishonesty
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.settings import Settings
from gateway.store import db
from gateway.store.inputs import ListEntryInput, RecordInput
from gateway.store.writer import StoreWriter
from gateway.store.writer import WriteOutcome as Outcome
from gateway.workdays import WorkCalendar
from tests.clock import Clock
from tests.demo_population import Demo, build, from_items
from tests.gateway_fixtures import REPO, GatewayEnv
from tests.gql import Served, serve

TODAY = date(2026, 11, 25)
PORTAL = """
query($code: String!) {
  organization(creditCode: $code) {
    name creditCode registeredAddress
    legalRepresentative { name idNumber phone address healthStatus religion records { id } linkedRecords { id } }
    records { documentNumber category severity procedure status content displayUntil }
    listEntries { reason records { documentNumber status content } }
  }
}"""


@pytest.fixture(scope="module")
def demo() -> Demo:
    return build()


@pytest.fixture
def served(tmp_path: Path, database_url: str, demo: Demo) -> Iterator[Served]:
    keyring = Keyring.generate()
    create_keyring_file(tmp_path / "keyring.json", keyring)
    db.upgrade(database_url)
    engine = db.make_engine(database_url)
    written = datetime(2026, 11, 21, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(keyring), calendar=WorkCalendar.load(), clock=lambda: written
            )
            results = writer.write(demo.items)
    finally:
        engine.dispose()
    assert all(r.outcome is not Outcome.REJECTED for r in results), [r for r in results if r.reason]
    settings = Settings(
        database_url=database_url, keyring_path=tmp_path / "keyring.json", policy_dir=REPO / "policies"
    )
    env = GatewayEnv(settings=settings, keyring=keyring, ids={})
    clock = Clock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    with serve(env, clock) as s:
        yield s


def portal(s: Served, codes: list[str]) -> list[dict[str, Any]]:
    """One anonymous request per batch of five organisations (the batch cap), as a portal would."""
    answers: list[dict[str, Any]] = []
    for start in range(0, len(codes), 5):
        batch = [{"query": PORTAL, "variables": {"code": c}} for c in codes[start : start + 5]]
        response = s.http.post("/graphql", json=batch)
        assert response.status_code == 200, response.text
        answers.extend(response.json())
    return answers


def publishable(record: Any) -> bool:
    """What the seeds allow the portal to show, read off the generated inputs (not the gateway)."""
    if record.status in (RecordStatus.REVOKED, RecordStatus.REPAIRED):
        return False
    if record.category is Category.ADMINISTRATIVE_PENALTY and record.procedure is Procedure.SIMPLE:
        return False
    return not (
        record.severity is Severity.MINOR and is_dishonesty(record.category, record.severity, record.kept)
    )


def assert_portal_clean(served: Served, demo: Demo, today: date) -> set[str]:
    """Read every organisation anonymously; fail on any identity, person's record or hidden record.
    Returns the document numbers shown."""
    answers = portal(served, demo.org_codes)
    assert len(answers) == len(demo.org_codes)
    shown: set[str] = set()
    for answer in answers:
        text = json.dumps(answer, ensure_ascii=False)
        leaked = [value for value in demo.secrets if value and value in text]
        assert leaked == [], f"identities on the public portal: {leaked}"
        for error in answer.get("errors", []):
            assert error["extensions"]["code"] == "FORBIDDEN_FIELD", error
        org = answer["data"]["organization"]
        rep = org["legalRepresentative"]
        if rep is not None:
            assert set(rep) == {"name", "idNumber", "phone", "address", "healthStatus", "religion", "records",
                                "linkedRecords"}  # fmt: skip
            assert [k for k, v in rep.items() if v is not None] == ["name"] and "*" in rep["name"]
        records = org["records"] + [r for e in org["listEntries"] for r in e["records"]]
        for r in records:
            shown.add(r["documentNumber"])
            assert r["documentNumber"] not in demo.person_documents
            source = demo.records[r["documentNumber"]]
            assert publishable(source), r
            assert r["status"] == source.status.value
            if r.get("displayUntil") is not None:
                assert date.fromisoformat(r["displayUntil"]) >= today
    return shown


def test_the_portal_never_shows_a_persons_record_or_identity_and_shows_what_it_should(
    served: Served, demo: Demo
) -> None:
    shown = assert_portal_clean(served, demo, TODAY)
    org_records = {d: r for d, r in demo.records.items() if d not in demo.person_documents}
    # Safely inside every period (the shortest public maximum is a year): must be shown.
    recent = {
        d for d, r in org_records.items() if publishable(r) and r.decision_date > TODAY - timedelta(days=300)
    }
    assert recent and recent <= shown
    # Safely past every period (the longest maximum is three years) for dishonesty: never shown.
    old = {
        d for d, r in org_records.items()
        if is_dishonesty(r.category, r.severity, r.kept) and r.decision_date < TODAY - timedelta(days=3 * 366)
    }  # fmt: skip
    assert old and not (old & shown)
    # The data set exercises every hidden kind, so the checks above cannot pass for want of examples.
    hidden_kinds = {
        "revoked": any(r.status is RecordStatus.REVOKED for r in org_records.values()),
        "repaired": any(r.status is RecordStatus.REPAIRED for r in org_records.values()),
        "simple": any(r.procedure is Procedure.SIMPLE for r in org_records.values()),
        "quoted identity": any("身份证号" in r.content for r in org_records.values()),
        "publishable-looking person record cited by a list": any(
            publishable(demo.records[k.document_number]) and k.document_number in demo.person_documents
            for i in demo.items if isinstance(i, ListEntryInput) for k in i.records
        ),
    }  # fmt: skip
    assert all(hidden_kinds.values()), hidden_kinds


def test_the_masked_forms_are_what_the_portal_shows(served: Served, demo: Demo) -> None:
    answer = portal(served, demo.org_codes[:1])[0]["data"]["organization"]
    assert answer["legalRepresentative"]["name"] == mask_name(demo.persons[0].name)
    assert answer["creditCode"].startswith(demo.org_codes[0][:8]) and "*" in answer["creditCode"]


def test_the_portal_over_the_seed_commands_demo_data(tmp_path: Path, database_url: str) -> None:
    """The same checks over what ``credit-gateway seed`` writes (its own generator, its own texts)."""
    plan = SeedPlan(seed=7, people=300, orgs=150, batch_size=300)
    demo = from_items([item for batch in generate(plan) for item in batch.items])
    assert len(demo.records) == sum(isinstance(i, RecordInput) for i in demo.items)  # numbers are unique
    keyring = Keyring.generate()
    create_keyring_file(tmp_path / "keyring.json", keyring)
    db.upgrade(database_url)
    engine = db.make_engine(database_url)
    try:
        run_seed(engine, FieldCipher(keyring), plan, calendar=WorkCalendar.load())
    finally:
        engine.dispose()
    settings = Settings(
        database_url=database_url, keyring_path=tmp_path / "keyring.json", policy_dir=REPO / "policies"
    )
    env = GatewayEnv(settings=settings, keyring=keyring, ids={})
    instant = reference_instant(plan.reference_day)
    with serve(env, Clock(instant)) as s:
        shown = assert_portal_clean(s, demo, plan.reference_day)
    assert len(shown) > 50 and demo.person_documents
