"""Texts of synthetic credit records: which agency decides what, on which legal basis, with what words.

Every entry is modelled on the kind of decision its category covers in the double-publicity data
standard and the seed documents (licensing, penalties and the other "ten publicities", judgment
debtors, commitments, commendations, government-affairs dishonesty, utility arrears). ``who`` says
whether the decision fits an organisation (``O``), a natural person (``P``) or both.
"""

from __future__ import annotations

from typing import NamedTuple

from gateway.domain import AgencyKind as K
from gateway.domain import Category as C


class Violation(NamedTuple):
    """An administrative penalty: the facts, the article applied, the penalty kinds and fine range."""

    agency: K
    who: str
    facts: str
    basis: str
    kinds: str
    fine: tuple[float, float] | None
    serious: bool = False


class Decision(NamedTuple):
    """Any other decision: the deciding agency kind, the content and its legal basis."""

    agency: K
    who: str
    content: str
    basis: str | None


PENALTIES: tuple[Violation, ...] = (
    Violation(K.MARKET_REGULATION, "O", "销售超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条", "没收违法所得;罚款", (0.5, 10)),
    Violation(K.MARKET_REGULATION, "OP", "未按规定查验供货者许可证和食品出厂检验合格证", "《中华人民共和国食品安全法》第一百二十六条", "警告;罚款", (0.5, 2)),
    Violation(K.MARKET_REGULATION, "O", "生产、销售不符合保障人体健康和人身、财产安全的国家标准的产品", "《中华人民共和国产品质量法》第四十九条", "没收违法所得;罚款", (1, 30), True),
    Violation(K.MARKET_REGULATION, "O", "发布虚假广告，欺骗、误导消费者", "《中华人民共和国广告法》第五十五条", "罚款", (2, 20)),
    Violation(K.MARKET_REGULATION, "OP", "不按规定明码标价", "《中华人民共和国价格法》第四十二条", "警告;罚款", (0.1, 0.5)),
    Violation(K.MARKET_REGULATION, "O", "使用未经定期检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条", "责令停产停业;罚款", (3, 30), True),
    Violation(K.MARKET_REGULATION, "P", "从事无照经营", "《无证无照经营查处办法》第十三条", "没收违法所得;罚款", (0.05, 1)),
    Violation(K.TAX, "OP", "未按照规定期限办理纳税申报和报送纳税资料", "《中华人民共和国税收征收管理法》第六十二条", "罚款", (0.02, 0.2)),
    Violation(K.TAX, "O", "虚开增值税专用发票", "《中华人民共和国发票管理办法》第三十五条", "没收违法所得;罚款", (5, 50), True),
    Violation(K.TAX, "O", "采取虚假申报等手段不缴或者少缴应纳税款", "《中华人民共和国税收征收管理法》第六十三条", "罚款", (5, 100), True),
    Violation(K.ENVIRONMENT, "O", "超过大气污染物排放标准排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条", "罚款", (10, 100)),
    Violation(K.ENVIRONMENT, "O", "施工工地未采取有效防治扬尘污染措施", "《中华人民共和国大气污染防治法》第一百一十五条", "罚款", (1, 10)),
    Violation(K.ENVIRONMENT, "O", "通过暗管逃避监管的方式排放水污染物", "《中华人民共和国水污染防治法》第八十三条", "责令停产停业;罚款", (20, 100), True),
    Violation(K.HOUSING, "O", "未取得施工许可证擅自施工", "《建设工程质量管理条例》第五十七条", "罚款", (1, 20)),
    Violation(K.HOUSING, "O", "未按照工程建设强制性标准进行施工", "《建设工程质量管理条例》第六十四条", "罚款", (5, 40), True),
    Violation(K.HUMAN_RESOURCES, "O", "克扣、无故拖欠农民工工资", "《保障农民工工资支付条例》第五十四条", "罚款", (0.5, 5), True),
    Violation(K.HUMAN_RESOURCES, "O", "未按规定办理社会保险登记", "《中华人民共和国社会保险法》第八十四条", "罚款", (0.1, 1)),
    Violation(K.PUBLIC_SECURITY, "P", "殴打他人", "《中华人民共和国治安管理处罚法》第四十三条第一款", "行政拘留;罚款", (0.02, 0.05)),
    Violation(K.PUBLIC_SECURITY, "P", "扰乱单位秩序，致使工作不能正常进行", "《中华人民共和国治安管理处罚法》第二十三条第一款第一项", "警告", None),
    Violation(K.PUBLIC_SECURITY, "P", "盗窃他人财物", "《中华人民共和国治安管理处罚法》第四十九条", "行政拘留", None),
    Violation(K.PUBLIC_SECURITY, "P", "饮酒后驾驶机动车", "《中华人民共和国道路交通安全法》第九十一条第一款", "暂扣许可证件;罚款", (0.1, 0.2)),
)  # fmt: skip

