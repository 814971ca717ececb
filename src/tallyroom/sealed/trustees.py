"""The k-of-n key ceremony: Pedersen's verifiable secret sharing as Belenios runs it
(spec §3.1 "threshold", §4.6.1-§4.6.7).

Each of the n trustees, on their own machine:

1. makes a *certificate* (spec §4.6.2): an Ed25519 verification key and an X25519
   encryption key, the certificate signed by the first.  Belenios derives both from a seed
   with its own Schnorr signatures and AES-CCM channel (§4.6.1); here the channel is
   libsodium's -- ``nacl.signing`` (Ed25519 signatures) and ``nacl.public.Box`` (X25519 +
   XSalsa20-Poly1305) -- the well-kept library doing what the specification hand-builds.
2. picks a random polynomial f_i of degree t = k - 1 over Z_q, publishes the signed
   commitments A_ik = g^{a_ik} (``coefexps``, §4.6.4) and sends s_ij = f_i(j) to each
   trustee j through the channel (``secrets``).
3. checks each share it received: g^{s_ij} = prod_k A_ik^{j^k} (§4.6.5), keeps
   S_j = sum_i s_ij as its decryption key and publishes g^{S_j} with a proof of knowledge
   (``voutput``, §4.6.6).

Anyone then checks g^{S_j} = prod_i prod_k A_ik^{j^k} and the proofs (§4.6.6) and forms the
election public key y = prod_i A_i0.  The decryption key sum_i f_i(0) exists nowhere: any k
trustees reconstruct decryptions with Lagrange coefficients (§4.19); k - 1 learn nothing of
it (Pedersen's scheme, the variant Belenios proves, spec §1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tallyroom.sealed.canon import canonical
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import Group
from tallyroom.sealed.proofs import Proof, check_pok, prove_pok


def _nacl() -> Any:
    import nacl.exceptions
    import nacl.public
    import nacl.signing

    return nacl


def _verify(vk_hex: str, message: Any, sig_hex: object, part: str) -> None:
    nacl = _nacl()

    try:
        vk = nacl.signing.VerifyKey(bytes.fromhex(vk_hex))
        if not isinstance(sig_hex, str):
            raise ValueError
        vk.verify(canonical(message), bytes.fromhex(sig_hex))
    except (ValueError, TypeError, nacl.exceptions.BadSignatureError):
        raise SealedError(part, "signature does not verify") from None


def _sign(seed_hex: str, message: Any) -> str:
    sk = _nacl().signing.SigningKey(bytes.fromhex(seed_hex))
    return str(sk.sign(canonical(message)).signature.hex())


@dataclass
class TrusteeSecret:
    """What a trustee keeps, in a file only they hold."""

    name: str
    signing_seed: str
    box_secret: str
    polynomial: list[int] | None = None
    index: int | None = None
    key: int | None = None  # S_j

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "tallyroom-trustee-secret/1",
            "name": self.name,
            "signing_seed": self.signing_seed,
            "box_secret": self.box_secret,
            "polynomial": None if self.polynomial is None else [str(a) for a in self.polynomial],
            "index": self.index,
            "key": None if self.key is None else str(self.key),
        }

    @staticmethod
    def from_json(d: Any) -> TrusteeSecret:
        if not isinstance(d, dict) or d.get("format") != "tallyroom-trustee-secret/1":
            raise SealedError("trustee secret", "expected a tallyroom-trustee-secret/1 file")
        return TrusteeSecret(
            d["name"],
            d["signing_seed"],
            d["box_secret"],
            None if d.get("polynomial") is None else [int(a) for a in d["polynomial"]],
            d.get("index"),
            None if d.get("key") is None else int(d["key"]),
        )


def new_trustee(name: str) -> tuple[TrusteeSecret, dict[str, Any]]:
    """Step 1: a trustee's secret and their public certificate (spec §4.6.2)."""
    nacl = _nacl()
    sk = nacl.signing.SigningKey.generate()
    bk = nacl.public.PrivateKey.generate()
    body = {
        "name": name,
        "verification": sk.verify_key.encode().hex(),
        "encryption": bk.public_key.encode().hex(),
    }
    secret = TrusteeSecret(name, sk.encode().hex(), bk.encode().hex())
    return secret, {**body, "signature": _sign(secret.signing_seed, body)}


