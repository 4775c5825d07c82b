from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings


def test_token_settings_default_to_the_documented_values() -> None:
    settings = Settings.from_env({})
    assert settings.issuer_id == "credit-gateway"
    assert settings.token_max_ttl == 86_400
    assert settings.token_cache_size == 10_000
    assert settings.trusted_issuers_path is None


def test_token_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_ISSUER_ID": "https://credit.example/gateway",
            "GATEWAY_TOKEN_MAX_TTL": "3600",
            "GATEWAY_TOKEN_CACHE_SIZE": "0",
            "GATEWAY_TRUSTED_ISSUERS": "conf/issuers.json",
        }
    )
    assert settings.issuer_id == "https://credit.example/gateway"
    assert settings.token_max_ttl == 3600
    assert settings.token_cache_size == 0
    assert settings.trusted_issuers_path == Path("conf/issuers.json")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_TOKEN_MAX_TTL", "0"),
        ("GATEWAY_TOKEN_MAX_TTL", "1d"),
        ("GATEWAY_TOKEN_CACHE_SIZE", "-1"),
        ("GATEWAY_ISSUER_ID", " "),
    ],
)
def test_bad_token_settings_are_refused_with_their_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
