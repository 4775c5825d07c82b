from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.access.authentication import InMemoryRevocationList, TokenVerifier
from gateway.access.tokens import LEEWAY_SECONDS, PUBLIC_CALLER, Role, TokenIssuer
from gateway.access.trusted_issuers import TrustedIssuer
from gateway.domain import AgencyKind
from gateway.errors import AuthenticationError, InvalidInput, KeyringError
from gateway.keys.jwks import public_keys
from gateway.keys.keyring import Keyring, SigningPurpose
from tests.forge import (
    DROP,
    ISSUER,
    MAX_TTL,
    NOW,
    ORG,
    PERSON,
    ROLE_ARGS,
    Clock,
    b64u,
    claims,
    header,
    private_key,
    public_raw,
    sign,
    sign_hs256,
)
from tests.helpers import id_number


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def revocations(clock: Clock) -> InMemoryRevocationList:
    return InMemoryRevocationList(clock)


@pytest.fixture
def issuer(keyring: Keyring, clock: Clock) -> TokenIssuer:
    return TokenIssuer(keyring, issuer=ISSUER, max_ttl=MAX_TTL, clock=clock)


def make_verifier(
    keyring: Keyring, clock: Clock, revocations: InMemoryRevocationList, cache_size: int = 16
) -> TokenVerifier:
    own = TrustedIssuer(ISSUER, public_keys(keyring, SigningPurpose.TOKEN))
    return TokenVerifier([own], max_ttl=MAX_TTL, cache_size=cache_size, revoked=revocations, clock=clock)


@pytest.fixture
def verifier(keyring: Keyring, clock: Clock, revocations: InMemoryRevocationList) -> TokenVerifier:
    return make_verifier(keyring, clock, revocations)


