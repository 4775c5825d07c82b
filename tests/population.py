"""A population of distinctive persons and businesses, written through the real StoreWriter, and a
reader that decrypts everything back, for the tests that look at what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.domain import OrgForm
from gateway.keys.crypto import FieldCipher, key_version_of
from gateway.keys.usage import encrypted_tables
from gateway.store.inputs import Item, OrganizationInput, PersonInput
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.helpers import credit_code, id_number

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_SURNAMES = "欧阳司马上官诸葛东方慕容令狐皇甫"
_GIVEN = "锦绣青岚星河墨韵松涛云帆霁月晴川"

# (table, row id, column) -> plaintext
Plaintexts = dict[tuple[str, str, str], str]


def person(n: int) -> PersonInput:
    """The n-th distinctive person; every field set for even n, phone and traits left out for odd n."""
    surname = _SURNAMES[2 * (n % 8) : 2 * (n % 8) + 2]
    given = _GIVEN[(n * 2) % len(_GIVEN) : (n * 2) % len(_GIVEN) + 2] + str(n)
    full = n % 2 == 0
    return PersonInput(
        name=f"{surname}{given}",
        id_number=id_number(region="530102", born=date(1960, 1, 1) + timedelta(days=n // 900), seq=n % 900),
        phone=f"139{n:08d}" if full else None,
        address=f"云南省昆明市五华区翠湖南路{n}号" if full else None,
        health_status="高血压二级" if full else None,
        religion="无宗教信仰" if full else None,
    )


def shop(n: int) -> OrganizationInput:
    """An individual business: its credit code identifies the person who runs it."""
    return OrganizationInput(
        name=f"五华区个体经营部{n}号",
        credit_code=credit_code(f"925301{n:09d}"),
        form=OrgForm.INDIVIDUAL_BUSINESS,
    )


COMPANY = OrganizationInput(name="昆明示例贸易有限公司", credit_code=credit_code("915301020000001"))


@dataclass(frozen=True, slots=True)
class Stored:
    plaintexts: Plaintexts
    person_ids: tuple[str, ...]


def write(engine: Engine, cipher: FieldCipher, items: Sequence[Item], *, batch: int = 1_000) -> list[str]:
    """Write ``items`` through StoreWriter, one transaction per ``batch``; returns the ids in order."""
    ids: list[str] = []
    for start in range(0, len(items), batch):
        with Session(engine) as session, session.begin():
            writer = StoreWriter(session, cipher, calendar=WorkCalendar.load(), clock=lambda: NOW)
            results = writer.write(items[start : start + batch])
        ids.extend(r.id or "" for r in results)
    return ids


def populate(engine: Engine, cipher: FieldCipher, persons: int, shops: int = 2) -> Stored:
    """Persons 0..persons-1, ``shops`` individual businesses and one company (code kept in clear)."""
    people = [person(n) for n in range(persons)]
    businesses = [shop(n) for n in range(shops)]
    ids = write(engine, cipher, [*people, *businesses, COMPANY])
    plaintexts: Plaintexts = {}
    for sid, p in zip(ids, people, strict=False):
        for field in ("name", "id_number", "phone", "address", "health_status", "religion"):
            value = getattr(p, field)
            if value is not None:
                plaintexts[("persons", sid, f"{field}_enc")] = value
    for sid, b in zip(ids[persons:], businesses, strict=False):
        plaintexts[("organizations", sid, "credit_code_enc")] = b.credit_code
        plaintexts[("organizations", sid, "name_enc")] = b.name  # a trade name: the owner's text
    return Stored(plaintexts, tuple(ids[:persons]))


@dataclass(frozen=True, slots=True)
class Readback:
    plaintexts: Plaintexts
    row_versions: dict[tuple[str, str], int]  # (table, row id) -> key_version column
    value_versions: dict[tuple[str, str, str], int]  # (table, row id, column) -> version in the header
    raw: dict[tuple[str, str, str], bytes]


def read_back(engine: Engine, cipher: FieldCipher) -> Readback:
    """Decrypt every stored ciphertext (raises if any fails) and note every key version."""
    plaintexts: Plaintexts = {}
    row_versions: dict[tuple[str, str], int] = {}
    value_versions: dict[tuple[str, str, str], int] = {}
    raw: dict[tuple[str, str, str], bytes] = {}
    with engine.connect() as conn:
        for enc in encrypted_tables():
            t = enc.table
            stmt = select(t.c[enc.key], t.c.key_version, *(t.c[c] for c in enc.columns))
            for row in conn.execute(stmt.where(t.c.key_version.is_not(None))):
                rid = row[0]
                row_versions[(enc.name, rid)] = row.key_version
                for column in enc.columns:
                    blob = row._mapping[column]
                    if blob is None:
                        continue
                    blob = bytes(blob)
                    raw[(enc.name, rid, column)] = blob
                    value_versions[(enc.name, rid, column)] = key_version_of(blob)
                    plaintexts[(enc.name, rid, column)] = cipher.decrypt(
                        blob, table=enc.name, column=column, row=rid
                    )
    return Readback(plaintexts, row_versions, value_versions, raw)
