"""Casting, the bulletin board, mixing and the joint decryption of the sealed box.

Everything here is storage-agnostic: lists or iterables of JSON-ready dicts in, dicts out,
so that the service keeps them in its own database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from tallyroom.sealed import parallel
from tallyroom.sealed.canon import canonical, hjson, sha256_hex
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import Element, Group, InvalidElement
from tallyroom.sealed.proofs import (
    Ciphertext,
    Proof,
    check_decryption_factor,
    check_raweg,
    decryption_factor,
    encrypt,
    lagrange,
    prove_raweg,
)
from tallyroom.sealed.trustees import TrusteeSecret, _sign, _verify

FORMAT = "tallyroom-sealed-election/1"


# --- the election ---------------------------------------------------------------------------


def bits_per_int(G: Group, n_candidates: int) -> int:
    # spec §5.2 fixes 8 bits per integer on RFC-3526-2048; on Ed25519 a rank 0..n needs
    # n.bit_length() bits, so that 20 candidates fit in 100 bits + 16 of padding
    return 8 if G.name == "RFC-3526-2048" else n_candidates.bit_length()


def make_election(
    G: Group,
    *,
    uuid: str,
    title: str,
    candidates: Sequence[str],
    seats: int,
    method: str,
    trustees: dict[str, Any],
    board_key: str,
    mixers: Sequence[dict[str, str]],
    ballot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The election structure (spec §4.10, with the ranked question spelled out); its
    fingerprint :func:`fingerprint` goes into every proof.

    ``ballot`` says how an opened vector is read and counted (see :func:`count_decoded`):
    ``{"kind": "ranking"}`` (the default: a strict ranking, anything else invalid) or, for
    papers as voters marked them, ``{"kind": "ranked" | "approval" | "yesno", "max_marks":
    int | None, "rules": BallotRules fields, "options": the rule's count options}``."""
    kappa = bits_per_int(G, len(candidates))
    if len(candidates) >= 1 << kappa or kappa * len(candidates) + G.padding > G.embed_bits:
        raise SealedError(
            "election", f"{len(candidates)} candidates do not fit one {G.name} element"
        )
    return {
        "format": FORMAT,
        "uuid": uuid,
        "title": title,
        "candidates": list(candidates),
        "seats": seats,
        "method": method,
        "group": G.name,
        "embedding": {"padding": G.padding, "bits_per_int": kappa},
        "trustees": trustees,
        "board_key": board_key,
        "mixers": [dict(m) for m in mixers],
        "ballot": _ballot_spec(ballot),
    }


BALLOT_KINDS = ("ranking", "ranked", "approval", "yesno")


def _ballot_spec(ballot: Any) -> dict[str, Any]:
    b = {"kind": "ranking", "max_marks": None, "rules": {}, "options": {}, **(ballot or {})}
    if set(b) != {"kind", "max_marks", "rules", "options"} or b["kind"] not in BALLOT_KINDS:
        raise SealedError(
            "election.ballot",
            f"found {ballot!r}; expected {{kind: {'|'.join(BALLOT_KINDS)}, max_marks, rules, options}}",
        )
    return b


def fingerprint(election: dict[str, Any]) -> str:
    """spec §4.15: H_JSON of the election, written phi in the proofs."""
    return hjson(election)


def public_key(G: Group, election: dict[str, Any]) -> Element:
    return G.from_str(election["trustees"]["public_key"], "election.trustees.public_key")


# --- casting (spec §4.11.2) -----------------------------------------------------------------


def ranks_vector(ranking: Sequence[int], n: int) -> list[int]:
    """A strict ranking (candidate indexes, first preference first) as the vector of
    non-homomorphic answers [v_1..v_n] (spec §4.11.2): v_c = c's rank (1 = first), 0 when
    c is not ranked.  Its length is n whatever the number of preferences."""
    v = [0] * n
    for pos, c in enumerate(ranking, 1):
        if not isinstance(c, int) or not 0 <= c < n:
            raise SealedError("ballot", f"found candidate {c!r}; expected 0..{n - 1}")
        if v[c]:
            raise SealedError("ballot", f"candidate {c} ranked twice")
        v[c] = pos
    return v


