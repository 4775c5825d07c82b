"""Trusted documents below HTTP: the id of a text, the policy file and setting, the token count the
limits compare, and how long a worker keeps a document it read (a removed one stops within that)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import GraphQLError, parse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.access.document_policy import DocumentMode, DocumentPolicy
from gateway.access.tokens import Role
from gateway.api.schema import build_schema
from gateway.api.trusted_documents import Requested, TrustedDocuments, count_tokens
from gateway.errors import ConfigurationError, DocumentIdInvalid, DocumentRequired, DocumentUnknown
from gateway.settings import Settings
from gateway.store import documents
from tests.gateway_fixtures import REPO

TEXT = "query Name($c: String!) { organization(creditCode: $c) { name # a comment\n creditCode } }"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_a_documents_id_is_the_sha256_of_its_utf8_bytes_and_only_that_shape_parses() -> None:
    digest = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert documents.document_id(TEXT) == f"sha256:{digest}"
    assert documents.parse_id(f"sha256:{digest}") == f"sha256:{digest}"
    assert documents.parse_id(digest, bare_hex=True) == f"sha256:{digest}"
    for bad in (digest, f"sha256:{digest.upper()}", f"sha256:{digest[:-1]}", f"SHA256:{digest}", None, 7):
        with pytest.raises(DocumentIdInvalid):
            documents.parse_id(bad)


def test_the_token_count_kept_is_the_one_graphql_cores_limit_counts() -> None:
    tokens = count_tokens(TEXT)
    parse(TEXT, max_tokens=tokens)
    with pytest.raises(GraphQLError):
        parse(TEXT, max_tokens=tokens - 1)


def test_the_shipped_policy_requires_documents_of_partners_only_under_require(tmp_path: Path) -> None:
    policy = DocumentPolicy.load(REPO / "policies", DocumentMode.REQUIRE)
    assert policy.requires_document(Role.PARTNER) and policy.cache_seconds == 60
    assert not any(policy.requires_document(r) for r in Role if r is not Role.PARTNER)
    allow = DocumentPolicy.load(REPO / "policies", DocumentMode.ALLOW)
    assert not allow.requires_document(Role.PARTNER) and allow.accepts_ids
    assert not DocumentPolicy.load(REPO / "policies", DocumentMode.OFF).accepts_ids
    (tmp_path / "trusted-documents.toml").write_text('require = ["BANKER"]\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown role"):
        DocumentPolicy.load(tmp_path, DocumentMode.REQUIRE)
    (tmp_path / "trusted-documents.toml").write_text("require = []\ncache = 5\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown key"):
        DocumentPolicy.load(tmp_path, DocumentMode.REQUIRE)


def test_the_setting_defaults_to_allow_and_refuses_other_words() -> None:
    assert Settings.from_env({}).trusted_documents == "allow"
    assert Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS": " Require "}).trusted_documents == "require"
    with pytest.raises(ValueError, match="GATEWAY_TRUSTED_DOCUMENTS"):
        Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS": "on"})


def test_a_worker_keeps_a_document_for_cache_seconds_and_then_finds_it_removed(engine: Engine) -> None:
    sessions = sessionmaker(engine)
    with Session(engine) as session, session.begin():
        doc_id = documents.add(session, TEXT, now=NOW)[0].id
    now = [0.0]
    policy = DocumentPolicy(DocumentMode.REQUIRE, frozenset({Role.PARTNER}), cache_seconds=30)
    trusted = TrustedDocuments(build_schema(), sessions, policy, clock=lambda: now[0])
    prepared = trusted.resolve(Requested(None, doc_id), Role.PARTNER)
    assert prepared is not None and prepared.text == TEXT and prepared.operation_names == ("Name",)
    assert prepared.shape.depth == 2 and prepared.tokens == count_tokens(TEXT)
    with pytest.raises(DocumentRequired):
        trusted.resolve(Requested(TEXT, None), Role.PARTNER)
    assert trusted.resolve(Requested(TEXT, None), Role.PUBLIC) is None  # the public may send text

    with Session(engine) as session, session.begin():
        assert documents.remove(session, doc_id)
    now[0] = 29.0
    assert trusted.resolve(Requested(None, doc_id), Role.PARTNER) is prepared  # still kept
    now[0] = 31.0
    with pytest.raises(DocumentUnknown):
        trusted.resolve(Requested(None, doc_id), Role.PARTNER)


def test_an_unregistered_id_sent_with_its_text_runs_as_text_unless_the_role_must_name_documents(
    engine: Engine,
) -> None:
    asked = Requested(TEXT, documents.document_id(TEXT))  # nothing registered
    require = DocumentPolicy(DocumentMode.REQUIRE, frozenset({Role.PARTNER}), cache_seconds=30)
    trusted = TrustedDocuments(build_schema(), sessionmaker(engine), require)
    assert trusted.resolve(asked, Role.PUBLIC) is None
    with pytest.raises(DocumentUnknown):
        trusted.resolve(asked, Role.PARTNER)
    with pytest.raises(DocumentUnknown):
        trusted.resolve(Requested(None, asked.document_id), Role.PUBLIC)
    off = DocumentPolicy(DocumentMode.OFF, frozenset(), cache_seconds=30)
    assert TrustedDocuments(build_schema(), sessionmaker(engine), off).resolve(asked, Role.PARTNER) is None
