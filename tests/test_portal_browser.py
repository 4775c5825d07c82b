"""The individual's portal in real headless Chromium against the real gateway under uvicorn: sign in
from a link, the record as the policy shows it to the person, a consent granted in the page and used
by a partner, that lookup in "who looked at me" with a proof the page verified, revocation, a
repair application filed in the page, and a tampered audit row reported as a failed proof. No request leaves the gateway's origin, the CSP header
is present, and nothing is logged to the console."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.api.pages import CONTENT_SECURITY_POLICY
from gateway.audit.settings import AuditSettings
from tests.audit_helpers import PERSON_QUERY, connection, grant, individual, partner, post, sequences
from tests.browser import DESKTOP, PHONE, Watched, assert_named, browser, open_disclosures, screenshot, watch
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, RECORDS, ZHANG, GatewayEnv, build_env
from tests.server import running

__all__ = ["browser"]  # the module-scoped fixture
ME = "{ me { name idNumber phone records { documentNumber } linkedRecords { documentNumber } } }"


@dataclass
class Portal:
    env: GatewayEnv
    url: str
    client: httpx.Client
    browser: Any

    def token(self) -> str:
        return self.env.token(Role.INDIVIDUAL, person_id=self.env.ids["zhang"])

    def open(self, token: str, viewport: dict[str, int] = DESKTOP) -> Watched:
        context = self.browser.new_context(viewport=viewport, locale="zh-CN")
        watched = watch(context, self.url)
        response = watched.page.goto(f"{self.url}/portal/#token={token}")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        watched.page.wait_for_selector("#portal[data-ready]")
        watched.page.wait_for_selector("#history[data-ready]")
        return watched

    def lookup(self, consent: str) -> httpx.Response:
        variables = {"id": ZHANG.id_number, "consent": consent, "purpose": "FINANCIAL_SERVICE"}
        return post(self.client, PERSON_QUERY, variables, partner(self.env))


@pytest.fixture
def portal(tmp_path: Path, database_url: str, browser: Any) -> Iterator[Portal]:
    env = build_env(tmp_path, database_url, audit=AuditSettings(head_every_events=1))
    with running(create_app(env.settings)) as url, httpx.Client(base_url=url) as client:
        yield Portal(env, url, client, browser)


def test_a_link_signs_in_shows_the_record_as_the_policy_gives_it_and_sign_out_forgets(portal: Portal) -> None:
    token = portal.token()
    watched = portal.open(token)
    page = watched.page
    assert "token" not in page.url  # the fragment was removed from the address bar
    assert page.evaluate("sessionStorage.length") == 1
    assert page.evaluate("localStorage.getItem('credit-gateway.token')") is None

    me = post(portal.client, ME, headers={"Authorization": f"Bearer {token}"}).json()["data"]["me"]
    assert page.text_content('dd[data-field="idNumber"]') == me["idNumber"] == ZHANG.id_number  # self: whole
    assert page.text_content('dd[data-field="name"]') == me["name"]
    assert page.text_content('dd[data-field="phone"]') == me["phone"]
    shown = page.eval_on_selector_all("#records [data-record]", "nodes => nodes.map(n => n.dataset.record)")
    assert sorted(shown) == sorted(r["documentNumber"] for r in me["records"] + me["linkedRecords"])
    assert page.text_content("#grade-value") in {"A", "B", "C", "D"}
    page.wait_for_selector("#history[data-ready]")
    screenshot(page, "portal")

    page.click("#language")
    assert page.text_content("#identity-title") == "My identity"
    assert page.evaluate("document.documentElement.lang") == "en"

    page.click("#sign-out")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.is_visible("#sign-in") and not page.is_visible("#portal")
    assert page.text_content("#identity .body") == ""
    watched.assert_clean()


def test_a_consent_granted_in_the_page_is_used_seen_with_a_verified_proof_and_revoked(portal: Portal) -> None:
    watched = portal.open(portal.token(), viewport=PHONE)
    page = watched.page
    page.fill("#grant-grantee", BANK_CODE)
    page.select_option("#grant-purpose", "FINANCIAL_SERVICE")
    page.fill("#grant-uses", "3")
    page.click("#grant-form button[type=submit]")
    page.wait_for_selector("#consent-token")
    consent = page.input_value("#consent-token")
    assert page.is_visible("#granted svg.qr")
    item = page.wait_for_selector('#consent-list [data-status="ACTIVE"]')
    consent_id = item.get_attribute("data-consent")
    screenshot(page, "portal-consent")

    answer = portal.lookup(consent)
    assert answer.json()["data"]["person"]["name"] == ZHANG.name
    (seq,) = sequences(answer)

    page.click("#history-refresh")
    entry = page.wait_for_selector(f'#history-list [data-seq="{seq}"]')
    assert entry.get_attribute("data-consent") == consent_id
    assert entry.query_selector("[data-proof]").get_attribute("data-proof") == "verified"
    assert page.get_attribute("#head-status", "data-head") == "valid"
    assert BANK_CODE in entry.text_content()
    screenshot(page, "portal-history")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f'[data-consent="{consent_id}"] [data-action="revoke"]')
    page.wait_for_selector(f'#consent-list [data-consent="{consent_id}"][data-status="REVOKED"]')
    refused = portal.lookup(consent).json()
    assert refused["errors"][0]["extensions"]["code"] == "CONSENT_REVOKED"
    watched.assert_clean()


def test_a_tampered_audit_row_is_reported_as_a_failed_proof(portal: Portal) -> None:
    consent, _consent_id = grant(portal.client, portal.env, ["IDENTITY", "RECORDS"])
    (seq,) = sequences(portal.lookup(consent))
    post(portal.client, ME, headers=individual(portal.env))  # a head now covers the lookup
    proof = f'#history-list [data-seq="{seq}"] [data-proof]'

    watched = portal.open(portal.token())
    page = watched.page
    page.wait_for_selector("#history[data-ready]")
    assert page.get_attribute(proof, "data-proof") == "verified"

    # The stored leaf hash of the lookup is changed: the log no longer leads to the signed root.
    with connection(portal.env.settings.database_url) as conn:
        changed = conn.execute(
            text("UPDATE audit_events SET leaf_hash = :h WHERE seq = :s"), {"h": bytes(32), "s": seq}
        )
        assert changed.rowcount == 1
    page.click("#history-refresh")
    page.wait_for_selector(f'{proof}[data-proof="failed"]')
    assert page.get_attribute("#head-status", "data-head") == "valid"  # the head itself is genuine
    assert "ROOT_MISMATCH" in page.text_content(proof) or "LEAF_MISMATCH" in page.text_content(proof)
    watched.assert_clean()


def test_a_repair_application_filed_in_the_page_is_listed_and_reaches_the_deciding_authority(
    portal: Portal,
) -> None:
    """Zhang's general penalty of 2026-03-02 has passed its 3-month minimum display period."""
    watched = portal.open(portal.token())
    page = watched.page
    card = f'li[data-record="{RECORDS[3].document_number}"]'
    form = f'{card} form[id^="repair-"]'
    page.click(f'{card} button[aria-controls^="repair-"]')
    page.fill(f'{form} textarea[name="statement"]', "罚款已缴清，违法行为已整改，承诺今后守法诚信经营。")
    page.fill(f'{form} textarea[name="evidence"]', "缴款凭证 2026-0001，整改报告")
    page.click(f"{form} button[type=submit]")
    item = page.wait_for_selector("#objections [data-repair]")
    listed = post(portal.client, REPAIRS, {}, individual(portal.env)).json()["data"]["repairApplications"]
    assert [(r["status"], r["record"]["documentNumber"]) for r in listed] == [
        ("PENDING", RECORDS[3].document_number)
    ]
    assert item.get_attribute("data-repair") == listed[0]["id"]
    watched.assert_clean()


