from __future__ import annotations

import hashlib
import hmac

import pytest

from gateway.errors import DecryptionFailed, KeyringError
from gateway.keys.crypto import BLIND_INDEX_BITS, FieldCipher, key_version_of
from gateway.keys.keyring import Keyring


def test_round_trip_binds_table_column_and_row(cipher: FieldCipher) -> None:
    blob = cipher.encrypt("张三", table="persons", column="name_enc", row="a" * 32)
    assert cipher.decrypt(blob, table="persons", column="name_enc", row="a" * 32) == "张三"
    assert "张三".encode() not in blob


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        ("persons", "name_enc", "b" * 32),  # copied to another row
        ("persons", "address_enc", "a" * 32),  # copied to another column
        ("organizations", "name_enc", "a" * 32),  # copied to another table
    ],
)
def test_ciphertext_moved_elsewhere_does_not_decrypt(
    cipher: FieldCipher, table: str, column: str, row: str
) -> None:
    blob = cipher.encrypt("370103199001011234", table="persons", column="name_enc", row="a" * 32)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(blob, table=table, column=column, row=row)


def test_relabelled_key_version_does_not_decrypt(keyring: Keyring) -> None:
    rotated = FieldCipher(keyring.with_new_version())
    blob = bytearray(rotated.encrypt("x", table="t", column="c", row="r", version=1))
    blob[2] = 2  # claim key version 2
    with pytest.raises(DecryptionFailed):
        rotated.decrypt(bytes(blob), table="t", column="c", row="r")


def test_each_value_records_its_key_version(keyring: Keyring) -> None:
    rotated = FieldCipher(keyring.with_new_version())
    assert key_version_of(rotated.encrypt("x", table="t", column="c", row="r")) == 2
    assert key_version_of(rotated.encrypt("x", table="t", column="c", row="r", version=1)) == 1


def test_unknown_key_version_is_a_keyring_error(keyring: Keyring) -> None:
    blob = FieldCipher(keyring.with_new_version()).encrypt("x", table="t", column="c", row="r")
    with pytest.raises(KeyringError):
        FieldCipher(keyring).decrypt(blob, table="t", column="c", row="r")


def test_truncated_or_tampered_values_fail(cipher: FieldCipher) -> None:
    blob = cipher.encrypt("x", table="t", column="c", row="r")
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(blob[:10], table="t", column="c", row="r")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(tampered, table="t", column="c", row="r")


def test_same_plaintext_encrypts_differently(cipher: FieldCipher) -> None:
    one = cipher.encrypt("x", table="t", column="c", row="r")
    assert one != cipher.encrypt("x", table="t", column="c", row="r")


@pytest.mark.parametrize(("kind", "bits"), sorted(BLIND_INDEX_BITS.items()))
def test_blind_index_is_deterministic_keyed_and_truncated(keyring: Keyring, kind: str, bits: int) -> None:
    cipher = FieldCipher(keyring)
    one = cipher.blind_index(kind, "13800138000")
    assert one == FieldCipher(keyring).blind_index(kind, "13800138000")
    assert one != FieldCipher(Keyring.generate()).blind_index(kind, "13800138000")
    assert len(one) * 8 >= bits
    assert int.from_bytes(one, "big") & ((1 << (len(one) * 8 - bits)) - 1) == 0


def test_blind_index_separates_field_domains(cipher: FieldCipher) -> None:
    assert cipher.blind_index("id_number", "1") != cipher.blind_index("credit_code", "1")


def test_blind_index_is_the_truncated_hmac_sha256_of_kind_and_value(keyring: Keyring) -> None:
    """Pinned to its definition: stored indexes stay valid whatever computes the HMAC."""
    mac = hmac.new(keyring.index_key.reveal(), b"id_number\x1f370102198503141234", hashlib.sha256).digest()
    assert FieldCipher(keyring).blind_index("id_number", "370102198503141234") == mac[:4]


def test_key_material_never_appears_in_reprs(keyring: Keyring) -> None:
    cipher = FieldCipher(keyring)
    secret_hexes = [k.reveal().hex() for k in keyring.data_keys.values()] + [keyring.index_key.reveal().hex()]
    for text in (repr(keyring), str(keyring), repr(cipher), repr(keyring.index_key)):
        for secret in secret_hexes:
            assert secret not in text
        assert "reveal" not in text


def test_a_row_encrypted_at_once_reads_back_field_by_field_each_under_its_own_nonce(
    cipher: FieldCipher,
) -> None:
    plain = {"name_enc": "张伟", "phone_enc": None, "address_enc": "山东省菏泽市", "religion_enc": "佛教"}
    sealed = cipher.encrypt_row(plain, table="persons", row="r1")
    assert sealed["phone_enc"] is None
    blobs = {column: blob for column, blob in sealed.items() if blob is not None}
    for column, blob in blobs.items():
        assert cipher.decrypt(blob, table="persons", column=column, row="r1") == plain[column]
        assert key_version_of(blob) == cipher.current_version
        with pytest.raises(DecryptionFailed):
            cipher.decrypt(blob, table="persons", column=column, row="r2")
    assert len({blob[3:15] for blob in blobs.values()}) == len(blobs)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(blobs["name_enc"], table="persons", column="address_enc", row="r1")
    again = cipher.encrypt_row(plain, table="persons", row="r1")
    assert all(again[c] != blob for c, blob in blobs.items())
