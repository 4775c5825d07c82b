"""The person's portal and what reaches them without their consent, in real headless Chromium against
the real gateway: a court's lookup under a legal basis shown in "who looked at me" with its law,
article, case number and purpose, labelled as made without consent, its proof verified; the
restrictions that reach the person as legal representative of a black-listed company, with the
reason; server texts inserted as text, never as markup; Chinese first, then English. The CSP header
is present, no request leaves the gateway's origin, nothing is logged to the console."""

from __future__ import annotations

from typing import Any

from gateway.access.tokens import AgencyKind, Role
from tests.audit_helpers import individual, post, sequences
from tests.browser import PHONE, assert_named, browser, screenshot
from tests.gateway_fixtures import COMPANY, MARKET, RECORDS, ZHANG
from tests.helpers import credit_code
from tests.test_portal_browser import Portal, portal

__all__ = ["browser", "portal"]  # the fixtures
COURT_CODE = credit_code("113717020000421")
ENFORCEMENT = {
    "law": "中华人民共和国民事诉讼法",
    "article": "第二百五十五条",
    "reference": "(2026)鲁1702执123号",
    "purpose": "ENFORCEMENT",
}
LAWFUL = """
query($id: String!, $basis: LegalBasisInput) { person(idNumber: $id, legalBasis: $basis) { name } }"""
ME = "{ me { responsibilities { basis reason restrictions { matter code } } } }"
ORG = "query($code: String!) { organization(creditCode: $code) { records { id documentNumber } } }"
LIST = """
mutation($records: [ID!]!, $name: String!) {
  listSubject(input: {kind: BLACK, listName: $name, reason: "严重违法", records: $records}) { id }
}"""
MARKUP = '<img src="x" id="injected">名单'


def court_lookup(p: Portal) -> int:
    court = p.env.headers(Role.PARTNER, org_code=COURT_CODE, agency_kind=AgencyKind.COURT)
    answer = post(p.client, LAWFUL, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court)
    assert answer.json()["data"]["person"]["name"] == ZHANG.name
    (seq,) = sequences(answer)
    return seq


def test_the_person_sees_a_courts_lookup_with_its_legal_basis_and_without_consent(portal: Portal) -> None:
    seq = court_lookup(portal)
    post(portal.client, ME, headers=individual(portal.env))  # a head now covers the lookup
    watched = portal.open(portal.token())
    page = watched.page
    entry = f'#history-list [data-seq="{seq}"]'
    page.wait_for_selector(entry)
    assert page.get_attribute(entry, "data-lawful") == "true"
    assert page.get_attribute(entry, "data-consent") == ""
    assert page.text_content(f"{entry} [data-without-consent]") == "未经您授权：依法查询"
    basis = page.eval_on_selector_all(f"{entry} .bases dd", "cells => cells.map(c => c.textContent)")
    assert basis == [ENFORCEMENT["law"], ENFORCEMENT["article"], ENFORCEMENT["reference"]]
    text = page.text_content(entry)
    assert "执行" in text and "人民法院" in text and COURT_CODE in text  # purpose, agency, organisation
    assert page.get_attribute(f"{entry} [data-proof]", "data-proof") == "verified"
    page.locator(entry).scroll_into_view_if_needed()
    screenshot(page, "portal-lawful")

    page.click("#language")
    assert (
        page.text_content(f"{entry} [data-without-consent]") == "Without your consent: a lookup under the law"
    )
    assert "Enforcement" in page.text_content(entry) and "Case or document number" in page.text_content(entry)
    watched.assert_clean()


def test_the_person_sees_a_responsibility_restriction_with_its_reason(portal: Portal) -> None:
    """Zhang is the legal representative of the company on the black list (tests/gateway_fixtures.py)."""
    mine = post(portal.client, ME, headers=individual(portal.env)).json()["data"]["me"]["responsibilities"]
    (listed,) = [r for r in mine if r["basis"] == "BLACK_LIST"]
    watched = portal.open(portal.token(), viewport=PHONE)
    page = watched.page
    card = f'#responsibility-list [data-basis="BLACK_LIST"][data-organization="{COMPANY.credit_code}"]'
    page.wait_for_selector(card)
    assert page.get_attribute(card, "data-role") == "LEGAL_REPRESENTATIVE"
    assert page.text_content(f"{card} [data-reason]") == listed["reason"]
    assert "法定代表人" in page.text_content(f"{card} h4")
    codes = page.eval_on_selector_all(
        f"{card} [data-code]", "items => items.map(i => [i.dataset.matter, i.dataset.code])"
    )
    assert codes == [[r["matter"], r["code"]] for r in listed["restrictions"]]
    assert ["ADMINISTRATIVE_LICENSING", "STRICT_REVIEW"] in codes
    assert "从严审核" in page.text_content(f'{card} [data-code="STRICT_REVIEW"]')
    page.locator("#responsibilities").scroll_into_view_if_needed()
    screenshot(page, "portal-responsibilities")
    watched.assert_clean()


def test_a_list_name_holding_markup_is_shown_as_text(portal: Portal) -> None:
    """A provider's list name reaches the person in the responsibility's reason: as text, not markup."""
    market = portal.env.headers(Role.PROVIDER, org_code=MARKET.credit_code)
    admin = portal.env.headers(Role.ADMIN, subject="admin-1")
    records = post(portal.client, ORG, {"code": COMPANY.credit_code}, admin).json()["data"]["organization"]
    record = next(r["id"] for r in records["records"] if r["documentNumber"] == RECORDS[0].document_number)
    listed = post(portal.client, LIST, {"records": [record], "name": MARKUP}, market).json()
    assert listed["data"]["listSubject"]["id"], listed
    watched = portal.open(portal.token())
    page = watched.page
    reasons = page.eval_on_selector_all(
        "#responsibility-list [data-reason]", "nodes => nodes.map(n => n.textContent)"
    )
    assert any(MARKUP in r for r in reasons), reasons
    assert page.query_selector("#injected") is None
    watched.assert_clean()


def test_the_lawful_entry_and_the_responsibilities_are_named_for_assistive_technology(portal: Portal) -> None:
    court_lookup(portal)
    watched = portal.open(portal.token())
    page: Any = watched.page
    page.wait_for_selector('#history-list [data-lawful="true"]')
    tree = assert_named(page, roles={"heading", "term", "button", "link"})
    assert 'heading "我承担的责任"' in tree and "未经您授权：依法查询" in tree
    watched.assert_clean()
