"""Offline verification of credit reports without a gateway: the order of the checks and their
codes, with real Ed25519 keys (``gateway.reports``); and the validity policy file."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jws

from gateway.domain import ConsentPurpose, SubjectKind
from gateway.errors import ConfigurationError, ReportError
from gateway.keys.jwks import JWS_REGISTRY, signing_key
from gateway.keys.keyring import Keyring, SigningPurpose
from gateway.reports.document import ReportSection, Requester, report_document
from gateway.reports.rules import ReportRules
from gateway.reports.signing import ReportSigner
from gateway.reports.verification import verify_report
from tests.gateway_fixtures import REPO

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.fixture
def signer() -> ReportSigner:
    return ReportSigner.from_keyring(Keyring.generate())


def document() -> dict[str, object]:
    return report_document(
        serial="CR-20261207-0123456789ABCDEF0123", issued_at=NOW, valid_for=timedelta(days=30),
        purpose="EMPLOYMENT", requester=Requester("individual", own_report=True),
        subject_kind=SubjectKind.PERSON, subject_id="a" * 32,
        contents={ReportSection.RECORDS: []}, chosen=[ReportSection.RECORDS], withheld=[],
    )  # fmt: skip


def code_of(token: str, signer: ReportSigner, now: datetime = NOW) -> str:
    with pytest.raises(ReportError) as refused:
        verify_report(token, signer.verify_keys, now=now)
    return refused.value.code


def test_a_signed_report_verifies_and_names_each_section_state(signer: ReportSigner) -> None:
    report = verify_report(signer.sign(document()).jws, signer.verify_keys, now=NOW)
    assert report.kid == "report-1"
    assert report.section_states() == [("IDENTITY", "not disclosed"), ("RECORDS", "disclosed"),
                                       ("LINKED_RECORDS", "not disclosed"), ("LIST_ENTRIES", "not disclosed")]  # fmt: skip


def test_the_signed_payload_is_the_canonical_document(signer: ReportSigner) -> None:
    signed = signer.sign(document())
    assert signed.payload == json.dumps(document(), sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False).encode()  # fmt: skip
    assert signed.jws.split(".")[1] == b64(signed.payload)


def test_headers_other_than_the_three_members_are_malformed(signer: ReportSigner) -> None:
    token = signer.sign(document()).jws
    _, payload, signature = token.split(".")
    for header in (
        {"alg": "none", "kid": "report-1", "typ": "credit-report+jws"},
        {"alg": "Ed25519", "kid": "report-1", "typ": "JWT"},
        {"alg": "Ed25519", "kid": "report-1", "typ": "credit-report+jws", "crit": ["b64"]},
    ):
        forged = f"{b64(json.dumps(header).encode())}.{payload}.{signature}"
        assert code_of(forged, signer) == "REPORT_MALFORMED"
    twice = b'{"alg":"Ed25519","kid":"report-9","kid":"report-1","typ":"credit-report+jws"}'
    assert code_of(f"{b64(twice)}.{payload}.{signature}", signer) == "REPORT_MALFORMED"
    assert code_of("not a report", signer) == "REPORT_MALFORMED"


def test_a_good_signature_over_something_else_than_a_report_is_malformed(signer: ReportSigner) -> None:
    keyring_key = signer.key
    assert keyring_key is not None
    header = {"alg": "Ed25519", "kid": "report-1", "typ": "credit-report+jws"}
    token = jws.serialize_compact(header, b'{"hello":"world"}', keyring_key, registry=JWS_REGISTRY)
    assert code_of(token, signer) == "REPORT_MALFORMED"


def test_another_purposes_key_does_not_sign_reports(signer: ReportSigner) -> None:
    other = Keyring.generate()
    key = signing_key(other, other.current_signing_kid(SigningPurpose.AUDIT))
    header = {"alg": "Ed25519", "kid": "report-1", "typ": "credit-report+jws"}
    payload = json.dumps(document()).encode()
    token = jws.serialize_compact(header, payload, key, registry=JWS_REGISTRY)
    assert code_of(token, signer) == "REPORT_SIGNATURE_INVALID"


def test_expiry_is_checked_after_the_signature(signer: ReportSigner) -> None:
    token = signer.sign(document()).jws
    assert code_of(token, signer, NOW + timedelta(days=30)) == "REPORT_EXPIRED"
    head, payload, signature = token.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    assert code_of(f"{head}.{payload}.{flipped}", signer, NOW + timedelta(days=30)) == (
        "REPORT_SIGNATURE_INVALID"
    )


def test_validity_comes_from_the_policy_file_and_a_bad_file_stops_start_up(tmp_path: Path) -> None:
    rules = ReportRules.load(REPO / "policies")
    assert rules.validity(ConsentPurpose.PUBLIC_PROCUREMENT) == timedelta(days=90)
    assert rules.validity(ConsentPurpose.EMPLOYMENT) == timedelta(days=30)
    (tmp_path / "reports.toml").write_text('source = "x"\n[validity]\ndefault_days = 30\n'
                                           '[validity.purposes]\nTENDERS = 5\n')  # fmt: skip
    with pytest.raises(ConfigurationError, match="names no purpose 'TENDERS'"):
        ReportRules.load(tmp_path)
