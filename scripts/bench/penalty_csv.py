"""The import benchmark's input: a generated current-layout 行政处罚 (administrative penalty) CSV.

Rows mix organisations with legal representatives, individual businesses and natural persons, with a
subject appearing in about three rows, as in real exports; the same ``seed`` gives the same file.
``bulk.py`` imports it once (``import``) and a second time (``reimport``, every row ``UNCHANGED``).
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from gateway.identifiers import credit_code_check_char, id_number_check_char
from gateway.importing.layouts import PENALTY
from gateway.regions import COUNTIES

AUTHORITY = ("菏泽市市场监督管理局", "113717000042001001")
PROVIDER = ("菏泽市发展和改革委员会", "113717000042004002")
KINDS = ["罚款", "警告", "罚款;没收违法所得", "责令停产停业;罚款", "吊销许可证件", "通报批评"]


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    first17 = f"{rng.choice(COUNTIES).code}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_number_check_char(first17)


def _credit_code(rng: random.Random, kind: str) -> str:
    first17 = f"{kind}{rng.choice(COUNTIES).code}{rng.randrange(10**9):09d}"
    return first17 + credit_code_check_char(first17)


def write_csv(path: Path, rows: int, seed: int = 20260306) -> None:
    """``rows`` penalty rows in the current layout, about three per subject."""
    rng = random.Random(seed)
    header = list(PENALTY.columns.values())
    subjects = max(1, rows // 3)
    parties = []
    for n in range(subjects):
        kind = ("法人及非法人组织", "个体工商户", "自然人")[n % 3]
        parties.append(
            {
                "party_kind": kind,
                "party_name": f"示例主体{n}" + ("有限公司" if kind != "自然人" else ""),
                "credit_code": _credit_code(rng, "91" if kind == "法人及非法人组织" else "92")
                if kind != "自然人"
                else "",
                "id_number": _id_number(rng) if kind == "自然人" else "",
                "rep_name": f"代表人{n}" if kind != "自然人" else "",
                "rep_id_type": "身份证" if kind != "自然人" else "",
                "rep_id": _id_number(rng) if kind != "自然人" else "",
                "id_type": "身份证" if kind == "自然人" else "",
            }
        )
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for n in range(rows):
            decided = date(2025, 1, 2) + timedelta(days=rng.randrange(400))
            cells = dict.fromkeys(PENALTY.columns, "")
            cells |= rng.choice(parties)
            cells |= {
                "document": f"菏市监罚〔{decided.year}〕{n + 1}号",
                "violation_type": "销售不合格产品",
                "facts": f"当事人销售不合格产品，货值金额{rng.randrange(1, 500) / 100}万元。",
                "basis": "《中华人民共和国产品质量法》第四十九条",
                "kinds": rng.choice(KINDS),
                "penalty": "罚款人民币1万元。" if rng.random() > 0.1 else "依据简易程序当场给予警告。",
                "fine": "1",
                "decided": f"{decided:%Y/%m/%d}",
                "publication_until": f"{decided + timedelta(days=1095):%Y/%m/%d}",
                "authority": AUTHORITY[0],
                "authority_code": AUTHORITY[1],
                "provider": PROVIDER[0],
                "provider_code": PROVIDER[1],
            }
            out.writerow([cells[c] for c in PENALTY.columns])
