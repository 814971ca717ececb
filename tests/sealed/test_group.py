"""The group behind one interface: known answers (RFC 8032, RFC 3526, Belenios spec §5) and
the group laws on both implementations."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("nacl")

from tallyroom.sealed.errors import SealedError  # noqa: E402
from tallyroom.sealed.group import Ed25519Group, belenios_2048, rfc3526_2048  # noqa: E402

ED = Ed25519Group()

# RFC 8032 §7.1, TEST 1 and TEST 2: SECRET KEY -> PUBLIC KEY
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ),
]


@pytest.mark.parametrize("sk,pk", RFC8032)
def test_rfc8032_public_keys(sk: str, pk: str) -> None:
    # RFC 8032 §5.1.5: s = clamp(SHA-512(sk)[:32]), A = [s]B
    h = bytearray(hashlib.sha512(bytes.fromhex(sk)).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    assert ED.to_str(ED.exp_g(int.from_bytes(h, "little"))) == pk
    assert ED.from_str(pk) == bytes.fromhex(pk)


def test_ed25519_base_point_and_order() -> None:
    # RFC 8032 §5.1: B = (x, 4/5), encoded 5866...66; L = 2^252 + 2774231777737235353585193779088364849
    assert ED.to_str(ED.g) == "58" + "66" * 31
    assert ED.exp_g(ED.q) == ED.one
    assert ED.exp(ED.g, ED.q + 5) == ED.exp_g(5)


def test_finite_field_parameters_are_the_published_ones() -> None:
    # Belenios spec §5.1 BELENIOS-2048 q, and §5.2 / RFC 3526 §3 p (first digits as printed)
    B = belenios_2048()
    assert B.q == 78571733251071885079927659812671450121821421258408794611510081919805623223441
    assert pow(B.g, B.q, B.p) == 1 and B.g != 1
    R = rfc3526_2048()
    assert str(R.p).startswith(
        "3231700607131100730033891392642382824881794124114023911284200975140074170663435"
    )
    assert R.p == 2 * R.q + 1 and pow(R.g, R.q, R.p) == 1
    assert (R.padding, R.embed_bits > 0) == (8, True)


def test_strict_parsing() -> None:
    point = ED.to_str(ED.exp_g(12345))
    assert point != point.upper()
    with pytest.raises(SealedError, match="lowercase hex"):
        ED.from_str(point.upper())
    # a point of small order (the order-2 point (0, -1)) is refused
    minus_one = ((2**255 - 19) - 1).to_bytes(32, "little").hex()
    with pytest.raises(SealedError, match="prime-order"):
        ED.from_str(minus_one)
    B = belenios_2048()
    with pytest.raises(SealedError):
        B.from_str("0" + str(B.g))
    with pytest.raises(SealedError):
        B.from_str(str(B.p - 1))  # order 2, not in the subgroup
    with pytest.raises(SealedError):
        ED.scalar_from_str(str(ED.q))


SCALARS = st.integers(min_value=0, max_value=2**260)


@settings(max_examples=30, deadline=None)
@given(SCALARS, SCALARS)
def test_group_laws_ed25519(a: int, b: int) -> None:
    G = ED
    assert G.mul(G.exp_g(a), G.exp_g(b)) == G.exp_g(a + b)
    assert G.exp(G.exp_g(a), b) == G.exp_g(a * b)
    assert G.div(G.exp_g(a), G.exp_g(b)) == G.exp_g(a - b)
    assert G.from_str(G.to_str(G.exp_g(a))) == G.exp_g(a)


@settings(max_examples=10, deadline=None)
@given(SCALARS, SCALARS)
def test_group_laws_finite_field(a: int, b: int) -> None:
    G = belenios_2048()
    assert G.mul(G.exp_g(a), G.exp_g(b)) == G.exp_g(a + b)
    assert G.exp(G.exp_g(a), b) == G.exp_g(a * b)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2**200))
def test_integer_embedding_round_trips(v: int) -> None:
    # spec §4.11.2 group_encode / §4.19 group_decode, on both groups that can embed
    for G in (ED, rfc3526_2048()):
        m = G.encode_int(v)
        assert G.decode_int(m) == v
        assert G.from_str(G.to_str(m)) == m