def check_certs(certs: Any) -> None:
    if not isinstance(certs, list) or not certs:
        raise SealedError("trustees.certs", "expected a non-empty list of certificates")
    for j, c in enumerate(certs, 1):
        if not isinstance(c, dict) or set(c) != {"name", "verification", "encryption", "signature"}:
            raise SealedError(
                f"trustees.certs[{j}]", "expected {name, verification, encryption, signature}"
            )
        body = {k: c[k] for k in ("name", "verification", "encryption")}
        _verify(c["verification"], body, c["signature"], f"trustees.certs[{j}]")


def _my_index(secret: TrusteeSecret, certs: list[dict[str, Any]]) -> int:
    vk = _nacl().signing.SigningKey(bytes.fromhex(secret.signing_seed)).verify_key.encode().hex()
    for j, c in enumerate(certs, 1):
        if c["verification"] == vk:
            return j
    raise SealedError("trustees.certs", f"{secret.name}'s certificate is not among them")


def _coefexps_body(
    G: Group, election: str, i: int, threshold: int, coefexps: list[str]
) -> dict[str, Any]:
    return {
        "election": election,
        "group": G.name,
        "from": i,
        "threshold": threshold,
        "coefexps": coefexps,
    }


def make_polynomial(
    G: Group, election: str, secret: TrusteeSecret, certs: list[dict[str, Any]], threshold: int
) -> dict[str, Any]:
    """Step 2 (spec §4.6.4): f_i of degree threshold - 1, its signed commitments, and the
    shares f_i(j), each boxed for trustee j."""
    check_certs(certs)
    if not 1 <= threshold <= len(certs):
        raise SealedError("threshold", f"found {threshold}; expected 1..{len(certs)}")
    nacl = _nacl()
    i = _my_index(secret, certs)
    a = [G.random_scalar() for _ in range(threshold)]
    coefexps = [G.to_str(G.exp_g(ak)) for ak in a]
    body = _coefexps_body(G, election, i, threshold, coefexps)
    me = nacl.public.PrivateKey(bytes.fromhex(secret.box_secret))
    secrets_ = []
    for j, c in enumerate(certs, 1):
        s_ij = sum(ak * pow(j, k, G.q) for k, ak in enumerate(a)) % G.q
        box = nacl.public.Box(me, nacl.public.PublicKey(bytes.fromhex(c["encryption"])))
        msg = canonical({"election": election, "from": i, "to": j, "secret": str(s_ij)})
        secrets_.append(box.encrypt(msg).hex())
    secret.polynomial = a
    secret.index = i
    return {
        "coefexps": {**body, "signature": _sign(secret.signing_seed, body)},
        "secrets": secrets_,
    }


def check_coefexps(
    G: Group, election: str, certs: list[dict[str, Any]], signed: Any, i: int, part: str
) -> tuple[int, list[Any]]:
    if not isinstance(signed, dict) or set(signed) != {
        "election",
        "group",
        "from",
        "threshold",
        "coefexps",
        "signature",
    }:
        raise SealedError(part, "expected {election, group, from, threshold, coefexps, signature}")
    body = {k: v for k, v in signed.items() if k != "signature"}
    if body["from"] != i or body["election"] != election or body["group"] != G.name:
        raise SealedError(
            part,
            f"found from={body['from']!r}, election={body['election']!r}; expected trustee {i} of {election}",
        )
    _verify(certs[i - 1]["verification"], body, signed["signature"], part)
    if not isinstance(body["coefexps"], list) or len(body["coefexps"]) != body["threshold"]:
        raise SealedError(part, "expected threshold commitments")
    return body["threshold"], [G.from_str(A, f"{part}.coefexps") for A in body["coefexps"]]


def _commitment_at(G: Group, A: list[Any], j: int) -> Any:
    # prod_k A_k^{j^k}
    acc = G.one
    for k, Ak in enumerate(A):
        acc = G.mul(acc, G.exp(Ak, pow(j, k, G.q)))
    return acc


