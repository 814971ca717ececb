"""The proof of shuffle (spec §4.17, §6) on Ed25519: an honest shuffle always verifies; a
mixer that drops, adds, copies or replaces a ballot, or reuses a proof, is caught; the
independent generators are the ones Belenios' Ed25519 derivation gives (recomputed here
with plain integers after RFC 8032, not with libsodium).  Belenios' own proofs, and
belenios-tool's acceptance of ours, are in test_belenios_kat.py / test_belenios_interop.py.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("nacl")

from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.proofs import Ciphertext, encrypt  # noqa: E402
from tallyroom.sealed.shuffle import (  # noqa: E402
    ShuffleProof,
    check_shuffle_proof,
    gen_permutation,
    gen_shuffle,
    gen_shuffle_proof,
    get_generator,
    get_generators,
)

G = Ed25519Group()
X = G.random_scalar()
Y = G.exp_g(X)
PHI = "test-fingerprint"


def ballots(n: int) -> list[Ciphertext]:
    return [encrypt(G, Y, G.encode_int(i + 1), G.random_scalar()) for i in range(n)]


def decrypt(c: Ciphertext) -> int:
    return G.decode_int(G.div(c.beta, G.exp(c.alpha, X)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 12))
def test_an_honest_shuffle_verifies_and_keeps_every_ballot(n: int) -> None:
    e = ballots(n)
    sh = gen_shuffle(G, Y, e)
    proof = gen_shuffle_proof(G, e, sh, Y, PHI)
    assert check_shuffle_proof(G, proof, e, sh.ciphertexts, Y, PHI)
    assert sorted(decrypt(c) for c in sh.ciphertexts) == list(range(1, n + 1))
    # every ciphertext re-encrypted: none of the output equals an input
    assert not {c.alpha for c in sh.ciphertexts} & {c.alpha for c in e}
    # the serialized proof reads back to itself
    assert ShuffleProof.from_json(G, proof.to_json(G), n, "p") == proof


def test_the_permutation_is_one() -> None:
    for n in (0, 1, 2, 50):
        assert sorted(gen_permutation(n)) == list(range(n))


def _honest(n: int = 5) -> tuple[list[Ciphertext], list[Ciphertext], ShuffleProof]:
    e = ballots(n)
    sh = gen_shuffle(G, Y, e)
    return e, sh.ciphertexts, gen_shuffle_proof(G, e, sh, Y, PHI)


def test_a_replaced_ballot_is_caught() -> None:
    e, out, proof = _honest()
    forged = list(out)
    forged[2] = encrypt(G, Y, G.encode_int(4), G.random_scalar())  # another voter's choice
    assert not check_shuffle_proof(G, proof, e, forged, Y, PHI)


def test_a_copied_ballot_in_place_of_another_is_caught() -> None:
    # the mixer drops one ballot and re-encrypts another twice, proving a shuffle of its
    # doctored input: the proof is against the real input, so it fails
    e = ballots(4)
    doctored = [e[0], e[0], e[2], e[3]]
    sh = gen_shuffle(G, Y, doctored)
    proof = gen_shuffle_proof(G, doctored, sh, Y, PHI)
    assert check_shuffle_proof(G, proof, doctored, sh.ciphertexts, Y, PHI)
    assert not check_shuffle_proof(G, proof, e, sh.ciphertexts, Y, PHI)


def test_an_unshuffled_original_put_up_for_decryption_is_caught() -> None:
    # the attack on secrecy: outputs that are the voters' own ciphertexts, in board order
    e, _, proof = _honest()
    assert not check_shuffle_proof(G, proof, e, e, Y, PHI)


def test_a_proof_is_bound_to_its_election_key_and_lengths() -> None:
    e, out, proof = _honest()
    assert not check_shuffle_proof(G, proof, e, out, Y, PHI + "x")
    assert not check_shuffle_proof(G, proof, e, out, G.exp_g(X + 1), PHI)
    assert not check_shuffle_proof(G, proof, e[:-1], out[:-1], Y, PHI)
    e2, out2, proof2 = _honest()
    assert not check_shuffle_proof(G, proof2, e, out, Y, PHI)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_changed_number_of_the_proof_fails(data: st.DataObject) -> None:
    e, out, proof = _compact()
    j = proof.to_json(G)
    # every leaf of the nested lists, by its path
    paths: list[tuple[int, ...]] = []

    def walk(x: object, path: tuple[int, ...]) -> None:
        if isinstance(x, list):
            for i, y in enumerate(x):
                walk(y, (*path, i))
        else:
            paths.append(path)

    walk(j, ())
    path = data.draw(st.sampled_from(paths))
    node = j
    for i in path[:-1]:
        node = node[i]
    is_scalar = path[0] == 1
    node[path[-1]] = (
        G.scalar_str(int(node[path[-1]]) + 1)
        if is_scalar
        else G.to_str(G.mul(G.from_str(node[path[-1]]), G.g))
    )
    bad = ShuffleProof.from_json(G, j, len(e), "p")
    assert not check_shuffle_proof(G, bad, e, out, Y, PHI)


_CACHE: list[tuple[list[Ciphertext], list[Ciphertext], ShuffleProof]] = []


def _compact() -> tuple[list[Ciphertext], list[Ciphertext], ShuffleProof]:
    if not _CACHE:
        _CACHE.append(_honest(3))
    return _CACHE[0]


# --- Belenios' Ed25519 generators, recomputed with plain integers ---------------------------

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _decompress(n: int) -> tuple[int, int] | None:
    """RFC 8032 §5.1.3 decoding of the 255-bit integer n (sign bit 0)."""
    y = n % P
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u % P:
        return None
    return (P - x if x & 1 else x), y  # sign bit 0: the even root


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (
        (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P,
        (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P,
    )


def _belenios_generator(i: int) -> bytes:
    # Belenios ed25519_pure.ml get_generator: SHA256("ggen|i") >> 2, the first integer from
    # there that decompresses, times the cofactor 8
    n = int.from_bytes(hashlib.sha256(f"ggen|{i}".encode()).digest(), "big") >> 2
    while (pt := _decompress(n)) is None:
        n += 1
    for _ in range(3):
        pt = _add(pt, pt)
    x, y = pt
    return (y | (x & 1) << 255).to_bytes(32, "little")


def test_the_ed25519_generators_are_belenios_derivation() -> None:
    for i in (-1, 0, 1, 2, 7, 100):
        assert get_generator(G, i) == _belenios_generator(i)
    hs = get_generators(G, 50)
    assert len(set(hs)) == 50
    for h in hs:  # in the prime-order subgroup (libsodium checks), not the identity or g
        assert G.from_str(G.to_str(h)) == h and h not in (G.one, G.g)
