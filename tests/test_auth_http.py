"""Caller tokens over real HTTP: forged, expired, tampered, unsigned and foreign tokens are refused
with 401 and their own code, and the answer carries no data."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.keys.keyring import Keyring
from tests import forge
from tests.gateway_fixtures import BANK_CODE, COMPANY, GatewayEnv, build_env
from tests.server import running

QUERY = "query($code: String!) { organization(creditCode: $code) { name creditCode } }"
IDP = "https://idp.finance.example"


@pytest.fixture
def idp_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def env(tmp_path: Path, database_url: str, idp_key: Ed25519PrivateKey) -> GatewayEnv:
    trusted = tmp_path / "trusted-issuers.json"
    jwks = {"keys": [forge.public_jwk(idp_key, "fin-1")]}
    trusted.write_text(json.dumps([{"issuer": IDP, "jwks": jwks, "audience": "credit-gateway"}]))
    return build_env(tmp_path, database_url, trusted_issuers_path=trusted)


@pytest.fixture
def app_and_client(env: GatewayEnv) -> Iterator[tuple[Any, httpx.Client]]:
    app = create_app(env.settings)
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield app, http


@pytest.fixture
def client(app_and_client: tuple[Any, httpx.Client]) -> httpx.Client:
    return app_and_client[1]


def now() -> int:
    return int(time.time())


def partner_claims(**changes: Any) -> dict[str, Any]:
    base = {"org": BANK_CODE, "agency_kind": "FINANCE", "iat": now(), "exp": now() + 600}
    return forge.claims("partner", **(base | changes))


def own_key(env: GatewayEnv) -> Ed25519PrivateKey:
    return forge.private_key(env.keyring, "token-1")


REVOKE = "mutation($id: String!) { revokeToken(tokenId: $id) { tokenId keptUntil } }"


def ask(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"code": COMPANY.credit_code}},
        headers={"Authorization": f"Bearer {token}"},
    )


def assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": code}
    assert COMPANY.name not in response.text


def b64u_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_genuine_token_gets_the_data(client: httpx.Client, env: GatewayEnv) -> None:
    response = ask(client, forge.sign(forge.header(), partner_claims(), own_key(env)))
    assert response.status_code == 200
    assert response.json() == {
        "data": {"organization": {"name": COMPANY.name, "creditCode": COMPANY.credit_code}}
    }


def test_a_token_signed_by_another_keyring_is_refused(client: httpx.Client) -> None:
    other = forge.private_key(Keyring.generate(), "token-1")  # same kid, same issuer, other key
    assert_refused(
        ask(client, forge.sign(forge.header(), partner_claims(), other)), "TOKEN_SIGNATURE_INVALID"
    )


def test_an_expired_token_is_refused(client: httpx.Client, env: GatewayEnv) -> None:
    expired = partner_claims(iat=now() - 3_700, exp=now() - 100)  # past the 30 s leeway
    assert_refused(ask(client, forge.sign(forge.header(), expired, own_key(env))), "TOKEN_EXPIRED")


def test_a_token_from_the_future_is_refused(client: httpx.Client, env: GatewayEnv) -> None:
    future = partner_claims(iat=now() + 600, exp=now() + 1_200)
    assert_refused(ask(client, forge.sign(forge.header(), future, own_key(env))), "TOKEN_NOT_YET_VALID")


@pytest.mark.parametrize(
    "change",
    [
        {"role": "admin", "org": forge.DROP, "agency_kind": forge.DROP},
        {"agency_kind": "COURT"},
        {"exp": 4_000_000_000},
    ],
    ids=["role raised to admin", "agency kind changed", "lifetime extended"],
)
def test_a_token_whose_payload_was_changed_after_signing_is_refused(
    client: httpx.Client, env: GatewayEnv, change: dict[str, Any]
) -> None:
    head, _, signature = forge.sign(forge.header(), partner_claims(), own_key(env)).split(".")
    tampered = {k: v for k, v in {**partner_claims(), **change}.items() if v is not forge.DROP}
    assert_refused(ask(client, f"{head}.{b64u_json(tampered)}.{signature}"), "TOKEN_SIGNATURE_INVALID")


@pytest.mark.parametrize("signature", ["", "c2ln"], ids=["empty signature", "some signature"])
def test_an_unsigned_alg_none_token_is_refused(client: httpx.Client, signature: str) -> None:
    token = f"{b64u_json({'alg': 'none', 'typ': 'JWT'})}.{b64u_json(partner_claims())}.{signature}"
    assert_refused(ask(client, token), "TOKEN_MALFORMED")


def test_an_hs256_token_keyed_with_the_public_key_is_refused(client: httpx.Client, env: GatewayEnv) -> None:
    public = forge.public_raw(own_key(env))
    token = forge.sign_hs256(forge.header(alg="HS256"), partner_claims(), public)
    assert_refused(ask(client, token), "TOKEN_MALFORMED")


def test_a_token_of_an_untrusted_issuer_is_refused(client: httpx.Client, env: GatewayEnv) -> None:
    claims = partner_claims(iss="https://idp.unknown.example")
    assert_refused(ask(client, forge.sign(forge.header(), claims, own_key(env))), "TOKEN_UNKNOWN_ISSUER")


def test_a_trusted_issuer_signs_for_itself_only(
    client: httpx.Client, env: GatewayEnv, idp_key: Ed25519PrivateKey
) -> None:
    claims = partner_claims(iss=IDP, aud="credit-gateway")
    accepted = ask(client, forge.sign(forge.header(kid="fin-1"), claims, idp_key))
    assert accepted.status_code == 200 and accepted.json()["data"]["organization"]["name"] == COMPANY.name
    # Its key cannot sign in this gateway's name, nor this gateway's key in its name.
    mine = partner_claims()
    assert_refused(
        ask(client, forge.sign(forge.header(kid="fin-1"), mine, idp_key)), "TOKEN_SIGNATURE_INVALID"
    )
    assert_refused(ask(client, forge.sign(forge.header(), claims, own_key(env))), "TOKEN_SIGNATURE_INVALID")
    # Without its audience, the identity provider's token could have been minted for another service.
    unaudienced = partner_claims(iss=IDP)
    assert_refused(
        ask(client, forge.sign(forge.header(kid="fin-1"), unaudienced, idp_key)), "TOKEN_CLAIMS_INVALID"
    )


def test_a_token_with_claims_that_do_not_fit_its_role_is_refused(
    client: httpx.Client, env: GatewayEnv
) -> None:
    claims = forge.claims("admin", person="0123456789abcdef" * 2, iat=now(), exp=now() + 600)
    assert_refused(ask(client, forge.sign(forge.header(), claims, own_key(env))), "TOKEN_CLAIMS_INVALID")


def test_a_token_revoked_by_an_admin_is_refused_at_once_even_after_it_was_cached(
    client: httpx.Client, env: GatewayEnv
) -> None:
    token = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE")
    assert ask(client, token).status_code == 200  # now in the verified-token cache
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    revoked = client.post(
        "/graphql",
        json={"query": REVOKE, "variables": {"id": claims["jti"]}},
        headers=env.headers(Role.ADMIN, subject="ops"),
    ).json()
    assert revoked["data"]["revokeToken"]["tokenId"] == claims["jti"]
    assert_refused(ask(client, token), "TOKEN_REVOKED")


def test_a_caller_revokes_its_own_token_and_only_admins_revoke_others(
    client: httpx.Client, env: GatewayEnv
) -> None:
    mine = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE")
    other = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE")
    other_id = json.loads(base64.urlsafe_b64decode(other.split(".")[1] + "=="))["jti"]
    headers = {"Authorization": f"Bearer {mine}"}
    refused = client.post("/graphql", json={"query": REVOKE, "variables": {"id": other_id}}, headers=headers)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN_OPERATION"
    signed_out = client.post(
        "/graphql", json={"query": "mutation { revokeMyToken { keptUntil } }"}, headers=headers
    )
    assert signed_out.json()["data"]["revokeMyToken"]["keptUntil"]
    assert_refused(ask(client, mine), "TOKEN_REVOKED")
    assert ask(client, other).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer", "bearer x", "Bearer a.b", "Bearer " + "a" * 9_000, "Bearer a.b.c d", "Token abc"],
)
def test_authorization_headers_that_are_not_a_bearer_token_are_refused(
    client: httpx.Client, header: str
) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": header})
    assert_refused(response, "TOKEN_MALFORMED")