def vector_ranking(v: Sequence[int]) -> tuple[int, ...] | None:
    """The strict ranking a decoded vector stands for, or None when it is none (ranks not
    1..k, or repeated): the proof of knowledge does not exclude such a vector."""
    ranked = sorted((r, c) for c, r in enumerate(v) if r)
    if [r for r, _ in ranked] != list(range(1, len(ranked) + 1)):
        return None
    return tuple(c for _, c in ranked)


def group_encode(G: Group, kappa: int, v: Sequence[int]) -> Element:
    acc = 0
    for x in v:
        if not 0 <= x < 1 << kappa:
            raise SealedError("ballot", f"rank {x} does not fit {kappa} bits")
        acc = (acc << kappa) + x
    return G.encode_int(acc)


def group_decode(G: Group, kappa: int, n: int, m: Element) -> list[int]:
    acc = G.decode_int(m)
    v = []
    for _ in range(n):
        v.append(acc & ((1 << kappa) - 1))
        acc >>= kappa
    if acc:
        v = [-1] * n  # more bits than n ranks: not a ballot
    return v[::-1]


def _proof_prefix(phi: str, credential: str) -> str:
    # spec §4.11: "S0 [is] the string phi followed by a vertical bar and the serialization of
    # g^s" (the voter's public credential).  The box authenticates voters itself and keeps no
    # Belenios credential: the credential is the empty string, and the board refuses a
    # ciphertext seen before (a copied ballot) instead.
    return f"{phi}|{credential}"


def cast(
    G: Group, election: dict[str, Any], ranking: Sequence[int], credential: str = ""
) -> dict[str, Any]:
    """Encrypt a ranking into a ballot ``{choices, proof}`` (spec §4.11.2 ``answer_nh``).

    The proof shows that whoever made the ciphertext knows its randomness r (so it is not a
    re-randomized copy of someone else's ballot, the attack this proof exists against); it
    does NOT show that the plaintext is a well-formed ranking -- that is checked after
    decryption, and a malformed one is counted as an invalid paper, never dropped.
    """
    n = len(election["candidates"])
    kappa = election["embedding"]["bits_per_int"]
    m = group_encode(G, kappa, ranks_vector(ranking, n))
    y = public_key(G, election)
    r = G.random_scalar()
    c = encrypt(G, y, m, r)
    p = prove_raweg(G, _proof_prefix(fingerprint(election), credential), y, c, r)
    return {"choices": c.to_json(G), "proof": p.to_json(G)}


def cast_vector(G: Group, election: dict[str, Any], v: Sequence[int]) -> dict[str, Any]:
    """Encrypt a paper as marked: v[c] is the number written against candidate c (ranked
    papers, 0 = blank; repeats and gaps are kept, to be read under the ballot rules after
    opening) or 1 for a marked candidate (approval, yes/no).  One ciphertext, whatever v."""
    n = len(election["candidates"])
    kappa = election["embedding"]["bits_per_int"]
    if len(v) != n or not all(isinstance(x, int) and 0 <= x <= n for x in v):
        raise SealedError("ballot", f"expected {n} numbers from 0 to {n}")
    m = group_encode(G, kappa, v)
    y = public_key(G, election)
    r = G.random_scalar()
    c = encrypt(G, y, m, r)
    p = prove_raweg(G, _proof_prefix(fingerprint(election), ""), y, c, r)
    return {"choices": c.to_json(G), "proof": p.to_json(G)}


def tracker(ballot: dict[str, Any]) -> str:
    """The smart ballot tracker: the SHA-256 of the whole ballot (spec §4.15 hashes it the
    same way), written in lowercase hex (not Belenios' Base64) so that it reads aloud and
    survives being typed in any case."""
    return sha256_hex(ballot)


def check_ballot(
    G: Group,
    election: dict[str, Any],
    ballot: Any,
    part: str,
    phi: str | None = None,
    y: Element | None = None,
    credential: str = "",
) -> Ciphertext:
    if not isinstance(ballot, dict) or set(ballot) != {"choices", "proof"}:
        raise SealedError(part, "expected {choices, proof}")
    c = Ciphertext.from_json(G, ballot["choices"], part + ".choices")
    p = Proof.from_json(G, ballot["proof"], part + ".proof")
    phi = phi or fingerprint(election)
    y = public_key(G, election) if y is None else y
    if not check_raweg(G, _proof_prefix(phi, credential), y, c, p):
        raise SealedError(part + ".proof", "proof of knowledge does not verify (spec §4.11.2)")
    return c


