from __future__ import annotations

from datetime import date

import pytest

from gateway.errors import InvalidInput
from gateway.identifiers import (
    credit_code_check_char,
    id_number_check_char,
    may_be_id_number,
    normalize_credit_code,
    normalize_id_number,
)

VALID_ID_NUMBERS = [
    "11010519491231002X",  # the GB 11643 worked example
    "110105194912310029"[:17] + id_number_check_char("11010519491231002"),
    "440305199001011234"[:17] + id_number_check_char("44030519900101123"),
    "371702200002290017"[:17] + id_number_check_char("37170220000229001"),  # leap day
]


@pytest.mark.parametrize("number", VALID_ID_NUMBERS)
def test_valid_identity_numbers_are_accepted(number: str) -> None:
    assert normalize_id_number(number) == number


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1101051949123100", "an identity number has 18 characters, got 16"),
        ("11010519491231002XX", "an identity number has 18 characters, got 19"),
        ("11010519491231A02X", "an identity number is 17 digits followed by a digit or X"),
        ("110105194912310021", "bad check character"),
        ("99010519491231002X", "unknown region code"),
        ("110105190002290010", "impossible birth date"),  # 1900 was not a leap year
        ("110105199913320010", "impossible birth date"),
        ("110105189912310010", "impossible birth date"),
        ("１１０１０５１９４９１２３１００２Ｘ", "an identity number is 17 digits followed by a digit or X"),
    ],
)
def test_invalid_identity_numbers_name_field_and_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_id_number(number, field="idNumber")
    assert info.value.field == "idNumber"
    assert info.value.reason == reason


def test_birth_date_in_the_future_is_impossible() -> None:
    first17 = "11010520300101001"
    with pytest.raises(InvalidInput, match="impossible birth date"):
        normalize_id_number(first17 + id_number_check_char(first17), today=date(2026, 1, 1))


def test_error_never_echoes_the_identity_number() -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_id_number("110105194912310021")
    assert "110105194912310021" not in str(info.value)


VALID_CREDIT_CODES = [
    "91350100M000100Y43",  # the GB 32100 worked example
    "91110000100000001" + credit_code_check_char("91110000100000001"),
    "11371700MB2850001" + credit_code_check_char("11371700MB2850001"),
]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes_are_accepted(code: str) -> None:
    assert normalize_credit_code(code.lower()) == code


def test_check_value_31_is_written_as_zero() -> None:
    # Search for a prefix whose weighted sum is a multiple of 31: its check character must be "0".
    for n in range(1000):
        prefix = f"9137170000000{n:04d}"
        if credit_code_check_char(prefix) == "0":
            assert normalize_credit_code(prefix + "0") == prefix + "0"
            return
    pytest.fail("no prefix with check value 0 found")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "a unified social credit code has 18 characters, got 17"),
        ("91350100M000100Y44", "bad check character"),
        ("91350100M0001O0Y43", "a unified social credit code uses digits and A-Y without I, O, S, V, Z"),
        ("91990100M000100Y4" + "0", "unknown region code"),
    ],
)
def test_invalid_credit_codes_name_field_and_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_credit_code(code, field="authorityCode")
    assert info.value.field == "authorityCode"
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11010519491231002X", True),  # a valid identity number
        ("110105194912310021", True),  # the same with a mistyped check character
        ("113717004228567147", False),  # an all-digit credit code: characters 7-14 are no birth date
        ("371702198503141230", True),  # a birth date and neither check character: fail closed
        ("37170219851314123X", False),  # month 13
        ("37170218000101123X", False),  # born before 1900
        ("3717021985031412", False),  # too short
    ],
)
def test_may_be_id_number_finds_what_names_a_person(text: str, expected: bool) -> None:
    assert may_be_id_number(text) is expected


def test_a_credit_code_with_a_birth_date_inside_is_not_taken_for_an_identity_number() -> None:
    code = "913717198503141239"  # characters 7-14 read 19850314
    assert normalize_credit_code(code) == code
    assert id_number_check_char(code[:17]) != code[17]
    assert may_be_id_number(code) is False
