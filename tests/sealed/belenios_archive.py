"""Checks of a Belenios 2.0 public-data archive by our code (shared by the known-answer
test on a stored archive and the live interoperability test)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from typing import Any

from tallyroom.sealed import box
from tallyroom.sealed.group import rfc3526_2048
from tallyroom.sealed.proofs import (
    Ciphertext,
    Proof,
    check_decryption_factor,
    check_pok,
    check_raweg,
)
from tallyroom.sealed.shuffle import ShuffleProof, check_shuffle_proof

G = rfc3526_2048()


def read(data: bytes) -> dict[str, Any]:
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        files = [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]  # type: ignore[union-attr]
    payloads = [json.loads(d) for n, d in files if n.endswith(".data.json")]
    raw_election = next(
        d
        for n, d in files
        if n.endswith(".data.json") and d.startswith(b"{") and b'"questions"' in d
    )
    phi = base64.b64encode(hashlib.sha256(raw_election).digest()).decode().rstrip("=")
    return {"payloads": payloads, "raw_election": raw_election, "phi": phi}


def trustee_keys(a: dict[str, Any]) -> list[Any]:
    trustees = next(x for x in a["payloads"] if isinstance(x, list) and x and x[0][0] == "Single")
    keys = []
    for _, k in trustees:
        X = G.from_str(k["public_key"])
        assert check_pok(G, X, Proof.from_json(G, k["pok"], "pok")), "spec §4.5 pok|G|X|A"
        bad = Proof.from_json(G, k["pok"], "pok")
        assert not check_pok(G, X, Proof(bad.challenge, (bad.response + 1) % G.q))
        keys.append(X)
    return keys


def check_ballots(a: dict[str, Any]) -> int:
    e = json.loads(a["raw_election"])
    assert e["group"] == G.name
    y = G.from_str(e["public_key"])
    ballots = [x for x in a["payloads"] if isinstance(x, dict) and "credential" in x]
    for b in ballots:
        assert b["election_hash"] == a["phi"]
        ans = b["answers"][0]
        c = Ciphertext.from_json(G, ans["choices"], "choices")
        p = Proof.from_json(G, ans["proof"], "proof")
        S = f"{a['phi']}|{b['credential']}"  # spec §4.11: S0 = phi | g^s
        assert check_raweg(G, S, y, c, p), "spec §4.11.2 raweg|S|y,alpha,beta|A"
        assert not check_raweg(G, S + "x", y, c, p)
    return len(ballots)


def decrypt_and_decode(
    a: dict[str, Any], keys: list[Any]
) -> tuple[list[list[int]], list[list[int]]]:
    """Check every decryption proof; return (our decoding, belenios' result)."""
    shuffles = [x for x in a["payloads"] if isinstance(x, dict) and "ciphertexts" in x]
    cts = [Ciphertext.from_json(G, c, "c") for c in shuffles[-1]["ciphertexts"][0]]
    pds = [x for x in a["payloads"] if isinstance(x, dict) and "decryption_factors" in x]
    assert len(pds) == len(keys)
    product = [G.one] * len(cts)
    for X, pd in zip(keys, pds):
        for i, (c, f, p) in enumerate(
            zip(cts, pd["decryption_factors"][0], pd["decryption_proofs"][0])
        ):
            F = G.from_str(f)
            assert check_decryption_factor(
                G, a["phi"], X, c.alpha, F, Proof.from_json(G, p, "p")
            ), "spec §4.18"
            product[i] = G.mul(product[i], F)
    # basic ("Single") trustees: the factors multiply (spec §4.19)
    plain = [G.div(c.beta, F) for c, F in zip(cts, product)]
    n = len(json.loads(a["raw_election"])["questions"][0]["value"]["answers"])
    ours = [box.group_decode(G, 8, n, m) for m in plain]
    for v, m in zip(ours, plain):
        assert G.decode_int(box.group_encode(G, 8, v)) == G.decode_int(m)
    (result,) = [x for x in a["payloads"] if isinstance(x, dict) and "result" in x]
    return ours, result["result"][0]


def check_shuffles(a: dict[str, Any]) -> int:
    """Every shuffle's proof (spec §6 CheckShuffleProof) by our code, chained from the
    encrypted tally (the archive keeps its records in the order they were added); and each
    proof refused against a changed output (two ciphertexts swapped)."""
    e = json.loads(a["raw_election"])
    y = G.from_str(e["public_key"])
    (tally,) = [
        x
        for x in a["payloads"]
        if isinstance(x, list) and x and isinstance(x[0], list) and "alpha" in x[0][0]
    ]
    current = [Ciphertext.from_json(G, c, "c") for c in tally[0]]
    shuffles = [x for x in a["payloads"] if isinstance(x, dict) and "proofs" in x]
    for sh in shuffles:
        out = [Ciphertext.from_json(G, c, "c") for c in sh["ciphertexts"][0]]
        proof = ShuffleProof.from_json(G, sh["proofs"][0], len(out), "proof")
        assert check_shuffle_proof(G, proof, current, out, y, a["phi"]), "spec §6 Table 5"
        assert not check_shuffle_proof(G, proof, current, out[::-1], y, a["phi"])
        current = out
    return len(shuffles)