def _k_check_ballots(
    G: Group, election: dict[str, Any], ballots: list[Any], phi: str, y: Element
) -> list[Ciphertext] | None:
    try:
        return [check_ballot(G, election, b, "ballot", phi=phi, y=y) for b in ballots]
    except SealedError:
        return None


def check_ballots(
    G: Group, election: dict[str, Any], ballots: list[Any], phi: str, y: Element
) -> list[Ciphertext]:
    """:func:`check_ballot` of each (``ballots[i]`` named when one fails), in worker
    processes when there are many."""
    out: list[Ciphertext] = []
    for part in parallel.run(
        _k_check_ballots, len(ballots), lambda r: (G, election, ballots[r.start : r.stop], phi, y)
    ):
        if part is None:
            out = []
            break
        out.extend(part)
    else:
        return out
    return [
        check_ballot(G, election, b, f"ballots[{i}]", phi=phi, y=y) for i, b in enumerate(ballots)
    ]


# --- the bulletin board ---------------------------------------------------------------------


def genesis(phi: str) -> str:
    return sha256_hex({"election": phi})


def board_entry(
    phi: str, previous: dict[str, Any] | None, channel: str, ballot: dict[str, Any]
) -> dict[str, Any]:
    """The next entry of the hash-chained board: (tracker, ciphertext hash) and its link."""
    body = {
        "index": 0 if previous is None else previous["index"] + 1,
        "channel": channel,
        "tracker": tracker(ballot),
        "ciphertext": sha256_hex(ballot["choices"]),
        "prev": genesis(phi) if previous is None else previous["hash"],
    }
    return {**body, "hash": sha256_hex(body)}