REPAIRS = "{ repairApplications { id status record { documentNumber } } }"


def test_every_control_has_an_accessible_name_and_every_image_a_text_alternative(portal: Portal) -> None:
    """Read from the browser's accessibility tree: signed out; signed in with every form opened; and
    with a consent's token and QR code shown."""
    context = portal.browser.new_context(viewport=DESKTOP, locale="zh-CN")
    watched = watch(context, portal.url)
    watched.page.goto(f"{portal.url}/portal/")
    watched.page.wait_for_selector("#sign-in:not([hidden])")
    assert_named(watched.page, roles={"textbox", "button"})
    watched.assert_clean()

    consent, _ = grant(portal.client, portal.env, ["IDENTITY", "RECORDS"])
    portal.lookup(consent)  # a lookup in "who looked at me", with its proof
    watched = portal.open(portal.token())
    page = watched.page
    page.fill("#grant-grantee", BANK_CODE)
    page.click("#grant-form button[type=submit]")
    page.wait_for_selector("#granted svg.qr")
    open_disclosures(page)
    tree = assert_named(page, roles={"textbox", "combobox", "checkbox", "button", "img", "spinbutton"})
    assert f'img "{page.get_attribute("#granted svg.qr", "aria-label")}"' in tree
    watched.assert_clean()


def test_my_report_is_issued_in_the_page_downloaded_and_verifies_offline(
    portal: Portal, tmp_path: Path
) -> None:
    """The person chooses a purpose and leaves a section out; the file the page hands over is the signed
    report, which the command line verifies with nothing but the published keys."""
    watched = portal.open(portal.token())
    page = watched.page
    page.select_option("#report-purpose", "EMPLOYMENT")
    page.uncheck('#report-form input[name="sections"][value="LINKED_RECORDS"]')
    with page.expect_download() as downloading:
        page.click("#report-form button[type=submit]")
    download = downloading.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    serial = page.get_attribute("#report-issued", "data-serial")
    assert serial and download.suggested_filename == f"credit-report-{serial}.jws"
    jwks_file = tmp_path / "reports.jwks"
    jwks_file.write_text(portal.client.get("/keys/reports.jwks").text, encoding="utf-8")
    done = run_cli("report", "verify", str(saved), "--jwks", str(jwks_file), keyring=tmp_path / "none")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"report {serial} verifies" in done.stdout
    assert "LINKED_RECORDS: not disclosed" in done.stdout and "RECORDS: disclosed" in done.stdout
    open_disclosures(page)
    assert_named(page, roles={"textbox", "combobox", "checkbox", "button"})
    watched.assert_clean()
