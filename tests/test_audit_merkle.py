"""The Merkle tree, its proofs and their verification, against the Certificate Transparency reference
vectors (the eight reference leaves and the roots, inclusion and consistency proofs the CT
implementations test against: transparency-dev/merkle proof/verify_test.go, from the C++ reference's
merkle_tree_test) and against proofs of every shape in trees up to 70 leaves."""

from __future__ import annotations

import pytest

from gateway.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_of,
    subtree_from,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
HASHES = [leaf_hash(leaf) for leaf in LEAVES]

# (leaf index, tree size, proof) - the reference lists them by 1-based leaf number.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_roots_of_the_reference_leaves_are_the_published_ones() -> None:
    assert (
        root_of([])
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    frontier = Frontier()
    for size in range(1, 9):
        frontier.append(HASHES[size - 1])
        assert root_of(HASHES[:size]) == ROOTS[size - 1]
        assert frontier.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(index: int, size: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert inclusion_proof(index, size, subtree_from(HASHES)) == expected
    assert verify_inclusion(index, size, HASHES[index], expected, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(
    first: int, second: int, proof: list[str]
) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert consistency_proof(first, second, subtree_from(HASHES)) == expected
    assert verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], expected)


def _flipped(proof: list[bytes], i: int) -> list[bytes]:
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ 8]) + changed[i][1:]
    return changed


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_a_tampered_inclusion_proof_fails(index: int, size: int, proof: list[str]) -> None:
    good = [bytes.fromhex(p) for p in proof]
    root, leaf = ROOTS[size - 1], HASHES[index]
    probes = [
        (index - 1, size, leaf, good, root),
        (index + 1, size, leaf, good, root),
        (index ^ 2, size, leaf, good, root),
        (index, size * 2, leaf, good, root),
        (index, size // 2, leaf, good, root),
        (index, size, leaf_hash(b"WrongLeaf"), good, root),
        (index, size, leaf, good, EMPTY_ROOT),
        (index, size, leaf, good, SOME_HASH),
        (index, size, leaf, [*good, b""], root),
        (index, size, leaf, [*good, root], root),
        (index, size, leaf, [root, *good], root),
        (index, size, leaf, good[:-1], root),
        (index, size, leaf, [good[0], SOME_HASH, *good[1:]], root),
        *((index, size, leaf, _flipped(good, i), root) for i in range(len(good))),
    ]
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY[1:])
def test_a_tampered_consistency_proof_fails(first: int, second: int, proof: list[str]) -> None:
    good = [bytes.fromhex(p) for p in proof]
    r1, r2 = ROOTS[first - 1], ROOTS[second - 1]
    probes = [
        (first - 1, second, r1, r2, good),
        (first + 1, second, r1, r2, good),
        (first ^ 2, second, r1, r2, good),
        (first, second * 2, r1, r2, good),
        (first, second // 2, r1, r2, good),
        (first, second, SOME_HASH, r2, good),
        (first, second, r1, SOME_HASH, good),
        (first, second, r2, r1, good),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*good, r1]),
        (first, second, r1, r2, [r2, *good]),
        (first, second, r1, r2, [good[0], *good]),
        (first, second, r1, r2, good[:-1]),
        *((first, second, r1, r2, _flipped(good, i)) for i in range(len(good))),
    ]
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_every_proof_of_every_tree_up_to_70_leaves_verifies_and_no_other_leaf_does() -> None:
    for size in range(1, 71):
        hashes = [leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
        subtree = subtree_from(hashes)
        root = root_of(hashes)
        for index in range(size):
            proof = inclusion_proof(index, size, subtree)
            assert root_from_inclusion_proof(index, size, hashes[index], proof) == root
            assert size == 1 or not verify_inclusion(index, size, hashes[(index + 1) % size], proof, root)
        for first in range(size + 1):
            proof = consistency_proof(first, size, subtree)
            assert verify_consistency(first, size, root_of(hashes[:first]), root, proof)
            if 0 < first < size:
                assert not verify_consistency(first, size, node_hash(root, root), root, proof)


def test_the_frontier_reports_each_completed_subtree_and_round_trips() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(13)]
    frontier = Frontier()
    completed = {}
    for leaf in hashes:
        for level, idx, digest in frontier.append(leaf):
            completed[(level, idx)] = digest
    assert completed[(3, 0)] == root_of(hashes[:8])
    assert completed[(2, 2)] == root_of(hashes[8:12])
    assert frontier.levels() == [3, 2, 0]
    assert [(lvl, idx) for lvl, idx, _ in frontier.nodes()] == [(3, 0), (2, 2), (0, 12)]
    again = Frontier.from_bytes(frontier.size, frontier.to_bytes())
    assert again.root() == root_of(hashes)
    with pytest.raises(ValueError):
        Frontier.from_bytes(16, frontier.to_bytes())  # one subtree, not three
