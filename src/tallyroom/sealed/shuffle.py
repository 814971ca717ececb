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

Speed (the same values, computed in another order): every step that is one exponentiation
per ballot runs in worker processes over consecutive chunks (:mod:`tallyroom.sealed.parallel`),
the long products ``prod a_i^{e_i}`` as partial products multiplied together at the end;
the commitment chain of Table 12, sequential as written, is computed from its closed form
c^_i = g^{R_i} h^{U_i} (R_i = r^_i + u'_i R_{i-1}, U_i = u'_i U_{i-1}, R_0 = 0, U_0 = 1:
scalars, computed in order) so that its exponentiations are independent too; and the
generators of Table 7 are derived once per process.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tallyroom.sealed import parallel
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import Ed25519Group, Element, FiniteFieldGroup, Group, InvalidElement
from tallyroom.sealed.proofs import Ciphertext

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


_GENERATORS: dict[str, list[Element]] = {}


def _k_generators(G: Group, start: int, stop: int) -> list[Element]:
    return [get_generator(G, i) for i in range(start, stop)]


def get_generators(G: Group, n: int) -> list[Element]:
    """spec §6 Table 7 ``GetGenerators(N)`` = [GetGenerator(0), ..., GetGenerator(N-1)],
    all different (Table 8 steps 5-6).  Kept for the process (they depend on the group
    only; a list of N is the first N of any longer one)."""
    have = _GENERATORS.setdefault(G.name, [])
    if len(have) < n:
        base = len(have)
        for part in parallel.run(
            _k_generators, n - base, lambda r: (G, base + r.start, base + r.stop)
        ):
            have.extend(part)
        if len(set(have)) != len(have):
            del have[base:]
            raise SealedError("group", "two independent generators coincide")
    return have[:n]


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


def _k_reencrypt(
    G: Group, y: Element, alphas: list[Element], betas: list[Element], rs: list[int]
) -> list[Ciphertext]:
    # Table 3 GenReEncryption (tallyroom.sealed.proofs.reencrypt): (alpha g^r, beta y^r)
    return [
        Ciphertext(G.mul(a, G.exp_g(r)), G.mul(b, G.exp(y, r)))
        for a, b, r in zip(alphas, betas, rs)
    ]


def gen_shuffle(G: Group, y: Element, e: Sequence[Ciphertext]) -> Shuffled:
    """spec §6 Table 1 ``GenShuffle(e, y)``."""
    psi = gen_permutation(len(e))
    r = [G.random_scalar() for _ in e]
    alphas = [c.alpha for c in e]
    betas = [c.beta for c in e]
    re: list[Ciphertext] = []
    for part in parallel.run(
        _k_reencrypt,
        len(e),
        lambda k: (G, y, alphas[k.start : k.stop], betas[k.start : k.stop], r[k.start : k.stop]),
    ):
        re.extend(part)
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
    def from_json(G: Group, d: Any, n: int, part: str, check: bool = True) -> ShuffleProof:
        """``check=False`` parses the elements without their membership check, which
        :func:`check_shuffle_proof` then makes (every element goes through an ``exp`` or
        is compared with one computed): see :meth:`tallyroom.sealed.group.Group.from_str`."""

        def lst(x: Any, size: int, where: str) -> list[Any]:
            if not isinstance(x, list) or len(x) != size:
                raise SealedError(where, f"expected a list of {size}")
            return x

        t, s, c, ch = lst(d, 4, part)
        t = lst(t, 5, part + ".t")
        s = lst(s, 6, part + ".s")
        t4 = lst(t[3], 2, part + ".t[3]")
        sc = G.scalar_from_str

        def el(x: Any, where: str) -> Element:
            return G.from_str(x, where, check)

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


# --- the per-chunk work, run in worker processes (module-level: sent by name) ---------------


def _sl(xs: Sequence[Any], r: range) -> list[Any]:
    return list(xs[r.start : r.stop])


def _k_g_times(
    G: Group, exps: list[int], bases: list[Element], exps2: list[int] | None
) -> list[Element]:
    """[g^{e_i} b_i^{e2_i}] (b_i itself when ``exps2`` is None)."""
    if exps2 is None:
        return [G.mul(G.exp_g(e), b) for e, b in zip(exps, bases)]
    return [G.mul(G.exp_g(e), G.exp(b, f)) for e, b, f in zip(exps, bases, exps2)]


def _k_products(G: Group, jobs: list[tuple[list[Element], list[int] | None]]) -> list[Element]:
    """For each (bases, exponents): prod b_i^{e_i} (prod b_i when exponents is None)."""
    out = []
    for bases, exps in jobs:
        if exps is None:
            out.append(_prod(G, bases))
        else:
            out.append(_prod(G, (G.exp(b, x) for b, x in zip(bases, exps))))
    return out


def _products(
    G: Group, n: int, jobs: list[tuple[Sequence[Element], Sequence[int] | None]]
) -> list[Element]:
    parts = parallel.run(
        _k_products,
        n,
        lambda r: (G, [(_sl(b, r), None if x is None else _sl(x, r)) for b, x in jobs]),
    )
    return [_prod(G, (p[k] for p in parts)) for k in range(len(jobs))]


