"""Administrative division codes (GB/T 2260) the gateway knows by name.

Validation of identity numbers only needs the province prefix (the full table has ~3,000 county
codes and changes yearly); the named counties below are real codes used to generate demo data and
to cut addresses to the district when masking.
"""

from __future__ import annotations

from typing import NamedTuple

# Province-level prefixes of GB/T 2260 (the first two digits of every region code).
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip


class County(NamedTuple):
    code: str
    city: str
    district: str

    @property
    def province(self) -> str:
        return PROVINCES[self.code[:2]]

    @property
    def prefix(self) -> str:
        """The address up to and including the district: what a masked address keeps."""
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}"


# Real county-level codes, weighted towards the seed documents' regions (Heze, Zibo, Jining,
# Tai'an in Shandong; Shangqiu in Henan).
COUNTIES: tuple[County, ...] = (
    County("370102", "济南市", "历下区"), County("370103", "济南市", "市中区"),
    County("370112", "济南市", "历城区"), County("370202", "青岛市", "市南区"),
    County("370212", "青岛市", "崂山区"), County("370303", "淄博市", "张店区"),
    County("370323", "淄博市", "沂源县"), County("370602", "烟台市", "芝罘区"),
    County("370702", "潍坊市", "潍城区"), County("370811", "济宁市", "任城区"),
    County("370830", "济宁市", "汶上县"), County("370902", "泰安市", "泰山区"),
    County("370911", "泰安市", "岱岳区"), County("371002", "威海市", "环翠区"),
    County("371302", "临沂市", "兰山区"), County("371702", "菏泽市", "牡丹区"),
    County("371703", "菏泽市", "定陶区"), County("371721", "菏泽市", "曹县"),
    County("410102", "郑州市", "中原区"), County("410105", "郑州市", "金水区"),
    County("411402", "商丘市", "梁园区"), County("411403", "商丘市", "睢阳区"),
    County("411481", "商丘市", "永城市"), County("110101", "北京市", "东城区"),
    County("110108", "北京市", "海淀区"), County("310115", "上海市", "浦东新区"),
    County("320102", "南京市", "玄武区"), County("330106", "杭州市", "西湖区"),
    County("440305", "深圳市", "南山区"), County("510104", "成都市", "锦江区"),
    County("420102", "武汉市", "江岸区"), County("130102", "石家庄市", "长安区"),
)  # fmt: skip

COUNTY_BY_CODE: dict[str, County] = {c.code: c for c in COUNTIES}
