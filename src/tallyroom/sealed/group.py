"""The prime-order group behind ONE interface, with two implementations.

Belenios' specification (version 2.0, the one Debian's ``belenios-tool`` 2.0 implements and
ships as ``/usr/share/doc/belenios-tool/specification.pdf.gz``; cited as "spec §x") assumes "a cyclic group G where discrete logarithms are hard ... g a
generator and q its order" (§1, "Group parameters") and writes it multiplicatively; so does
this module: ``mul``, ``exp`` (g^k), ``inv``.

- :class:`Ed25519Group` -- the prime-order subgroup of Ed25519 (order
  L = 2^252 + 27742317777372353535851937790883648493), every operation done by libsodium
  through PyNaCl (``crypto_core_ed25519_*``, ``crypto_scalarmult_ed25519_noclamp``);
  nothing of the curve is written here.
- :class:`FiniteFieldGroup` -- a multiplicative subgroup of F_p^* with Python ints and
  ``pow``: BELENIOS-2048 (spec §5.1) and RFC-3526-2048 (spec §5.2, the group Belenios uses
  for non-homomorphic questions), for the interoperability check against belenios-tool.

Elements are kept in their serialized form's native value (bytes for Ed25519, int for F_p);
scalars are Python ints modulo q.  Serialization: finite-field elements and all scalars "big
integer, written in base 10 and encoded as a JSON string" (spec §4.2); Ed25519 points as the
64 lowercase hex digits of their RFC 8032 §5.1.2 encoding.  Parsing is strict (canonical form
only, group membership checked), so that a record has exactly one spelling.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import ABC, abstractmethod
from typing import Any

from tallyroom.sealed.errors import SealedError

Element = Any  # bytes (Ed25519) or int (finite field); opaque outside the group


class InvalidElement(Exception):
    """An operation met an element that is not in the group (one that was parsed with
    ``check=False``, its membership left to the operation: see :meth:`Group.from_str`)."""


class Group(ABC):
    """A cyclic group of prime order ``q`` with generator ``g`` (spec §1)."""

    #: the string naming the group in the election and in the proofs' hashes (spec §4.5:
    #: "G is the string specifying the group in the election structure")
    name: str
    q: int
    g: Element
    one: Element
    #: bits of padding of the integer embedding (spec §4.11.2, ``embedding.padding``)
    padding: int
    #: how many bits an embedded integer may have (value + padding), or 0 when the group
    #: cannot embed integers (BELENIOS-2048, spec §5.2)
    embed_bits: int

    @abstractmethod
    def mul(self, a: Element, b: Element) -> Element: ...

    @abstractmethod
    def inv(self, a: Element) -> Element: ...

    @abstractmethod
    def exp(self, a: Element, k: int) -> Element: ...

    @abstractmethod
    def exp_g(self, k: int) -> Element: ...

    @abstractmethod
    def to_str(self, a: Element) -> str: ...

    #: whether :meth:`exp` itself refuses (:class:`InvalidElement`) a base outside the
    #: group, so that :meth:`from_str` may leave the membership check to it
    exp_checks_membership: bool = False

    @abstractmethod
    def from_str(self, s: object, part: str = "element", check: bool = True) -> Element:
        """Parse a serialized element, checking canonical form and group membership.

        ``check=False`` leaves the membership check to the first :meth:`exp` of the element
        where the group's ``exp`` makes it anyway (Ed25519: libsodium's scalar
        multiplication refuses a point outside the prime-order subgroup, the same test as
        ``crypto_core_ed25519_is_valid_point``; it costs half a scalar multiplication, and
        made twice it is a third of a proof check).  Only for an element that WILL go
        through ``exp`` before anything is concluded from it; the caller then re-parses
        with ``check=True`` on any failure, to name the part.  Finite-field groups always
        check (``pow`` does not)."""

    @abstractmethod
    def hash_to_scalar(self, text: str) -> int:
        """The Fiat--Shamir challenge of ``text`` (spec §4.5: "interpreted as a ... big-endian
        number ... mod q")."""

    @abstractmethod
    def _embed(self, sigma: int) -> Element | None: ...

    @abstractmethod
    def _unembed(self, a: Element) -> int: ...

    def div(self, a: Element, b: Element) -> Element:
        return self.mul(a, self.inv(b))

    def random_scalar(self) -> int:
        return secrets.randbelow(self.q - 1) + 1

    def scalar_str(self, k: int) -> str:
        return str(k % self.q)

    def scalar_from_str(self, s: object, part: str = "scalar") -> int:
        if not isinstance(s, str) or not s.isdigit() or str(int(s)) != s or int(s) >= self.q:
            raise SealedError(part, f"found {s!r}; expected a base-10 integer below q")
        return int(s)

    def encode_int(self, value: int) -> Element:
        """``group_encode`` (spec §4.11.2): sigma = value * 2^padding + epsilon, with epsilon
        (padding bits or less) the smallest that makes sigma an element of the group."""
        if self.embed_bits == 0:
            raise SealedError("group", f"{self.name} cannot embed integers (spec §5.2)")
        if value < 0 or value.bit_length() + self.padding > self.embed_bits:
            raise SealedError("ballot", f"value of {value.bit_length()} bits does not fit")
        for eps in range(1 << self.padding):
            e = self._embed((value << self.padding) + eps)
            if e is not None:
                return e
        raise SealedError("ballot", "no padding makes this value a group element")

    def decode_int(self, a: Element) -> int:
        """``group_decode``, the inverse of :meth:`encode_int` (spec §4.19)."""
        return self._unembed(a) >> self.padding


# --- Ed25519 (libsodium through PyNaCl) ----------------------------------------------------

_L = 2**252 + 27742317777372353535851937790883648493
_IDENTITY = b"\x01" + b"\x00" * 31


class Ed25519Group(Group):
    """The prime-order subgroup of Ed25519, by libsodium.

    Integers are embedded (spec §4.11.2's ``group_encode``) as the y-coordinate of a point:
    sigma's 32 little-endian bytes, sign bit 0, taken when libsodium's
    ``crypto_core_ed25519_is_valid_point`` accepts it (on the curve, canonical, in the
    prime-order subgroup, not of small order) -- about one sigma in 16, hence 16 bits of
    padding (a failure probability of (15/16)^65536).  The y-coordinate is below 2^255 - 19;
    we allow 252 bits.
    """

    name = "Ed25519"
    q = _L
    padding = 16
    embed_bits = 252
    exp_checks_membership = True

    def __reduce__(self) -> Any:  # sent to worker processes (tallyroom.sealed.parallel)
        return (Ed25519Group, ())

    def __init__(self) -> None:
        from nacl import bindings as nb
        from nacl import exceptions as exc

        self._nb = nb
        self._exc = exc
        self.g = nb.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little"))
        self.one = _IDENTITY

    def mul(self, a: bytes, b: bytes) -> bytes:
        if a == _IDENTITY:
            return b
        if b == _IDENTITY:
            return a
        try:
            return self._nb.crypto_core_ed25519_add(a, b)
        except self._exc.RuntimeError:  # not a curve point (libsodium's check)
            raise InvalidElement("not a point of the curve") from None

    def div(self, a: bytes, b: bytes) -> bytes:
        if b == _IDENTITY:
            return a
        if a == b:
            return _IDENTITY
        if a == _IDENTITY:
            return self.inv(b)
        try:
            return self._nb.crypto_core_ed25519_sub(a, b)
        except self._exc.RuntimeError:
            raise InvalidElement("not a point of the curve") from None

    def inv(self, a: bytes) -> bytes:
        if a == _IDENTITY:
            return a
        try:
            return self._nb.crypto_core_ed25519_sub(_IDENTITY, a)
        except self._exc.RuntimeError:
            raise InvalidElement("not a point of the curve") from None

    def exp(self, a: bytes, k: int) -> bytes:
        # libsodium refuses a base that is not canonical, of small order or outside the
        # prime-order subgroup (the identity, a member, is handled here); a zero exponent
        # is not sent to libsodium, so the base is checked here instead: exp always checks
        k %= self.q
        if a == _IDENTITY:
            return _IDENTITY
        if k == 0:
            if not self._nb.crypto_core_ed25519_is_valid_point(a):
                raise InvalidElement("not a point of the prime-order subgroup")
            return _IDENTITY
        try:
            return self._nb.crypto_scalarmult_ed25519_noclamp(k.to_bytes(32, "little"), a)
        except self._exc.RuntimeError:
            raise InvalidElement("not a point of the prime-order subgroup") from None

    def exp_g(self, k: int) -> bytes:
        k %= self.q
        if k == 0:
            return _IDENTITY
        return self._nb.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "little"))

    def random_scalar(self) -> int:
        # libsodium's uniform scalar in [0, L) (crypto_core_ed25519_scalar_random is not
        # bound by PyNaCl 1.6; reducing 64 random bytes is how libsodium builds it)
        k = int.from_bytes(
            self._nb.crypto_core_ed25519_scalar_reduce(secrets.token_bytes(64)), "little"
        )
        return k or 1

    def to_str(self, a: bytes) -> str:
        return a.hex()

    def from_str(self, s: object, part: str = "element", check: bool = True) -> bytes:
        if not isinstance(s, str) or len(s) != 64 or s != s.lower():
            raise SealedError(part, f"found {s!r}; expected 64 lowercase hex digits")
        try:
            b = bytes.fromhex(s)
        except ValueError:
            raise SealedError(part, f"found {s!r}; expected 64 lowercase hex digits") from None
        if b == _IDENTITY or not check:
            return b
        if not self._nb.crypto_core_ed25519_is_valid_point(b):
            raise SealedError(
                part, f"found {s[:16]}...; expected a point of the prime-order subgroup"
            )
        return b

    def hash_to_scalar(self, text: str) -> int:
        # SHA-512 reduced mod L by libsodium, as Ed25519 itself does (RFC 8032 §5.1.6):
        # a 256-bit SHA-256 reduced mod a 253-bit L would be measurably biased
        h = hashlib.sha512(text.encode()).digest()
        return int.from_bytes(self._nb.crypto_core_ed25519_scalar_reduce(h), "little")

    def _embed(self, sigma: int) -> bytes | None:
        if sigma >= 2**255 - 19:
            return None
        b = sigma.to_bytes(32, "little")
        return b if self._nb.crypto_core_ed25519_is_valid_point(b) else None

    def _unembed(self, a: bytes) -> int:
        return int.from_bytes(a, "little") & ((1 << 255) - 1)


