"""Pickling of the input dataclasses that forked children hand to the writing parent.

Slotted dataclasses unpickle through a generic ``__setstate__`` that looks up their fields for every
object; rebuilt by their constructor instead, they cost the receiving writer about a quarter less.
Used by the seeding and import children (``gateway.demo.background``,
``gateway.importing.background``), which register the classes they send before sending any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from multiprocessing.reduction import ForkingPickler
from typing import Any

from gateway.store.inputs import (
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    RecordKey,
    SubjectRef,
)

# Every class an input item is made of: what both children send.
INPUT_CLASSES: tuple[type, ...] = (
    PersonInput,
    OrganizationInput,
    RecordInput,
    ListEntryInput,
    SubjectRef,
    RecordKey,
)


def _by_constructor(item: Any) -> tuple[type, tuple[Any, ...]]:
    return type(item), tuple(getattr(item, f.name) for f in fields(item))


def send_by_constructor(classes: Iterable[type] = ()) -> None:
    """Have this process's multiprocessing queues pickle instances of the input classes, and of
    ``classes`` besides, as constructor calls."""
    classes = (*INPUT_CLASSES, *classes)
    for cls in classes:
        ForkingPickler.register(cls, _by_constructor)