# --- issuing and the round trip ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLE_ARGS))
def test_issued_token_verifies_to_the_same_caller(
    role: Role, issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    issued = issuer.issue(role=role, subject="caller-1", ttl=600, **ROLE_ARGS[role])
    caller = verifier.authenticate(f"Bearer {issued.value}")
    assert caller == issued.caller
    assert caller.id == "caller-1"
    assert caller.role is role
    assert caller.issuer == ISSUER
    assert caller.expires_at == datetime.fromtimestamp(NOW + 600, UTC)
    assert caller.token_id is not None and len(caller.token_id) == 32
    assert caller.org_code == ROLE_ARGS[role].get("org_code")
    assert caller.agency_kind == ROLE_ARGS[role].get("agency_kind")
    assert caller.person_id == ROLE_ARGS[role].get("person_id")


def decode(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_issued_token_has_the_documented_header_and_claims(issuer: TokenIssuer) -> None:
    issued = issuer.issue(role=Role.PARTNER, subject="tax-system", ttl=600, **ROLE_ARGS[Role.PARTNER])
    head, body, _ = issued.value.split(".")
    assert decode(head) == {"typ": "JWT", "alg": "Ed25519", "kid": "token-1"}
    payload = decode(body)
    assert set(payload) == {"iss", "sub", "role", "org", "agency_kind", "iat", "exp", "jti"}
    assert payload["iss"] == ISSUER
    assert payload["role"] == "partner"
    assert payload["org"] == ORG
    assert payload["agency_kind"] == "TAX"
    assert payload["exp"] - payload["iat"] == 600


def test_each_token_gets_its_own_id(issuer: TokenIssuer) -> None:
    first = issuer.issue(role=Role.ADMIN, subject="ops")
    second = issuer.issue(role=Role.ADMIN, subject="ops")
    assert first.caller.token_id != second.caller.token_id


def test_issuer_signs_with_the_newest_token_key(keyring: Keyring, clock: Clock) -> None:
    rotated = keyring.with_signing_key(SigningPurpose.TOKEN)
    issued = TokenIssuer(rotated, issuer=ISSUER, clock=clock).issue(role=Role.ADMIN, subject="ops")
    assert issued.kid == "token-2"


def test_tokens_of_a_retired_key_still_verify_after_rotation(
    issuer: TokenIssuer, keyring: Keyring, clock: Clock, revocations: InMemoryRevocationList
) -> None:
    old = issuer.issue(role=Role.ADMIN, subject="ops")
    rotated = make_verifier(keyring.with_signing_key(SigningPurpose.TOKEN), clock, revocations)
    assert rotated.verify(old.value).id == "ops"


def test_credit_code_is_normalised_when_issuing(issuer: TokenIssuer) -> None:
    issued = issuer.issue(role=Role.PROVIDER, subject="p", org_code=f" {ORG.lower()} ")
    assert issued.caller.org_code == ORG


@pytest.mark.parametrize(
    ("role", "expected"), [(Role.PROVIDER, ORG), (Role.ENTERPRISE, ORG), (Role.INDIVIDUAL, PERSON)]
)
def test_caller_id_defaults_to_the_organisation_or_the_person(
    issuer: TokenIssuer, role: Role, expected: str
) -> None:
    args = {"org_code": ORG.lower()} if role in (Role.PROVIDER, Role.ENTERPRISE) else ROLE_ARGS[role]
    assert issuer.issue(role=role, **args).caller.id == expected


def test_issued_token_never_shows_in_reprs(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    issued = issuer.issue(role=Role.ADMIN, subject="ops")
    caller = verifier.verify(issued.value)
    for text in (repr(issued), str(issued), repr(caller), repr(issuer), repr(verifier)):
        for segment in issued.value.split("."):
            assert segment not in text


@pytest.mark.parametrize(
    ("role", "args", "field"),
    [
        (Role.PARTNER, {"agency_kind": AgencyKind.TAX}, "org"),
        (Role.PARTNER, {"org_code": ORG}, "agency_kind"),
        (Role.PROVIDER, {}, "org"),
        (Role.PROVIDER, {"org_code": ORG, "agency_kind": AgencyKind.TAX}, "agency_kind"),
        (Role.INDIVIDUAL, {}, "person"),
        (Role.INDIVIDUAL, {"person_id": PERSON, "org_code": ORG}, "org"),
        (Role.INDIVIDUAL, {"person_id": PERSON.upper()}, "person"),
        (Role.ENTERPRISE, {}, "org"),
        (Role.ENTERPRISE, {"org_code": ORG, "person_id": PERSON}, "person"),  # not "for" its representative
        (Role.ENTERPRISE, {"org_code": ORG, "agency_kind": AgencyKind.TAX}, "agency_kind"),
        (Role.INDIVIDUAL, {"person_id": id_number()}, "person"),
        (Role.ADMIN, {"person_id": PERSON}, "person"),
        (Role.AUDITOR, {"org_code": ORG}, "org"),
        (Role.PARTNER, {"org_code": ORG[:-1] + "0", "agency_kind": AgencyKind.TAX}, "org"),
        (Role.PUBLIC, {}, "role"),
        (Role.ADMIN, {"ttl": 0}, "ttl"),
        (Role.ADMIN, {"ttl": MAX_TTL + 1}, "ttl"),
        (Role.ADMIN, {"subject": ""}, "sub"),
        (Role.AUDITOR, {"subject": None}, "sub"),
        (Role.ADMIN, {"subject": "ops\n"}, "sub"),
    ],
)
def test_issuer_refuses_what_the_verifier_would_refuse(
    issuer: TokenIssuer, role: Role, args: dict[str, object], field: str
) -> None:
    kwargs: dict[str, object] = {"subject": "caller-1", **args}
    with pytest.raises(InvalidInput) as refused:
        issuer.issue(role=role, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_issuer_needs_a_token_signing_key() -> None:
    keyring = Keyring.generate()
    bare = Keyring(data_keys=keyring.data_keys, index_key=keyring.index_key, signing_keys={})
    with pytest.raises(KeyringError, match="add-signing-key --purpose token"):
        TokenIssuer(bare, issuer=ISSUER)


# --- refusals, each with its code ----------------------------------------------------------------

Build = Callable[[Keyring, TokenIssuer], str]
"""Builds an Authorization header value from the test's keyring and issuer."""


def _other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _signed(head: dict[str, object] | str, body: dict[str, object] | str) -> Build:
    return lambda keyring, _: "Bearer " + sign(head, body, private_key(keyring, "token-1"))


def _tampered(keyring: Keyring, issuer: TokenIssuer) -> str:
    head, _, signature = issuer.issue(role=Role.INDIVIDUAL, subject="u", person_id=PERSON).value.split(".")
    body = b64u(json.dumps(claims("admin")))
    return f"Bearer {head}.{body}.{signature}"


def _truncated_signature(keyring: Keyring, issuer: TokenIssuer) -> str:
    return "Bearer " + issuer.issue(role=Role.ADMIN, subject="ops").value[:-4]


def _alg_none(keyring: Keyring, issuer: TokenIssuer) -> str:
    return f"Bearer {b64u(json.dumps(header(alg='none')))}.{b64u(json.dumps(claims('admin')))}.AA"


def _hs256_with_public_key(keyring: Keyring, issuer: TokenIssuer) -> str:
    secret = public_raw(private_key(keyring, "token-1"))
    return "Bearer " + sign_hs256(header(alg="HS256"), claims("admin"), secret)


REFUSALS = [
    # TOKEN_MALFORMED: not a bearer JWS, or a header we do not accept
    pytest.param(lambda k, i: "", "TOKEN_MALFORMED", id="empty-header"),
    pytest.param(lambda k, i: "Basic dXNlcjpwYXNz", "TOKEN_MALFORMED", id="basic-scheme"),
    pytest.param(lambda k, i: "Bearer", "TOKEN_MALFORMED", id="bearer-without-token"),
    pytest.param(lambda k, i: "Bearer   ", "TOKEN_MALFORMED", id="bearer-blank"),
    pytest.param(lambda k, i: i.issue(role=Role.ADMIN, subject="o").value, "TOKEN_MALFORMED", id="no-scheme"),
    pytest.param(
        lambda k, i: "Token " + i.issue(role=Role.ADMIN, subject="o").value,
        "TOKEN_MALFORMED",
        id="other-scheme",
    ),
    pytest.param(lambda k, i: "Bearer garbage", "TOKEN_MALFORMED", id="garbage"),
    pytest.param(lambda k, i: "Bearer a.b", "TOKEN_MALFORMED", id="two-segments"),
    pytest.param(lambda k, i: "Bearer a.b.c.d", "TOKEN_MALFORMED", id="four-segments"),
    pytest.param(lambda k, i: "Bearer ...", "TOKEN_MALFORMED", id="empty-segments"),
    pytest.param(lambda k, i: "Bearer a.b.c", "TOKEN_MALFORMED", id="not-base64-json"),
    pytest.param(lambda k, i: "Bearer é.é.é", "TOKEN_MALFORMED", id="non-ascii"),
    pytest.param(lambda k, i: "Bearer " + "A" * 9_000 + ".A.A", "TOKEN_MALFORMED", id="oversized"),
    pytest.param(
        lambda k, i: "Bearer eyJhbGciOiJFZDI1NTE5In0=.e30.AA", "TOKEN_MALFORMED", id="padded-base64"
    ),
    pytest.param(_signed("[1, 2]", claims()), "TOKEN_MALFORMED", id="header-not-object"),
    pytest.param(_signed(header(), "[1, 2]"), "TOKEN_MALFORMED", id="payload-not-object"),
    pytest.param(_signed(header(), "not json"), "TOKEN_MALFORMED", id="payload-not-json"),
    pytest.param(_alg_none, "TOKEN_MALFORMED", id="alg-none"),
    pytest.param(_hs256_with_public_key, "TOKEN_MALFORMED", id="alg-hs256-keyed-with-public-key"),
    pytest.param(_signed(header(alg="EdDSA"), claims()), "TOKEN_MALFORMED", id="alg-eddsa-deprecated-name"),
    pytest.param(_signed(header(alg=DROP), claims()), "TOKEN_MALFORMED", id="alg-missing"),
    pytest.param(_signed(header(kid=DROP), claims()), "TOKEN_MALFORMED", id="kid-missing"),
    pytest.param(_signed(header(kid=7), claims()), "TOKEN_MALFORMED", id="kid-not-string"),
    pytest.param(_signed(header(typ="JOSE+JSON"), claims()), "TOKEN_MALFORMED", id="typ-not-jwt"),
    pytest.param(_signed(header(b64=False), claims()), "TOKEN_MALFORMED", id="unencoded-payload-header"),
    pytest.param(_signed(header(crit=["exp"]), claims()), "TOKEN_MALFORMED", id="crit-header"),
    pytest.param(
        lambda k, i: (
            "Bearer " + sign(header(jwk={"kty": "OKP", "crv": "Ed25519", "x": "AA"}), claims(), _other_key())
        ),
        "TOKEN_MALFORMED",
        id="embedded-jwk-header",
    ),
    pytest.param(
        _signed(header(), '{"iss":"credit-gateway","role":"individual","role":"admin"}'),
        "TOKEN_MALFORMED",
        id="duplicate-claim",
    ),
    pytest.param(
        _signed(header(), json.dumps(claims()).replace("}", ',"exp":NaN}')), "TOKEN_MALFORMED", id="nan"
    ),
    # TOKEN_SIGNATURE_INVALID: not signed by a key of the issuer the token names
    pytest.param(
        lambda k, i: "Bearer " + sign(header(), claims(), _other_key()),
        "TOKEN_SIGNATURE_INVALID",
        id="forged",
    ),
    pytest.param(_tampered, "TOKEN_SIGNATURE_INVALID", id="tampered-payload"),
    pytest.param(_truncated_signature, "TOKEN_SIGNATURE_INVALID", id="truncated-signature"),
    pytest.param(_signed(header(kid="token-9"), claims()), "TOKEN_SIGNATURE_INVALID", id="unknown-kid"),
    pytest.param(
        lambda k, i: "Bearer " + sign(header(kid="audit-1"), claims(), private_key(k, "audit-1")),
        "TOKEN_SIGNATURE_INVALID",
        id="signed-with-the-audit-key",
    ),
    # TOKEN_UNKNOWN_ISSUER
    pytest.param(_signed(header(), claims(iss="someone-else")), "TOKEN_UNKNOWN_ISSUER", id="unknown-issuer"),
    # TOKEN_EXPIRED / TOKEN_NOT_YET_VALID
    pytest.param(
        lambda k, i: (
            "Bearer " + i.issue(role=Role.ADMIN, subject="o", ttl=600, now=NOW - 600 - LEEWAY_SECONDS).value
        ),
        "TOKEN_EXPIRED",
        id="expired",
    ),
    pytest.param(
        lambda k, i: "Bearer " + i.issue(role=Role.ADMIN, subject="o", now=NOW + LEEWAY_SECONDS + 1).value,
        "TOKEN_NOT_YET_VALID",
        id="issued-in-the-future",
    ),
    pytest.param(_signed(header(), claims(nbf=NOW + 300)), "TOKEN_NOT_YET_VALID", id="nbf-in-the-future"),
    # TOKEN_CLAIMS_INVALID: signed by a trusted key, but the claims do not make a caller
    *[
        pytest.param(
            _signed(header(), claims("partner", **{name: DROP})), "TOKEN_CLAIMS_INVALID", id=f"missing-{name}"
        )
        for name in ("iss", "sub", "role", "iat", "exp", "jti", "org", "agency_kind")
    ],
    pytest.param(
        _signed(header(), claims("individual", person=DROP)), "TOKEN_CLAIMS_INVALID", id="missing-person"
    ),
    pytest.param(_signed(header(), claims(iss=7)), "TOKEN_CLAIMS_INVALID", id="iss-not-string"),
    pytest.param(_signed(header(), claims("superuser")), "TOKEN_CLAIMS_INVALID", id="role-unknown"),
    pytest.param(_signed(header(), claims("public")), "TOKEN_CLAIMS_INVALID", id="role-public"),
    pytest.param(_signed(header(), claims("ADMIN")), "TOKEN_CLAIMS_INVALID", id="role-wrong-case"),
    pytest.param(_signed(header(), claims(sub="")), "TOKEN_CLAIMS_INVALID", id="sub-empty"),
    pytest.param(_signed(header(), claims(jti=["a"])), "TOKEN_CLAIMS_INVALID", id="jti-not-string"),
    pytest.param(_signed(header(), claims(exp="tomorrow")), "TOKEN_CLAIMS_INVALID", id="exp-not-number"),
    pytest.param(_signed(header(), claims(exp=True)), "TOKEN_CLAIMS_INVALID", id="exp-boolean"),
    pytest.param(
        _signed(header(), claims(exp=NOW + MAX_TTL + 1)), "TOKEN_CLAIMS_INVALID", id="lifetime-too-long"
    ),
    pytest.param(
        _signed(header(), claims(iat=NOW + 5, exp=NOW + 5)), "TOKEN_CLAIMS_INVALID", id="exp-not-after-iat"
    ),
    pytest.param(
        _signed(header(), claims(org=ORG[:-1] + "0")), "TOKEN_CLAIMS_INVALID", id="org-bad-check-char"
    ),
    pytest.param(_signed(header(), claims(org=ORG.lower())), "TOKEN_CLAIMS_INVALID", id="org-not-canonical"),
    pytest.param(_signed(header(), claims(org=7)), "TOKEN_CLAIMS_INVALID", id="org-not-string"),
    pytest.param(
        _signed(header(), claims(agency_kind="SPY")), "TOKEN_CLAIMS_INVALID", id="agency-kind-unknown"
    ),
    pytest.param(_signed(header(), claims(person=PERSON)), "TOKEN_CLAIMS_INVALID", id="partner-with-person"),
    pytest.param(
        _signed(header(), claims("provider", agency_kind="TAX")), "TOKEN_CLAIMS_INVALID", id="provider-kind"
    ),
    pytest.param(
        _signed(header(), claims("individual", person=id_number())),
        "TOKEN_CLAIMS_INVALID",
        id="person-id-number",
    ),
    pytest.param(
        _signed(header(), claims("individual", org=ORG)), "TOKEN_CLAIMS_INVALID", id="individual-with-org"
    ),
    pytest.param(
        _signed(header(), claims("admin", person=PERSON)), "TOKEN_CLAIMS_INVALID", id="admin-with-person"
    ),
    pytest.param(
        _signed(header(), claims("admin", org=None)), "TOKEN_CLAIMS_INVALID", id="admin-with-null-org"
    ),
    pytest.param(
        _signed(header(), claims(aud="credit-gateway")), "TOKEN_CLAIMS_INVALID", id="unexpected-audience"
    ),
]


@pytest.mark.parametrize(("build", "code"), REFUSALS)
def test_refused_tokens_carry_their_code_and_never_echo_the_token(
    build: Build, code: str, keyring: Keyring, issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    authorization = build(keyring, issuer)
    with pytest.raises(AuthenticationError) as refused:
        verifier.authenticate(authorization)
    assert refused.value.code == code
    message = str(refused.value)
    for part in authorization.removeprefix("Bearer ").split("."):
        if len(part) > len("Bearer"):  # token segments, not the scheme word
            assert part not in message


def test_no_authorization_header_is_the_public_caller(verifier: TokenVerifier) -> None:
    assert verifier.authenticate(None) is PUBLIC_CALLER
    assert PUBLIC_CALLER.role is Role.PUBLIC
    assert PUBLIC_CALLER.token_id is None


def test_bearer_scheme_is_case_insensitive(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    token = issuer.issue(role=Role.ADMIN, subject="ops").value
    assert verifier.authenticate(f"bearer {token}").id == "ops"


@pytest.mark.parametrize("typ", [DROP, "jwt", "at+jwt", "application/at+JWT"])
def test_jwt_types_are_accepted(keyring: Keyring, verifier: TokenVerifier, typ: object) -> None:
    token = sign(header(typ=typ), claims("admin"), private_key(keyring, "token-1"))
    assert verifier.verify(token).role is Role.ADMIN


@pytest.mark.parametrize(
    ("seconds_after_exp", "accepted"),
    [(LEEWAY_SECONDS - 1, True), (LEEWAY_SECONDS, False)],
)
def test_expiry_allows_the_documented_leeway_only(
    keyring: Keyring,
    clock: Clock,
    revocations: InMemoryRevocationList,
    issuer: TokenIssuer,
    seconds_after_exp: int,
    accepted: bool,
) -> None:
    token = issuer.issue(role=Role.ADMIN, subject="ops", ttl=600).value
    clock.now = NOW + 600 + seconds_after_exp
    verifier = make_verifier(keyring, clock, revocations, cache_size=0)
    if accepted:
        assert verifier.verify(token).id == "ops"
    else:
        with pytest.raises(AuthenticationError) as refused:
            verifier.verify(token)
        assert refused.value.code == "TOKEN_EXPIRED"


def test_revoked_token_is_refused(
    issuer: TokenIssuer, verifier: TokenVerifier, revocations: InMemoryRevocationList
) -> None:
    issued = issuer.issue(role=Role.ADMIN, subject="ops")
    assert issued.caller.token_id is not None
    revocations.revoke(issued.caller.token_id)
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(issued.value)
    assert refused.value.code == "TOKEN_REVOKED"


# --- the verified-token cache --------------------------------------------------------------------


def test_second_verification_of_a_token_skips_the_signature_check(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.issue(role=Role.ADMIN, subject="ops").value
    first = verifier.verify(token)
    second = verifier.verify(token)
    assert first == second
    assert verifier.signature_checks == 1
    assert verifier.cache_hits == 1


def test_expired_cached_token_is_refused_without_a_signature_check(
    issuer: TokenIssuer, verifier: TokenVerifier, clock: Clock
) -> None:
    token = issuer.issue(role=Role.ADMIN, subject="ops", ttl=600).value
    verifier.verify(token)
    clock.now = NOW + 600 + LEEWAY_SECONDS - 1
    verifier.verify(token)
    clock.now = NOW + 600 + LEEWAY_SECONDS
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(token)
    assert refused.value.code == "TOKEN_EXPIRED"
    assert verifier.signature_checks == 1
    assert len(verifier.cache) == 0


def test_revoked_cached_token_is_refused_without_a_signature_check(
    issuer: TokenIssuer, verifier: TokenVerifier, revocations: InMemoryRevocationList
) -> None:
    issued = issuer.issue(role=Role.ADMIN, subject="ops")
    verifier.verify(issued.value)
    assert issued.caller.token_id is not None
    revocations.revoke(issued.caller.token_id)
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(issued.value)
    assert refused.value.code == "TOKEN_REVOKED"
    assert verifier.signature_checks == 1


def test_revocation_predicate_is_asked_on_every_verification(
    keyring: Keyring, clock: Clock, issuer: TokenIssuer
) -> None:
    asked: list[str] = []

    def revoked(token_id: str) -> bool:
        asked.append(token_id)
        return False

    own = TrustedIssuer(ISSUER, public_keys(keyring, SigningPurpose.TOKEN))
    verifier = TokenVerifier([own], max_ttl=MAX_TTL, cache_size=4, revoked=revoked, clock=clock)
    issued = issuer.issue(role=Role.ADMIN, subject="ops")
    for _ in range(3):
        verifier.verify(issued.value)
    assert asked == [issued.caller.token_id] * 3
    assert verifier.signature_checks == 1


def test_cache_is_bounded_and_evicts_the_least_recently_used(
    keyring: Keyring, clock: Clock, revocations: InMemoryRevocationList, issuer: TokenIssuer
) -> None:
    verifier = make_verifier(keyring, clock, revocations, cache_size=2)
    a, b, c = (issuer.issue(role=Role.ADMIN, subject=name).value for name in "abc")
    verifier.verify(a)
    verifier.verify(b)
    verifier.verify(a)  # a is now the most recently used
    verifier.verify(c)  # evicts b
    assert len(verifier.cache) == 2
    checks = verifier.signature_checks
    verifier.verify(a)
    assert verifier.signature_checks == checks
    verifier.verify(b)
    assert verifier.signature_checks == checks + 1


def test_cache_size_zero_verifies_every_time(
    keyring: Keyring, clock: Clock, revocations: InMemoryRevocationList, issuer: TokenIssuer
) -> None:
    verifier = make_verifier(keyring, clock, revocations, cache_size=0)
    token = issuer.issue(role=Role.ADMIN, subject="ops").value
    verifier.verify(token)
    verifier.verify(token)
    assert verifier.signature_checks == 2
    assert len(verifier.cache) == 0


def test_refused_tokens_are_not_cached(keyring: Keyring, verifier: TokenVerifier) -> None:
    forged = sign(header(), claims("admin"), Ed25519PrivateKey.generate())
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            verifier.verify(forged)
    assert verifier.signature_checks == 2
    assert len(verifier.cache) == 0


def test_in_memory_revocations_are_forgotten_once_the_token_has_expired(clock: Clock) -> None:
    revocations = InMemoryRevocationList(clock)
    revocations.revoke("old", until=NOW + 60)
    revocations.revoke("forever")
    assert revocations("old") and revocations("forever")
    clock.now = NOW + 61
    revocations.revoke("new", until=NOW + 600)
    assert not revocations("old")
    assert revocations("forever") and revocations("new")


def test_every_single_character_change_to_a_token_is_refused(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.issue(role=Role.INDIVIDUAL, person_id=PERSON).value
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    codes: set[str] = set()
    for position, char in enumerate(token):
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        with pytest.raises(AuthenticationError) as refused:
            verifier.verify(token[:position] + replacement + token[position + 1 :])
        codes.add(refused.value.code)
    assert codes <= {
        "TOKEN_MALFORMED",
        "TOKEN_SIGNATURE_INVALID",
        "TOKEN_UNKNOWN_ISSUER",
        "TOKEN_CLAIMS_INVALID",
    }
    assert verifier.cache_hits == 0
