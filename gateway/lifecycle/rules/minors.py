"""Minors (未成年人): an act committed before the person turned 18.

Records of such acts are never published, are kept out of grades, and are shown for the shorter
period of ``policies/display-periods.toml`` (``[minors]``; 001 (十三), 004 个人 四(三)). Whether a
record is one is decided when it is written, from the birth date in the subject's identity number
(GB 11643) and the act's date (the decision's when the provider gives none), and kept on the record
(``committed_as_minor``), so no read decrypts an identity to decide it.

Age is counted in full years (周岁) on the calendar: a person is 18 from the day after their 18th
birthday (the courts' rule for 周岁, 最高人民法院 法释〔2006〕1号 第二条), so an act on the birthday
itself is still a minor's. Someone born on 29 February has the birthday on 28 February in other years
(民法典 第二百零二条, as display periods count). The age of majority is the Civil Code's (第十七条), not a
policy choice.
"""

from __future__ import annotations

from datetime import date

from gateway.identifiers import birth_date
from gateway.lifecycle.rules.periods import add_months

AGE_OF_MAJORITY = 18


def eighteenth_birthday(born: date) -> date:
    return add_months(born, 12 * AGE_OF_MAJORITY)


def acted_as_minor(id_number: str | None, *, act_date: date | None, decision_date: date) -> bool:
    """Whether the person with this identity number was under 18 on the day of the act; an
    organisation (no identity number) never is."""
    if id_number is None:
        return False
    acted = act_date or decision_date
    return acted <= eighteenth_birthday(birth_date(id_number))