# --- finite fields (Python ints) -----------------------------------------------------------

# spec §5.1 BELENIOS-2048 (FIPS 186-4 generated; q of 256 bits)
BELENIOS_2048 = {
    "p": int(
        "20694785691422546401013643657505008064922989295751104097100884787057374219242717401922237254497684338129066633138078958404960054389636289796393038773905722803605973749427671376777618898589872735865049081167099310535867780980030790491654063777173764198678527273474476341835600035698305193144284561701911000786737307333564123971732897913240474578834468260652327974647951137672658693582180046317922073668860052627186363386088796882120769432366149491002923444346373222145884100586421050242120365433561201320481118852408731077014151666200162313177169372189248078507711827842317498073276598828825169183103125680162072880719"
    ),
    "g": int(
        "2402352677501852209227687703532399932712287657378364916510075318787663274146353219320285676155269678799694668298749389095083896573425601900601068477164491735474137283104610458681314511781646755400527402889846139864532661215055797097162016168270312886432456663834863635782106154918419982534315189740658186868651151358576410138882215396016043228843603930989333662772848406593138406010231675095763777982665103606822406635076697764025346253773085133173495194248967754052573659049492477631475991575198775177711481490920456600205478127054728238140972518639858334115700568353695553423781475582491896050296680037745308460627"
    ),
    "q": 78571733251071885079927659812671450121821421258408794611510081919805623223441,
}

