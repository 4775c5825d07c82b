"""The vocabulary of the credit domain, and the few rules that follow from it alone.

Everything here is pure: enums and predicates that services, the importer and the GraphQL layer share.
Sources are cited by seed number as in ``docs/domain.md``.
"""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"
    GOVERNMENT_AGENCY = "GOVERNMENT_AGENCY"


class OrgForm(StrEnum):
    """Legal form of an organisation; an individual business is run by a natural person."""

    LEGAL_PERSON = "LEGAL_PERSON"
    UNINCORPORATED = "UNINCORPORATED"
    INDIVIDUAL_BUSINESS = "INDIVIDUAL_BUSINESS"
    AGENCY = "AGENCY"


class AgencyKind(StrEnum):
    """What a government agency does; partner access is decided per kind (issue: gateway)."""

    MARKET_REGULATION = "MARKET_REGULATION"
    TAX = "TAX"
    COURT = "COURT"
    FINANCE = "FINANCE"
    ENVIRONMENT = "ENVIRONMENT"
    HOUSING = "HOUSING"
    HUMAN_RESOURCES = "HUMAN_RESOURCES"
    PUBLIC_SECURITY = "PUBLIC_SECURITY"
    CREDIT_OFFICE = "CREDIT_OFFICE"
    UTILITY = "UTILITY"
    DISCIPLINE_INSPECTION = "DISCIPLINE_INSPECTION"  # 纪检监察: reads a person under a legal basis
    OTHER = "OTHER"


class Category(StrEnum):
    """Record categories: the "ten publicities" (002 二(六)2, 003 二(一)) and the other kinds of
    public credit information the seeds name (001 (九)(十六), 003 二(一)(二), 000 政务)."""

    ADMINISTRATIVE_LICENSING = "ADMINISTRATIVE_LICENSING"
    ADMINISTRATIVE_PENALTY = "ADMINISTRATIVE_PENALTY"
    ADMINISTRATIVE_COERCION = "ADMINISTRATIVE_COERCION"
    ADMINISTRATIVE_CONFIRMATION = "ADMINISTRATIVE_CONFIRMATION"
    ADMINISTRATIVE_LEVY = "ADMINISTRATIVE_LEVY"
    ADMINISTRATIVE_PAYMENT = "ADMINISTRATIVE_PAYMENT"
    ADMINISTRATIVE_ADJUDICATION = "ADMINISTRATIVE_ADJUDICATION"
    ADMINISTRATIVE_COMPENSATION = "ADMINISTRATIVE_COMPENSATION"
    ADMINISTRATIVE_REWARD = "ADMINISTRATIVE_REWARD"
    SUPERVISION_INSPECTION = "SUPERVISION_INSPECTION"
    DISHONEST_JUDGMENT_DEBTOR = "DISHONEST_JUDGMENT_DEBTOR"
    CREDIT_COMMITMENT = "CREDIT_COMMITMENT"
    COMMENDATION = "COMMENDATION"
    GOVERNMENT_AFFAIRS_DISHONESTY = "GOVERNMENT_AFFAIRS_DISHONESTY"
    PUBLIC_UTILITY_ARREARS = "PUBLIC_UTILITY_ARREARS"


TEN_PUBLICITIES: frozenset[Category] = frozenset(
    {
        Category.ADMINISTRATIVE_LICENSING,
        Category.ADMINISTRATIVE_PENALTY,
        Category.ADMINISTRATIVE_COERCION,
        Category.ADMINISTRATIVE_CONFIRMATION,
        Category.ADMINISTRATIVE_LEVY,
        Category.ADMINISTRATIVE_PAYMENT,
        Category.ADMINISTRATIVE_ADJUDICATION,
        Category.ADMINISTRATIVE_COMPENSATION,
        Category.ADMINISTRATIVE_REWARD,
        Category.SUPERVISION_INSPECTION,
    }
)


class Severity(StrEnum):
    MINOR = "MINOR"
    GENERAL = "GENERAL"
    SERIOUS = "SERIOUS"


class Procedure(StrEnum):
    """Penalty procedure; simple-procedure penalties are never published (000 双公示 二(三))."""

    SIMPLE = "SIMPLE"
    GENERAL = "GENERAL"


class RecordStatus(StrEnum):
    ACTIVE = "ACTIVE"
    UNDER_OBJECTION = "UNDER_OBJECTION"
    CORRECTED = "CORRECTED"
    REVOKED = "REVOKED"
    REPAIRED = "REPAIRED"
    EXPIRED = "EXPIRED"


# Statuses set by a procedure of the gateway (an open objection, a revocation, an approved repair): a
# provider's resubmission does not overwrite them; the record changes through that procedure
# (000 政务 9, 002 二(七)3-4).
SET_BY_PROCEDURE: frozenset[RecordStatus] = frozenset(
    {RecordStatus.UNDER_OBJECTION, RecordStatus.REVOKED, RecordStatus.REPAIRED}
)