def _k_check_t_hat(
    G: Group,
    ch: int,
    t_hat: list[Element],
    c_hat: list[Element],
    prev: list[Element],
    s_hat: list[int],
    s_p: list[int],
) -> bool:
    # Table 5 step 22: t^_i = c^_i^{-c} g^{s^_i} c^_{i-1}^{s'_i}
    for t, c, p, a, b in zip(t_hat, c_hat, prev, s_hat, s_p):
        if t != G.mul(G.mul(G.exp(c, -ch), G.exp_g(a)), G.exp(p, b)):
            return False
    return True


def _run_list(G: Group, fn: Any, n: int, args_of: Any) -> list[Element]:
    out: list[Element] = []
    for part in parallel.run(fn, n, lambda k: (G, *args_of(k))):
        out.extend(part)
    return out


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
    r = [G.random_scalar() for _ in range(n)]
    h_at = [G.one] * n  # h_at[j] = h_i where j = psi(i)
    for i, j in enumerate(psi):
        h_at[j] = hs[i]
    c = _run_list(G, _k_g_times, n, lambda k: (_sl(r, k), _sl(h_at, k), None))
    # 3.-4.
    str_c = _str_cts(G, e) + _str_cts(G, ep) + _str_elems(G, c)
    u = _challenges(G, n, f"shuffle-challenges|{phi}|{str_c}")
    # 5.-6.
    up = [u[j] for j in psi]
    # 7. Table 12 GenCommitmentChain(h, u'): c^_i = g^{r^_i} c^_{i-1}^{u'_i}, c^_0 = h;
    # by its closed form c^_i = g^{R_i} h^{U_i} (see the module's docstring)
    r_hat = [G.random_scalar() for _ in range(n)]
    big_r, big_u = [0] * n, [0] * n
    rr, uu = 0, 1
    for i in range(n):
        rr = (r_hat[i] + up[i] * rr) % q
        uu = up[i] * uu % q
        big_r[i], big_u[i] = rr, uu
    hh = [h] * n
    c_hat = _run_list(G, _k_g_times, n, lambda k: (_sl(big_r, k), _sl(hh, k), _sl(big_u, k)))
    # 8.-9.
    w1, w2, w3, w4 = (G.random_scalar() for _ in range(4))
    w_hat = [G.random_scalar() for _ in range(n)]
    w_p = [G.random_scalar() for _ in range(n)]
    # 10.-11.
    t1, t2 = G.exp_g(w1), G.exp_g(w2)
    p3, p41, p42 = _products(
        G,
        n,
        [(hs, w_p), ([x.beta for x in ep], w_p), ([x.alpha for x in ep], w_p)],
    )
    t3 = G.mul(G.exp_g(w3), p3)
    t41 = G.mul(G.exp(pk, -w4), p41)
    t42 = G.mul(G.exp_g(-w4), p42)
    # 12.-13. t^_i = g^{w^_i} c^_{i-1}^{w'_i}
    prev = [h, *c_hat[:-1]]
    t_hat = _run_list(G, _k_g_times, n, lambda k: (_sl(w_hat, k), _sl(prev, k), _sl(w_p, k)))
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
    try:
        return _check(G, n, h, hs, u, ch, proof, e, ep, pk)
    except InvalidElement:
        # an element parsed with check=False is not in the group (tallyroom.sealed.group)
        return False


def _check(
    G: Group,
    n: int,
    h: Element,
    hs: list[Element],
    u: list[int],
    ch: int,
    proof: ShuffleProof,
    e: Sequence[Ciphertext],
    ep: Sequence[Ciphertext],
    pk: Element,
) -> bool:
    (t1, t2, t3, (t41, t42), t_hat) = proof.t
    (s1, s2, s3, s4, s_hat, s_p) = proof.s
    c, c_hat = proof.c, proof.c_hat
    # 11.-16. (and the products of 17.-21.), as partial products over chunks
    pc, phs, c_tilde, a_p, b_p, p3, p41, p42 = _products(
        G,
        n,
        [
            (c, None),
            (hs, None),
            (c, u),
            ([x.alpha for x in e], u),
            ([x.beta for x in e], u),
            (hs, s_p),
            ([x.beta for x in ep], s_p),
            ([x.alpha for x in ep], s_p),
        ],
    )
    c_bar = G.div(pc, phs)
    u_prod = 1
    for x in u:
        u_prod = u_prod * x % G.q
    c_hat_n = G.div(c_hat[-1], G.exp(h, u_prod)) if n else G.one
    # 17.-22.
    if t1 != G.mul(G.exp(c_bar, -ch), G.exp_g(s1)):
        return False
    if t2 != G.mul(G.exp(c_hat_n, -ch), G.exp_g(s2)):
        return False
    if t3 != G.mul(G.mul(G.exp(c_tilde, -ch), G.exp_g(s3)), p3):
        return False
    t41p = G.mul(G.mul(G.exp(b_p, -ch), G.exp(pk, -s4)), p41)
    t42p = G.mul(G.mul(G.exp(a_p, -ch), G.exp_g(-s4)), p42)
    if t41 != t41p or t42 != t42p:
        return False
    prev = [h, *c_hat[:-1]]
    return all(
        parallel.run(
            _k_check_t_hat,
            n,
            lambda k: (
                G,
                ch,
                _sl(t_hat, k),
                _sl(c_hat, k),
                _sl(prev, k),
                _sl(s_hat, k),
                _sl(s_p, k),
            ),
        )
    )
