"""The election record, and the independent check of it (``tallyroom verify RECORD``).

One JSON document, in canonical form (sorted keys, no spaces)::

    format                "tallyroom-sealed-record/2" (/1 had no proofs of shuffle)
    election              parameters, candidates, rule, group, trustees' threshold
                          parameters (certificates, signed commitments, verification keys,
                          public key), the board's and the mixers' verification keys
    fingerprint           H_JSON(election), phi in every proof (spec §4.15)
    board                 {entries: hash-chained (tracker, ciphertext hash), checkpoints}
    ballots               the ciphertexts with their proofs, in board order
    shuffles              [{mixer, ciphertexts, proof, signature}]: each a re-encryption and
                          permutation of the one before (the first: of the ballots), with its
                          Terelius--Wikström proof of shuffle (spec §4.17, §6)
    partial_decryptions   [{trustee, decryption_factors, decryption_proofs}] on the last shuffle
    decoded               the opened rank vectors, in the last shuffle's order
    result                the count by the library
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tallyroom.sealed import box
from tallyroom.sealed.canon import canonical, sha256_hex
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import group_named
from tallyroom.sealed.trustees import check_threshold_parameters, verification_keys

RECORD_FORMAT = "tallyroom-sealed-record/2"
PARTS = (
    "format",
    "election",
    "fingerprint",
    "board",
    "ballots",
    "shuffles",
    "partial_decryptions",
    "decoded",
    "result",
)


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"checked      {c}" for c in self.checked] + [
            f"NOT CHECKED  {c}" for c in self.not_checked
        ]


def dumps(record: dict[str, Any]) -> bytes:
    return canonical(record)


def verify_record(data: bytes, report: Report | None = None) -> Report:
    """Re-check everything in a record; raise :class:`SealedError` naming the first part
    that fails.  The report says what was checked and what could not be."""
    rep = report if report is not None else Report()
    try:
        rec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = (
            f"line {e.lineno} column {e.colno}"
            if isinstance(e, json.JSONDecodeError)
            else f"byte {e.start}"
        )
        raise SealedError("record", f"not JSON ({where})") from None
    if not isinstance(rec, dict) or set(rec) != set(PARTS):
        raise SealedError("record", f"expected the parts {', '.join(PARTS)}")
    if canonical(rec) != data:
        at = next(
            (i for i, (a, b) in enumerate(zip(canonical(rec), data)) if a != b),
            min(len(data), len(canonical(rec))),
        )
        raise SealedError("record", f"not in canonical form (first difference at byte {at})")
    rep.checked.append("the record is canonical JSON (one spelling: any changed byte shows)")
    stage = ["format"]
    try:
        _verify(rec, rep, stage)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        # a field missing or of the wrong type, wherever it is: name the part being checked
        raise SealedError(stage[0], f"malformed ({type(e).__name__}: {e})") from None
    return rep


ELECTION_KEYS = {
    "format",
    "uuid",
    "title",
    "candidates",
    "seats",
    "method",
    "group",
    "embedding",
    "trustees",
    "board_key",
    "mixers",
    "ballot",
}


def _verify(rec: dict[str, Any], rep: Report, stage: list[str]) -> None:
    if rec["format"] != RECORD_FORMAT:
        raise SealedError("format", f"found {rec['format']!r}; expected {RECORD_FORMAT}")

    stage[0] = "election"
    election = rec["election"]
    if (
        not isinstance(election, dict)
        or set(election) != ELECTION_KEYS
        or election.get("format") != box.FORMAT
    ):
        raise SealedError("election", f"expected a {box.FORMAT} structure")
    G = group_named(election.get("group"))
    phi = box.fingerprint(election)
    if rec["fingerprint"] != phi:
        raise SealedError("fingerprint", "is not H_JSON(election)")
    rep.checked.append(f"election fingerprint {phi} (group {G.name})")
    n = len(election["candidates"])
    kappa = election["embedding"]["bits_per_int"]
    if election["embedding"] != {"padding": G.padding, "bits_per_int": box.bits_per_int(G, n)}:
        raise SealedError("election.embedding", "is not the group's")
    if box._ballot_spec(election["ballot"]) != election["ballot"]:
        raise SealedError("election.ballot", "expected {kind, max_marks, rules, options}")

    stage[0] = "election.trustees"
    params = election["trustees"]
    y = check_threshold_parameters(G, election["uuid"], params)
    vks = verification_keys(G, params)
    k = params["threshold"]
    rep.checked.append(
        f"key ceremony: {len(vks)} trustees' certificates and signed commitments, threshold {k}, "
        "each verification key = product of the commitments, each proof of knowledge, public key = product of A_i0 (spec §4.6)"
    )

    # the board and the ballots on it
    stage[0] = "board"
    entries = box.check_chain(
        phi, rec["board"].get("entries", []) if isinstance(rec["board"], dict) else []
    )
    if not isinstance(rec["board"], dict) or set(rec["board"]) != {"entries", "checkpoints"}:
        raise SealedError("board", "expected {entries, checkpoints}")
    stage[0] = "ballots"
    ballots = rec["ballots"]
    if not isinstance(ballots, list) or len(ballots) != len(entries):
        raise SealedError(
            "ballots",
            f"found {len(ballots) if isinstance(ballots, list) else '?'}; expected one per board entry ({len(entries)})",
        )
    seen: set[Any] = set()
    cts = []
    parsed = box.check_ballots(G, election, ballots, phi, y)
    for i, (b, ent, c) in enumerate(zip(ballots, entries, parsed)):
        if box.tracker(b) != ent["tracker"] or sha256_hex(b["choices"]) != ent["ciphertext"]:
            raise SealedError(
                f"ballots[{i}]", "tracker or ciphertext hash differs from board entry"
            )
        if c.alpha in seen:
            raise SealedError(
                f"ballots[{i}]", "a ciphertext already on the board (a copied ballot)"
            )
        seen.add(c.alpha)
        cts.append(b["choices"])
    rep.checked.append(
        f"board: {len(entries)} entries hash-chained from the fingerprint; each ballot's tracker and ciphertext hash"
    )
    rep.checked.append(
        f"ballots: {len(ballots)} proofs of knowledge of the randomness (spec §4.11.2); no ciphertext twice"
    )
    stage[0] = "board.checkpoints"
    last = box.check_checkpoints(phi, election["board_key"], entries, rec["board"]["checkpoints"])
    cps = rec["board"]["checkpoints"]
    if not cps or last != len(entries):
        raise SealedError(
            "board.checkpoints",
            f"the last checkpoint covers {last} entries; expected the whole board ({len(entries)})",
        )
    rep.checked.append(
        f"board: {len(cps)} signed checkpoints, heads, ballots per channel = slots marked voted, the last covering the board"
    )

    # the mix
    stage[0] = "shuffles"
    shuffles = rec["shuffles"]
    final = box.check_shuffles(G, election, phi, cts, shuffles, parsed)
    mixers = [sh["mixer"] for sh in shuffles]
    rep.checked.append(
        f"shuffles: {len(shuffles)} by {', '.join(mixers)}: each signed by its mixer, each as long as its input, each element in the group"
    )
    rep.checked.append(
        "shuffles: each one's Terelius-Wikström proof that it re-encrypts and permutes its input, the first's input being the board's ballots (spec §4.17, §6 CheckShuffleProof)"
    )

    stage[0] = "partial_decryptions"
    pds = rec["partial_decryptions"]
    if not isinstance(pds, list):
        raise SealedError("partial_decryptions", "expected a list")
    shares: dict[int, list[Any]] = {}
    for i, pd in enumerate(pds):
        j, fs = box.check_partial_decryption(G, phi, vks, final, pd, f"partial_decryptions[{i}]")
        if j in shares:
            raise SealedError(f"partial_decryptions[{i}]", f"trustee {j} twice")
        shares[j] = fs
    plain = box.combine(G, final, shares, k)
    rep.checked.append(
        f"decryption: trustees {sorted(shares)} (threshold {k}), each factor's Chaum-Pedersen proof against the last shuffle (spec §4.18)"
    )
    stage[0] = "decoded"
    decoded = [box.group_decode(G, kappa, n, m) for m in plain]
    if not isinstance(rec["decoded"], list):
        raise SealedError("decoded", "expected a list")
    if rec["decoded"] != decoded:
        bad = next(
            i
            for i, (a, b) in enumerate(zip(rec["decoded"] + [None] * len(decoded), decoded))
            if a != b
        )
        raise SealedError(
            f"decoded[{bad}]", "is not the decryption of the last shuffle's ciphertext"
        )
    rep.checked.append(
        f"decoded: {len(decoded)} ballots are the joint decryption of the last shuffle (spec §4.19)"
    )
    stage[0] = "result"
    result = box.count_decoded(election, decoded)
    if rec["result"] != result:
        raise SealedError("result", f"found {rec['result']}; the recount gives {result}")
    rep.checked.append(
        f"result: recounted with tallyroom ({election['method']}): elected {', '.join(result['elected'])}"
    )
    rep.not_checked.append(
        "that every voter's ballot is on the board (each voter checks their own tracker)"
    )
    rep.not_checked.append(
        "that the ballots were cast by eligible voters (the service's register, not in this record)"
    )
    rep.not_checked.append(
        "that a decoded vector is a ranking before the count (malformed ones are counted as invalid papers)"
    )
    return None


def open_box(
    G: Any,
    election: dict[str, Any],
    entries: list[dict[str, Any]],
    checkpoints: list[dict[str, Any]],
    ballots: list[dict[str, Any]],
    shuffles: list[dict[str, Any]],
    partial_decryptions: list[dict[str, Any]],
    *,
    shuffles_checked: bool = False,
    shares_checked: bool = False,
) -> dict[str, Any]:
    """Assemble the record from the parts: check every shuffle's proof (unless the caller
    checked each on arrival: ``shuffles_checked``) and every decryption share's proofs
    (unless checked on arrival: ``shares_checked``), then decrypt and count."""
    from tallyroom.sealed.proofs import Ciphertext

    phi = box.fingerprint(election)
    vks = verification_keys(G, election["trustees"])
    if shuffles_checked:
        # every element went through the checked proof of shuffle: its membership with it
        final = [
            Ciphertext.from_json(G, c, "ciphertext", check=False)
            for c in shuffles[-1]["ciphertexts"]
        ]
    else:
        final = box.check_shuffles(G, election, phi, [b["choices"] for b in ballots], shuffles)
    if shares_checked:
        # the factors' membership is checked again by combine()'s exponentiations
        shares = {
            pd["trustee"]: [
                G.from_str(f, "partial_decryption", check=False) for f in pd["decryption_factors"]
            ]
            for pd in partial_decryptions
        }
    else:
        shares = dict(
            box.check_partial_decryption(G, phi, vks, final, pd, "partial_decryption")
            for pd in partial_decryptions
        )
    n = len(election["candidates"])
    kappa = election["embedding"]["bits_per_int"]
    decoded = [
        box.group_decode(G, kappa, n, m)
        for m in box.combine(G, final, shares, election["trustees"]["threshold"])
    ]
    return {
        "format": RECORD_FORMAT,
        "election": election,
        "fingerprint": phi,
        "board": {"entries": entries, "checkpoints": checkpoints},
        "ballots": ballots,
        "shuffles": shuffles,
        "partial_decryptions": partial_decryptions,
        "decoded": decoded,
        "result": box.count_decoded(election, decoded),
    }


__all__ = ["Report", "SealedError", "dumps", "open_box", "verify_record"]
