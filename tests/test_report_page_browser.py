"""/reports/verify in real Chromium: a pasted report checked in the browser with the published keys
(WebCrypto Ed25519), its sections' states, its status from the gateway (superseded once a cited record
is corrected), and a changed byte refused with its code; no request leaves the gateway's origin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from gateway.api.app import create_app
from gateway.keys.crypto import FieldCipher
from gateway.store import db
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.api_client import gql, partner
from tests.browser import browser, watch
from tests.gateway_fixtures import COMPANY, RECORDS, GatewayEnv, build_env
from tests.server import running

__all__ = ["browser"]  # the module-scoped fixture
REPORT = """query($code: String!) { report(purpose: PUBLIC_PROCUREMENT, subject: {creditCode: $code},
  sections: [RECORDS, LIST_ENTRIES]) { serial jws } }"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[GatewayEnv, str, dict[str, Any]]]:
    env = build_env(tmp_path, database_url)
    with running(create_app(env.settings)) as url, httpx.Client(base_url=url) as client:
        body = gql(client, REPORT, {"code": COMPANY.credit_code}, partner(env))
        assert "errors" not in body, body
        yield env, url, body["data"]["report"]


def check(page: Any, url: str, token: str) -> str:
    page.goto(f"{url}/reports/verify")
    page.fill("#report-input", token)
    page.click("#verify")
    page.wait_for_selector("#verdict[data-state]")
    return str(page.get_attribute("#verdict", "data-state"))


def test_a_pasted_report_is_verified_in_the_browser_and_shown_superseded_after_a_correction(
    served: tuple[GatewayEnv, str, dict[str, Any]], browser: Any
) -> None:
    env, url, report = served
    context = browser.new_context()
    watched = watch(context, url)
    page = watched.page
    assert check(page, url, report["jws"]) == "VALID"
    assert report["serial"] in page.inner_text("#facts")
    sections = page.inner_text("#sections")
    assert "RECORDS: disclosed" in sections and "IDENTITY: not disclosed" in sections
    assert "LEGAL_REPRESENTATIVE: not disclosed" in sections

    head, payload, signature = report["jws"].split(".")
    flipped = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    assert check(page, url, f"{head}.{flipped}.{signature}") == "REPORT_SIGNATURE_INVALID"
    assert page.inner_text("#facts") == ""

    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(session, FieldCipher(env.keyring), calendar=WorkCalendar.load(),
                                 clock=lambda: datetime.now(UTC))  # fmt: skip
            writer.write([replace(RECORDS[0], content="销售不合格食品，罚款3万元")])
    finally:
        engine.dispose()
    assert check(page, url, report["jws"]) == "SUPERSEDED"
    assert "SUPERSEDED" in page.inner_text("#verdict")
    watched.assert_clean()
    context.close()
