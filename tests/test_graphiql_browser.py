"""GraphiQL in dev mode from the package's own assets: it renders and runs a query in real headless
Chromium with no request leaving the gateway's origin (it used to load React and GraphiQL from a CDN
and was blank offline); outside dev mode neither the page nor its assets exist."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.app import create_app
from gateway.api.pages import GRAPHIQL_CONTENT_SECURITY_POLICY
from tests.browser import DESKTOP, browser, watch
from tests.gateway_fixtures import GatewayEnv, build_env
from tests.server import running

__all__ = ["browser"]  # the module-scoped fixture
ASSETS = ("/graphiql/main.js", "/graphiql/vendor/graphiql-3.8.3/graphiql.min.js")


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def dev_url(env: GatewayEnv) -> Iterator[str]:
    with running(create_app(replace(env.settings, dev_mode=True))) as url:
        yield url


def test_graphiql_runs_a_query_from_packaged_assets_only(dev_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    watched = watch(context, dev_url)
    page = watched.page
    response = page.goto(f"{dev_url}/graphql")
    assert response.headers["content-security-policy"] == GRAPHIQL_CONTENT_SECURITY_POLICY
    page.wait_for_selector(".graphiql-container")
    page.click(".graphiql-query-editor .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.type("{ __typename }")
    page.click(".graphiql-execute-button")
    page.locator(".result-window", has_text='"Query"').wait_for()  # no eval: the CSP refuses it
    assert any(url.endswith("/graphiql/vendor/graphiql-3.8.3/graphiql.min.js") for url in watched.requests)
    watched.assert_clean()


def test_outside_dev_mode_there_is_no_graphiql(env: GatewayEnv) -> None:
    with running(create_app(env.settings)) as url, httpx.Client(base_url=url) as client:
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 405
        for path in ASSETS:
            assert client.get(path).status_code == 404, path


def test_in_dev_mode_the_assets_are_served_with_the_ides_policy(dev_url: str) -> None:
    with httpx.Client(base_url=dev_url) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert "unpkg" not in page.text and "<script>" not in page.text
        for path in ASSETS:
            asset = client.get(path)
            assert asset.status_code == 200, path
            assert asset.headers["content-type"].startswith("text/javascript")
            assert asset.headers["content-security-policy"] == GRAPHIQL_CONTENT_SECURITY_POLICY