def check_chain(phi: str, entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Every link and hash of the board; the entries as read."""
    out: list[dict[str, Any]] = []
    prev = genesis(phi)
    for i, e in enumerate(entries):
        part = f"board.entries[{i}]"
        if not isinstance(e, dict) or set(e) != {
            "index",
            "channel",
            "tracker",
            "ciphertext",
            "prev",
            "hash",
        }:
            raise SealedError(part, "expected {index, channel, tracker, ciphertext, prev, hash}")
        body = {k: v for k, v in e.items() if k != "hash"}
        if e["index"] != i or e["prev"] != prev:
            raise SealedError(part, "breaks the chain (index or prev)")
        if sha256_hex(body) != e["hash"]:
            raise SealedError(part, "hash does not match its contents")
        prev = e["hash"]
        out.append(e)
    return out


def find_tracker(entries: Iterable[dict[str, Any]], tracker_: str) -> dict[str, Any] | None:
    """A voter's check: the board entry carrying their tracker, or None."""
    for e in entries:
        if e["tracker"] == tracker_:
            return e
    return None


def checkpoint(
    phi: str,
    board_seed: str,
    entries: Sequence[dict[str, Any]],
    voted_slots: dict[str, int],
    time: str,
) -> dict[str, Any]:
    """A signed checkpoint of the board's first ``len(entries)`` entries, with its
    invariant: ballots on the board per channel = slots the service marked voted."""
    per = Counter(e["channel"] for e in entries)
    body = {
        "election": phi,
        "count": len(entries),
        "head": entries[-1]["hash"] if entries else genesis(phi),
        "ballots_per_channel": dict(sorted(per.items())),
        "voted_slots": dict(sorted(voted_slots.items())),
        "time": time,
    }
    return {**body, "signature": _sign(board_seed, body)}


def check_checkpoints(
    phi: str, board_key: str, entries: list[dict[str, Any]], checkpoints: Any
) -> int:
    if not isinstance(checkpoints, list):
        raise SealedError("board.checkpoints", "expected a list")
    last = -1
    for i, cp in enumerate(checkpoints):
        part = f"board.checkpoints[{i}]"
        keys = {
            "election",
            "count",
            "head",
            "ballots_per_channel",
            "voted_slots",
            "time",
            "signature",
        }
        if not isinstance(cp, dict) or set(cp) != keys:
            raise SealedError(part, "expected {" + ", ".join(sorted(keys)) + "}")
        body = {k: v for k, v in cp.items() if k != "signature"}
        _verify(board_key, body, cp["signature"], part)
        n = cp["count"]
        if cp["election"] != phi or not isinstance(n, int) or not last <= n <= len(entries):
            raise SealedError(
                part, f"count {n!r} not within the board (0..{len(entries)}) after {last}"
            )
        head = entries[n - 1]["hash"] if n else genesis(phi)
        if cp["head"] != head:
            raise SealedError(part, "head is not the board's entry at that count")
        per = dict(sorted(Counter(e["channel"] for e in entries[:n]).items()))
        if cp["ballots_per_channel"] != per:
            raise SealedError(
                part, f"ballots per channel {cp['ballots_per_channel']} are not the board's {per}"
            )
        if cp["voted_slots"] != per:
            raise SealedError(
                part, f"invariant broken: ballots {per} != slots marked voted {cp['voted_slots']}"
            )
        last = n
    return last


# --- mixing (spec §4.17, §6) ----------------------------------------------------------------


def _shuffle_body(
    phi: str, index: int, mixer: str, inp: list[Any], out: list[Any], proof: Any
) -> dict[str, Any]:
    return {
        "election": phi,
        "index": index,
        "mixer": mixer,
        "input": sha256_hex(inp),
        "output": sha256_hex(out),
        "proof": proof,
    }


def mix(
    G: Group,
    election: dict[str, Any],
    ciphertexts: list[dict[str, str]],
    *,
    index: int,
    mixer: str,
    mixer_seed: str,
) -> dict[str, Any]:
    """One mixer's shuffle (spec §4.17): every ciphertext re-encrypted and the list permuted
    (spec §6 GenShuffle), with the Terelius--Wikström proof that it was (GenShuffleProof);
    the mixer signs input, output and proof, so that the record says who mixed."""
    from tallyroom.sealed.shuffle import gen_shuffle, gen_shuffle_proof

    y = public_key(G, election)
    phi = fingerprint(election)
    # membership unchecked here: each input goes, re-encrypted, through the proof's
    # alpha'^w and beta'^w, which refuse it if it is not in the group (Group.from_str)
    cts = [
        Ciphertext.from_json(G, c, f"ciphertexts[{i}]", check=False)
        for i, c in enumerate(ciphertexts)
    ]
    try:
        sh = gen_shuffle(G, y, cts)
        proof = gen_shuffle_proof(G, cts, sh, y, phi).to_json(G)
    except InvalidElement:
        for i, c in enumerate(ciphertexts):
            Ciphertext.from_json(G, c, f"ciphertexts[{i}]")  # raises, naming it
        raise
    out_json = [c.to_json(G) for c in sh.ciphertexts]
    body = _shuffle_body(phi, index, mixer, ciphertexts, out_json, proof)
    return {
        "mixer": mixer,
        "ciphertexts": out_json,
        "proof": proof,
        "signature": _sign(mixer_seed, body),
    }


def check_shuffle(
    G: Group,
    election: dict[str, Any],
    phi: str,
    inp: list[Any],
    sh: Any,
    index: int,
    inp_cts: list[Ciphertext] | None = None,
) -> list[Ciphertext]:
    """A shuffle's mixer, signature and proof of shuffle (spec §6 CheckShuffleProof) against
    its input; the output ciphertexts.  ``inp_cts``: the input already parsed and checked
    (the ballots, or the shuffle before)."""
    from tallyroom.sealed.shuffle import ShuffleProof, check_shuffle_proof

    part = f"shuffles[{index}]"
    if not isinstance(sh, dict) or set(sh) != {"mixer", "ciphertexts", "proof", "signature"}:
        raise SealedError(part, "expected {mixer, ciphertexts, proof, signature}")
    keys = {m["name"]: m["key"] for m in election["mixers"]}
    if sh["mixer"] not in keys:
        raise SealedError(part + ".mixer", f"found {sh['mixer']!r}; expected one of {sorted(keys)}")
    if not isinstance(sh["ciphertexts"], list) or len(sh["ciphertexts"]) != len(inp):
        n_out = len(sh["ciphertexts"]) if isinstance(sh["ciphertexts"], list) else "?"
        raise SealedError(
            part,
            f"found {n_out} ciphertexts; expected {len(inp)} (as many as went in)",
        )
    body = _shuffle_body(phi, index, sh["mixer"], inp, sh["ciphertexts"], sh["proof"])
    _verify(keys[sh["mixer"]], body, sh["signature"], part)

    def parse(check: bool) -> tuple[list[Ciphertext], list[Ciphertext], ShuffleProof]:
        # check=False leaves the group-membership checks to the proof's check, which
        # takes every element through libsodium's checking scalar multiplication or
        # compares it with one it computed (tallyroom.sealed.group.Group.from_str)
        e = (
            inp_cts
            if inp_cts is not None
            else [
                Ciphertext.from_json(G, c, f"{part}.input[{i}]", check) for i, c in enumerate(inp)
            ]
        )
        out = [
            Ciphertext.from_json(G, c, f"{part}.ciphertexts[{i}]", check)
            for i, c in enumerate(sh["ciphertexts"])
        ]
        if sh["proof"] is None:
            raise SealedError(part + ".proof", "missing: expected a proof of shuffle (spec §4.17)")
        return e, out, ShuffleProof.from_json(G, sh["proof"], len(out), part + ".proof", check)

    e, out, proof = parse(check=False)
    if not check_shuffle_proof(G, proof, e, out, public_key(G, election), phi):
        parse(check=True)  # raises, naming it, if an element is not in the group
        raise SealedError(
            part + ".proof",
            "proof of shuffle does not verify (spec §6 CheckShuffleProof): the output is not "
            "a re-encryption and permutation of the input",
        )
    return out


def check_shuffles(
    G: Group,
    election: dict[str, Any],
    phi: str,
    ballots_cts: list[Any],
    shuffles: Any,
    parsed: list[Ciphertext] | None = None,
) -> list[Ciphertext]:
    """The chain of shuffles from the board's ciphertexts: at least two, by two different
    mixers, each proved against the one before.  Trustees run this before they decrypt: a
    last "shuffle" that is not one could be a voter's own ciphertext put up for decryption."""
    if not isinstance(shuffles, list) or len(shuffles) < 2:
        raise SealedError("shuffles", "expected at least two mixers' shuffles")
    current, out = ballots_cts, parsed
    for i, sh in enumerate(shuffles):
        out = check_shuffle(G, election, phi, current, sh, i, out)
        current = sh["ciphertexts"]
    mixers = [sh["mixer"] for sh in shuffles]
    if len(set(mixers)) < 2:
        raise SealedError(
            "shuffles", f"found mixers {mixers}; expected at least two different ones"
        )
    assert out is not None
    return out


# --- joint decryption (spec §4.18-§4.19) ----------------------------------------------------


def partial_decrypt(
    G: Group, election: dict[str, Any], secret: TrusteeSecret, ciphertexts: list[dict[str, str]]
) -> dict[str, Any]:
    """A trustee's decryption factors alpha^{S_j} with their Chaum--Pedersen proofs."""
    if secret.key is None or secret.index is None:
        raise SealedError("trustee secret", "holds no decryption key yet (finish the ceremony)")
    phi = fingerprint(election)
    X = G.exp_g(secret.key)
    vks = election["trustees"]["verification_keys"]
    if vks[secret.index - 1]["public_key"] != G.to_str(X):
        raise SealedError("trustee secret", "its key is not this election's trustee key")
    # each alpha's membership is checked by libsodium's alpha^x (Group.from_str)
    alphas = [
        G.from_str(c["alpha"], f"ciphertexts[{i}].alpha", False) for i, c in enumerate(ciphertexts)
    ]
    factors: list[str] = []
    proofs: list[dict[str, str]] = []
    key = secret.key
    try:
        for fs, ps in parallel.run(
            _k_factors, len(alphas), lambda r: (G, phi, key, X, alphas[r.start : r.stop])
        ):
            factors.extend(fs)
            proofs.extend(ps)
    except InvalidElement:
        for i, c in enumerate(ciphertexts):
            G.from_str(c["alpha"], f"ciphertexts[{i}].alpha")  # raises, naming it
        raise
    return {"trustee": secret.index, "decryption_factors": factors, "decryption_proofs": proofs}


def _k_factors(
    G: Group, phi: str, x: int, X: Element, alphas: list[Element]
) -> tuple[list[str], list[dict[str, str]]]:
    fs, ps = [], []
    for alpha in alphas:
        f, p = decryption_factor(G, phi, x, alpha, X)
        fs.append(G.to_str(f))
        ps.append(p.to_json(G))
    return fs, ps


def _k_check_factors(
    G: Group,
    phi: str,
    X: Element,
    alphas: list[Element],
    factors: list[Element],
    proofs: list[Proof],
) -> bool:
    try:
        return all(
            check_decryption_factor(G, phi, X, a, f, p) for a, f, p in zip(alphas, factors, proofs)
        )
    except InvalidElement:
        return False


def check_partial_decryption(
    G: Group, phi: str, vks: list[Element], cts: list[Ciphertext], pd: Any, part: str
) -> tuple[int, list[Element]]:
    if not isinstance(pd, dict) or set(pd) != {
        "trustee",
        "decryption_factors",
        "decryption_proofs",
    }:
        raise SealedError(part, "expected {trustee, decryption_factors, decryption_proofs}")
    j = pd["trustee"]
    if not isinstance(j, int) or isinstance(j, bool) or not 1 <= j <= len(vks):
        raise SealedError(part + ".trustee", f"found {j!r}; expected 1..{len(vks)}")
    fs, ps = pd["decryption_factors"], pd["decryption_proofs"]
    if (
        not isinstance(fs, list)
        or not isinstance(ps, list)
        or len(fs) != len(cts)
        or len(ps) != len(cts)
    ):
        raise SealedError(part, f"expected {len(cts)} factors and proofs (one per ciphertext)")
    # the factors' membership is checked by libsodium's F^challenge (Group.from_str)
    out = [G.from_str(f, f"{part}.decryption_factors[{i}]", False) for i, f in enumerate(fs)]
    prs = [Proof.from_json(G, p, f"{part}.decryption_proofs[{i}]") for i, p in enumerate(ps)]
    alphas = [c.alpha for c in cts]
    X = vks[j - 1]
    if all(
        parallel.run(
            _k_check_factors,
            len(cts),
            lambda r: (
                G,
                phi,
                X,
                alphas[r.start : r.stop],
                out[r.start : r.stop],
                prs[r.start : r.stop],
            ),
        )
    ):
        return j, out
    # name the first that fails, in order
    for i, (c, f, p) in enumerate(zip(cts, fs, ps)):
        F = G.from_str(f, f"{part}.decryption_factors[{i}]")
        pr = Proof.from_json(G, p, f"{part}.decryption_proofs[{i}]")
        if not check_decryption_factor(G, phi, X, c.alpha, F, pr):
            raise SealedError(
                f"{part}.decryption_proofs[{i}]",
                "Chaum-Pedersen proof does not verify (spec §4.18)",
            )
    raise SealedError(part, "Chaum-Pedersen proofs do not verify (spec §4.18)")


def _k_combine(
    G: Group, betas: list[Element], factors: list[list[Element]], lams: list[int]
) -> list[Element]:
    out = []
    for i, beta in enumerate(betas):
        F = G.one
        for fs, lam in zip(factors, lams):
            F = G.mul(F, G.exp(fs[i], lam))
        out.append(G.div(beta, F))
    return out


def combine(
    G: Group, cts: list[Ciphertext], shares: dict[int, list[Element]], threshold: int
) -> list[Element]:
    """spec §4.19: F = prod_delta (factor_delta)^{lambda_delta} over the supplied trustees;
    the plaintext is beta / F."""
    if len(shares) < threshold:
        raise SealedError(
            "partial_decryptions",
            f"found {len(shares)} trustees' shares; expected at least {threshold}",
        )
    idx = sorted(shares)[:threshold]
    lams = [lagrange(G, idx, d) for d in idx]
    betas = [c.beta for c in cts]
    out: list[Element] = []
    for part in parallel.run(
        _k_combine,
        len(cts),
        lambda r: (G, betas[r.start : r.stop], [shares[d][r.start : r.stop] for d in idx], lams),
    ):
        out.extend(part)
    return out


# --- counting with the library --------------------------------------------------------------

MALFORMED = "sealed ballot not a ranking"
BLANK = "sealed ballot with no preference"


def marks_of(election: dict[str, Any], v: Sequence[int]) -> Any:
    """An opened vector as the paper was marked: ``{str(c): number}`` for ranked papers,
    the sorted marked candidates for approval and yes/no papers; None when the vector is
    not a paper of this kind (a hand-made ciphertext: counted as invalid, never dropped)."""
    n = len(election["candidates"])
    kind = election["ballot"]["kind"]
    if len(v) != n or not all(isinstance(x, int) and 0 <= x <= n for x in v):
        return None
    if kind == "ranked":
        return {str(c): x for c, x in enumerate(v) if x}
    if not all(x in (0, 1) for x in v):
        return None
    return [c for c, x in enumerate(v) if x]


def ranked_marks(marks: dict[str, int]) -> tuple[Any, ...]:
    """Numbers written against candidates as the raw ranking ``Profile.from_marks`` reads:
    position k holds the candidate numbered k+1, a tuple of them when several share it,
    None when nobody has it."""
    by_number: dict[int, list[int]] = {}
    for c, k in marks.items():
        by_number.setdefault(k, []).append(int(c))
    return tuple(
        None
        if k not in by_number
        else (by_number[k][0] if len(by_number[k]) == 1 else tuple(sorted(by_number[k])))
        for k in range(1, max(by_number, default=0) + 1)
    )


def profile_of_decoded(election: dict[str, Any], decoded: list[list[int]]) -> Any:
    """The opened ballots as a tallyroom Profile, read as the election's ``ballot`` says."""
    from tallyroom import Candidate, Election, Profile
    from tallyroom.ballots.model import BallotRules

    names = election["candidates"]
    e = Election(
        candidates=tuple(Candidate(n) for n in names),
        seats=election["seats"],
        title=election["title"],
    )
    spec = election["ballot"]
    invalid: Counter[str] = Counter()
    if spec["kind"] == "ranking":
        ballots = []
        for v in decoded:
            r = vector_ranking(v) if all(isinstance(x, int) and x >= 0 for x in v) else None
            if r is None:
                invalid[MALFORMED] += 1
            elif not r:
                invalid[BLANK] += 1
            else:
                ballots.append((r, 1))
        return Profile.build(e, ballots, invalid=dict(invalid))
    papers: Counter[Any] = Counter()
    for v in decoded:
        m = marks_of(election, v)
        if m is None:
            invalid[MALFORMED] += 1
        elif spec["kind"] == "ranked":
            papers[ranked_marks(m)] += 1
        elif spec["kind"] == "yesno":
            papers[tuple(m)] += 1
        elif not m:
            invalid["blank"] += 1
        elif len(m) > (spec["max_marks"] or len(names)):
            invalid["more marks than votes allowed"] += 1
        else:
            papers[tuple(m)] += 1
    if spec["kind"] == "approval":
        return Profile.build(e, papers.items(), kind="approval", invalid=dict(invalid))
    return Profile.from_marks(e, dict(papers), BallotRules(**spec["rules"]), invalid=dict(invalid))


def count_decoded(election: dict[str, Any], decoded: list[list[int]]) -> dict[str, Any]:
    """Count the opened ballots with tallyroom's public API; the result as published."""
    from tallyroom import count

    profile = profile_of_decoded(election, decoded)
    rec = count(profile, election["method"], **election["ballot"]["options"])
    invalid = {k: int(v) for k, v in profile.invalid.items()}
    return {
        "method": election["method"],
        "seats": election["seats"],
        "elected": list(rec.elected),
        "valid": int(profile.valid),
        "invalid": dict(sorted(invalid.items())),
    }


def _canonical_size(obj: Any) -> int:
    return len(canonical(obj))
