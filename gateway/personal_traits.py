"""Finds personal traits in free text (phone numbers, identity numbers, street addresses).

Decisions' facts and remarks sometimes name a home address or a phone number; these must be masked
before publication (000 双公示 二(四)1). The importer flags such records so the masking layer and
the publishing agency can act on them.
"""

from __future__ import annotations

import re

PATTERNS: dict[str, re.Pattern[str]] = {
    "id_number": re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])"),
    "phone": re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)"),
    "address": re.compile(r"[\u4e00-\u9fff]{1,12}(?:路|街|巷|道)\d{1,5}号(?:\d{1,4}(?:室|号楼|单元))?"),
}


def find_personal_traits(text: str) -> list[str]:
    """Kinds of personal trait found in ``text`` (``id_number``, ``phone``, ``address``)."""
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]
