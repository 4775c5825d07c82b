"""The pages over real HTTP: served from the package with the security headers, HTML never cached,
scripts as JavaScript, a 404 with a stable code, and the audit public keys the pages check heads with."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.api.app import create_app
from gateway.api.pages import CONTENT_SECURITY_POLICY, WEB
from gateway.audit.heads import audit_public_keys
from tests.gateway_fixtures import GatewayEnv, build_env
from tests.server import running


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[GatewayEnv, httpx.Client]]:
    env = build_env(tmp_path, database_url)
    with running(create_app(env.settings)) as url, httpx.Client(base_url=url) as client:
        yield env, client


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_portal_is_served_with_the_security_headers_and_never_cached(
    served: tuple[GatewayEnv, httpx.Client],
) -> None:
    _env, client = served
    page = client.get("/portal/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_secured(page)
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text.replace('<script type="module" src="main.js"></script>', "")
    assert "style=" not in page.text  # no inline style: the CSP would refuse it

    moved = client.get("/portal", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"].endswith("/portal/")

    for path in ("/portal/main.js", "/shared/proofs.js", "/shared/vendor/qrcode-generator/qrcode.mjs"):
        script = client.get(path)
        assert script.status_code == 200, path
        assert script.headers["content-type"].startswith("text/javascript"), path
        assert_secured(script)
        assert script.headers["cache-control"] == "no-cache"
    assert client.get("/shared/base.css").headers["content-type"].startswith("text/css")


def test_the_console_is_served_like_the_portal(served: tuple[GatewayEnv, httpx.Client]) -> None:
    _env, client = served
    page = client.get("/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_secured(page)
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text.replace('<script type="module" src="main.js"></script>', "")
    assert "style=" not in page.text
    assert client.get("/console", follow_redirects=False).headers["location"].endswith("/console/")
    for path in ("/console/main.js", "/console/export.js", "/console/console.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secured(response)
    assert client.get("/console/main.js").headers["content-type"].startswith("text/javascript")


def test_a_missing_file_is_a_404_with_a_code_and_nothing_outside_the_folder_is_served(
    served: tuple[GatewayEnv, httpx.Client],
) -> None:
    _env, client = served
    for path in ("/portal/nothing.js", "/shared/missing.css"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert_secured(response)
    for path in ("/shared/%2e%2e/api/pages.py", "/portal/..%2f..%2fapi/pages.py"):
        response = client.get(path)
        assert response.status_code == 404 and "CONTENT_SECURITY_POLICY" not in response.text, path


def test_the_audit_keys_are_published_as_a_jwks_of_public_keys_only(
    served: tuple[GatewayEnv, httpx.Client],
) -> None:
    env, client = served
    response = client.get("/keys/audit.jwks")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    keys = response.json()["keys"]
    expected = audit_public_keys(env.keyring)
    assert {k["kid"] for k in keys} == set(expected)
    for key in keys:
        assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}  # never "d"
        raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
        assert raw == expected[key["kid"]]


def test_every_page_file_is_shipped_as_package_data() -> None:
    """pyproject's package-data glob must reach every file the pages load."""
    import tomllib

    from tests.gateway_fixtures import REPO

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "gateway"
    ]
    assert "web/**/*" in globs
    files = [p for p in WEB.rglob("*") if p.is_file()]
    assert {
        "portal/index.html",
        "console/index.html",
        "console/console.css",
        "shared/proofs.js",
        "shared/vendor/qrcode-generator/LICENSE",
    } <= {p.relative_to(WEB).as_posix() for p in files}