def receive_shares(
    G: Group,
    election: str,
    secret: TrusteeSecret,
    certs: list[dict[str, Any]],
    polynomials: list[Any],
) -> dict[str, Any]:
    """Step 3 (spec §4.6.5-§4.6.6): open and check every share sent to me, keep S_j, and
    publish g^{S_j} with its proof of knowledge (the ``voutput``)."""
    check_certs(certs)
    nacl = _nacl()

    j = _my_index(secret, certs)
    if len(polynomials) != len(certs):
        raise SealedError(
            "polynomials", f"found {len(polynomials)}; expected one per trustee ({len(certs)})"
        )
    me = nacl.public.PrivateKey(bytes.fromhex(secret.box_secret))
    total = 0
    thresholds = set()
    for i, P in enumerate(polynomials, 1):
        part = f"polynomials[{i}]"
        t, A = check_coefexps(G, election, certs, P["coefexps"], i, part + ".coefexps")
        thresholds.add(t)
        box = nacl.public.Box(me, nacl.public.PublicKey(bytes.fromhex(certs[i - 1]["encryption"])))
        try:
            msg = json.loads(box.decrypt(bytes.fromhex(P["secrets"][j - 1])))
        except (ValueError, IndexError, nacl.exceptions.CryptoError):
            raise SealedError(
                part + ".secrets", f"the share for trustee {j} does not open"
            ) from None
        if msg.get("from") != i or msg.get("to") != j or msg.get("election") != election:
            raise SealedError(part + ".secrets", "share addressed to someone else")
        s_ij = G.scalar_from_str(msg["secret"], part + ".secret")
        if G.exp_g(s_ij) != _commitment_at(G, A, j):
            raise SealedError(
                part, f"trustee {i}'s share for trustee {j} does not match the commitments"
            )
        total += s_ij
    if len(thresholds) != 1:
        raise SealedError("polynomials", "trustees disagree on the threshold")
    secret.key = total % G.q
    secret.index = j
    X = G.exp_g(secret.key)
    return {"index": j, "public_key": G.to_str(X), "pok": prove_pok(G, secret.key).to_json(G)}


def threshold_parameters(
    G: Group,
    election: str,
    certs: list[dict[str, Any]],
    polynomials: list[Any],
    voutputs: list[Any],
) -> dict[str, Any]:
    """The public outcome of the ceremony (spec §4.6.7), checked (§4.6.6)."""
    params = {
        "threshold": polynomials[0]["coefexps"]["threshold"],
        "certs": certs,
        "coefexps": [P["coefexps"] for P in polynomials],
        "verification_keys": [
            {"public_key": v["public_key"], "pok": v["pok"]}
            for v in sorted(voutputs, key=lambda v: v["index"])
        ],
    }
    y = check_threshold_parameters(G, election, params)
    return {**params, "public_key": G.to_str(y)}


def check_threshold_parameters(G: Group, election: str, params: Any) -> Any:
    """Check a ``threshold_parameters`` (spec §4.6.6-§4.6.7); return the election key y."""
    if not isinstance(params, dict) or not {
        "threshold",
        "certs",
        "coefexps",
        "verification_keys",
    } <= set(params):
        raise SealedError(
            "trustees", "expected {threshold, certs, coefexps, verification_keys, public_key}"
        )
    certs = params["certs"]
    check_certs(certs)
    n = len(certs)
    k = params["threshold"]
    if not isinstance(k, int) or not 1 <= k <= n:
        raise SealedError("trustees.threshold", f"found {k!r}; expected 1..{n}")
    if len(params["coefexps"]) != n or len(params["verification_keys"]) != n:
        raise SealedError("trustees", f"expected {n} commitments and {n} verification keys")
    As = []
    for i, signed in enumerate(params["coefexps"], 1):
        t, A = check_coefexps(G, election, certs, signed, i, f"trustees.coefexps[{i}]")
        if t != k:
            raise SealedError(f"trustees.coefexps[{i}]", f"found threshold {t}; expected {k}")
        As.append(A)
    for j, vk in enumerate(params["verification_keys"], 1):
        part = f"trustees.verification_keys[{j}]"
        if not isinstance(vk, dict) or set(vk) != {"public_key", "pok"}:
            raise SealedError(part, "expected {public_key, pok}")
        X = G.from_str(vk["public_key"], part)
        expected = G.one
        for A in As:
            expected = G.mul(expected, _commitment_at(G, A, j))
        if X != expected:
            raise SealedError(part, "does not match the trustees' commitments (spec §4.6.6)")
        if not check_pok(G, X, Proof.from_json(G, vk["pok"], part + ".pok")):
            raise SealedError(part + ".pok", "proof of knowledge does not verify (spec §4.5)")
    y = G.one
    for A in As:
        y = G.mul(y, A[0])
    if "public_key" in params and params["public_key"] != G.to_str(y):
        raise SealedError("trustees.public_key", "is not the product of the trustees' A_i0")
    return y


def verification_keys(G: Group, params: dict[str, Any]) -> list[Any]:
    return [G.from_str(v["public_key"]) for v in params["verification_keys"]]
