"""The verifiable shuffle: re-encryption, permutation, and the Terelius--Wikström proof of
shuffle exactly as Belenios' specification 2.0 gives it (spec §4.17 "Shuffles" and §6
"Shuffle algorithms", Tables 1-13, themselves taken from the CHVote System Specification
1.3.2).

The proof shows that the output list is a permutation of re-encryptions of the input list,
without saying which output came from which input: whoever checks it learns that no ballot
was dropped, added or changed by the mixer, and nothing of the permutation.

Serialization (spec §4.17)::

    shuffle_proof = [ [t1, t2, t3, [t41, t42], [t^_1..t^_N]],      shuffle_commitment_rand
                      [s1, s2, s3, s4, [s^_1..s^_N], [s'_1..s'_N]], shuffle_response
                      [c_1..c_N],                                   shuffle_commitment_perm
                      [c^_1..c^_N] ]                                shuffle_chained_challenges

group elements and scalars serialized as everywhere else (spec §4.2), which is what
belenios-tool 2.0 writes and reads (checked both ways in ``tests/sealed``).

One departure, forced by the group: the specification's ``GetGenerator`` (Table 8) is for
subgroups of F_p^*.  On Ed25519 we derive the independent generators as Belenios' own
Ed25519 group does (``get_generator`` in Belenios' ``ed25519_pure.ml``): the integer
SHA256("ggen|i") >> 2 read as a compressed point, incremented until it decompresses, then
multiplied by the cofactor 8 -- a point nobody knows the discrete logarithm of.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import Ed25519Group, Element, FiniteFieldGroup, Group
from tallyroom.sealed.proofs import Ciphertext, reencrypt

# --- independent generators (spec §6 Tables 6-8) -------------------------------------------


def get_generator(G: Group, i: int) -> Element:
    """spec §6 Table 8 ``GetGenerator(i)``: an element of G with unknown logarithm."""
    x = int.from_bytes(hashlib.sha256(f"ggen|{i}".encode()).digest(), "big")
    h: Element
    if isinstance(G, FiniteFieldGroup):
        # "c <- (p - 1)/q; x <- SHA256(ggen|i); h <- x^c"
        h = pow(x, (G.p - 1) // G.q, G.p)
    elif isinstance(G, Ed25519Group):
        h = _ed25519_generator(G, x >> 2)
    else:  # pragma: no cover - the two groups are the only ones
        raise SealedError("group", f"no generator derivation for {G.name}")
    # "If h in {0, 1, g}, abort" (a hash hitting these is a broken hash)
    if h in (0, G.one, G.g):
        raise SealedError("group", f"generator {i} is degenerate")
    return h


def _ed25519_generator(G: Ed25519Group, base: int) -> bytes:
    nb = G._nb
    while True:
        cand = base.to_bytes(32, "little")
        try:
            # libsodium's point addition decompresses its operands and checks they are on
            # the curve (not that they are in the prime-order subgroup): 2P, 4P, 8P
            p2 = nb.crypto_core_ed25519_add(cand, cand)
        except Exception:  # not the y-coordinate of a curve point: the next integer
            base += 1
            continue
        p4 = nb.crypto_core_ed25519_add(p2, p2)
        return bytes(nb.crypto_core_ed25519_add(p4, p4))


def get_generators(G: Group, n: int) -> list[Element]:
    """spec §6 Table 7 ``GetGenerators(N)`` = [GetGenerator(0), ..., GetGenerator(N-1)],
    all different (Table 8 steps 5-6)."""
    hs = [get_generator(G, i) for i in range(n)]
    if len(set(hs)) != n:
        raise SealedError("group", "two independent generators coincide")
    return hs


def secondary_generator(G: Group) -> Element:
    """spec §6 Table 6 ``GetSecondaryGenerator()`` = GetGenerator(-1)."""
    return get_generator(G, -1)


# --- the challenges (spec §6 Tables 10, 11, 13) --------------------------------------------


def _str_cts(G: Group, cts: Sequence[Ciphertext]) -> str:
    # Table 10 [[e]]: "append alpha(e_i), a comma, beta(e_i) and a comma"
    return "".join(f"{G.to_str(c.alpha)},{G.to_str(c.beta)}," for c in cts)


def _str_elems(G: Group, xs: Sequence[Element]) -> str:
    # Table 10 [[c]]: "append c_i and a comma"
    return "".join(f"{G.to_str(x)}," for x in xs)


def _challenges(G: Group, n: int, s: str) -> list[int]:
    """Table 11 ``GetNIZKPChallenges(N, S)``: H = SHA256(S) and T = SHA256(i) as hexadecimal
    strings, u_i = SHA256(H T) mod q (by the group's challenge hash on Ed25519)."""
    h = hashlib.sha256(s.encode()).hexdigest()
    return [G.hash_to_scalar(h + hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n)]


# --- the shuffle (spec §6 Tables 1-3) -----------------------------------------------------


def gen_permutation(n: int) -> list[int]:
    """spec §6 Table 2 ``GenPermutation(N)`` (0-based): Fisher--Yates with the system's
    CSPRNG; psi[i] is the input that output i comes from."""
    idx = list(range(n))
    psi = []
    for i in range(n):
        k = i + secrets.randbelow(n - i)
        psi.append(idx[k])
        idx[k] = idx[i]
    return psi


@dataclass(frozen=True)
class Shuffled:
    """GenShuffle's output: e' (the shuffled ciphertexts), r' (re-encryption randomness,
    indexed by INPUT position, as Table 1 step 4) and psi (Table 2)."""

    ciphertexts: list[Ciphertext]
    randomness: list[int]
    permutation: list[int]


def gen_shuffle(G: Group, y: Element, e: Sequence[Ciphertext]) -> Shuffled:
    """spec §6 Table 1 ``GenShuffle(e, y)``."""
    psi = gen_permutation(len(e))
    r = [G.random_scalar() for _ in e]
    re = [reencrypt(G, y, c, ri) for c, ri in zip(e, r)]  # Table 3 GenReEncryption
    return Shuffled([re[j] for j in psi], r, psi)


# --- the proof (spec §6 Tables 4, 5, 9, 12) ------------------------------------------------


@dataclass(frozen=True)
class ShuffleProof:
    """spec §4.17 ``shuffle_proof`` = (t, s, c, c^)."""

    t: tuple[Element, Element, Element, tuple[Element, Element], list[Element]]
    s: tuple[int, int, int, int, list[int], list[int]]
    c: list[Element]
    c_hat: list[Element]

    def to_json(self, G: Group) -> list[Any]:
        t1, t2, t3, (t41, t42), th = self.t
        s1, s2, s3, s4, sh, sp = self.s
        e, k = G.to_str, G.scalar_str
        return [
            [e(t1), e(t2), e(t3), [e(t41), e(t42)], [e(x) for x in th]],
            [k(s1), k(s2), k(s3), k(s4), [k(x) for x in sh], [k(x) for x in sp]],
            [e(x) for x in self.c],
            [e(x) for x in self.c_hat],
        ]

    @staticmethod
    def from_json(G: Group, d: Any, n: int, part: str) -> ShuffleProof:
        def lst(x: Any, size: int, where: str) -> list[Any]:
            if not isinstance(x, list) or len(x) != size:
                raise SealedError(where, f"expected a list of {size}")
            return x

        t, s, c, ch = lst(d, 4, part)
        t = lst(t, 5, part + ".t")
        s = lst(s, 6, part + ".s")
        t4 = lst(t[3], 2, part + ".t[3]")
        el, sc = G.from_str, G.scalar_from_str
        return ShuffleProof(
            (
                el(t[0], part + ".t[0]"),
                el(t[1], part + ".t[1]"),
                el(t[2], part + ".t[2]"),
                (el(t4[0], part + ".t[3][0]"), el(t4[1], part + ".t[3][1]")),
                [el(x, f"{part}.t[4][{i}]") for i, x in enumerate(lst(t[4], n, part + ".t[4]"))],
            ),
            (
                sc(s[0], part + ".s[0]"),
                sc(s[1], part + ".s[1]"),
                sc(s[2], part + ".s[2]"),
                sc(s[3], part + ".s[3]"),
                [sc(x, f"{part}.s[4][{i}]") for i, x in enumerate(lst(s[4], n, part + ".s[4]"))],
                [sc(x, f"{part}.s[5][{i}]") for i, x in enumerate(lst(s[5], n, part + ".s[5]"))],
            ),
            [el(x, f"{part}.c[{i}]") for i, x in enumerate(lst(c, n, part + ".c"))],
            [el(x, f"{part}.c_hat[{i}]") for i, x in enumerate(lst(ch, n, part + ".c_hat"))],
        )


def _prod(G: Group, xs: Any) -> Element:
    acc = G.one
    for x in xs:
        acc = G.mul(acc, x)
    return acc


def gen_shuffle_proof(
    G: Group,
    e: Sequence[Ciphertext],
    sh: Shuffled,
    pk: Element,
    phi: str,
    hs: Sequence[Element] | None = None,
) -> ShuffleProof:
    """spec §6 Table 4 ``GenShuffleProof(e, e', r', psi, pk, phi)``, step by step."""
    n, q = len(e), G.q
    ep, rp, psi = sh.ciphertexts, sh.randomness, sh.permutation
    # 1.
    h = secondary_generator(G)
    hs = list(hs) if hs is not None else get_generators(G, n)
    # 2. Table 9 GenPermutationCommitment: c_{j_i} = g^{r_{j_i}} h_i
    r = [0] * n
    c: list[Element] = [G.one] * n
    for i, j in enumerate(psi):
        r[j] = G.random_scalar()
        c[j] = G.mul(G.exp_g(r[j]), hs[i])
    # 3.-4.
    str_c = _str_cts(G, e) + _str_cts(G, ep) + _str_elems(G, c)
    u = _challenges(G, n, f"shuffle-challenges|{phi}|{str_c}")
    # 5.-6.
    up = [u[j] for j in psi]
    # 7. Table 12 GenCommitmentChain(h, u'): c^_i = g^{r^_i} c^_{i-1}^{u'_i}
    r_hat = [G.random_scalar() for _ in range(n)]
    c_hat: list[Element] = []
    prev = h
    for i in range(n):
        prev = G.mul(G.exp_g(r_hat[i]), G.exp(prev, up[i]))
        c_hat.append(prev)
    # 8.-9.
    w1, w2, w3, w4 = (G.random_scalar() for _ in range(4))
    w_hat = [G.random_scalar() for _ in range(n)]
    w_p = [G.random_scalar() for _ in range(n)]
    # 10.-11.
    t1, t2 = G.exp_g(w1), G.exp_g(w2)
    t3 = G.mul(G.exp_g(w3), _prod(G, (G.exp(hi, wi) for hi, wi in zip(hs, w_p))))
    t41 = G.mul(G.exp(pk, -w4), _prod(G, (G.exp(c.beta, wi) for c, wi in zip(ep, w_p))))
    t42 = G.mul(G.exp_g(-w4), _prod(G, (G.exp(c.alpha, wi) for c, wi in zip(ep, w_p))))
    # 12.-13.
    t_hat = []
    prev = h
    for i in range(n):
        t_hat.append(G.mul(G.exp_g(w_hat[i]), G.exp(prev, w_p[i])))
        prev = c_hat[i]
    # 14.-16.
    str_t = _str_elems(G, [t1, t2, t3, t41, t42]) + _str_elems(G, t_hat)
    str_y = str_c + _str_elems(G, c_hat) + G.to_str(pk)
    ch = G.hash_to_scalar(f"shuffle-challenge|{phi}|{str_t}{str_y}")
    # 17.-22.
    s1 = (w1 + ch * sum(r)) % q
    v = [1] * n
    for i in range(n - 2, -1, -1):
        v[i] = up[i + 1] * v[i + 1] % q
    s2 = (w2 + ch * sum(a * b for a, b in zip(r_hat, v))) % q
    s3 = (w3 + ch * sum(a * b for a, b in zip(r, u))) % q
    s4 = (w4 + ch * sum(a * b for a, b in zip(rp, u))) % q
    # 23.-25.
    s_hat = [(a + ch * b) % q for a, b in zip(w_hat, r_hat)]
    s_p = [(a + ch * b) % q for a, b in zip(w_p, up)]
    return ShuffleProof((t1, t2, t3, (t41, t42), t_hat), (s1, s2, s3, s4, s_hat, s_p), c, c_hat)


def check_shuffle_proof(
    G: Group,
    proof: ShuffleProof,
    e: Sequence[Ciphertext],
    ep: Sequence[Ciphertext],
    pk: Element,
    phi: str,
    hs: Sequence[Element] | None = None,
) -> bool:
    """spec §6 Table 5 ``CheckShuffleProof(pi, e, e', pk, phi)``, step by step."""
    n = len(e)
    if len(ep) != n or len(proof.c) != n or len(proof.c_hat) != n:
        return False
    # 1.-4.
    (t1, t2, t3, (t41, t42), t_hat) = proof.t
    (s1, s2, s3, s4, s_hat, s_p) = proof.s
    c, c_hat = proof.c, proof.c_hat
    if len(t_hat) != n or len(s_hat) != n or len(s_p) != n:
        return False
    # 5.-10.
    h = secondary_generator(G)
    hs = list(hs) if hs is not None else get_generators(G, n)
    str_c = _str_cts(G, e) + _str_cts(G, ep) + _str_elems(G, c)
    u = _challenges(G, n, f"shuffle-challenges|{phi}|{str_c}")
    str_t = _str_elems(G, [t1, t2, t3, t41, t42]) + _str_elems(G, t_hat)
    str_y = str_c + _str_elems(G, c_hat) + G.to_str(pk)
    ch = G.hash_to_scalar(f"shuffle-challenge|{phi}|{str_t}{str_y}")
    # 11.-16.
    c_bar = G.div(_prod(G, c), _prod(G, hs))
    u_prod = 1
    for x in u:
        u_prod = u_prod * x % G.q
    c_hat_n = G.div(c_hat[-1], G.exp(h, u_prod)) if n else G.one
    c_tilde = _prod(G, (G.exp(ci, ui) for ci, ui in zip(c, u)))
    a_p = _prod(G, (G.exp(x.alpha, ui) for x, ui in zip(e, u)))
    b_p = _prod(G, (G.exp(x.beta, ui) for x, ui in zip(e, u)))
    # 17.-22.
    if t1 != G.mul(G.exp(c_bar, -ch), G.exp_g(s1)):
        return False
    if t2 != G.mul(G.exp(c_hat_n, -ch), G.exp_g(s2)):
        return False
    t3p = G.mul(
        G.mul(G.exp(c_tilde, -ch), G.exp_g(s3)),
        _prod(G, (G.exp(hi, si) for hi, si in zip(hs, s_p))),
    )
    if t3 != t3p:
        return False
    t41p = G.mul(
        G.mul(G.exp(b_p, -ch), G.exp(pk, -s4)),
        _prod(G, (G.exp(x.beta, si) for x, si in zip(ep, s_p))),
    )
    t42p = G.mul(
        G.mul(G.exp(a_p, -ch), G.exp_g(-s4)),
        _prod(G, (G.exp(x.alpha, si) for x, si in zip(ep, s_p))),
    )
    if t41 != t41p or t42 != t42p:
        return False
    prev = h
    for i in range(n):
        if t_hat[i] != G.mul(G.mul(G.exp(c_hat[i], -ch), G.exp_g(s_hat[i])), G.exp(prev, s_p[i])):
            return False
        prev = c_hat[i]
    return True
