"""Merkle tree hashing, proofs and proof verification exactly as RFC 9162 section 2.1 (RFC 6962
section 2.1) defines them, with SHA-256.

- leaf hash ``SHA-256(0x00 || leaf bytes)``, interior node ``SHA-256(0x01 || left || right)``;
- MTH of ``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``;
  the empty tree's hash is ``SHA-256()``;
- inclusion proofs: ``PATH(m, D[n])`` (2.1.3.1), verified by the algorithm of 2.1.3.2;
- consistency proofs: ``PROOF(m, D[n])`` / ``SUBPROOF`` (2.1.4.1), verified by 2.1.4.2.

Generation takes ``subtree(start, end) -> MTH(D[start:end])`` so that the caller decides where node
hashes come from (a list in tests, stored nodes in the database). Verification needs nothing but the
arguments: it is what an outside party runs. No imports beyond the standard library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 2.1.1), by the recursive definition."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def subtree_from(hashes: Sequence[bytes]) -> Subtree:
    """``subtree`` over an in-memory list of leaf hashes."""
    return lambda start, end: root_of(hashes[start:end])


# --- proofs ----------------------------------------------------------------------------------------


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    return _path(index, 0, size, subtree)


def _path(m: int, start: int, end: int, subtree: Subtree) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*_path(m, start, start + k, subtree), subtree(start + k, end)]
    return [*_path(m - k, start + k, end, subtree), subtree(start, start + k)]


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 2.1.4.1; empty when ``first`` is 0 or equals ``second``."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    return _subproof(first, 0, second, True, subtree)


def _subproof(m: int, start: int, end: int, whole: bool, subtree: Subtree) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree(start, end)]
    k = split_point(n)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, subtree), subtree(start + k, end)]
    return [*_subproof(m - k, start + k, end, False, subtree), subtree(start, start + k)]


# --- verification (what an outside party runs) -----------------------------------------------------


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2 steps 1-4), or None when the proof
    cannot be one for ``index`` in a tree of ``size``."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True when ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree of ``size`` with
    ``root`` (RFC 9162 2.1.3.2)."""
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows that the tree of size ``first`` with ``first_root`` is a prefix of
    the tree of size ``second`` with ``second_root`` (RFC 9162 2.1.4.2)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # every tree extends the empty one
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is itself a node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- the right edge of a growing tree ---------------------------------------------------------------


@dataclass(slots=True)
class Frontier:
    """The compact range ``[0, size)``: the roots of the perfect subtrees that make up the first
    ``size`` leaves, largest first (one per bit set in ``size``). Enough to append leaves and to
    compute every later root; stored with the log so that appending never reads old leaves."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def levels(self) -> list[int]:
        """Heights of the subtrees, largest first (the bits set in ``size``)."""
        return [b for b in range(self.size.bit_length() - 1, -1, -1) if self.size >> b & 1]

    def nodes(self) -> list[tuple[int, int, bytes]]:
        """The subtrees as (level, index at that level, hash)."""
        out: list[tuple[int, int, bytes]] = []
        start = 0
        for level, digest in zip(self.levels(), self.hashes, strict=True):
            out.append((level, start >> level, digest))
            start += 1 << level
        return out

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the perfect subtrees this completed as (level, index, hash),
        the leaf itself first."""
        index = self.size
        done = [(0, index, leaf)]
        self.hashes.append(leaf)
        self.size += 1
        level = 0
        while (index >> level) & 1:  # each trailing one bit of the old size is a merge
            right = self.hashes.pop()
            left = self.hashes.pop()
            level += 1
            merged = node_hash(left, right)
            self.hashes.append(merged)
            done.append((level, index >> level, merged))
        return done

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        count = size.bit_count()
        if size < 0 or len(data) != count * HASH_SIZE:
            raise ValueError(f"a frontier of size {size} holds {count} hashes")
        return cls(size, [data[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(count)])

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))
