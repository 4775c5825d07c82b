"""Credit reports over real HTTP, on SQLite and PostgreSQL: issued through the requester's own read,
signed with the keyring's report key, verified offline with nothing but the published JWKS (the
command, and the third parties' script), tampering and unknown keys refused with stable codes, key
rotation kept verifiable, omitted sections shown as not disclosed, each report in the audit log and
in the subject's "who looked at me"."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.domain import RecordStatus
from gateway.errors import ReportError, ReportExpired, ReportKeyUnknown
from gateway.keys import jwks
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, SigningPurpose, load_keyring, replace_keyring_file
from gateway.reports.verification import verify_report
from gateway.store import db
from gateway.store.models import Consent, CreditRecord
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.api_client import codes, gql, grant, individual, partner
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, RECORDS, REPO, ZHANG, GatewayEnv, build_env
from tests.server import running

REPORT = """
query($purpose: ConsentPurpose!, $subject: ReportSubjectInput, $sections: [ReportSection!]) {
  report(purpose: $purpose, subject: $subject, sections: $sections) {
    serial issuedAt validUntil purpose sections notDisclosed withheld keyId document jws
  }
}"""
SECTION_FIELDS = {"RECORDS": "records", "LINKED_RECORDS": "linkedRecords", "LIST_ENTRIES": "listEntries",
                  "LEGAL_REPRESENTATIVE": "legalRepresentative"}  # fmt: skip
STABLE = {"REPORT_MALFORMED", "REPORT_KEY_UNKNOWN", "REPORT_SIGNATURE_INVALID"}


@dataclass
class Served:
    env: GatewayEnv
    client: httpx.Client
    jwks_file: Path


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


def _serve(env: GatewayEnv, tmp_path: Path) -> Iterator[Served]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as client:
        response = client.get("/keys/reports.jwks")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/jwk-set+json")
        jwks_file = tmp_path / "reports.jwks"
        jwks_file.write_text(response.text, encoding="utf-8")
        yield Served(env, client, jwks_file)


@pytest.fixture
def served(env: GatewayEnv, tmp_path: Path) -> Iterator[Served]:
    yield from _serve(env, tmp_path)


def issue(s: Served, headers: dict[str, str], purpose: str, **variables: Any) -> dict[str, Any]:
    body = gql(s.client, REPORT, {"purpose": purpose, **variables}, headers)
    assert "errors" not in body, body
    report: dict[str, Any] = body["data"]["report"]
    return report


def keys_of(path: Path) -> dict[str, Any]:
    return jwks.parse_public_jwks(json.loads(path.read_text("utf-8")))


def save(tmp_path: Path, report: dict[str, Any], name: str = "report.jws") -> Path:
    path = tmp_path / name
    path.write_text(report["jws"], encoding="utf-8")
    return path


def third_party(report: Path, jwks_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "verify_report.py"), str(report), str(jwks_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def selection(value: Any) -> str:
    """A GraphQL selection of exactly the fields a report section holds (lists: every item's)."""
    items = value if isinstance(value, list) else [value]
    fields: dict[str, Any] = {}
    for item in items:
        for key, child in (item or {}).items():
            if isinstance(child, dict | list) and key not in fields:
                fields[key] = child
            else:
                fields.setdefault(key, None)
    return " ".join(k if v is None else f"{k} {{ {selection(v)} }}" for k, v in fields.items())


def same_read(s: Served, headers: dict[str, str], root: str, report: dict[str, Any]) -> dict[str, Any]:
    """The requester's own GraphQL read of every field the report holds, which must all be allowed."""
    document = json.loads(report["document"])
    parts = [selection(document["sections"].get("IDENTITY", {"id": None}))]
    parts += [f"{SECTION_FIELDS[k]} {{ {selection(v)} }}" for k, v in document["sections"].items()
              if k != "IDENTITY" and v]  # fmt: skip
    body = gql(s.client, f"query {{ {root} {{ {' '.join(parts)} }} }}", None, headers)
    assert "errors" not in body, body  # nothing in the report is a field this caller is refused
    read: dict[str, Any] = body["data"][root.split("(")[0]]
    return read


def assert_matches_read(report: dict[str, Any], read: dict[str, Any]) -> None:
    sections = json.loads(report["document"])["sections"]
    for section, content in sections.items():
        if section == "IDENTITY":
            assert content == {k: read[k] for k in content}
        elif content:
            assert content == read[SECTION_FIELDS[section]], section


def test_own_report_of_a_person_is_the_persons_read_and_verifies_offline_with_the_jwks(
    served: Served, tmp_path: Path
) -> None:
    me = individual(served.env)
    report = issue(served, me, "EMPLOYMENT")
    assert report["sections"] == ["IDENTITY", "RECORDS", "LINKED_RECORDS", "LIST_ENTRIES"]
    assert report["notDisclosed"] == [] and report["withheld"] == [] and report["keyId"] == "report-1"
    assert_matches_read(report, same_read(served, me, "me", report))
    document = json.loads(report["document"])
    assert document["sections"]["IDENTITY"]["phone"] == ZHANG.phone  # the person sees their own whole
    assert document["requester"] == {"role": "individual", "organization": None, "self": True}
    valid = datetime.fromisoformat(report["validUntil"]) - datetime.fromisoformat(report["issuedAt"])
    assert valid == timedelta(days=30)  # policies/reports.toml, EMPLOYMENT

    path = save(tmp_path, report)
    done = run_cli("report", "verify", str(path), "--jwks", str(served.jwks_file), keyring=tmp_path / "none")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"report {report['serial']} verifies (key report-1)" in done.stdout
    assert "RECORDS: disclosed" in done.stdout
    script = third_party(path, served.jwks_file)
    assert script.returncode == 0, script.stdout + script.stderr
    assert f"report {report['serial']} verifies" in script.stdout


def test_partner_report_on_an_organisation_holds_only_what_the_partner_reads_and_verifies(
    served: Served, tmp_path: Path
) -> None:
    bank = partner(served.env)
    subject = {"creditCode": COMPANY.credit_code}
    report = issue(served, bank, "PUBLIC_PROCUREMENT", subject=subject)
    root = f'organization(creditCode: "{COMPANY.credit_code}")'
    assert_matches_read(report, same_read(served, bank, root, report))
    document = json.loads(report["document"])
    representative = document["sections"]["LEGAL_REPRESENTATIVE"]
    assert representative["name"] != ZHANG.name and "*" in representative["name"]  # masked, as read
    assert "phone" not in representative and "LEGAL_REPRESENTATIVE.phone" in report["withheld"]
    for name in report["withheld"]:  # withheld is what the same read is refused
        field = name.split(".")[-1]
        body = gql(served.client, f"{{ {root} {{ legalRepresentative {{ {field} }} }} }}", None, bank)
        assert codes(body) == ["FORBIDDEN_FIELD"], name
    assert document["requester"]["organization"] == BANK_CODE
    assert datetime.fromisoformat(report["validUntil"]) - datetime.fromisoformat(
        report["issuedAt"]
    ) == timedelta(days=90)

    path = save(tmp_path, report)
    assert (
        verify_report(path.read_text(), keys_of(served.jwks_file), now=datetime.now(UTC)).serial
        == (report["serial"])
    )
    assert third_party(path, served.jwks_file).returncode == 0


def test_own_report_of_an_enterprise_is_its_own_read_with_what_the_public_does_not_see(
    served: Served, tmp_path: Path
) -> None:
    company = served.env.headers(Role.ENTERPRISE, org_code=COMPANY.credit_code)
    report = issue(served, company, "PUBLIC_PROCUREMENT")
    assert_matches_read(report, same_read(served, company, "myOrganization", report))
    document = json.loads(report["document"])
    assert document["requester"] == {"role": "enterprise", "organization": COMPANY.credit_code, "self": True}
    # Its own record whole: the receipt data of each record, which the public is refused.
    records = document["sections"]["RECORDS"]
    assert records and all(r.get("receivedAt") for r in records)
    public_read = f'{{ organization(creditCode: "{COMPANY.credit_code}") {{ records {{ receivedAt }} }} }}'
    assert "FORBIDDEN_FIELD" in codes(gql(served.client, public_read))
    path = save(tmp_path, report)
    assert third_party(path, served.jwks_file).returncode == 0


def test_partner_report_on_a_person_needs_the_consent_counts_one_use_and_reaches_who_looked_at_me(
    served: Served, env: GatewayEnv
) -> None:
    consent_id, token = grant(served.client, env, ["IDENTITY"], uses=3)
    bank = partner(env)
    refused = gql(served.client, REPORT, {"purpose": "FINANCIAL_SERVICE",
                                          "subject": {"idNumber": ZHANG.id_number}}, bank)  # fmt: skip
    assert codes(refused) == ["INVALID_INPUT"]
    wrong = gql(served.client, REPORT, {"purpose": "EMPLOYMENT", "subject": {
        "idNumber": ZHANG.id_number, "consent": token}}, bank)  # fmt: skip
    assert codes(wrong) == ["CONSENT_PURPOSE_MISMATCH"]
    subject = {"idNumber": ZHANG.id_number, "consent": token}
    report = issue(served, bank, "FINANCIAL_SERVICE", subject=subject)
    assert report["sections"] == ["IDENTITY"]  # the consent opens identity only
    assert set(report["withheld"]) >= {"RECORDS", "LIST_ENTRIES", "IDENTITY.phone"}
    assert stored_uses(env, consent_id) == 1  # the report is one lookup

    history = gql(served.client, "{ me { queryHistory { entries { organization purpose "
                  "reports { serial sections } } } } }", None, individual(env))  # fmt: skip
    entries = history["data"]["me"]["queryHistory"]["entries"]
    issued = [e for e in entries if e["reports"]]
    assert issued == [{"organization": BANK_CODE, "purpose": "FINANCIAL_SERVICE",
                       "reports": [{"serial": report["serial"], "sections": ["IDENTITY"]}]}]  # fmt: skip


def stored_uses(env: GatewayEnv, consent_id: str) -> int:
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session:
            row = session.get(Consent, consent_id)
            assert row is not None
            return row.uses
    finally:
        engine.dispose()


def test_report_audit_event_names_serial_subject_and_sections(served: Served, env: GatewayEnv) -> None:
    report = issue(served, partner(env), "PUBLIC_PROCUREMENT", subject={"creditCode": COMPANY.credit_code},
                   sections=["RECORDS"])  # fmt: skip
    auditor = env.headers(Role.AUDITOR, subject="auditor-1")
    body = gql(served.client, "{ auditEvents(first: 50) { nodes { body } } }", None, auditor)
    assert "errors" not in body, body
    events = [json.loads(n["body"]) for n in body["data"]["auditEvents"]["nodes"]]
    noted = [e for e in events if e.get("reports")]
    assert len(noted) == 1
    assert noted[0]["report_serials"] == [report["serial"]]
    assert noted[0]["reports"] == [{
        "serial": report["serial"], "subject": env.ids["company"], "sections": ["RECORDS"],
        "not_disclosed": ["IDENTITY", "LIST_ENTRIES", "LEGAL_REPRESENTATIVE"], "withheld": [],
    }]  # fmt: skip
    verified = run_cli("audit", "verify", keyring=env.settings.keyring_path,
                       database_url=env.settings.database_url)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr  # the report key is indexed as signed


def test_sections_left_out_are_not_disclosed_never_empty(served: Served, tmp_path: Path) -> None:
    report = issue(served, individual(served.env), "HOUSING_RENTAL", sections=["RECORDS"])
    assert report["sections"] == ["RECORDS"]
    assert report["notDisclosed"] == ["IDENTITY", "LINKED_RECORDS", "LIST_ENTRIES"]
    document = json.loads(report["document"])
    assert set(document["sections"]) == {"RECORDS"}
    done = run_cli("report", "verify", str(save(tmp_path, report)), "--jwks", str(served.jwks_file),
                   keyring=tmp_path / "none")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "IDENTITY: not disclosed" in done.stdout and "LIST_ENTRIES: not disclosed" in done.stdout
    assert "none" not in done.stdout.lower()
    script = third_party(save(tmp_path, report), served.jwks_file)
    assert "IDENTITY: not disclosed" in script.stdout


def test_repaired_records_are_left_out_of_reports_as_of_reads(served: Served, env: GatewayEnv) -> None:
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(
                update(CreditRecord)
                .where(CreditRecord.document_number == "菏市监罚〔2026〕1号")
                .values(status=RecordStatus.REPAIRED)
            )
    finally:
        engine.dispose()
    report = issue(served, partner(env), "PUBLIC_PROCUREMENT", subject={"creditCode": COMPANY.credit_code})
    text = report["document"]
    assert "菏市监罚〔2026〕1号" not in text  # neither among records nor under the list entry
    assert "菏市监许〔2026〕3号" in text


def test_every_changed_byte_of_the_signed_part_fails_with_a_stable_code(
    served: Served, env: GatewayEnv
) -> None:
    report = issue(served, partner(env), "PUBLIC_PROCUREMENT", subject={"creditCode": COMPANY.credit_code})
    keys = keys_of(served.jwks_file)
    token, now = report["jws"], datetime.now(UTC)
    signed_part = token.rsplit(".", 1)[0]
    seen: set[str] = set()
    for i, char in enumerate(signed_part):
        if char == ".":
            continue
        other = "A" if char != "A" else "B"
        with pytest.raises(ReportError) as refused:
            verify_report(token[:i] + other + token[i + 1 :], keys, now=now)
        seen.add(refused.value.code)
    assert seen <= STABLE and "REPORT_SIGNATURE_INVALID" in seen
    payload_flip = token.split(".")
    payload_flip[1] = (
        payload_flip[1][:10] + ("x" if payload_flip[1][10] != "x" else "y") + payload_flip[1][11:]
    )
    tampered = served.jwks_file.with_name("tampered.jws")
    tampered.write_text(".".join(payload_flip))
    done = third_party(tampered, served.jwks_file)
    assert done.returncode == 1 and "REPORT_SIGNATURE_INVALID" in done.stdout
    done = run_cli("report", "verify", str(tampered), "--jwks", str(served.jwks_file),
                   keyring=served.jwks_file.with_name("none"))  # fmt: skip
    assert done.returncode == 1 and "[REPORT_SIGNATURE_INVALID]" in done.stderr


def test_a_key_not_in_the_jwks_fails_and_an_expired_report_is_refused(
    served: Served, env: GatewayEnv, tmp_path: Path
) -> None:
    report = issue(served, individual(env), "EMPLOYMENT")
    stranger = tmp_path / "stranger.jwks"
    stranger.write_text(json.dumps(jwks.public_jwks(Keyring.generate(), SigningPurpose.AUDIT)))
    with pytest.raises(ReportKeyUnknown):
        verify_report(report["jws"], keys_of(stranger), now=datetime.now(UTC))
    done = run_cli("report", "verify", str(save(tmp_path, report)), "--jwks", str(stranger),
                   keyring=tmp_path / "none")  # fmt: skip
    assert done.returncode == 1 and "[REPORT_KEY_UNKNOWN]" in done.stderr
    assert "REPORT_KEY_UNKNOWN" in third_party(save(tmp_path, report), stranger).stdout
    with pytest.raises(ReportExpired):
        verify_report(report["jws"], keys_of(served.jwks_file), now=datetime.now(UTC) + timedelta(days=31))


def test_after_key_rotation_new_reports_use_the_new_key_and_old_ones_still_verify(
    env: GatewayEnv, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as client:
        old = gql(client, REPORT, {"purpose": "EMPLOYMENT"}, individual(env))["data"]["report"]
    path = env.settings.keyring_path
    replace_keyring_file(path, load_keyring(path).with_signing_key(SigningPurpose.REPORT))
    after = tmp_path / "after"
    after.mkdir()
    served = _serve(env, after)
    s = next(served)
    try:
        new = issue(s, individual(env), "EMPLOYMENT")
        published = json.loads(s.jwks_file.read_text())
    finally:
        served.close()
    assert old["keyId"] == "report-1" and new["keyId"] == "report-2"
    assert [k["kid"] for k in published["keys"]] == ["report-1", "report-2"]
    keys = keys_of(s.jwks_file)
    for report in (old, new):
        assert verify_report(report["jws"], keys, now=datetime.now(UTC)).serial == report["serial"]
    assert third_party(save(tmp_path, old, "old.jws"), s.jwks_file).returncode == 0


def test_reports_are_refused_to_callers_no_read_answers(served: Served, env: GatewayEnv) -> None:
    org = {"creditCode": COMPANY.credit_code}
    assert codes(gql(served.client, REPORT, {"purpose": "EMPLOYMENT", "subject": org}, individual(env))) == [
        "FORBIDDEN_OPERATION"
    ]
    assert codes(gql(served.client, REPORT, {"purpose": "EMPLOYMENT"}, partner(env))) == [
        "FORBIDDEN_OPERATION"
    ]
    assert codes(
        gql(served.client, REPORT, {"purpose": "EMPLOYMENT"}, env.headers(Role.AUDITOR, subject="auditor-1"))
    ) == ["FORBIDDEN_OPERATION"]
    assert codes(gql(served.client, REPORT, {"purpose": "EMPLOYMENT", "sections": ["LEGAL_REPRESENTATIVE"]},
                     individual(env))) == ["INVALID_INPUT"]  # fmt: skip


STATUS = """
query($serial: String!, $sha: String) {
  reportStatus(serial: $serial, payloadSha256: $sha) { serial state changedSinceIssue validUntil }
}"""


def test_a_report_on_a_record_corrected_later_is_superseded_though_its_signature_still_verifies(
    served: Served, env: GatewayEnv
) -> None:
    report = issue(served, partner(env), "PUBLIC_PROCUREMENT", subject={"creditCode": COMPANY.credit_code})
    sha = hashlib.sha256(report["document"].encode("utf-8")).hexdigest()

    def state(serial: str, digest: str | None = sha) -> dict[str, Any]:
        body = gql(served.client, STATUS, {"serial": serial, "sha": digest})  # anyone, no token
        assert "errors" not in body, body
        return body["data"]["reportStatus"]  # type: ignore[no-any-return]

    assert state(report["serial"]) == {"serial": report["serial"], "state": "VALID", "changedSinceIssue": 0,
                                       "validUntil": report["validUntil"]}  # fmt: skip
    assert state(report["serial"], "0" * 64)["state"] == "UNKNOWN"
    assert state("CR-20260101-00000000000000000000")["state"] == "UNKNOWN"

    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(session, FieldCipher(env.keyring), calendar=WorkCalendar.load(),
                                 clock=lambda: datetime.now(UTC))  # fmt: skip
            writer.write([replace(RECORDS[0], content="销售不合格食品，罚款3万元")])  # a corrected version
    finally:
        engine.dispose()
    assert state(report["serial"])["state"] == "SUPERSEDED"
    assert state(report["serial"])["changedSinceIssue"] == 1
    assert verify_report(report["jws"], keys_of(served.jwks_file), now=datetime.now(UTC))  # still signed
