"""No identity value is readable in the raw storage: the SQLite files byte for byte, and every row of
every PostgreSQL table as text.

Each scan also looks for a value that is stored in clear on purpose (a company's name), so a scan
that read the wrong bytes, or none, fails instead of passing vacuously.
"""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gateway.domain import OrgForm, ResponsibleRole
from gateway.keys.crypto import FieldCipher
from gateway.keys.rotation import rotate
from gateway.store import db
from gateway.store.inputs import OrganizationInput, PersonInput, ResponsiblePersonInput
from tests.helpers import credit_code, id_number
from tests.population import write

PEOPLE = [
    PersonInput(
        name="欧阳翠花",
        id_number=id_number(region="530102", born=date(1988, 3, 15), seq=771),
        phone="13987650432",
        address="云南省昆明市五华区翠湖南路88号",
        health_status="二型糖尿病",
        religion="藏传佛教",
    ),
    PersonInput(
        name="司马长风",
        id_number=id_number(region="371727", born=date(1979, 11, 2), seq=18),  # check character X
        phone="15911223344",
        address="山东省菏泽市定陶区兴华路19号",
    ),
    PersonInput(name="Zhuge Kongming", id_number=id_number(region="110105", born=date(2001, 7, 9), seq=352)),
]
SHOP = OrganizationInput(
    name="定陶区兴华路早餐店",
    credit_code=credit_code("92371727MA3C8F2"),
    form=OrgForm.INDIVIDUAL_BUSINESS,
    registered_address="山东省菏泽市定陶区兴华路21号",
    legal_representative=PEOPLE[1],
)
# Known to the store only as the company's principal and actual controller (落实到人).
RESPONSIBLE = [
    PersonInput(name="上官婉清", id_number=id_number(region="530102", born=date(1975, 4, 21), seq=563)),
    PersonInput(name="慕容复兴", id_number=id_number(region="530103", born=date(1968, 12, 30), seq=247)),
]
COMPANY = OrganizationInput(
    name="昆明滇池明珠示范贸易有限公司",
    credit_code=credit_code("915301020000777"),
    legal_representative=PEOPLE[0],
    responsible_persons=(
        ResponsiblePersonInput(ResponsibleRole.PRINCIPAL, RESPONSIBLE[0], since=date(2021, 1, 4)),
        ResponsiblePersonInput(ResponsibleRole.ACTUAL_CONTROLLER, RESPONSIBLE[1]),
    ),
)
CLEAR_ON_PURPOSE = COMPANY.name

SECRETS = [
    value
    for p in [*PEOPLE, *RESPONSIBLE]
    for value in (p.name, p.id_number, p.phone, p.address, p.health_status, p.religion)
    if value is not None
] + [SHOP.credit_code]


def _digits(value: str) -> str | None:
    """The longest all-digit form of a value (an identity number without its X check character)."""
    digits = value[:-1] if value[-1:] in "Xx" else value
    return digits if digits.isdigit() else None


def byte_forms(value: str) -> list[bytes]:
    """Every way the value could sit in a file: text encodings, and for digits raw numbers as SQLite
    stores them (64-bit big-endian integer, IEEE double) and as little-endian machines would."""
    forms = [value.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be", "gb18030")]
    digits = _digits(value)
    if digits is not None:
        number = int(digits)
        # SQLite keeps an integer in the narrowest of 1, 2, 3, 4, 6 or 8 big-endian bytes (a phone
        # number in 6); a REAL with an integral value is stored the same way.
        width = next(w for w in (1, 2, 3, 4, 6, 8) if number < 1 << (8 * w - 1))
        forms += [digits.encode(), number.to_bytes(width, "big"), number.to_bytes(8, "little")]
        forms += [struct.pack(">d", float(number)), struct.pack("<d", float(number))]
    return forms


def text_forms(value: str) -> list[str]:
    """Every way the value could show in a row rendered as text: as is, as bytea hex of its
    encodings, and for digits the number alone."""
    forms = [value, value.encode().hex(), value.encode("gb18030").hex(), value.encode("utf-16-le").hex()]
    digits = _digits(value)
    if digits is not None:
        forms += [digits, f"{int(digits):x}"]
    return forms


def _write_subjects(engine: Engine, cipher: FieldCipher) -> None:
    write(engine, cipher, [*PEOPLE, SHOP, COMPANY])


def _sqlite_files(path: Path) -> bytes:
    """The database file and its -wal and -shm companions, as they are now."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")) if p.is_file())


@pytest.mark.parametrize("rotated", [False, True], ids=["as-written", "after-rotation"])
def test_sqlite_files_hold_no_identity_value_in_any_encoding(
    tmp_path: Path, cipher: FieldCipher, keyring_path: Path, rotated: bool
) -> None:
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        _write_subjects(engine, cipher)
        if rotated:
            rotate(keyring_path, engine)
        before_checkpoint = _sqlite_files(path)  # fresh pages still sit in the -wal file
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        after_checkpoint = _sqlite_files(path)
    finally:
        engine.dispose()
    storage = before_checkpoint + after_checkpoint + _sqlite_files(path)

    assert CLEAR_ON_PURPOSE.encode() in storage
    for secret in SECRETS:
        for form in byte_forms(secret):
            assert form not in storage, f"{secret!r} is readable in the SQLite files"


@pytest.mark.postgres
def test_postgres_rows_hold_no_identity_value_in_any_rendering(
    postgres_url: str, cipher: FieldCipher
) -> None:
    db.upgrade(postgres_url)
    engine = db.make_engine(postgres_url)
    try:
        _write_subjects(engine, cipher)
        with engine.connect() as conn:
            conn.execute(text("SET bytea_output = 'hex'"))
            tables = conn.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ).all()
            rows = [
                row
                for table in tables
                for row in conn.scalars(text(f'SELECT CAST(t AS text) FROM "{table}" AS t'))
            ]
    finally:
        engine.dispose()
    assert {"persons", "organizations", "subjects", "alembic_version"} <= set(tables)
    storage = "\n".join(rows).lower()

    assert CLEAR_ON_PURPOSE in storage
    for secret in SECRETS:
        for form in text_forms(secret):
            assert form.lower() not in storage, f"{secret!r} is readable in a PostgreSQL row"
