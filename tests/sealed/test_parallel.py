"""The fast paths of the sealed box: work spread over worker processes gives the same
record as in one process, and an element parsed without its membership check
(``Group.from_str(check=False)``) can never pass -- the proof's own scalar multiplications
refuse it, and the part is named as a strict parse names it."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("nacl")

import nacl.bindings as nb  # noqa: E402
import nacl.signing  # noqa: E402

from tallyroom.sealed import box, parallel  # noqa: E402
from tallyroom.sealed.errors import SealedError  # noqa: E402
from tallyroom.sealed.group import Ed25519Group, InvalidElement  # noqa: E402
from tallyroom.sealed.record import dumps, open_box, verify_record  # noqa: E402
from tallyroom.sealed.simulate import ceremony, run  # noqa: E402
from tallyroom.sealed.trustees import _sign  # noqa: E402

G = Ed25519Group()
NAMES = ["Ada", "Bea", "Cy", "Dee"]
VOTES = [(0, 1), (1, 2, 0), (2,), (0, 3, 1, 2), (3, 0), (0,), (1, 0), (2, 3)]

# The point of order 2 on Ed25519 is (x, y) = (0, -1) (RFC 8032 §5.1: -x^2 + y^2 = 1 + d x^2
# y^2 holds for x = 0, y = -1, and doubling it gives the neutral (0, 1)); its encoding is
# y = p - 1 = 2^255 - 20, little-endian, sign bit 0.
ORDER_2 = (2**255 - 20).to_bytes(32, "little")


def off_subgroup(hex_point: str) -> str:
    """P + T for T of order 2: on the curve, canonical, not in the prime-order subgroup."""
    return bytes(nb.crypto_core_ed25519_add(bytes.fromhex(hex_point), ORDER_2)).hex()


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALLYROOM_SEALED_WORKERS", "2")
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)


def test_the_order_2_point_is_on_the_curve_and_outside_the_subgroup() -> None:
    assert bytes(nb.crypto_core_ed25519_add(ORDER_2, ORDER_2)) == G.one
    assert not nb.crypto_core_ed25519_is_valid_point(ORDER_2)
    p = off_subgroup(G.to_str(G.exp_g(5)))
    with pytest.raises(SealedError, match="prime-order subgroup"):
        G.from_str(p)
    # left unchecked, every exponentiation refuses it, a zero exponent included
    q = G.from_str(p, check=False)
    for k in (0, 1, 7, G.q - 1):
        with pytest.raises(InvalidElement):
            G.exp(q, k)


def test_chunks_cover_the_range_in_order() -> None:
    for n in (0, 1, 7, 100):
        for parts in (1, 3, 8):
            pieces = parallel.chunks(n, parts)
            assert [i for r in pieces for i in r] == list(range(n))
            assert (
                max((len(r) for r in pieces), default=0) - min((len(r) for r in pieces), default=0)
                <= 1
            )


def test_a_record_made_by_two_workers_verifies_in_one_process_and_in_two(
    two_workers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = run(G, NAMES, VOTES, method="irv")
    data = dumps(rec)
    verify_record(data)
    assert sorted(box.vector_ranking(v) for v in rec["decoded"]) == sorted(VOTES)
    monkeypatch.setenv("TALLYROOM_SEALED_WORKERS", "1")
    verify_record(data)


def _election() -> tuple[dict[str, Any], Any, Any, list[Any]]:
    secrets, params = ceremony(G, "par", 3, 2)
    board, scrut = nacl.signing.SigningKey.generate(), nacl.signing.SigningKey.generate()
    election = box.make_election(
        G,
        uuid="par",
        title="t",
        candidates=NAMES,
        seats=1,
        method="irv",
        trustees=params,
        board_key=board.verify_key.encode().hex(),
        mixers=[
            {"name": "service", "key": board.verify_key.encode().hex()},
            {"name": "scrutineer", "key": scrut.verify_key.encode().hex()},
        ],
    )
    return election, board, scrut, secrets


def _resign(election: dict[str, Any], inp: list[Any], sh: dict[str, Any], seed: str) -> None:
    body = box._shuffle_body(
        box.fingerprint(election), 0, sh["mixer"], inp, sh["ciphertexts"], sh["proof"]
    )
    sh["signature"] = _sign(seed, body)


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize(
    "where",
    [
        (
            "ciphertexts",
            lambda sh: sh["ciphertexts"][2],
            "alpha",
            "shuffles[0].ciphertexts[2].alpha",
        ),
        ("ciphertexts", lambda sh: sh["ciphertexts"][5], "beta", "shuffles[0].ciphertexts[5].beta"),
        ("c", lambda sh: sh["proof"][2], 3, "shuffles[0].proof.c[3]"),
        ("c_hat", lambda sh: sh["proof"][3], 7, "shuffles[0].proof.c_hat[7]"),
        ("t_hat", lambda sh: sh["proof"][0][4], 1, "shuffles[0].proof.t[4][1]"),
    ],
)
def test_a_point_outside_the_subgroup_in_a_shuffle_is_refused_and_named(
    where: Any, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if workers:
        monkeypatch.setenv("TALLYROOM_SEALED_WORKERS", "2")
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)
    election, board, _, _ = _election()
    inp = [box.cast(G, election, v)["choices"] for v in VOTES]
    sh = box.mix(G, election, inp, index=0, mixer="service", mixer_seed=board.encode().hex())
    phi = box.fingerprint(election)
    box.check_shuffle(G, election, phi, inp, sh, 0)  # honest: passes
    _, container, key, part = where
    target = container(sh)
    target[key] = off_subgroup(target[key])
    _resign(election, inp, sh, board.encode().hex())
    with pytest.raises(SealedError, match="prime-order subgroup") as e:
        box.check_shuffle(G, election, phi, inp, sh, 0)
    assert e.value.part == part


@pytest.mark.parametrize("workers", [False, True])
def test_a_decryption_factor_outside_the_subgroup_is_refused_and_named(
    workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if workers:
        monkeypatch.setenv("TALLYROOM_SEALED_WORKERS", "2")
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)
    rec = json.loads(dumps(run(G, NAMES, VOTES, method="irv")))
    fs = rec["partial_decryptions"][1]["decryption_factors"]
    fs[4] = off_subgroup(fs[4])
    with pytest.raises(SealedError, match="prime-order subgroup") as e:
        verify_record(dumps(rec))
    assert e.value.part == "partial_decryptions[1].decryption_factors[4]"
    with pytest.raises(SealedError, match="prime-order subgroup"):
        open_box(
            G,
            rec["election"],
            rec["board"]["entries"],
            rec["board"]["checkpoints"],
            rec["ballots"],
            rec["shuffles"],
            rec["partial_decryptions"],
        )


def test_a_mixer_refuses_an_input_outside_the_subgroup_and_names_it() -> None:
    election, board, _, _ = _election()
    inp = [box.cast(G, election, v)["choices"] for v in VOTES]
    inp[3]["beta"] = off_subgroup(inp[3]["beta"])
    with pytest.raises(SealedError, match="prime-order subgroup") as e:
        box.mix(G, election, inp, index=0, mixer="service", mixer_seed=board.encode().hex())
    assert e.value.part == "ciphertexts[3].beta"


def _sum_unless_in_a_worker(parent: int, xs: list[int]) -> int:
    if os.getpid() != parent:
        os._exit(1)  # a worker that dies (killed, out of memory)
    return sum(xs)


def test_a_dead_worker_costs_time_never_work(two_workers: None) -> None:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(parallel, "_broken", False)
    try:
        xs = list(range(100))
        with pytest.warns(RuntimeWarning, match="working in one process"):
            parts = parallel.run(
                _sum_unless_in_a_worker, len(xs), lambda r: (os.getpid(), xs[r.start : r.stop])
            )
        assert sum(parts) == sum(xs)
    finally:
        monkeypatch.undo()
        parallel._drop_pool()
        parallel._broken = False


def test_a_threaded_process_gets_its_workers_from_a_server_process(two_workers: None) -> None:
    # the web service runs the mix job in a thread: its workers must not be forked from
    # a process with other threads running (forkserver); the result is the same
    import threading

    parallel._drop_pool()
    parallel._broken = False
    out: dict[str, Any] = {}
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)  # another thread alive, as in the service
    busy.start()
    try:

        def work() -> None:
            out["record"] = run(G, NAMES, VOTES[:3], method="irv")

        t = threading.Thread(target=work)
        t.start()
        t.join()
        assert parallel._pool is not None
        method = parallel._pool._mp_context.get_start_method()  # type: ignore[attr-defined]
        assert method in ("forkserver", "spawn")
        verify_record(dumps(out["record"]))
    finally:
        stop.set()
        busy.join()
        parallel._drop_pool()
        parallel._broken = False
