"""Validated inputs to the credit store, and their parsing from JSON-like mappings.

Every path that writes — JSON Lines import, CSV import, demo seeding and the ``submitRecords``
mutation — builds these objects, so a value is validated by the same rules whichever door it came
through. Parsing errors are :class:`InvalidInput` naming the (camelCase) field and the reason; single
values are read by ``gateway.store.value_parsers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, make_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gateway.domain import (
    AgencyKind,
    Category,
    ListKind,
    ListStatus,
    OrgForm,
    ResponsibleRole,
    SubjectKind,
)
from gateway.errors import InvalidInput
from gateway.identifiers import normalize_credit_code, normalize_id_number
from gateway.store.fields import Field, correctable, record_input_fields
from gateway.store.value_parsers import (
    enum_value,
    optional_bool,
    optional_date,
    optional_datetime,
    optional_decimal,
    parse_date,
    phone,
    prefixed,
    required_text,
    text,
)


@dataclass(frozen=True, slots=True)
class PersonInput:
    name: str
    id_number: str
    phone: str | None = None
    address: str | None = None
    health_status: str | None = None
    religion: str | None = None


@dataclass(frozen=True, slots=True)
class ResponsiblePersonInput:
    """A person answering for an organisation in ``role`` from ``since`` to ``until`` (either open)."""

    role: ResponsibleRole
    person: PersonInput
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class OrganizationInput:
    name: str
    credit_code: str
    kind: SubjectKind = SubjectKind.ORGANIZATION
    form: OrgForm = OrgForm.LEGAL_PERSON
    registered_address: str | None = None
    legal_representative: PersonInput | None = None
    agency_kind: AgencyKind | None = None
    responsible_persons: tuple[ResponsiblePersonInput, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponsibilitiesInput:
    """Responsible persons of an organisation already in the store, named by its credit code (a
    provider's record submission carries them for the record's subject)."""

    credit_code: str
    persons: tuple[ResponsiblePersonInput, ...]


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """Names a subject by exactly one identifier."""

    id_number: str | None = None
    credit_code: str | None = None


@dataclass(frozen=True, slots=True)
class RecordKey:
    """The de-duplication key of a record: one decision of one authority in one category."""

    authority_code: str
    document_number: str
    category: Category


def _record_key(record: Any) -> RecordKey:
    return RecordKey(record.authority_code, record.document_number, record.category)


def _record_input_class() -> type:
    """``RecordInput``, built from the field catalogue's imported fields: the subject, then the fields a
    full parse requires, then the rest with their defaults (in catalogue order each).

    Generated rather than written out so that a new record field is a catalogue row and not also a
    dataclass attribute to keep in step. Its fields are those of the catalogue, so what a reader of
    this module would look for is ``gateway.store.fields.CATALOGUE``."""
    imported = record_input_fields()
    required = [(f.name, f.value) for f in imported if f.required]
    optional = [
        # Default of the dataclass: a field left out (a category-bound one is left out elsewhere).
        (f.name, f.value | None, field(default=None if f.only_for else f.default))  # type: ignore[operator]
        for f in imported
        if not f.required
    ]
    cls = make_dataclass(
        "RecordInput",
        [("subject", SubjectRef), *required, *optional],
        frozen=True,
        slots=True,
        namespace={"key": property(_record_key, doc="The record's de-duplication key.")},
    )
    cls.__module__ = __name__  # pickled by reference (the import and seeding children)
    return cls


RecordInput: Any = _record_input_class()


@dataclass(frozen=True, slots=True)
class ListEntryInput:
    subject: SubjectRef
    kind: ListKind
    list_name: str
    authority_code: str
    reason: str
    listed_on: date
    planned_exit: date | None = None
    status: ListStatus = ListStatus.LISTED
    exited_on: date | None = None
    records: tuple[RecordKey, ...] = ()


Item = PersonInput | OrganizationInput | RecordInput | ListEntryInput | ResponsibilitiesInput

MAX_RESPONSIBLE_PERSONS = 20


# --- builders ------------------------------------------------------------------------------------


def parse_person(obj: Mapping[str, Any], prefix: str = "") -> PersonInput:
    """A person; ``prefix`` names where a nested person sits (``legalRepresentative.``) in errors."""
    with prefixed(prefix):
        raw_id = required_text(obj, "idNumber", max_len=40)
        return PersonInput(
            name=required_text(obj, "name", max_len=60),
            id_number=normalize_id_number(raw_id, field="idNumber"),
            phone=phone(text(obj, "phone", max_len=30, required=False), "phone"),
            address=text(obj, "address", max_len=300, required=False),
            health_status=text(obj, "healthStatus", max_len=200, required=False),
            religion=text(obj, "religion", max_len=60, required=False),
        )


def parse_responsible_persons(
    obj: Mapping[str, Any], field: str = "responsiblePersons"
) -> tuple[ResponsiblePersonInput, ...]:
    """The ``responsiblePersons`` of an organisation line or a record submission: each an object with
    ``role``, the person's ``name`` and ``idNumber`` (and the other person fields), ``since`` and
    ``until``; one person in one role from one day is named once."""
    raw = obj.get(field)
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_RESPONSIBLE_PERSONS:
        raise InvalidInput(field, f"must be a list of at most {MAX_RESPONSIBLE_PERSONS} persons")
    found: list[ResponsiblePersonInput] = []
    for i, row in enumerate(raw):
        where = f"{field}[{i}]."
        if not isinstance(row, Mapping):
            raise InvalidInput(f"{field}[{i}]", "must be an object with role, name and idNumber")
        with prefixed(where):
            role = enum_value(row, "role", ResponsibleRole)
            since, until = optional_date(row, "since"), optional_date(row, "until")
        if since is not None and until is not None and until < since:
            raise InvalidInput(f"{where}until", "is before since")
        held = ResponsiblePersonInput(role, parse_person(row, where), since, until)
        if any((h.role, h.person.id_number, h.since) == (role, held.person.id_number, since) for h in found):
            raise InvalidInput(
                f"{field}[{i}]", "names the same person in the same role from the same day twice"
            )
        found.append(held)
    return tuple(found)


def _current_representative(
    rep: PersonInput | None, responsible: tuple[ResponsiblePersonInput, ...]
) -> PersonInput | None:
    """The legal representative of the line: ``legalRepresentative``, else the one responsible person
    who is legal representative with no end; the two must not name different people."""
    current = [
        r.person for r in responsible if r.role is ResponsibleRole.LEGAL_REPRESENTATIVE and r.until is None
    ]
    if len({p.id_number for p in current}) > 1:
        raise InvalidInput("responsiblePersons", "names two current legal representatives")
    if rep is None:
        return current[0] if current else None
    if current and current[0].id_number != rep.id_number:
        raise InvalidInput(
            "responsiblePersons", "names another current legal representative than legalRepresentative"
        )
    return rep


def parse_organization(obj: Mapping[str, Any], *, agency: bool = False) -> OrganizationInput:
    rep = obj.get("legalRepresentative")
    if rep is not None and not isinstance(rep, Mapping):
        raise InvalidInput("legalRepresentative", "must be an object with name and idNumber")
    form = enum_value(obj, "form", OrgForm, OrgForm.AGENCY if agency else OrgForm.LEGAL_PERSON)
    if agency != (form is OrgForm.AGENCY):
        raise InvalidInput("form", "AGENCY is the form of government agencies, and only of them")
    responsible = parse_responsible_persons(obj)
    legal_representative = _current_representative(
        parse_person(rep, "legalRepresentative.") if rep is not None else None, responsible
    )
    return OrganizationInput(
        name=required_text(obj, "name", max_len=200),
        credit_code=normalize_credit_code(required_text(obj, "creditCode", max_len=40), field="creditCode"),
        kind=SubjectKind.GOVERNMENT_AGENCY if agency else SubjectKind.ORGANIZATION,
        form=form,
        registered_address=text(obj, "registeredAddress", max_len=300, required=False),
        legal_representative=legal_representative,
        agency_kind=enum_value(obj, "agencyKind", AgencyKind, AgencyKind.OTHER) if agency else None,
        responsible_persons=responsible,
    )


def parse_subject_ref(obj: Mapping[str, Any], field: str = "subject") -> SubjectRef:
    ref = obj.get(field)
    if not isinstance(ref, Mapping):
        raise InvalidInput(field, "must be an object with idNumber or creditCode")
    has_id, has_code = ref.get("idNumber") is not None, ref.get("creditCode") is not None
    if has_id == has_code:
        raise InvalidInput(field, "must name exactly one of idNumber and creditCode")
    if has_id:
        return SubjectRef(id_number=normalize_id_number(str(ref["idNumber"]), field=f"{field}.idNumber"))
    return SubjectRef(credit_code=normalize_credit_code(str(ref["creditCode"]), field=f"{field}.creditCode"))


# How "applies to ... only" names a category a field is bound to.
_CATEGORY_PLURALS = {
    Category.ADMINISTRATIVE_PENALTY: "administrative penalties",
    Category.CREDIT_COMMITMENT: "credit commitments",
}


def _parse_value(obj: Mapping[str, Any], f: Field, *, partial: bool) -> Any:
    """One field by its catalogue row. In a partial parse the field was given: text must not be blank
    and an enum has no default (a correction never empties a required value by accident)."""
    name, kind = f.graphql_name, f.value
    if kind is str:
        assert f.max_len is not None
        value = text(obj, name, max_len=f.max_len, required=partial or f.required)
        return normalize_credit_code(value, field=name) if f.credit_code and value is not None else value
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return enum_value(obj, name, kind, None if partial else f.default)  # type: ignore[arg-type]
    if kind is date:
        return parse_date(obj.get(name) or "", name) if f.required else optional_date(obj, name)
    if kind is datetime:
        return optional_datetime(obj, name)
    if kind is Decimal:
        return optional_decimal(obj, name)
    if kind is bool:
        return optional_bool(obj, name)
    raise TypeError(f"no parser for {f.schema_field} ({kind})")


def parse_record(
    obj: Mapping[str, Any],
    *,
    today: date | None = None,
    partial: bool = False,
    category: Category | None = None,
) -> Any:
    """A record from an import line or a submission (a ``RecordInput``), or, with ``partial``, the
    fields a correction changes (a dict of ``RecordInput`` keyword arguments; ``category`` is the
    record's, as the category is not correctable).

    One set of rules for both, read from the field catalogue: length limits, a field bound to one
    category (``procedure`` to penalties, ``kept`` to commitments) refused on any other, no date of
    decision in the future. The category-bound and date rules are checked first, then the subject,
    then every field in catalogue order: the first problem is the one reported."""
    today = today or date.today()
    if partial:
        assert category is not None
        fields = [f for f in correctable() if obj.get(f.graphql_name) is not None]
    else:
        category = enum_value(obj, "category", Category)
        fields = [f for f in record_input_fields() if f.name != "category"]
    values: dict[str, Any] = {}
    for f in fields:
        if f.only_for is not None and obj.get(f.graphql_name) is not None and category is not f.only_for:
            plural = _CATEGORY_PLURALS.get(f.only_for, f"{f.only_for.value.lower()} records")
            raise InvalidInput(f.graphql_name, f"applies to {plural} only")
        if f.no_future:
            values[f.name] = _parse_value(obj, f, partial=partial)
            if values[f.name] is not None and values[f.name] > today:
                raise InvalidInput(f.graphql_name, "is in the future")
    if partial:
        return values | {f.name: _parse_value(obj, f, partial=True) for f in fields if f.name not in values}
    subject = parse_subject_ref(obj)
    for f in fields:
        if f.name not in values:
            bound_elsewhere = f.only_for is not None and category is not f.only_for
            values[f.name] = None if bound_elsewhere else _parse_value(obj, f, partial=False)
    if values.get("act_date") is not None and values["act_date"] > values["decision_date"]:
        raise InvalidInput("actDate", "is after decisionDate")
    return RecordInput(subject=subject, category=category, **values)


def parse_record_key(obj: object, field: str) -> RecordKey:
    if not isinstance(obj, Mapping):
        raise InvalidInput(field, "must be an object with authorityCode, documentNumber and category")
    with prefixed(f"{field}."):
        return RecordKey(
            authority_code=normalize_credit_code(
                required_text(obj, "authorityCode", max_len=40), field="authorityCode"
            ),
            document_number=required_text(obj, "documentNumber", max_len=120),
            category=enum_value(obj, "category", Category),
        )


def parse_list_entry(obj: Mapping[str, Any]) -> ListEntryInput:
    records = obj.get("records") or []
    if not isinstance(records, list):
        raise InvalidInput("records", "must be a list of record keys")
    listed_on = parse_date(obj.get("listedOn") or "", "listedOn")
    planned_exit = optional_date(obj, "plannedExit")
    if planned_exit is not None and planned_exit < listed_on:
        raise InvalidInput("plannedExit", "is before listedOn")
    status = enum_value(obj, "status", ListStatus, ListStatus.LISTED)
    exited_on = optional_date(obj, "exitedOn")
    if (status is ListStatus.EXITED) != (exited_on is not None):
        raise InvalidInput("exitedOn", "is given exactly when status is EXITED")
    return ListEntryInput(
        subject=parse_subject_ref(obj),
        kind=enum_value(obj, "kind", ListKind),
        list_name=required_text(obj, "listName", max_len=120),
        authority_code=normalize_credit_code(
            required_text(obj, "authorityCode", max_len=40), field="authorityCode"
        ),
        reason=required_text(obj, "reason", max_len=5_000),
        listed_on=listed_on,
        planned_exit=planned_exit,
        status=status,
        exited_on=exited_on,
        records=tuple(parse_record_key(r, f"records[{i}]") for i, r in enumerate(records)),
    )


ITEM_TYPES = ("person", "organization", "agency", "record", "listEntry")


def parse_item(obj: object, *, today: date | None = None) -> Item:
    """One JSON Lines object, dispatched on its ``type``."""
    if not isinstance(obj, Mapping):
        raise InvalidInput("type", "each line must be a JSON object")
    kind = obj.get("type")
    if kind == "person":
        return parse_person(obj)
    if kind in ("organization", "agency"):
        return parse_organization(obj, agency=kind == "agency")
    if kind == "record":
        return parse_record(obj, today=today)
    if kind == "listEntry":
        return parse_list_entry(obj)
    raise InvalidInput("type", f"must be one of {', '.join(ITEM_TYPES)}")