DECISIONS: dict[C, tuple[Decision, ...]] = {
    C.ADMINISTRATIVE_LICENSING: (
        Decision(K.MARKET_REGULATION, "OP", "食品经营许可（新办），经营项目：预包装食品销售、热食类食品制售", "《中华人民共和国食品安全法》第三十五条"),
        Decision(K.MARKET_REGULATION, "O", "特种设备使用登记（电梯）", "《中华人民共和国特种设备安全法》第三十三条"),
        Decision(K.HOUSING, "O", "建筑工程施工许可", "《中华人民共和国建筑法》第七条"),
        Decision(K.HOUSING, "O", "商品房预售许可", "《中华人民共和国城市房地产管理法》第四十五条"),
        Decision(K.ENVIRONMENT, "O", "排污许可证核发", "《排污许可管理条例》第十条"),
        Decision(K.PUBLIC_SECURITY, "P", "烟花爆竹零售经营许可", "《烟花爆竹安全管理条例》第十九条"),
    ),
    C.ADMINISTRATIVE_COERCION: (
        Decision(K.MARKET_REGULATION, "O", "查封、扣押涉嫌不符合食品安全标准的食品及原料", "《中华人民共和国食品安全法》第一百一十条"),
        Decision(K.TAX, "O", "书面通知开户银行从其存款中扣缴欠缴税款", "《中华人民共和国税收征收管理法》第四十条"),
        Decision(K.ENVIRONMENT, "O", "查封造成污染物排放的设施、设备", "《中华人民共和国环境保护法》第二十五条"),
    ),
    C.ADMINISTRATIVE_CONFIRMATION: (
        Decision(K.HUMAN_RESOURCES, "P", "工伤认定：认定为工伤", "《工伤保险条例》第十四条"),
        Decision(K.TAX, "O", "增值税一般纳税人登记确认", "《增值税一般纳税人登记管理办法》第三条"),
    ),
    C.ADMINISTRATIVE_LEVY: (
        Decision(K.TAX, "O", "征收城镇土地使用税", "《中华人民共和国城镇土地使用税暂行条例》第三条"),
        Decision(K.TAX, "O", "征收环境保护税", "《中华人民共和国环境保护税法》第二条"),
        Decision(K.TAX, "P", "征收灵活就业人员基本养老保险费", "《中华人民共和国社会保险法》第六十条"),
    ),
    C.ADMINISTRATIVE_PAYMENT: (
        Decision(K.HUMAN_RESOURCES, "P", "发放失业保险金", "《失业保险条例》第十四条"),
        Decision(K.FINANCE, "O", "拨付中小企业发展专项资金", "《中华人民共和国中小企业促进法》第十三条"),
        Decision(K.OTHER, "P", "发放最低生活保障金", "《社会救助暂行办法》第九条"),
    ),
    C.ADMINISTRATIVE_ADJUDICATION: (
        Decision(K.HUMAN_RESOURCES, "OP", "劳动人事争议仲裁裁决：支付拖欠工资及经济补偿", "《中华人民共和国劳动争议调解仲裁法》第四十七条"),
        Decision(K.OTHER, "O", "土地权属争议处理决定", "《中华人民共和国土地管理法》第十四条"),
    ),
    C.ADMINISTRATIVE_COMPENSATION: (
        Decision(K.COURT, "OP", "国家赔偿决定：支付赔偿金", "《中华人民共和国国家赔偿法》第四条"),
        Decision(K.PUBLIC_SECURITY, "P", "行政赔偿决定：返还财物并支付赔偿金", "《中华人民共和国国家赔偿法》第三条"),
    ),
    C.ADMINISTRATIVE_REWARD: (
        Decision(K.MARKET_REGULATION, "OP", "举报食品安全违法行为查证属实，给予举报奖励", "《市场监管领域重大违法行为举报奖励暂行办法》第七条"),
        Decision(K.TAX, "P", "检举税收违法行为查证属实，给予检举奖励", "《检举纳税人税收违法行为奖励暂行办法》第四条"),
    ),
    C.SUPERVISION_INSPECTION: (
        Decision(K.MARKET_REGULATION, "O", "“双随机、一公开”抽查，检查结果：未发现问题", "《优化营商环境条例》第五十五条"),
        Decision(K.MARKET_REGULATION, "O", "“双随机、一公开”抽查，检查结果：发现问题，已责令改正", "《优化营商环境条例》第五十五条"),
        Decision(K.ENVIRONMENT, "O", "重点排污单位执法检查，检查结果：符合要求", "《中华人民共和国环境保护法》第二十四条"),
        Decision(K.HOUSING, "O", "建筑施工安全生产监督检查，检查结果：责令限期整改", "《建设工程安全生产管理条例》第四十三条"),
    ),
    C.DISHONEST_JUDGMENT_DEBTOR: (
        Decision(K.COURT, "OP", "有履行能力而拒不履行生效法律文书确定的义务", "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第一项"),
        Decision(K.COURT, "OP", "违反限制消费令", "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第五项"),
        Decision(K.COURT, "O", "以隐匿、转移财产等方法规避执行", "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第三项"),
    ),
    C.CREDIT_COMMITMENT: (
        Decision(K.CREDIT_OFFICE, "OP", "信用修复承诺：按期纠正失信行为并接受社会监督", "《失信行为纠正后的信用信息修复管理办法（试行）》第十一条"),
        Decision(K.MARKET_REGULATION, "O", "行政许可告知承诺：承诺所提交材料真实有效并符合许可条件", "《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见》"),
        Decision(K.TAX, "O", "涉税事项告知承诺：承诺按期补正相关资料", "《国家税务总局关于实施第二批税务证明事项告知承诺制的公告》"),
    ),
    C.COMMENDATION: (
        Decision(K.OTHER, "P", "授予“{city}劳动模范”荣誉称号", None),
        Decision(K.OTHER, "P", "评为“{city}优秀志愿者”", None),
        Decision(K.OTHER, "P", "评为“{city}道德模范”", None),
        Decision(K.MARKET_REGULATION, "O", "认定为“守合同重信用”企业", None),
        Decision(K.TAX, "O", "评为“诚信纳税人”", None),
    ),
    C.GOVERNMENT_AFFAIRS_DISHONESTY: (
        Decision(K.CREDIT_OFFICE, "A", "拖欠中小企业账款，经督办逾期未整改", "《保障中小企业款项支付条例》第十五条"),
        Decision(K.CREDIT_OFFICE, "A", "不履行依法订立的行政协议约定义务", "《优化营商环境条例》第三十一条"),
    ),
    C.PUBLIC_UTILITY_ARREARS: (
        Decision(K.UTILITY, "OP", "拖欠供水费用超过六个月，经催缴仍未缴纳", "《城市供水条例》第三十三条"),
        Decision(K.UTILITY, "OP", "拖欠供热费用超过一个采暖期，经催缴仍未缴纳", "《山东省供热条例》第三十四条"),
    ),
}  # fmt: skip

