"""Voting codes: 105 random-looking bits in Crockford base32 plus one check character.

A code is derived from the election key, the slot and the issue number (HMAC-SHA256), so
sending the same slot's mail again after a restart sends the *same* code: a member is never
sent two different codes for one issue. The database keeps only ``HMAC(key, code)`` for the
look-up; the code itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_CHECK = ALPHABET + "*~$=U"  # Crockford's mod-37 check symbols
BODY = 21  # 21 x 5 = 105 bits


def derive(key: str, slot_id: str, issue: int) -> str:
    digest = hmac.new(bytes.fromhex(key), f"code|{slot_id}|{issue}".encode(), "sha256").digest()
    n = int.from_bytes(digest, "big") >> (256 - 5 * BODY)
    body = "".join(ALPHABET[(n >> (5 * (BODY - 1 - i))) & 31] for i in range(BODY))
    return body + _CHECK[n % 37]


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(text: str) -> str | None:
    """The code typed by a voter, cleaned (case, dashes, spaces, O/I/L); None if malformed
    or the check character does not match (a typing slip, caught before any look-up)."""
    t = text.upper().replace("-", "").replace(" ", "")
    t = t.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(t) != BODY + 1 or any(c not in ALPHABET for c in t[:BODY]) or t[-1] not in _CHECK:
        return None
    n = 0
    for c in t[:BODY]:
        n = n * 32 + ALPHABET.index(c)
    return t if _CHECK[n % 37] == t[-1] else None


def lookup(key: str, code: str) -> str:
    return hmac.new(bytes.fromhex(key), f"lookup|{code}".encode(), hashlib.sha256).hexdigest()