# RFC 3526 §3, the 2048-bit MODP group: p = 2^2048 - 2^1984 - 1 + 2^64 * (floor(2^1918 pi)
# + 124476); g = 2 generates the quadratic residues, of prime order q = (p - 1) / 2
_RFC3526_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
)
RFC_3526_2048 = {"p": int(_RFC3526_HEX, 16), "g": 2, "q": (int(_RFC3526_HEX, 16) - 1) // 2}


class FiniteFieldGroup(Group):
    """The order-q subgroup of F_p^* (spec §5), with Python ints and ``pow``."""

    def __init__(self, name: str, p: int, g: int, q: int, padding: int = 0, bits_per_int: int = 0):
        self.name = name
        self.p, self.g, self.q = p, g, q
        self.one = 1
        self.padding = padding
        # RFC-3526-2048 (spec §5.2) is a safe-prime group: any residue below p can be
        # embedded; BELENIOS-2048 (q of 256 bits) cannot embed integers at all
        self.embed_bits = p.bit_length() - 1 if bits_per_int else 0

    def mul(self, a: int, b: int) -> int:
        return a * b % self.p

    def inv(self, a: int) -> int:
        return pow(a, -1, self.p)

    def exp(self, a: int, k: int) -> int:
        return pow(a, k % self.q, self.p)

    def exp_g(self, k: int) -> int:
        return pow(self.g, k % self.q, self.p)

    def to_str(self, a: int) -> str:
        return str(a)

    def __reduce__(self) -> Any:  # sent to worker processes (tallyroom.sealed.parallel)
        return (
            FiniteFieldGroup,
            (self.name, self.p, self.g, self.q, self.padding, 8 if self.embed_bits else 0),
        )

    def from_str(self, s: object, part: str = "element", check: bool = True) -> int:
        # ``check`` is ignored: ``pow`` does not check membership, so parsing always does
        if not isinstance(s, str) or not s.isdigit() or str(int(s)) != s:
            raise SealedError(part, f"found {s!r}; expected a base-10 integer")
        a = int(s)
        if not 0 < a < self.p or pow(a, self.q, self.p) != 1:
            raise SealedError(
                part, f"found {s[:16]}...; expected an element of the order-q subgroup"
            )
        return a

    def hash_to_scalar(self, text: str) -> int:
        # spec §4.5 and after: SHA256, "interpreted as a 256-bit big-endian number", mod q
        return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big") % self.q

    def _embed(self, sigma: int) -> int | None:
        if not 0 < sigma < self.p:
            return None
        return sigma if pow(sigma, self.q, self.p) == 1 else None

    def _unembed(self, a: int) -> int:
        return a


def belenios_2048() -> FiniteFieldGroup:
    return FiniteFieldGroup("BELENIOS-2048", **BELENIOS_2048)


def rfc3526_2048() -> FiniteFieldGroup:
    # spec §5.2: "embedding: padding = 8, bits_per_int = 8"
    return FiniteFieldGroup("RFC-3526-2048", **RFC_3526_2048, padding=8, bits_per_int=8)


def group_named(name: object) -> Group:
    """The group the election names."""
    if name == "Ed25519":
        return Ed25519Group()
    if name == "RFC-3526-2048":
        return rfc3526_2048()
    if name == "BELENIOS-2048":
        return belenios_2048()
    raise SealedError(
        "election.group", f"found {name!r}; expected Ed25519, RFC-3526-2048 or BELENIOS-2048"
    )
