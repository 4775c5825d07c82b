"""Validation of the two national subject identifiers.

- Resident identity number, GB 11643-1999: 6-digit region code (GB/T 2260), 8-digit birth date,
  3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character.
- Unified social credit code, GB 32100-2015: registration department, subject kind, 6-digit region
  code, 9-character organisation code, and a MOD 31 check character over a 31-symbol alphabet.

Errors name the field and the reason but never echo the value: error messages end up in logs and
audit events, and an identity number must not.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from gateway.errors import InvalidInput
from gateway.regions import PROVINCES

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_CC_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# Check characters are memoised: an import or seed validates the same authority, provider and
# subject identifiers on many rows (a CSV row names its authority and provider by code, and a
# subject appears in several rows).
CHECK_MEMO = 1 << 16


@lru_cache(maxsize=CHECK_MEMO)
def id_number_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(raw: str, *, field: str = "idNumber", today: date | None = None) -> str:
    """Return the canonical form (upper-case X) of a valid identity number, or raise InvalidInput."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidInput(field, f"an identity number has 18 characters, got {len(value)}")
    if not value[:17].isascii() or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise InvalidInput(field, "an identity number is 17 digits followed by a digit or X")
    if value[:2] not in PROVINCES or value[2:6] == "0000":
        raise InvalidInput(field, "unknown region code")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput(field, "impossible birth date") from None
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidInput(field, "impossible birth date")
    if id_number_check_char(value[:17]) != value[17]:
        raise InvalidInput(field, "bad check character")
    return value


@lru_cache(maxsize=CHECK_MEMO)
def credit_code_check_char(first17: str) -> str:
    """GB 32100-2015 check character: 31 - (weighted sum mod 31), with 31 written as 0."""
    total = sum(_CC_VALUE[ch] * w for ch, w in zip(first17, _CC_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(raw: str, *, field: str = "creditCode") -> str:
    """Return the canonical (upper-case) form of a valid credit code, or raise InvalidInput."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidInput(field, f"a unified social credit code has 18 characters, got {len(value)}")
    if any(ch not in _CC_VALUE for ch in value):
        raise InvalidInput(field, "a unified social credit code uses digits and A-Y without I, O, S, V, Z")
    if not value[2:8].isdigit() or value[2:4] not in PROVINCES:
        raise InvalidInput(field, "unknown region code")
    if credit_code_check_char(value[:17]) != value[17]:
        raise InvalidInput(field, "bad check character")
    return value


def may_be_id_number(text: str, *, today: date | None = None) -> bool:
    """Whether an 18-character run of digits (last one may be X) found in free text could be a
    person's identity number, for pseudonymising it where it stands.

    The birth date (characters 7 to 14) is what makes a number a person's: it must be a real date
    from 1900 on. The check character is not required, so a number with a mistyped last character,
    which still names its person, is hidden too. What is excluded is a valid unified social credit
    code whose identity check character is wrong: an organisation's public code (all-digit codes
    are common), not a person. A string valid as both is treated as an identity number: privacy
    fails closed."""
    value = text.upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    if id_number_check_char(value[:17]) == value[17]:
        return True
    return not (value[17] in _CC_VALUE and credit_code_check_char(value[:17]) == value[17])


def birth_date(id_number: str) -> date:
    """Birth date of an already-validated identity number."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
