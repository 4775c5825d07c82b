"""Reading a double-publicity CSV: the header row picks the layout, each row becomes inputs.

A row becomes two inputs written together: the party (a person keyed by 证件号码 when
行政相对人类别 is 自然人, otherwise an organisation keyed by its credit code, with its legal
representative when the representative's identity number is given) and the record. Everything is
validated by ``gateway.store.inputs``, the same parsers every other door uses; this module only maps
columns to fields and derives what the layouts leave implicit (``gateway.importing.derivations``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any, TextIO

from gateway.domain import Category
from gateway.errors import InvalidInput
from gateway.importing import derivations as d
from gateway.importing.errors import MalformedCsv, UnknownLayout
from gateway.importing.layouts import Layout, detect_layout, match_columns
from gateway.importing.rows import SourceRow
from gateway.store.inputs import Item, parse_organization, parse_person, parse_record

AgencyLookup = Callable[[str], str]
"""Credit code of the agency with this name; raises InvalidInput naming ``authorityName``."""

# Cells holding codes, dates, amounts and enum words are NFKC-folded (full-width digits are common
# in hand-typed exports); free text is kept as written.
_FOLDED = frozenset(
    {"credit_code", "id_number", "rep_id", "authority_code", "provider_code", "decided", "fine"}
)


def check_structure(text: TextIO) -> None:
    """Split the whole file into rows once before anything is written, so a broken file fails as a
    whole rather than after some of its rows were stored."""
    reader = csv.reader(text)
    try:
        for _ in reader:
            pass
    except csv.Error as exc:
        raise MalformedCsv(f"line {reader.line_num}: {exc}") from None


class DoublePublicityTable:
    """A CSV file whose header has been read and matched; ``rows`` converts the rest."""

    def __init__(self, text: TextIO) -> None:
        self._reader = csv.reader(text)
        header = self._next_nonblank()
        if header is None:
            raise UnknownLayout("the file is empty: there is no header row")
        self.layout: Layout = detect_layout(header)
        self.columns = match_columns(self.layout, header)
        self.width = len(header)

    def _next_nonblank(self) -> list[str] | None:
        for cells in self._reader:
            if any(c.strip() for c in cells):
                return cells
        return None

    def rows(self, *, today: date, agencies: AgencyLookup) -> Iterator[SourceRow]:
        labels = self.layout.labels
        last = self._reader.line_num
        for cells in self._reader:
            # A quoted value may span lines: a row is numbered by the line it starts on.
            line, last = last + 1, self._reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < self.width or any(c.strip() for c in cells[self.width :]):
                yield SourceRow.rejected(
                    line,
                    None,
                    f"has {len(cells)} cells but the header has {self.width}; "
                    "is a comma or line break inside a value not quoted?",
                )
                continue
            values = {col: cells[i].strip() for col, i in self.columns.items()}
            values.update({col: d.fold(v) for col, v in values.items() if col in _FOLDED})
            try:
                items = convert_row(self.layout, values, today=today, agencies=agencies)
            except InvalidInput as exc:
                yield SourceRow.rejected(line, self.layout.label(exc.field), exc.reason)
                continue
            yield SourceRow(line, items, labels=labels)


def convert_row(
    layout: Layout, values: Mapping[str, str], *, today: date, agencies: AgencyLookup
) -> tuple[Item, ...]:
    """The party and the record of one row; raises InvalidInput naming an input field or header."""
    v = _Cells(values)
    party, subject = _party(layout, v)
    return party, parse_record(_record_fields(layout, v, subject, today, agencies), today=today)


class _Cells:
    """Cell values by column name; a column the file does not have reads as blank."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getitem__(self, column: str) -> str:
        return self._values.get(column, "")

    def get(self, column: str) -> str | None:
        return self._values.get(column) or None


def _party(layout: Layout, v: _Cells) -> tuple[Item, dict[str, str]]:
    if layout.earlier:
        kind = d.earlier_party_kind(v["credit_code"], v["id_number"], layout.header("credit_code"))
    else:
        kind = d.party_kind(v["party_kind"], layout.header("party_kind"))
    if kind is d.PartyKind.NATURAL_PERSON:
        if not layout.earlier and not d.is_identity_card(v["id_type"]):
            raise InvalidInput(
                layout.header("id_type"), "must be 身份证: persons are identified by resident identity number"
            )
        person = parse_person({"name": v.get("party_name"), "idNumber": v.get("id_number")})
        return person, {"idNumber": person.id_number}
    org = parse_organization(
        {
            "name": v.get("party_name"),
            "creditCode": v.get("credit_code"),
            "form": d.org_form(kind),
            "legalRepresentative": _representative(layout, v),
        }
    )
    return org, {"creditCode": org.credit_code}


def _representative(layout: Layout, v: _Cells) -> dict[str, str | None] | None:
    """The legal representative (the operator, for an individual business), when an identity
    number names them; a representative known by name alone, or by a passport or other document,
    cannot be keyed and is left out."""
    if layout.earlier:
        number = v.get("id_number")
    else:
        number = v.get("rep_id") if d.is_identity_card(v["rep_id_type"]) else None
    if number is None:
        return None
    return {"name": v.get("rep_name"), "idNumber": number}


def _record_fields(
    layout: Layout, v: _Cells, subject: dict[str, str], today: date, agencies: AgencyLookup
) -> dict[str, Any]:
    if layout.earlier:
        # No codes in the earlier layouts: the named authority is also taken as the provider.
        authority_code = provider_code = agencies(v["authority"])
    else:
        authority_code, provider_code = v["authority_code"], v["provider_code"]
    valid_until = d.open_end_date(v["valid_until"], "validUntil")
    fields: dict[str, Any] = {
        "category": layout.category,
        "subject": subject,
        "documentNumber": v.get("document"),
        "authorityCode": authority_code,
        "authorityName": v.get("authority"),
        "providerCode": provider_code,
        "decisionDate": v["decided"],
        "content": d.compose_content((layout.header(c), v[c]) for c in layout.content),
        "legalBasis": v.get("basis"),
        "validUntil": valid_until,
        "status": d.record_status(v["state"], valid_until, today, "status"),
    }
    if layout.category is Category.ADMINISTRATIVE_PENALTY:
        kinds = d.penalty_kinds((v["kinds"], v["kinds2"]), "penaltyKinds")
        fields |= {
            "penaltyKinds": ";".join(kinds),
            "severity": d.penalty_severity(kinds),
            "procedure": d.penalty_procedure(v["penalty"], v["remarks"]),
            "amount10kYuan": v.get("fine"),
            "publicationUntil": d.open_end_date(v["publication_until"], "publicationUntil"),
        }
    elif "licence_kind" in layout.columns:
        d.licence_kind(v["licence_kind"], layout.header("licence_kind"))
    return fields
