"""Synthetic subjects: people with valid identity numbers, organisations with valid credit codes, and
the government agencies that issue records.

Everything is drawn from one ``random.Random`` passed in, so a seed reproduces the same subjects.
Identity numbers and credit codes are built the way GB 11643 and GB 32100 define them (real county
codes, birth date, sequence parity by sex, check characters) and are unique within a run.
"""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, timedelta
from itertools import accumulate
from typing import NamedTuple

from gateway.demo.names import (
    COMMUNITIES,
    COMPANY_SUFFIXES,
    FEMALE_GIVEN,
    HEALTH_STATUSES,
    INDUSTRIES,
    MALE_GIVEN,
    MOBILE_PREFIXES,
    RELIGIONS,
    SHOP_KINDS,
    SOCIAL_ORGS,
    STREET_KINDS,
    STREET_WORDS,
    SURNAMES,
    TRADE_FIRST,
    TRADE_SECOND,
    HomeCity,
)
from gateway.domain import AgencyKind, OrgForm, SubjectKind
from gateway.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_char, id_number_check_char
from gateway.regions import COUNTIES, COUNTY_BY_CODE, County
from gateway.store.inputs import OrganizationInput, PersonInput

HOME_SHARE = 0.7  # share of subjects registered in the run's home city; the rest anywhere we know
MINOR_SHARE = 0.02
HEALTH_SHARE = 0.02
RELIGION_SHARE = 0.015
PHONE_SHARE = 0.92
ADDRESS_SHARE = 0.88

_SURNAME_CUM = list(accumulate(w for _, w in SURNAMES))
_SURNAME = [s for s, _ in SURNAMES]
# GB 11714 organisation code: 8 characters weighted 3,7,9,10,5,8,4,2 and a MOD 11 check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE = {ch: int(ch, 36) for ch in CREDIT_CODE_ALPHABET}
_ORG_CHARS = CREDIT_CODE_ALPHABET


class Agency(NamedTuple):
    """A government agency of the run: its subject input and how its document numbers look."""

    subject: OrganizationInput
    kind: AgencyKind
    doc_prefix: str  # 菏市监 in 菏市监罚〔2025〕318号
    court_code: str | None  # 鲁1702 in （2025）鲁1702执123号, for courts only

    @property
    def code(self) -> str:
        return self.subject.credit_code

    @property
    def name(self) -> str:
        return self.subject.name


def place_name(county: County) -> str:
    """How names start in a county: 曹县… and 永城市… stand alone, districts follow their city."""
    return county.district if county.district[-1] in "县市" else county.city + county.district


