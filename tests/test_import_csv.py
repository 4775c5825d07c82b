"""Double-publicity CSV import: the four layouts, encodings, header tolerance, exact rejections."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.domain import OrgForm, Procedure, RecordStatus, Severity
from gateway.importing.derivations import PENALTY_KINDS
from gateway.importing.double_publicity import DoublePublicityTable
from gateway.importing.layouts import PENALTY
from gateway.keys.crypto import FieldCipher
from gateway.store.models import CreditRecord, Organization, Person, RecordLink, Subject
from tests.import_helpers import DATA, NOW, count, rejections, run_import

PENALTY_HEADER = (DATA / "penalty_current.csv").read_text(encoding="utf-8-sig").splitlines()[0]


def _records(engine: Engine) -> dict[str, CreditRecord]:
    with Session(engine) as s:
        return {r.document_number: r for r in s.scalars(select(CreditRecord))}


def test_current_penalty_layout_maps_every_column(engine: Engine, cipher: FieldCipher) -> None:
    report = run_import(engine, cipher, DATA / "penalty_current.csv")
    assert report.summary() == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert (report.format, report.encoding, report.layout) == ("csv", "utf-8", "penalty")
    assert (count(engine, Person), count(engine, Organization)) == (4, 4)
    recs = _records(engine)
    company = recs["菏牡市监罚〔2026〕101号"]
    assert (company.severity, company.procedure, company.penalty_kinds) == (
        Severity.GENERAL,
        Procedure.GENERAL,
        "罚款;没收违法所得",
    )
    assert (str(company.amount_10k_yuan), company.valid_until, company.publication_until) == (
        "2.5000",
        date(2027, 2, 25),
        date(2029, 2, 25),
    )
    assert company.authority_name == "菏泽市牡丹区市场监督管理局"
    assert (company.authority_code, company.provider_code) == ("11371702004200200K", "113717000042004002")
    assert company.legal_basis == "《中华人民共和国产品质量法》第四十九条"
    assert company.content == (
        "违法行为类型：销售不合格产品\n"
        "违法事实：当事人于2025年12月销售不符合国家标准的电线电缆，货值金额1.2万元。\n"
        "处罚内容：罚款人民币2.5万元，没收违法所得0.3万元。\n"
        "没收违法所得、没收非法财物的金额（万元）：0.3"
    )
    shop = recs["菏牡市监简罚〔2026〕7号"]
    assert (shop.severity, shop.procedure, shop.decision_date) == (
        Severity.MINOR,
        Procedure.SIMPLE,
        date(2026, 2, 27),
    )
    closed = recs["菏市监罚〔2026〕23号"]
    assert (closed.severity, closed.penalty_kinds, closed.publication_until) == (
        Severity.SERIOUS,
        "责令停产停业;罚款",
        None,
    )
    # Flags computed by the writer from what the CSV mapped into content and dates.
    assert [n for n, r in recs.items() if r.personal_traits_flagged] == ["菏牡市监罚〔2026〕115号"]
    assert sorted(n for n, r in recs.items() if not r.received_within_deadline) == ["泰山综执罚〔2026〕5号"]


def test_parties_become_people_organisations_and_individual_businesses(
    engine: Engine, cipher: FieldCipher
) -> None:
    run_import(engine, cipher, DATA / "penalty_current.csv")
    with Session(engine) as s:
        orgs = {o.name: o for o in s.scalars(select(Organization))}
        assert orgs["牡丹区王记烧烤店"].form is OrgForm.INDIVIDUAL_BUSINESS
        assert orgs["牡丹区王记烧烤店"].credit_code is None  # an individual business's code is encrypted
        assert orgs["牡丹区王记烧烤店"].legal_representative_id is not None
        assert orgs["菏泽市牡丹区鑫源商贸有限公司"].legal_representative_id is not None
        # 法定代表人 by name only cannot be keyed to a person.
        assert orgs["泰安市岱岳区宏运物流有限公司"].legal_representative_id is None
        closed = s.scalars(
            select(CreditRecord).where(CreditRecord.document_number == "菏市监罚〔2026〕23号")
        ).one()
        links = s.execute(select(RecordLink.record_id, RecordLink.subject_id)).all()
    assert links == [(closed.id, orgs["山东定陶恒达建材有限公司"].legal_representative_id)]


def test_current_licensing_layout(engine: Engine, cipher: FieldCipher) -> None:
    report = run_import(engine, cipher, DATA / "licensing_current.csv")
    assert report.summary() == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report.layout == "licensing"
    recs = _records(engine)
    assert {n: (r.status, r.valid_until) for n, r in recs.items()} == {
        "菏审批药许〔2026〕0311号": (RecordStatus.ACTIVE, date(2031, 2, 26)),
        "菏审批登〔2026〕0215号": (RecordStatus.ACTIVE, None),  # 2099/12/31: no end
        "菏审批食登〔2026〕0032号": (RecordStatus.ACTIVE, date(2029, 3, 1)),
        "菏审批环许〔2020〕0456号": (RecordStatus.EXPIRED, date(2025, 12, 31)),  # 无效 after its end
    }
    assert all(r.procedure is None and r.severity is Severity.GENERAL for r in recs.values())
    assert recs["菏审批食登〔2026〕0032号"].personal_traits_flagged  # address in 备注
    assert recs["菏审批药许〔2026〕0311号"].content == (
        "行政许可决定文书名称：药品经营许可证核发决定书\n许可类别：普通\n许可证书名称：药品经营许可证\n"
        "许可编号：鲁AA5300123\n许可内容：药品零售：处方药、甲类非处方药、乙类非处方药、中药饮片\n有效期自：2026/02/27"
    )


def test_earlier_layouts_resolve_the_authority_by_agency_name(engine: Engine, cipher: FieldCipher) -> None:
    assert run_import(engine, cipher, DATA / "agencies.jsonl").summary()["created"] == 3
    penalties = run_import(engine, cipher, DATA / "penalty_earlier.csv")
    licences = run_import(engine, cipher, DATA / "licensing_earlier.csv")
    assert (penalties.layout, licences.layout) == ("penalty-earlier", "licensing-earlier")
    assert penalties.summary() == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert licences.summary() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    recs = _records(engine)
    assert {r.authority_code for n, r in recs.items() if "处字" in n} == {"113717000042001001"}
    assert recs["菏工商处字〔2018〕45号"].penalty_kinds == "罚款;没收违法所得、没收非法财物"
    warned = recs["菏工商处字〔2018〕46号"]
    assert (warned.severity, warned.procedure) == (Severity.MINOR, Procedure.SIMPLE)
    assert recs["菏审批药许〔2017〕0088号"].status is RecordStatus.EXPIRED
    assert recs["定审批登字〔2016〕0099号"].valid_until is None
    with Session(engine) as s:
        shop = s.scalars(select(Organization).where(Organization.name == "牡丹区王记烧烤店")).one()
        assert (shop.form, shop.legal_representative_id is not None) == (OrgForm.INDIVIDUAL_BUSINESS, True)
    # 王建国 is named without an identity number here, so he is not keyed as a person.
    assert count(engine, Person) == 2


def test_earlier_layout_rows_naming_an_unregistered_authority_are_rejected(
    engine: Engine, cipher: FieldCipher
) -> None:
    report = run_import(engine, cipher, DATA / "penalty_earlier.csv")
    reason = "names no registered agency; import the agency first (JSON Lines type agency)"
    assert rejections(report) == [(2, "处罚机关", reason), (3, "处罚机关", reason), (4, "处罚机关", reason)]
    assert count(engine, Subject) == 0


@pytest.mark.parametrize(
    "name", ["penalty_current.csv", "licensing_current.csv", "penalty_earlier.csv", "licensing_earlier.csv"]
)
def test_reimport_is_idempotent(engine: Engine, cipher: FieldCipher, name: str) -> None:
    run_import(engine, cipher, DATA / "agencies.jsonl")
    first = run_import(engine, cipher, DATA / name)
    rows = first.summary()["created"]
    before = (count(engine, Subject), count(engine, CreditRecord))
    again = run_import(engine, cipher, DATA / name, batch_size=2)
    assert again.summary() == {"created": 0, "updated": 0, "unchanged": rows, "rejected": 0}
    assert (count(engine, Subject), count(engine, CreditRecord)) == before


def test_malformed_rows_get_exact_rejections_and_good_rows_are_stored(
    engine: Engine, cipher: FieldCipher
) -> None:
    report = run_import(engine, cipher, DATA / "penalty_invalid.csv")
    assert report.summary() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 13}
    assert rejections(report) == [
        (3, "证件号码", "bad check character"),
        (4, "处罚决定日期", "is not a calendar date"),
        (5, "行政相对人类别", "must be one of 自然人, 法人及非法人组织, 个体工商户"),
        (6, "处罚类别", f"must be one or more of {', '.join(PENALTY_KINDS)}, separated by ;"),
        (7, "行政处罚决定书文号", "duplicate of line 2"),
        (8, "行政相对人代码_1（统一社会信用代码）", "bad check character"),
        (9, "法定代表人证件号码", "bad check character"),
        (10, "处罚决定日期", "is in the future"),
        (11, "处罚机关统一社会信用代码", "is required"),
        (12, "证件类型", "must be 身份证: persons are identified by resident identity number"),
        (13, "罚款金额（万元）", "must be a number"),
        (14, None, "has 3 cells but the header has 30; is a comma or line break inside a value not quoted?"),
        (17, "公示截止期", "is not a calendar date"),
    ]
    recs = _records(engine)
    assert sorted(recs) == ["菏牡市监罚〔2026〕201号", "菏牡市监罚〔2026〕215号"]
    assert "经抽检，不合格批次共三批。" in recs["菏牡市监罚〔2026〕215号"].content
    # Rejected rows left nothing behind: only the parties of the two good rows (and a representative).
    assert (count(engine, Person), count(engine, Organization)) == (2, 1)


def test_gb18030_export_imports_like_its_utf8_original(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    gb = tmp_path / "penalty-gb18030.csv"
    gb.write_bytes((DATA / "penalty_current.csv").read_text(encoding="utf-8-sig").encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        gb.read_bytes().decode("utf-8")
    report = run_import(engine, cipher, gb)
    assert (report.encoding, report.summary()) == (
        "gb18030",
        {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0},
    )
    assert run_import(engine, cipher, DATA / "penalty_current.csv").summary()["unchanged"] == 5


LATIN1_TEXT = "Name,Ort\nJosé,Café\n".encode("latin-1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            LATIN1_TEXT,
            "the file is neither UTF-8 nor GB18030 text (byte 12 is not UTF-8 and byte 12 is not GB18030); "
            "save it as UTF-8 and retry",
        ),
        # Latin-1 that happens to decode as GB18030, into rare characters no export would hold.
        (
            "Name;Ort\nMüller;Gärtnerei\n".encode("latin-1"),
            "the file is neither UTF-8 nor GB18030 text (byte 10 is not UTF-8); save it as UTF-8 and retry",
        ),
        (
            random.Random(7).randbytes(4096),
            "the file is neither UTF-8 nor GB18030 text (byte 1 is not UTF-8 and byte 10 is not GB18030); "
            "save it as UTF-8 and retry",
        ),
        (
            PENALTY_HEADER.encode("utf-16"),
            "the file is neither UTF-8 nor GB18030 text (byte 0 is not UTF-8 and byte 0 is not GB18030); "
            "save it as UTF-8 and retry",
        ),
    ],
    ids=["latin-1", "latin-1-decodable-as-gb18030", "random-bytes", "utf-16"],
)
def test_files_in_other_encodings_fail_as_a_whole(
    engine: Engine, cipher: FieldCipher, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    report = run_import(engine, cipher, path)
    assert (report.error_code, report.error_message, report.exit_code) == ("IMPORT_BAD_ENCODING", message, 2)
    assert count(engine, Subject) == 0


def test_missing_required_columns_are_named_and_nothing_is_written(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    lines = (DATA / "penalty_current.csv").read_text(encoding="utf-8-sig").splitlines()
    drop = {"处罚决定日期", "处罚机关统一社会信用代码"}
    header = lines[0].split(",")
    keep = [i for i, h in enumerate(header) if h not in drop]
    path = tmp_path / "missing.csv"
    path.write_text(
        "\n".join(",".join(line.split(",")[i] for i in keep) for line in lines[:1])
        + "\n"
        + "\n".join(lines[1:]),
        encoding="utf-8",
    )
    report = run_import(engine, cipher, path)
    assert (report.error_code, report.exit_code) == ("IMPORT_MISSING_COLUMNS", 2)
    assert report.error_message == (
        "the 行政处罚 (current layout) header lacks required columns: 处罚决定日期, 处罚机关统一社会信用代码"
    )
    assert count(engine, Subject) == 0


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        (
            "姓名,身份证号,金额",
            "IMPORT_UNKNOWN_LAYOUT",
            "the header row matches no double-publicity layout: it has none of 行政处罚决定书文号 (行政处罚), "
            "行政许可决定文书号 or 行政许可决定书文号 (行政许可)",
        ),
        ("", "IMPORT_UNKNOWN_LAYOUT", "the file is empty: there is no header row"),
        (
            PENALTY_HEADER + ",处罚决定日期",
            "IMPORT_UNKNOWN_LAYOUT",
            "the column 处罚决定日期 appears more than once in the header row",
        ),
    ],
    ids=["foreign-header", "empty", "duplicate-column"],
)
def test_unusable_headers_fail_as_a_whole(
    engine: Engine, cipher: FieldCipher, tmp_path: Path, header: str, code: str, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(header + "\n", encoding="utf-8")
    report = run_import(engine, cipher, path)
    assert (report.error_code, report.error_message, report.exit_code) == (code, message, 2)


def test_headers_match_across_bracket_widths_spaces_order_and_bare_names(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    text = (DATA / "penalty_current.csv").read_text(encoding="utf-8-sig")
    header, body = text.split("\n", 1)
    variant = (
        header.replace("行政相对人代码_1(统一社会信用代码)", "行政相对人代码_1")
        .replace("罚款金额(万元)", "＊罚款金额 （万元）")
        .replace("处罚决定日期", "处罚决定日期\u3000")
        .replace("证件号码", " 证件号码 ")
    )
    path = tmp_path / "variant.csv"
    path.write_text(variant + "\n" + body, encoding="utf-8")
    report = run_import(engine, cipher, path)
    assert report.summary() == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    again = run_import(engine, cipher, DATA / "penalty_current.csv")
    assert again.summary()["unchanged"] == 5  # the same records, whatever the header spelling


def test_a_field_past_the_csv_size_limit_fails_before_anything_is_written(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    text = (DATA / "penalty_current.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "broken.csv"
    path.write_text(text + '"' + "x" * 200_000 + "\n", encoding="utf-8")
    report = run_import(engine, cipher, path)
    assert (report.error_code, report.exit_code) == ("IMPORT_MALFORMED_CSV", 2)
    assert report.error_message == "line 7: field larger than field limit (131072)"
    assert count(engine, Subject) == 0


ODD_CELLS = [
    "",
    " ",
    "x" * 30_000,
    "\x00",
    "２０２６／０２／３０",
    "-1",
    "1e400",
    "NaN",
    "9999-99-99",
    "；",
    "\n",
]


def test_odd_cells_in_any_column_give_one_row_each_never_an_exception() -> None:
    text = (DATA / "penalty_current.csv").read_text(encoding="utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    layout_headers = set(PENALTY.columns.values())
    for column in range(len(header)):
        for odd in ODD_CELLS:
            row = [*first[:column], odd, *first[column + 1 :]]
            buf = io.StringIO()
            csv.writer(buf).writerows([header, row])
            buf.seek(0)
            (out,) = DoublePublicityTable(buf).rows(today=NOW.date(), agencies=lambda name: "")
            if out.rejection is not None:
                assert out.rejection.field in layout_headers, (header[column], odd, out.rejection)
