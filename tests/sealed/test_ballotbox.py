"""The service-facing box: cast on receipt, board, checkpoints, the service's mix and the
record, with the scrutineer's mix and the trustees' shares from the library."""

from __future__ import annotations

import pytest

pytest.importorskip("nacl")

import nacl.signing  # noqa: E402

from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.ballotbox import SealedBallotBox  # noqa: E402
from tallyroom.sealed.errors import SealedError  # noqa: E402
from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.record import dumps, verify_record  # noqa: E402
from tallyroom.sealed.simulate import ceremony  # noqa: E402

G = Ed25519Group()


def test_the_service_path_makes_a_record_that_verifies() -> None:
    secrets, params = ceremony(G, "svc", 3, 2)
    board, scrut = nacl.signing.SigningKey.generate(), nacl.signing.SigningKey.generate()
    election = box.make_election(
        G,
        uuid="svc",
        title="t",
        candidates=["A", "B", "C"],
        seats=1,
        method="irv",
        trustees=params,
        board_key=board.verify_key.encode().hex(),
        mixers=[
            {"name": "service", "key": board.verify_key.encode().hex()},
            {"name": "scrutineer", "key": scrut.verify_key.encode().hex()},
        ],
    )
    sb = SealedBallotBox(election, board.encode().hex())
    ballots, entries = [], []
    for v, ch in [((0, 1), "web"), ((1, 0), "paper"), ((1,), "web")]:
        b = sb.encrypt(v)
        entries.append(sb.accept(b, ch, entries[-1] if entries else None))
        ballots.append(b)
        assert box.find_tracker(entries, sb.tracker(b)) == entries[-1]
    with pytest.raises(SealedError, match="invariant"):
        sb.checkpoint(entries, {"web": 2, "paper": 2}, "t")
    cps = [sb.checkpoint(entries, {"web": 2, "paper": 1}, "t")]
    s1 = sb.mix(ballots)
    s2 = box.mix(
        G, election, s1["ciphertexts"], index=1, mixer="scrutineer", mixer_seed=scrut.encode().hex()
    )
    pds = [box.partial_decrypt(G, election, secrets[j], s2["ciphertexts"]) for j in (1, 2)]
    rec = sb.record(entries, cps, ballots, [s1, s2], pds)
    verify_record(dumps(rec))
    assert rec["result"]["elected"] == ["B"]


def test_a_ballot_with_a_forged_proof_is_refused_on_receipt() -> None:
    _, params = ceremony(G, "svc2", 3, 2)
    board = nacl.signing.SigningKey.generate()
    election = box.make_election(
        G,
        uuid="svc2",
        title="t",
        candidates=["A", "B"],
        seats=1,
        method="irv",
        trustees=params,
        board_key=board.verify_key.encode().hex(),
        mixers=[],
    )
    sb = SealedBallotBox(election, board.encode().hex())
    b = sb.encrypt((0,))
    other = sb.encrypt((1,))
    forged = {"choices": other["choices"], "proof": b["proof"]}
    with pytest.raises(SealedError, match="proof"):
        sb.accept(forged, "web", None)
