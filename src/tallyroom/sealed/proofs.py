"""ElGamal and the zero-knowledge proofs of Belenios' specification 2.0 (spec §4.3-§4.18).

Every proof is a Schnorr-style sigma protocol made non-interactive by Fiat--Shamir: the
challenge is the hash of a string built exactly as the specification builds it, verbatim
prefix, vertical bars and commas, group elements in their serialized form (spec §4.2), the
whole hashed by :meth:`Group.hash_to_scalar` (SHA256 mod q on the finite-field groups, as the
specification says; SHA-512 reduced by libsodium on Ed25519).  Responses are
``w - x * challenge mod q`` and checked as ``A = g^response * X^challenge`` (spec §4.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import Element, Group


@dataclass(frozen=True)
class Proof:
    """spec §4.3 ``proof = {challenge: Z_q, response: Z_q}``."""

    challenge: int
    response: int

    def to_json(self, G: Group) -> dict[str, str]:
        return {"challenge": G.scalar_str(self.challenge), "response": G.scalar_str(self.response)}

    @staticmethod
    def from_json(G: Group, d: Any, part: str) -> Proof:
        if not isinstance(d, dict) or set(d) != {"challenge", "response"}:
            raise SealedError(part, "expected {challenge, response}")
        return Proof(
            G.scalar_from_str(d["challenge"], part + ".challenge"),
            G.scalar_from_str(d["response"], part + ".response"),
        )


@dataclass(frozen=True)
class Ciphertext:
    """spec §4.3 ``ciphertext = {alpha: G, beta: G}``: (g^r, y^r * m)."""

    alpha: Element
    beta: Element

    def to_json(self, G: Group) -> dict[str, str]:
        return {"alpha": G.to_str(self.alpha), "beta": G.to_str(self.beta)}

    @staticmethod
    def from_json(G: Group, d: Any, part: str, check: bool = True) -> Ciphertext:
        """``check=False``: see :meth:`tallyroom.sealed.group.Group.from_str`."""
        if not isinstance(d, dict) or set(d) != {"alpha", "beta"}:
            raise SealedError(part, "expected {alpha, beta}")
        return Ciphertext(
            G.from_str(d["alpha"], part + ".alpha", check),
            G.from_str(d["beta"], part + ".beta", check),
        )


def encrypt(G: Group, y: Element, m: Element, r: int) -> Ciphertext:
    """spec §4.11.2: alpha = g^r, beta = y^r * sigma."""
    return Ciphertext(G.exp_g(r), G.mul(G.exp(y, r), m))


def reencrypt(G: Group, y: Element, c: Ciphertext, r: int) -> Ciphertext:
    """spec §6 GenReEncryption: (alpha * g^r', beta * y^r')."""
    return Ciphertext(G.mul(c.alpha, G.exp_g(r)), G.mul(c.beta, G.exp(y, r)))


# --- spec §4.5: proof of knowledge of a private key ----------------------------------------


def _h_pok(G: Group, X: Element, A: Element) -> int:
    # H_pok(X, A) = SHA256(pok|G|X|A), "G is the string specifying the group"
    return G.hash_to_scalar(f"pok|{G.name}|{G.to_str(X)}|{G.to_str(A)}")


def prove_pok(G: Group, x: int) -> Proof:
    w = G.random_scalar()
    c = _h_pok(G, G.exp_g(x), G.exp_g(w))
    return Proof(c, (w - x * c) % G.q)


def check_pok(G: Group, X: Element, p: Proof) -> bool:
    A = G.mul(G.exp_g(p.response), G.exp(X, p.challenge))
    return _h_pok(G, X, A) == p.challenge


# --- spec §4.11.2: proof of knowledge of the randomness of a raw ElGamal ciphertext --------


def _h_raweg(G: Group, S: str, y: Element, c: Ciphertext, A: Element) -> int:
    # H_raweg(S, y, alpha, beta, A) = SHA256(raweg|S|y,alpha,beta|A) mod q
    t = f"raweg|{S}|{G.to_str(y)},{G.to_str(c.alpha)},{G.to_str(c.beta)}|{G.to_str(A)}"
    return G.hash_to_scalar(t)


def prove_raweg(G: Group, S: str, y: Element, c: Ciphertext, r: int) -> Proof:
    w = G.random_scalar()
    ch = _h_raweg(G, S, y, c, G.exp_g(w))
    return Proof(ch, (w - r * ch) % G.q)


def check_raweg(G: Group, S: str, y: Element, c: Ciphertext, p: Proof) -> bool:
    A = G.mul(G.exp_g(p.response), G.exp(c.alpha, p.challenge))
    return _h_raweg(G, S, y, c, A) == p.challenge


# --- spec §4.18: Chaum--Pedersen proof of a decryption factor ------------------------------


def _h_decrypt(G: Group, phi: str, X: Element, A: Element, B: Element) -> int:
    # H_decrypt(X, A, B) = SHA256(decrypt|phi|X|A,B) mod q, phi the election fingerprint
    return G.hash_to_scalar(f"decrypt|{phi}|{G.to_str(X)}|{G.to_str(A)},{G.to_str(B)}")


def decryption_factor(
    G: Group, phi: str, x: int, alpha: Element, X: Element | None = None
) -> tuple[Element, Proof]:
    """alpha^x and the proof that log_g X = log_alpha (alpha^x); ``X`` = g^x if known."""
    w = G.random_scalar()
    X = G.exp_g(x) if X is None else X
    ch = _h_decrypt(G, phi, X, G.exp_g(w), G.exp(alpha, w))
    return G.exp(alpha, x), Proof(ch, (w - x * ch) % G.q)


def check_decryption_factor(
    G: Group, phi: str, X: Element, alpha: Element, factor: Element, p: Proof
) -> bool:
    A = G.mul(G.exp_g(p.response), G.exp(X, p.challenge))
    B = G.mul(G.exp(alpha, p.response), G.exp(factor, p.challenge))
    return _h_decrypt(G, phi, X, A, B) == p.challenge


def lagrange(G: Group, indexes: list[int], at: int) -> int:
    """spec §4.19: lambda_delta = prod_{k in I - {delta}} k / (k - delta) mod q."""
    num, den = 1, 1
    for k in indexes:
        if k != at:
            num = num * k % G.q
            den = den * (k - at) % G.q
    return num * pow(den, -1, G.q) % G.q
