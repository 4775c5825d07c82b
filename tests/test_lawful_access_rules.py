"""The lawful-access and public-disclosure policy files: the shipped ones load with their local
defaults, and a file that names an unknown agency kind, purpose, scope or category, or a delay out of
range, stops start-up with a ConfigurationError naming the file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.access.disclosure import PUBLIC_DISCLOSURE_FILE, DisclosureRules
from gateway.access.lawful import LAWFUL_ACCESS_FILE, LawfulAccessRules, LegalBasis
from gateway.domain import AgencyKind, Category, ConsentScope, StatutoryPurpose
from gateway.errors import ConfigurationError, LegalBasisInvalid
from tests.gateway_fixtures import REPO

POLICIES = REPO / "policies"


def test_the_shipped_policies_hold_the_local_defaults() -> None:
    rules = LawfulAccessRules.load(POLICIES)
    assert set(rules.agencies) == {
        AgencyKind.COURT, AgencyKind.PUBLIC_SECURITY, AgencyKind.CREDIT_OFFICE, AgencyKind.DISCIPLINE_INSPECTION
    }  # fmt: skip
    assert rules.agencies[AgencyKind.COURT] == {StatutoryPurpose.ENFORCEMENT}
    assert rules.scopes == {ConsentScope.IDENTITY, ConsentScope.RECORDS, ConsentScope.LISTS}
    assert rules.notice_delays == {StatutoryPurpose.INVESTIGATION: timedelta(days=90)}
    assert DisclosureRules.load(POLICIES).person_categories == {Category.DISHONEST_JUDGMENT_DEBTOR}


@pytest.mark.parametrize(
    "text",
    [
        'source = "x"\nscopes = ["IDENTITY"]\n[agencies]\nBANK = ["ENFORCEMENT"]\n',
        'source = "x"\nscopes = ["IDENTITY"]\n[agencies]\nCOURT = ["LOOKING"]\n',
        'source = "x"\nscopes = ["PHONE"]\n[agencies]\nCOURT = ["ENFORCEMENT"]\n',
        'source = "x"\nscopes = ["IDENTITY"]\n[agencies]\nCOURT = ["ENFORCEMENT"]\n[notice_delay_days]\nINVESTIGATION = 0\n',
        'source = "x"\nscopes = ["IDENTITY"]\nagencies = 1\n',
        'scopes = ["IDENTITY"]\n[agencies]\nCOURT = ["ENFORCEMENT"]\n',
        'source = "x"\nscopes = ["IDENTITY"]\nextra = 1\n[agencies]\nCOURT = ["ENFORCEMENT"]\n',
    ],
)
def test_a_bad_lawful_access_file_stops_start_up(tmp_path: Path, text: str) -> None:
    (tmp_path / LAWFUL_ACCESS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=LAWFUL_ACCESS_FILE):
        LawfulAccessRules.load(tmp_path)


@pytest.mark.parametrize(
    "text", ['source = "x"\nperson_categories = ["GOSSIP"]\n', "person_categories = []\n"]
)
def test_a_bad_disclosure_file_stops_start_up(tmp_path: Path, text: str) -> None:
    (tmp_path / PUBLIC_DISCLOSURE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=PUBLIC_DISCLOSURE_FILE):
        DisclosureRules.load(tmp_path)


@pytest.mark.parametrize(
    ("article", "reference"),
    [
        ("第二百五十五条", "(2026)鲁1702执123号"),
        ("第六条第一款第（三）项", "（2026）鲁17刑初45号"),
        ("Article 255", "菏公(刑)立字〔2026〕88号"),
    ],
)
def test_bases_of_the_usual_shapes_are_accepted_and_keyed(article: str, reference: str) -> None:
    basis = LegalBasis.parse(
        law=" 民事诉讼法 ", article=article, reference=reference, purpose=StatutoryPurpose.ENFORCEMENT
    )
    assert basis.key == f"民事诉讼法|{article}|{reference}" and len(basis.key) <= 120


def test_the_longest_basis_still_fits_an_audit_key() -> None:
    basis = LegalBasis.parse(
        law="法" * 60, article="第一千二百三十四条第五款", reference="菏" * 7 + "(2026)" + "鲁" * 24 + "号",
        purpose=StatutoryPurpose.ENFORCEMENT,
    )  # fmt: skip
    assert len(basis.key) <= 120
    with pytest.raises(LegalBasisInvalid):
        LegalBasis.parse(
            law="法" * 61, article="第一条", reference="(2026)鲁1号", purpose=StatutoryPurpose.ENFORCEMENT
        )
