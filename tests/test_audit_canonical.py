"""Canonical event bytes and signed tree heads: what an outside party recomputes and checks."""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.canonical import NotCanonical, canonical_bytes, clean_text, format_time, parse, parse_time
from gateway.audit.heads import HeadSigner, TreeHead, audit_public_keys, head_message, millis, verify_head
from gateway.audit.merkle import leaf_hash
from gateway.keys.keyring import Keyring, SigningPurpose


def test_canonical_bytes_sort_keys_drop_whitespace_and_keep_utf8() -> None:
    value = {"b": [1, True, None], "a": '张三\n"\\\x01\x7f', "é": {"z": 0, "Z": -5}}
    expected = '{"a":"张三\\n\\"\\\\\\u0001\x7f","b":[1,true,null],"é":{"Z":-5,"z":0}}'.encode()
    assert canonical_bytes(value) == expected
    assert parse(expected) == value


@pytest.mark.parametrize("value", [1.5, {"a": float("nan")}, {1: "x"}, "\ud800", ["ok", b"bytes"]])
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(NotCanonical):
        canonical_bytes(value)


def test_non_canonical_bytes_do_not_parse() -> None:
    with pytest.raises(ValueError):
        parse(b'{"b":1, "a":2}')
    with pytest.raises(ValueError):
        parse(b'{"b":1,"a":2}')


@pytest.mark.parametrize(
    "data",
    [b'{"a":1.5}', b'{"a":NaN}', b'{"a":-Infinity}', b'{"a":"\\ud800"}', b'{"a":1,"a":1}', b'{"a":-0}'],
)
def test_bytes_of_values_without_a_canonical_form_do_not_parse(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse(data)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-12T17:00:01.000005",
        "2026-3-12T17:00:01.000005Z",
        "2026-03-12 17:00:01.000005Z",
        "２026-03-12T17:00:01.000005Z",
    ],
)
def test_an_event_time_has_exactly_one_form(text: str) -> None:
    assert parse_time("2026-03-12T17:00:01.000005Z") == datetime(2026, 3, 12, 17, 0, 1, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time(text)


def test_lone_surrogates_are_replaced_and_times_have_one_form() -> None:
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert format_time(datetime(2026, 3, 12, 17, 0, 1, 5, tzinfo=UTC)) == "2026-03-12T17:00:01.000005Z"


def test_a_leaf_hash_is_sha256_of_zero_and_the_canonical_bytes() -> None:
    body = canonical_bytes({"seq": 0, "v": 1})
    assert leaf_hash(body) == hashlib.sha256(b"\x00" + b'{"seq":0,"v":1}').digest()


def test_the_signed_message_is_rfc6962_tree_head_signature() -> None:
    root = bytes(range(32))
    message = head_message(7, root, 1_773_306_000_123)
    assert message == struct.pack(">BBQQ", 0, 1, 1_773_306_000_123, 7) + root
    assert len(message) == 50


def test_heads_are_signed_by_the_audit_key_and_any_change_breaks_them() -> None:
    keyring = Keyring.generate()
    signer = HeadSigner(keyring)
    assert signer.key_id == keyring.current_signing_kid(SigningPurpose.AUDIT) == "audit-1"
    head = signer.sign(5, bytes(32), millis(datetime(2026, 3, 12, tzinfo=UTC)))
    public = audit_public_keys(keyring)["audit-1"]
    assert verify_head(head, public)
    assert TreeHead.from_json(head.to_json()) == head
    for changed in (
        TreeHead(6, head.root_hash, head.timestamp_ms, head.key_id, head.signature),
        TreeHead(5, bytes([1]) + bytes(31), head.timestamp_ms, head.key_id, head.signature),
        TreeHead(5, head.root_hash, head.timestamp_ms + 1, head.key_id, head.signature),
    ):
        assert not verify_head(changed, public)
    token_key = Ed25519PrivateKey.from_private_bytes(keyring.signing_key("token-1").reveal())
    forged = TreeHead(5, bytes(32), head.timestamp_ms, "audit-1", token_key.sign(head.message()))
    assert not signer.verify(forged)  # a caller-token key cannot vouch for a tree head


def test_older_audit_keys_still_verify_after_a_new_one_signs() -> None:
    keyring = Keyring.generate()
    old = HeadSigner(keyring).sign(1, bytes(32), 1)
    newer = HeadSigner(keyring.with_signing_key(SigningPurpose.AUDIT))
    assert newer.key_id == "audit-2"
    assert newer.verify(old) and newer.verify(newer.sign(2, bytes(32), 2))
