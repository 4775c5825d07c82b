"""Identity values never reach an audit event: by position in documents and variables, and by shape
anywhere else; pseudonyms are the store's blind indexes."""

from __future__ import annotations

import pytest
from graphql import parse

from gateway.audit.pseudonyms import PSEUDONYM, Pseudonyms
from gateway.audit.redaction import Redactor, document_facts, sensitive_kind
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring
from tests.helpers import credit_code, id_number

ID = id_number(seq=31)
OTHER_ID = id_number(region="370102", seq=41)
PHONE = "13812345678"
TOKEN = "eyJhbGciOiJFZDI1NTE5In0.eyJjaWQiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
COMPANY = credit_code("913717020000777")
SHOP = credit_code("923717020000888")


@pytest.fixture
def pseudonyms(keyring: Keyring) -> Pseudonyms:
    return Pseudonyms(FieldCipher(keyring), keyring.pseudonym_key)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("idNumber", "id_number"), ("subjectIdNumber", "id_number"), ("phone", "phone"),
     ("consent", "token"), ("consentToken", "token"), ("creditCode", "credit_code"),
     ("subjectCreditCode", "credit_code"), ("purpose", None), ("id", None)],
)  # fmt: skip
def test_argument_names_say_which_values_are_identities(name: str, kind: str | None) -> None:
    assert sensitive_kind(name) == kind


def test_an_identity_number_pseudonym_is_its_blind_index_under_the_audit_pseudonym_key(
    keyring: Keyring, pseudonyms: Pseudonyms
) -> None:
    cipher = FieldCipher(keyring)
    expected = cipher.pseudonym_index("id_number", ID)
    assert expected != cipher.blind_index("id_number", ID)  # not the store's index: that key rotates
    pseudonym = pseudonyms.id_number(ID.lower())
    assert pseudonym.startswith("idn:") and PSEUDONYM.match(pseudonym)
    assert bytes(int(ch, 36) - 10 for ch in pseudonym[4:]) == bytes(
        n for b in expected for n in (b >> 4, b & 15)
    )
    assert pseudonyms.pseudonym("phone", "+86 138-1234-5678") == pseudonyms.pseudonym("phone", PHONE)
    assert pseudonyms.pseudonym("credit_code", COMPANY) == COMPANY  # organisations' codes are public
    assert pseudonyms.pseudonym("credit_code", SHOP).startswith("ucc:")  # an individual business's is not
    assert pseudonyms.pseudonym("token", TOKEN).startswith("tok:")
    assert not any(ch.isdigit() for ch in pseudonyms.pseudonym("token", TOKEN)[4:])


def test_variables_are_redacted_by_where_they_are_used(pseudonyms: Pseudonyms) -> None:
    document = parse(
        "query($a: String!, $b: String, $r: [RecordSubmission!]!, $unused: String) {"
        " person(idNumber: $a, consent: $b, purpose: EMPLOYMENT) { name }"
        " other: submitRecords(records: $r) { created } }"
    )
    facts = document_facts(document, pseudonyms)
    redactor = Redactor(pseudonyms)
    out = redactor.variables(
        {
            "a": ID,
            "b": TOKEN,
            "r": [{"subjectIdNumber": OTHER_ID, "content": f"当事人电话{PHONE}", "amount": 1.5}],
            "unused": f"身份证{OTHER_ID}",
            "undeclared": ID,
        },
        facts.positions,
    )
    assert out["a"] == pseudonyms.id_number(ID)
    assert out["b"] == pseudonyms.pseudonym("token", TOKEN)
    record = out["r"][0]
    assert record["subjectIdNumber"] == pseudonyms.id_number(OTHER_ID)
    assert record["content"] == "当事人电话" + pseudonyms.pseudonym("phone", PHONE)
    assert record["amount"] == "1.5"
    assert out["unused"] == "身份证" + pseudonyms.id_number(OTHER_ID)
    assert "undeclared" not in out
    text = repr(out)
    assert ID not in text and OTHER_ID not in text and PHONE not in text and TOKEN not in text
    assert pseudonyms.id_number(ID) in redactor.found


def test_literals_in_the_document_are_redacted_before_it_is_hashed(pseudonyms: Pseudonyms) -> None:
    inline = parse(
        f'query q{ID} {{ a{OTHER_ID}: person(idNumber: "{ID}", consent: "{TOKEN}", purpose: EMPLOYMENT) {{ name }} }}'
    )
    facts = document_facts(inline, pseudonyms)
    as_variables = document_facts(
        parse(
            f'query q{ID} {{ a{OTHER_ID}: person(idNumber: "{ID.lower()}", consent: "{TOKEN}", purpose: EMPLOYMENT) {{ name }} }}'
        ),
        pseudonyms,
    )
    assert facts.sha256 == as_variables.sha256  # the hash stands for the redacted document
    assert pseudonyms.id_number(ID) in facts.pseudonyms
    assert pseudonyms.id_number(OTHER_ID) in facts.pseudonyms  # found in the alias
    assert facts.operations[0].name == "q" + pseudonyms.id_number(ID)
    assert facts.operations[0].root_fields == ("person",)


def test_an_integer_literal_in_an_identity_position_is_redacted(pseudonyms: Pseudonyms) -> None:
    digits = ID[:17] + "1" if ID[17] == "X" else ID
    facts = document_facts(
        parse(f"{{ person(idNumber: {digits}, purpose: EMPLOYMENT) {{ name }} }}"), pseudonyms
    )
    assert pseudonyms.id_number(digits) in facts.pseudonyms


def test_the_operation_to_run_is_the_named_or_the_only_one(pseudonyms: Pseudonyms) -> None:
    two = document_facts(parse("query A { __typename } mutation B { __typename }"), pseudonyms)
    assert two.operation(None) is None
    assert two.operation("B") is not None and two.operation("B").type == "mutation"  # type: ignore[union-attr]
    one = document_facts(parse('{ organization(creditCode: "x") { name } }'), pseudonyms)
    assert one.operation(None) is not None and one.operation(None).root_fields == ("organization",)  # type: ignore[union-attr]
