"""A whole sealed election in one process, every party played honestly: for the tests, the
benchmark and as the sequence the service must follow (see ``docs/security.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tallyroom.sealed import box, trustees
from tallyroom.sealed.group import Group
from tallyroom.sealed.record import open_box


def ceremony(
    G: Group, uuid: str, n: int, k: int
) -> tuple[list[trustees.TrusteeSecret], dict[str, Any]]:
    pairs = [trustees.new_trustee(f"trustee-{j}") for j in range(1, n + 1)]
    secrets = [s for s, _ in pairs]
    certs = [c for _, c in pairs]
    polys = [trustees.make_polynomial(G, uuid, s, certs, k) for s in secrets]
    vouts = [trustees.receive_shares(G, uuid, s, certs, polys) for s in secrets]
    return secrets, trustees.threshold_parameters(G, uuid, certs, polys, vouts)


def run(
    G: Group,
    candidates: Sequence[str],
    rankings: Sequence[Sequence[int]],
    *,
    seats: int = 1,
    method: str = "irv",
    n: int = 3,
    k: int = 2,
    decrypting: Sequence[int] | None = None,
    uuid: str = "00000000-0000-4000-8000-000000000000",
) -> dict[str, Any]:
    import nacl.signing

    secrets, params = ceremony(G, uuid, n, k)
    board_sk = nacl.signing.SigningKey.generate()
    scrut_sk = nacl.signing.SigningKey.generate()
    election = box.make_election(
        G,
        uuid=uuid,
        title="test",
        candidates=candidates,
        seats=seats,
        method=method,
        trustees=params,
        board_key=board_sk.verify_key.encode().hex(),
        mixers=[
            {"name": "service", "key": board_sk.verify_key.encode().hex()},
            {"name": "scrutineer", "key": scrut_sk.verify_key.encode().hex()},
        ],
    )
    phi = box.fingerprint(election)
    ballots: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    for i, r in enumerate(rankings):
        b = box.cast(G, election, r)
        ch = "web" if i % 2 == 0 else "paper"
        entries.append(box.board_entry(phi, entries[-1] if entries else None, ch, b))
        ballots.append(b)
        if i == len(rankings) // 2:
            per: dict[str, int] = {}
            for e in entries:
                per[e["channel"]] = per.get(e["channel"], 0) + 1
            checkpoints.append(
                box.checkpoint(phi, board_sk.encode().hex(), entries, per, "2026-12-02T07:00:00Z")
            )
    per = {}
    for e in entries:
        per[e["channel"]] = per.get(e["channel"], 0) + 1
    checkpoints.append(
        box.checkpoint(phi, board_sk.encode().hex(), entries, per, "2026-12-02T08:00:00Z")
    )
    s1 = box.mix(
        G,
        election,
        [b["choices"] for b in ballots],
        index=0,
        mixer="service",
        mixer_seed=board_sk.encode().hex(),
    )
    s2 = box.mix(
        G,
        election,
        s1["ciphertexts"],
        index=1,
        mixer="scrutineer",
        mixer_seed=scrut_sk.encode().hex(),
    )
    who = list(decrypting) if decrypting is not None else list(range(1, k + 1))
    pds = [box.partial_decrypt(G, election, secrets[j - 1], s2["ciphertexts"]) for j in who]
    return open_box(G, election, entries, checkpoints, ballots, [s1, s2], pds)