# The word of a document number, after the agency's prefix: 菏市监 + 罚 + 〔2025〕318号.
DOC_WORDS: dict[C, str] = {
    C.ADMINISTRATIVE_LICENSING: "许", C.ADMINISTRATIVE_PENALTY: "罚", C.ADMINISTRATIVE_COERCION: "强",
    C.ADMINISTRATIVE_CONFIRMATION: "认", C.ADMINISTRATIVE_LEVY: "征", C.ADMINISTRATIVE_PAYMENT: "给",
    C.ADMINISTRATIVE_ADJUDICATION: "裁", C.ADMINISTRATIVE_COMPENSATION: "赔", C.ADMINISTRATIVE_REWARD: "奖",
    C.SUPERVISION_INSPECTION: "检", C.CREDIT_COMMITMENT: "承", C.COMMENDATION: "表",
    C.GOVERNMENT_AFFAIRS_DISHONESTY: "失信", C.PUBLIC_UTILITY_ARREARS: "欠", C.DISHONEST_JUDGMENT_DEBTOR: "执",
}  # fmt: skip
# Court case numbers follow the courts' own rule: （2025）鲁1702执123号.
COURT_WORDS: dict[C, str] = {C.DISHONEST_JUDGMENT_DEBTOR: "执", C.ADMINISTRATIVE_COMPENSATION: "委赔"}
POLICE_PENALTY_WORD = "行罚决字"

# Lists a record can justify: (record category, deciding agency kind) -> (list kind, list name).
BLACK_LISTS: dict[tuple[C, K], str] = {
    (C.DISHONEST_JUDGMENT_DEBTOR, K.COURT): "失信被执行人名单",
    (C.ADMINISTRATIVE_PENALTY, K.MARKET_REGULATION): "市场监督管理严重违法失信名单",
    (C.ADMINISTRATIVE_PENALTY, K.TAX): "重大税收违法失信主体名单",
    (C.ADMINISTRATIVE_PENALTY, K.ENVIRONMENT): "环境违法失信名单",
    (C.ADMINISTRATIVE_PENALTY, K.HOUSING): "建筑市场主体严重失信名单",
    (C.ADMINISTRATIVE_PENALTY, K.HUMAN_RESOURCES): "拖欠农民工工资失信联合惩戒对象名单",
}
RED_LIST_NAME = "守信激励对象名单"
