"""The sealed box end to end: an honest record always verifies; any single changed byte
makes ``verify`` fail and name the part; 2 of 3 trustees open the box, 1 cannot."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("nacl")

from tallyroom import Candidate, Election, Profile, count  # noqa: E402
from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.errors import SealedError  # noqa: E402
from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.proofs import Ciphertext, encrypt, prove_raweg  # noqa: E402
from tallyroom.sealed.record import PARTS, dumps, open_box, verify_record  # noqa: E402
from tallyroom.sealed.simulate import run  # noqa: E402

G = Ed25519Group()
NAMES = ["Ada", "Bea", "Cy", "Dee"]

rankings = st.lists(
    st.permutations(range(len(NAMES))).flatmap(
        lambda p: st.integers(1, len(NAMES)).map(lambda k: tuple(p[:k]))
    ),
    min_size=1,
    max_size=6,
)


@cache
def honest() -> tuple[bytes, tuple[tuple[int, ...], ...]]:
    votes = ((0, 1), (1, 2, 0), (2,), (0, 3, 1, 2), (3, 0), (0,), (1, 0))
    return dumps(run(G, NAMES, votes, method="irv")), votes


def plain_count(votes: Any, method: str = "irv") -> list[str]:
    e = Election(candidates=tuple(Candidate(n) for n in NAMES), seats=1)
    return list(count(Profile.build(e, [(tuple(v), 1) for v in votes]), method).elected)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rankings)
def test_an_honest_record_always_verifies_and_counts_the_votes(
    votes: list[tuple[int, ...]],
) -> None:
    rec = run(G, NAMES, votes, method="irv")
    rep = verify_record(dumps(rec))
    assert any("Chaum-Pedersen" in c for c in rep.checked)
    assert any("Terelius-Wikström proof" in c for c in rep.checked)
    assert not any("shuffle" in c for c in rep.not_checked)
    # the opened ballots are the cast ones, in another order; the result is the plaintext count's
    assert sorted(box.vector_ranking(v) for v in rec["decoded"]) == sorted(votes)
    assert rec["result"]["elected"] == plain_count(votes)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_changed_byte_fails_and_names_the_part(data: st.DataObject) -> None:
    raw, _ = honest()
    i = data.draw(st.integers(0, len(raw) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]))
    bad = raw[:i] + bytes([new]) + raw[i + 1 :]
    with pytest.raises(SealedError) as e:
        verify_record(bad)
    assert e.value.part.split(".")[0].split("[")[0] in (*PARTS, "record", "trustees")


def test_the_named_part_is_the_changed_one() -> None:
    raw, _ = honest()
    rec = json.loads(raw)
    rec["partial_decryptions"][1]["decryption_factors"][2] = rec["partial_decryptions"][1][
        "decryption_factors"
    ][3]
    with pytest.raises(SealedError, match=r"partial_decryptions\[1\]\.decryption_proofs\[2\]"):
        verify_record(dumps(rec))
    rec = json.loads(raw)
    rec["decoded"][0], rec["decoded"][1] = rec["decoded"][1], rec["decoded"][0]
    with pytest.raises(SealedError, match=r"^decoded\[0\]"):
        verify_record(dumps(rec))
    rec = json.loads(raw)
    rec["board"]["entries"].pop()
    with pytest.raises(SealedError, match="ballots|board"):
        verify_record(dumps(rec))
    rec = json.loads(raw)
    rec["result"]["elected"] = ["Dee"]
    with pytest.raises(SealedError, match="^result"):
        verify_record(dumps(rec))


@pytest.mark.parametrize("pair", [(1, 2), (1, 3), (2, 3)])
def test_any_two_of_three_trustees_open_the_box(pair: tuple[int, int]) -> None:
    votes = [(0, 1), (2, 1, 0), (1,)]
    rec = run(G, NAMES, votes, decrypting=pair)
    verify_record(dumps(rec))
    assert sorted(box.vector_ranking(v) for v in rec["decoded"]) == sorted(votes)


def test_one_trustee_alone_cannot_open_the_box() -> None:
    votes = [(0, 1), (2, 1, 0), (1,)]
    rec = run(G, NAMES, votes)
    final = [Ciphertext.from_json(G, c, "c") for c in rec["shuffles"][-1]["ciphertexts"]]
    one = {1: [G.from_str(f) for f in rec["partial_decryptions"][0]["decryption_factors"]]}
    with pytest.raises(SealedError, match="at least 2"):
        box.combine(G, final, one, 2)
    # and its share alone, used as if it were the key, decrypts to nothing like the ballots
    wrong = [G.div(c.beta, f) for c, f in zip(final, one[1])]
    kappa = rec["election"]["embedding"]["bits_per_int"]
    opened = {tuple(box.group_decode(G, kappa, len(NAMES), m)) for m in wrong}
    assert not opened & {tuple(v) for v in rec["decoded"]}
    # a record with one trustee's decryption does not verify
    rec["partial_decryptions"] = rec["partial_decryptions"][:1]
    with pytest.raises(SealedError, match="at least 2"):
        verify_record(dumps(rec))


def test_the_ciphertext_length_does_not_tell_the_number_of_preferences() -> None:
    raw, _ = honest()
    rec = json.loads(raw)
    sizes = {len(json.dumps(b)) for b in rec["ballots"]}
    # the proofs' base-10 scalars vary in length by chance only; the ciphertext never does
    assert {len(json.dumps(b["choices"])) for b in rec["ballots"]} == {
        len(json.dumps(rec["ballots"][0]["choices"]))
    }
    assert max(sizes) - min(sizes) < 8


def test_a_voter_finds_their_tracker_on_the_board() -> None:
    raw, _ = honest()
    rec = json.loads(raw)
    for b in rec["ballots"]:
        e = box.find_tracker(rec["board"]["entries"], box.tracker(b))
        assert e is not None and e["tracker"] == box.tracker(b)
    assert box.find_tracker(rec["board"]["entries"], "not-a-tracker") is None


def test_a_malformed_plaintext_is_counted_as_invalid_never_dropped() -> None:
    # a voter's own client may encrypt any group element: the proof (spec §4.11.2) cannot
    # exclude it; the count shows it as an invalid paper
    raw, _ = honest()
    rec = json.loads(raw)
    election = rec["election"]
    y = box.public_key(G, election)
    m = box.group_encode(
        G, election["embedding"]["bits_per_int"], [1, 1, 0, 0]
    )  # two first preferences
    r = G.random_scalar()
    c = encrypt(G, y, m, r)
    bad = {
        "choices": c.to_json(G),
        "proof": prove_raweg(G, box.fingerprint(election) + "|", y, c, r).to_json(G),
    }
    box.check_ballot(G, election, bad, "ballot")  # well formed as a ciphertext
    result = box.count_decoded(election, [box.group_decode(G, 3, 4, m), [1, 0, 0, 0]])
    assert result["invalid"] == {box.MALFORMED: 1} and result["valid"] == 1


def test_checkpoint_invariant_and_signature() -> None:
    raw, _ = honest()
    rec = json.loads(raw)
    cp = rec["board"]["checkpoints"][-1]
    cp["voted_slots"] = {k: v + 1 for k, v in cp["voted_slots"].items()}
    with pytest.raises(SealedError, match=r"board\.checkpoints\[1\]: signature"):
        verify_record(dumps(rec))


def test_open_box_refuses_a_forged_share() -> None:
    raw, _ = honest()
    rec = json.loads(raw)
    pds = rec["partial_decryptions"]
    pds[0]["decryption_proofs"][0], pds[0]["decryption_proofs"][1] = (
        pds[0]["decryption_proofs"][1],
        pds[0]["decryption_proofs"][0],
    )
    with pytest.raises(SealedError, match="Chaum-Pedersen"):
        open_box(
            G,
            rec["election"],
            rec["board"]["entries"],
            rec["board"]["checkpoints"],
            rec["ballots"],
            rec["shuffles"],
            pds,
        )


def _assert_fails(bad: bytes) -> None:
    with pytest.raises(SealedError) as e:
        verify_record(bad)
    assert e.value.part.split(".")[0].split("[")[0] in (*PARTS, "record", "trustees")


def test_every_field_name_changed_fails() -> None:
    # the last letter of each key's first occurrence, to its successor (keeps the key order
    # in most cases, so the canonical-form check is not what catches it)
    raw, _ = honest()
    keys: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                keys.add(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(json.loads(raw))
    for k in sorted(keys):
        i = raw.index(f'"{k}":'.encode()) + len(k)
        _assert_fails(raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :])


def test_a_sweep_of_changed_bytes_fails() -> None:
    raw, _ = honest()
    for i in range(0, len(raw), 41):
        _assert_fails(raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1 :])


def test_papers_as_marked_are_read_under_the_ballot_rules_after_opening() -> None:
    # a ranked paper with two candidates numbered 2 and a gap: the vector keeps the marks as
    # written, and the opened paper is read by Profile.from_marks under the same rules a
    # plaintext count would use (here: stop at the repeated number)
    from tallyroom.ballots.model import BallotRules

    rec = run(G, NAMES, [(0, 1)], method="irv")  # for a valid key ceremony
    election = dict(rec["election"], ballot=box._ballot_spec({"kind": "ranked"}))
    papers = [[1, 2, 2, 0], [2, 1, 0, 3], [0, 0, 0, 0], [1, 0, 0, 9]]
    got = box.profile_of_decoded(election, papers)
    e = Election(candidates=tuple(Candidate(n) for n in NAMES), seats=1, title="test")
    raw = {
        (0, (1, 2)): 1,
        (1, 0, None, 3): 1,
        (): 1,
    }
    want = Profile.from_marks(e, raw, BallotRules(), invalid={box.MALFORMED: 1})
    assert got.same_as(want) and dict(got.invalid) == dict(want.invalid)
    # approval papers: 0/1 per candidate, more marks than allowed invalid
    election["ballot"] = box._ballot_spec({"kind": "approval", "max_marks": 2})
    got = box.profile_of_decoded(election, [[1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0], [2, 0, 0, 0]])
    assert dict(got.invalid) == {
        "more marks than votes allowed": 1,
        "blank": 1,
        box.MALFORMED: 1,
    }
    assert got.valid == 1