def org_code_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body: 11 - (weighted sum
    mod 11), with 10 written X and 11 written 0."""
    check = 11 - sum(_ORG_VALUE[ch] * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def org_code(rng: random.Random, *, new_style: bool) -> str:
    """A GB 11714 organisation code (positions 9-17 of a credit code); those issued since 2015
    start with MA."""
    if new_style:
        body = "MA" + "".join(rng.choice(_ORG_CHARS) for _ in range(6))
    else:
        body = f"{rng.randrange(10**8):08d}"
    return body + org_code_check_char(body)


def street_address(rng: random.Random, county: County, *, home: bool) -> str:
    street = rng.choice(STREET_WORDS) + rng.choice(STREET_KINDS)
    address = f"{county.prefix}{street}{rng.randint(1, 999)}号"
    if home and rng.random() < 0.6:
        community = rng.choice(STREET_WORDS) + rng.choice(COMMUNITIES)
        room = f"{rng.randint(1, 24)}0{rng.randint(1, 4)}"
        address += f"{community}{rng.randint(1, 30)}号楼{rng.randint(1, 4)}单元{room}室"
    return address


class SubjectFactory:
    """Draws people and organisations; remembers the identifiers it has issued to keep them unique."""

    def __init__(self, rng: random.Random, home: HomeCity, reference_day: date) -> None:
        self.rng = rng
        self.home = home
        self.reference_day = reference_day
        self.home_counties = [COUNTY_BY_CODE[c] for c in home.districts]
        self._id_numbers: set[str] = set()
        self._credit_codes: set[str] = set()

    def county(self) -> County:
        pool = self.home_counties if self.rng.random() < HOME_SHARE else COUNTIES
        return self.rng.choice(pool)

    # --- people ----------------------------------------------------------------------------------

    def person(self) -> PersonInput:
        rng = self.rng
        male = rng.random() < 0.5
        surname = _SURNAME[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
        chars = MALE_GIVEN if male else FEMALE_GIVEN
        given = rng.choice(chars) if rng.random() < 0.15 else rng.choice(chars) + rng.choice(chars)
        county = self.county()
        return PersonInput(
            name=surname + given,
            id_number=self.id_number(county, self.birth_date(), male),
            phone=self.mobile() if rng.random() < PHONE_SHARE else None,
            address=street_address(rng, county, home=True) if rng.random() < ADDRESS_SHARE else None,
            health_status=rng.choice(HEALTH_STATUSES) if rng.random() < HEALTH_SHARE else None,
            religion=rng.choice(RELIGIONS) if rng.random() < RELIGION_SHARE else None,
        )

    def birth_date(self) -> date:
        age = self.rng.randint(14, 17) if self.rng.random() < MINOR_SHARE else self.rng.randint(18, 80)
        return self.reference_day - timedelta(days=int(age * 365.25) + self.rng.randrange(365))

    def id_number(self, county: County, born: date, male: bool) -> str:
        """GB 11643: region, birth date, a sequence that is odd for men, and the check character."""
        head = f"{county.code}{born:%Y%m%d}"
        while True:
            seq = 2 * self.rng.randrange(500) + 1 if male else 2 * self.rng.randrange(1, 500)
            first17 = f"{head}{seq:03d}"
            if first17 not in self._id_numbers:
                self._id_numbers.add(first17)
                return first17 + id_number_check_char(first17)

    def mobile(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    # --- organisations ---------------------------------------------------------------------------

    def credit_code(self, kind_chars: str, region: str) -> str:
        """GB 32100: registration department and kind, region, organisation code, check character."""
        while True:
            first17 = kind_chars + region + org_code(self.rng, new_style=kind_chars[0] == "9")
            if first17 not in self._credit_codes:
                self._credit_codes.add(first17)
                return first17 + credit_code_check_char(first17)

    def trade_name(self) -> str:
        return self.rng.choice(TRADE_FIRST) + self.rng.choice(TRADE_SECOND)

    def organization(self, representative: PersonInput | None, *, company: bool = False) -> OrganizationInput:
        """An organisation of a random legal form (a company when ``company``)."""
        rng = self.rng
        county = self.county()
        place, trade, industry = place_name(county), self.trade_name(), rng.choice(INDUSTRIES)
        r = 0.0 if company else rng.random()
        form, kind_chars = OrgForm.LEGAL_PERSON, "91"
        if r < 0.68:
            name = f"{place}{trade}{industry}{rng.choice(COMPANY_SUFFIXES)}"
        elif r < 0.90:
            form, kind_chars = OrgForm.INDIVIDUAL_BUSINESS, "92"
            owner = representative.name if representative and rng.random() < 0.5 else trade
            name = f"{county.district}{owner}{rng.choice(SHOP_KINDS)}"
        elif r < 0.95:
            kind_chars, pattern = rng.choice(SOCIAL_ORGS)
            name = pattern.format(district=place, city=county.city, trade=trade)
        else:
            form = OrgForm.UNINCORPORATED
            if rng.random() < 0.5:
                other = place_name(rng.choice(COUNTIES))
                name = f"{other}{trade}{industry}有限公司{county.district}分公司"
            else:
                name = f"{place}{trade}{industry}合伙企业（普通合伙）"
        return OrganizationInput(
            name=name,
            credit_code=self.credit_code(kind_chars, county.code),
            kind=SubjectKind.ORGANIZATION,
            form=form,
            registered_address=street_address(rng, county, home=False),
            legal_representative=representative,
        )

    # --- agencies --------------------------------------------------------------------------------

    def agencies(self) -> list[Agency]:
        """The run's issuing agencies: the home city's departments and its districts' regulators,
        tax bureaus and courts (about twenty)."""
        home = self.home
        city, a, p = home.city, home.abbr, home.province_abbr
        city_county = County(home.code, city, "")
        K = AgencyKind
        found: list[Agency] = [
            self._agency(f"{city}市场监督管理局", K.MARKET_REGULATION, city_county, f"{a}市监"),
            self._agency(f"国家税务总局{city}税务局", K.TAX, city_county, f"{a}税"),
            self._agency(f"{city}中级人民法院", K.COURT, city_county, "", f"{p}{home.code[2:4]}"),
            self._agency(f"{city}生态环境局", K.ENVIRONMENT, city_county, f"{a}环"),
            self._agency(f"{city}住房和城乡建设局", K.HOUSING, city_county, f"{a}建"),
            self._agency(f"{city}人力资源和社会保障局", K.HUMAN_RESOURCES, city_county, f"{a}人社"),
            self._agency(f"{city}公安局", K.PUBLIC_SECURITY, city_county, f"{a}公"),
            self._agency(f"{city}财政局", K.FINANCE, city_county, f"{a}财"),
            self._agency(f"{city}发展和改革委员会", K.CREDIT_OFFICE, city_county, f"{a}发改信用"),
            self._agency(f"{city}城乡水务局", K.UTILITY, city_county, f"{a}水务"),
            self._agency(f"{city}人民政府", K.OTHER, city_county, f"{a}政"),
            self._agency(f"{city}民政局", K.OTHER, city_county, f"{a}民"),
        ]
        for county in self.home_counties:
            place, d = place_name(county), county.district[0]
            found += [
                self._agency(f"{place}市场监督管理局", K.MARKET_REGULATION, county, f"{a}{d}市监"),
                self._agency(f"国家税务总局{place}税务局", K.TAX, county, f"{a}{d}税"),
                self._agency(f"{place}人民法院", K.COURT, county, "", f"{p}{county.code[2:6]}"),
            ]
        return found

    def _agency(
        self, name: str, kind: AgencyKind, county: County, prefix: str, court: str | None = None
    ) -> Agency:
        code = self.credit_code("11", county.code)
        street = self.rng.choice(STREET_WORDS) + self.rng.choice(STREET_KINDS)
        subject = OrganizationInput(
            name=name,
            credit_code=code,
            kind=SubjectKind.GOVERNMENT_AGENCY,
            form=OrgForm.AGENCY,
            registered_address=f"{county.prefix}{street}{self.rng.randint(1, 300)}号",
            agency_kind=kind,
        )
        return Agency(subject, kind, prefix, court)
