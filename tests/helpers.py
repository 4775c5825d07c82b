"""Builders of valid test identifiers and inputs."""

from __future__ import annotations

from datetime import date

from gateway.identifiers import credit_code_check_char, id_number_check_char


def id_number(region: str = "371702", born: date = date(1985, 3, 14), seq: int = 123) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_char(first17)


def credit_code(body: str = "913717001234567") -> str:
    """A valid credit code from a 15-character body after the two leading kind characters."""
    first17 = (body + "00")[:17] if len(body) < 17 else body[:17]
    return first17 + credit_code_check_char(first17)