class FilerKind(StrEnum):
    """Who filed an objection or a repair application for a record's subject."""

    SUBJECT = "SUBJECT"  # the person the record is about
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"  # for the organisation they represent
    AGENCY = "AGENCY"  # a partner agency acting for an organisation


class ObjectionStatus(StrEnum):
    OPEN = "OPEN"
    CORRECTED = "CORRECTED"
    REVOKED = "REVOKED"
    UPHELD = "UPHELD"


class RepairStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


class CheckMatter(StrEnum):
    """What an agency is deciding when it checks a subject's credit (信用核查, 002 二(三)4, 二(四)1);
    the measures per matter are in ``policies/credit-check.toml``."""

    ADMINISTRATIVE_LICENSING = "ADMINISTRATIVE_LICENSING"
    PUBLIC_PROCUREMENT = "PUBLIC_PROCUREMENT"
    FINANCIAL_SUPPORT = "FINANCIAL_SUPPORT"
    COMMENDATION = "COMMENDATION"
    PUBLIC_SERVICE = "PUBLIC_SERVICE"


class ListKind(StrEnum):
    RED = "RED"
    BLACK = "BLACK"


class ListStatus(StrEnum):
    LISTED = "LISTED"
    EXITED = "EXITED"  # delisted by the listing authority, or past its planned exit
    REVOKED = "REVOKED"  # taken off by a successful objection: it should never have been listed


class LinkRole(StrEnum):
    """Why a record is reachable from a subject other than the one it was recorded against."""

    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"


class ResponsibleRole(StrEnum):
    """The roles in which a person answers for an organisation (落实到人: 001 (十七), 004 个人 六(二),
    000 个人 六(二), 003 新型监管 二(四)); ``policies/credit-check.toml`` says which roles a black listing
    or a serious dishonesty of the organisation reaches."""

    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"  # 法定代表人
    PRINCIPAL = "PRINCIPAL"  # 主要负责人
    ACTUAL_CONTROLLER = "ACTUAL_CONTROLLER"  # 实际控制人


def is_dishonesty(category: Category, severity: Severity, kept: bool | None = None) -> bool:
    """A negative record: penalties, judgment-debtor and government-affairs dishonesty, arrears,
    and a commitment that was not kept."""
    if category is Category.CREDIT_COMMITMENT:
        return kept is False
    return category in {
        Category.ADMINISTRATIVE_PENALTY,
        Category.DISHONEST_JUDGMENT_DEBTOR,
        Category.GOVERNMENT_AFFAIRS_DISHONESTY,
        Category.PUBLIC_UTILITY_ARREARS,
        Category.ADMINISTRATIVE_COERCION,
    }


def reaches_legal_representative(category: Category, severity: Severity, kept: bool | None = None) -> bool:
    """A serious dishonesty of an organisation is recorded against its legal representative too
    (001 (十), 004 三(二)). A dishonest judgment debtor listing is serious by nature."""
    if not is_dishonesty(category, severity, kept):
        return False
    return severity is Severity.SERIOUS or category is Category.DISHONEST_JUDGMENT_DEBTOR


class ConsentPurpose(StrEnum):
    """The agreed purposes a person can consent to (the credit-reporting rule: a query needs the
    person's written consent and an agreed purpose)."""

    ADMINISTRATIVE_LICENSING = "ADMINISTRATIVE_LICENSING"
    PUBLIC_PROCUREMENT = "PUBLIC_PROCUREMENT"
    EMPLOYMENT = "EMPLOYMENT"
    FINANCIAL_SERVICE = "FINANCIAL_SERVICE"
    HOUSING_RENTAL = "HOUSING_RENTAL"
    COMMENDATION_REVIEW = "COMMENDATION_REVIEW"


class StatutoryPurpose(StrEnum):
    """Purposes for which an agency may read a person without consent, under a legal basis stated on
    the query (001 (十七); the credit-reporting rule's exceptions to written consent). Which agency
    kinds may state which purpose is the operator's list, ``policies/lawful-access.toml``."""

    ENFORCEMENT = "ENFORCEMENT"  # enforcing a judgment (执行), and assisting it
    INVESTIGATION = "INVESTIGATION"  # a criminal or disciplinary investigation (侦查, 审查调查)
    JOINT_PUNISHMENT = "JOINT_PUNISHMENT"  # the credit platform acting on serious dishonesty (联合惩戒)


class ConsentScope(StrEnum):
    """Field groups a consent can open; the policy names them ``consent:<scope>`` in lower case."""

    IDENTITY = "IDENTITY"
    CONTACT = "CONTACT"
    RECORDS = "RECORDS"
    LISTS = "LISTS"


class ConsentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    REVOKED = "REVOKED"
