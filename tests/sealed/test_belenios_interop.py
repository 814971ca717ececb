"""Interoperability with an independent implementation: Debian's belenios-tool 2.0 (OCaml,
finite-field groups only), on RFC-3526-2048 with a non-homomorphic (ranked) question.

belenios-tool sets up an election and casts ranked ballots; the last ballot is encrypted,
encoded and proved by OUR code; belenios-tool shuffles once, then OUR code shuffles
belenios' output with its proof of shuffle (spec §4.17, §6); belenios-tool decrypts with
one trustee; our code decrypts with the other trustee's key; belenios-tool must accept our
ballot, our shuffle and our Chaum--Pedersen proofs (``election verify``), refuse our
shuffle with two outputs swapped, and compute the result (our ballot among the opened
ones).  Then our
code re-checks belenios-tool's work: the trustees' proofs of knowledge (spec §4.5), every
ballot's raw-ElGamal proof (spec §4.11.2), its decryption proofs (spec §4.18), and its
result equals our joint decryption and ``group_decode`` of the shuffled ciphertexts.

Skipped only where belenios-tool is not installed and ``CI`` is unset; under CI a missing
tool fails (``.ci/install-belenios`` installs it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

TOOL = shutil.which("belenios-tool")
if TOOL is None and not os.environ.get("CI"):
    pytest.skip(
        "belenios-tool is not installed (run .ci/install-belenios)", allow_module_level=True
    )

from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.group import rfc3526_2048  # noqa: E402
from tallyroom.sealed.proofs import (  # noqa: E402
    Ciphertext,
    decryption_factor,
    encrypt,
    prove_raweg,
)
from tallyroom.sealed.shuffle import gen_shuffle, gen_shuffle_proof  # noqa: E402

from . import belenios_archive as ba  # noqa: E402

G = rfc3526_2048()
VOTES = ["[[1,2,3]]", "[[2,1,0]]", "[[0,0,1]]", "[[3,1,2]]"]
QUESTIONS = {
    "description": "interop",
    "name": "interop",
    "questions": [
        {"type": "NonHomomorphic", "value": {"question": "rank", "answers": ["A", "B", "C"]}}
    ],
}


def bt(cwd: Path, *args: str, stdin: str | None = None) -> str:
    assert TOOL is not None, "belenios-tool is missing (run .ci/install-belenios)"
    env = {**os.environ, "BELENIOS_USE_URANDOM": "1"}
    p = subprocess.run(
        [TOOL, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=300
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def our_ballot(raw_election: bytes, cred: str, ranks: list[int]) -> str:
    """A Belenios 2.0 ballot (spec §4.15) for a non-homomorphic question, made by our group,
    encoding, encryption and proof; signed with the voter's credential (spec §4.8, §4.14)."""
    e = json.loads(raw_election)
    phi = base64.b64encode(hashlib.sha256(raw_election).digest()).decode().rstrip("=")
    y = G.from_str(e["public_key"])
    # spec §4.8: s = PBKDF2-HMAC-SHA256(c, uuid, 1000 iterations, 1 block) mod q
    s = (
        int.from_bytes(
            hashlib.pbkdf2_hmac("sha256", cred.encode(), e["uuid"].encode(), 1000, 32), "big"
        )
        % G.q
    )
    credential = G.to_str(G.exp_g(s))
    r = G.random_scalar()
    c = encrypt(G, y, box.group_encode(G, 8, ranks), r)
    proof = prove_raweg(G, f"{phi}|{credential}", y, c, r)
    ballot: dict[str, Any] = {
        "election_uuid": e["uuid"],
        "election_hash": phi,
        "credential": credential,
        "answers": [{"choices": c.to_json(G), "proof": proof.to_json(G)}],
    }
    # spec §4.15: the hash of the compact serialization, fields in the specification's order
    h = (
        base64.b64encode(
            hashlib.sha256(json.dumps(ballot, separators=(",", ":")).encode()).digest()
        )
        .decode()
        .rstrip("=")
    )
    w = G.random_scalar()
    ch = (
        int.from_bytes(hashlib.sha256(f"sig|{h}|{G.to_str(G.exp_g(w))}".encode()).digest(), "big")
        % G.q
    )
    ballot["signature"] = {
        "hash": h,
        "proof": {"challenge": str(ch), "response": str((w - s * ch) % G.q)},
    }
    return json.dumps(ballot, separators=(",", ":"))


def archive(cwd: Path) -> list[tuple[str, bytes]]:
    (bel,) = cwd.glob("*.bel")
    with tarfile.open(bel) as t:
        return [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("belenios")
    uuid = bt(d, "setup", "generate-token").strip()
    g = ["--group", "RFC-3526-2048"]
    bt(d, "setup", "generate-credentials", "--uuid", uuid, *g, "--count", str(len(VOTES)))
    (next(d.glob("*.pubcreds"))).rename(d / "public_creds.json")
    (next(d.glob("*.privcreds"))).rename(d / "private_creds.txt")
    bt(d, "setup", "generate-trustee-key", *g)
    bt(d, "setup", "generate-trustee-key", *g)
    keys = sorted(d.glob("*.pubkey"))
    (d / "public_keys.jsons").write_text("".join(k.read_text() for k in keys))
    bt(d, "setup", "make-trustees")
    (d / "public_keys.jsons").unlink()
    (d / "q.json").write_text(json.dumps(QUESTIONS))
    bt(d, "setup", "make-election", "--uuid", uuid, *g, "--template", "q.json")
    bt(d, "archive", "init")
    for f in ("election.json", "trustees.json", "public_creds.json"):
        (d / f).unlink()
    creds = [line.split()[1] for line in (d / "private_creds.txt").read_text().splitlines()]
    for cred, vote in zip(creds[:-1], VOTES[:-1]):
        (d / "cred").write_text(cred + "\n")
        (d / "vote").write_text(vote + "\n")
        ballot = bt(d, "election", "generate-ballot", "--privcred", "cred", "--ballot", "vote")
        bt(d, "archive", "add-event", "--type=Ballot", stdin=ballot)
    # the last voter's ballot is encrypted by OUR code; belenios-tool must accept and open it
    raw = next(
        data for name, data in archive(d) if name.endswith(".data.json") and b'"questions"' in data
    )
    # a negative control first: the same kind of ballot with its proof's response changed
    forged = json.loads(our_ballot(raw, creds[-1], json.loads(VOTES[-1])[0]))
    resp = forged["answers"][0]["proof"]["response"]
    forged["answers"][0]["proof"]["response"] = str((int(resp) + 1) % G.q)
    # (added to a copy of the archive: add-event appends without checking; verify checks)
    control = d.parent / (d.name + "-control")
    shutil.copytree(d, control)
    bt(
        control,
        "archive",
        "add-event",
        "--type=Ballot",
        stdin=json.dumps(forged, separators=(",", ":")),
    )
    refused = subprocess.run(
        [str(TOOL), "election", "verify"], cwd=control, capture_output=True, text=True, timeout=300
    )
    bt(
        d,
        "archive",
        "add-event",
        "--type=Ballot",
        stdin=our_ballot(raw, creds[-1], json.loads(VOTES[-1])[0]),
    )
    bt(d, "archive", "add-event", "--type=EndBallots", stdin="")
    bt(
        d,
        "archive",
        "add-event",
        "--type=EncryptedTally",
        stdin=bt(d, "election", "compute-encrypted-tally"),
    )
    bt(
        d,
        "archive",
        "add-event",
        "--type=Shuffle",
        stdin=bt(d, "election", "shuffle", "--trustee-id=1"),
    )
    # the second shuffle is OURS (spec §4.17, §6 GenShuffle + GenShuffleProof), of belenios'
    # output, as trustee 2; belenios-tool's ``election verify`` must accept its proof
    files = archive(d)
    raw_election = next(
        data
        for name, data in files
        if json.loads(data).__class__ is dict and b'"questions"' in data
    )
    phi = base64.b64encode(hashlib.sha256(raw_election).digest()).decode().rstrip("=")
    theirs = json.loads(next(data for name, data in files if data.startswith(b'{"ciphertexts"')))
    y = G.from_str(json.loads(raw_election)["public_key"])
    e = [Ciphertext.from_json(G, c, "c") for c in theirs["ciphertexts"][0]]
    sh = gen_shuffle(G, y, e)
    proof = gen_shuffle_proof(G, e, sh, y, phi).to_json(G)
    mine = {"ciphertexts": [[c.to_json(G) for c in sh.ciphertexts]], "proofs": [proof]}

    def shuffle_event(obj: dict[str, Any]) -> str:
        text = json.dumps(obj, separators=(",", ":"))
        owned = {"owner": 2, "payload": hashlib.sha256(text.encode()).hexdigest()}
        return text + "\n" + json.dumps(owned, separators=(",", ":")) + "\n"

    # a negative control: our shuffle with two outputs swapped (the proof no longer fits)
    bad = {**mine, "ciphertexts": [mine["ciphertexts"][0][::-1]]}
    shuffle_control = d.parent / (d.name + "-shuffle-control")
    shutil.copytree(d, shuffle_control)
    bt(shuffle_control, "archive", "add-event", "--type=Shuffle", stdin=shuffle_event(bad))
    bt(shuffle_control, "archive", "add-event", "--type=EndShuffles", stdin="")
    refused_shuffle = subprocess.run(
        [str(TOOL), "election", "verify"],
        cwd=shuffle_control,
        capture_output=True,
        text=True,
        timeout=300,
    )
    bt(d, "archive", "add-event", "--type=Shuffle", stdin=shuffle_event(mine))
    bt(d, "archive", "add-event", "--type=EndShuffles", stdin="")
    privkeys = [k.with_suffix(".privkey") for k in keys]
    # trustee 1: belenios-tool decrypts
    bt(
        d,
        "archive",
        "add-event",
        "--type=PartialDecryption",
        stdin=bt(d, "election", "decrypt", "--privkey", str(privkeys[0]), "--trustee-id", "1"),
    )
    # trustee 2: OUR code decrypts (our shuffle, the last), with that trustee's key, in
    # belenios' message format
    shuffle = {"ciphertexts": mine["ciphertexts"][0]}
    x = int(json.loads(privkeys[1].read_text()))
    factors, proofs = [], []
    for c in shuffle["ciphertexts"]:
        f, p = decryption_factor(G, phi, x, G.from_str(c["alpha"]))
        factors.append(G.to_str(f))
        proofs.append(p.to_json(G))
    pd = json.dumps(
        {"decryption_factors": [factors], "decryption_proofs": [proofs]}, separators=(",", ":")
    )
    owned = json.dumps(
        {"owner": 2, "payload": hashlib.sha256(pd.encode()).hexdigest()}, separators=(",", ":")
    )
    bt(d, "archive", "add-event", "--type=PartialDecryption", stdin=pd + "\n" + owned + "\n")
    bt(d, "archive", "add-event", "--type=Result", stdin=bt(d, "election", "compute-result"))
    p = subprocess.run(
        [TOOL, "election", "verify"], cwd=d, capture_output=True, text=True, timeout=300
    )
    files = archive(d)
    return {
        "refused": refused,
        "refused_shuffle": refused_shuffle,
        "dir": d,
        "files": files,
        "phi": phi,
        "raw_election": raw_election,
        "verify": p,
    }


def test_belenios_refuses_a_forged_ballot_of_ours(election: dict[str, Any]) -> None:
    p = election["refused"]
    assert p.returncode != 0 and "invalid ballot" in p.stderr


def test_belenios_refuses_a_forged_shuffle_of_ours(election: dict[str, Any]) -> None:
    p = election["refused_shuffle"]
    assert p.returncode != 0 and "shuffle #1 failed" in p.stderr, p.stdout + p.stderr


def test_belenios_accepts_our_ballot_and_decryption_proofs(election: dict[str, Any]) -> None:
    p = election["verify"]
    assert p.returncode == 0 and "all checks passed" in p.stderr + p.stdout, p.stderr


def test_we_accept_belenios_proofs_and_reproduce_its_result(election: dict[str, Any]) -> None:
    a = ba.read(next(election["dir"].glob("*.bel")).read_bytes())
    keys = ba.trustee_keys(a)
    assert ba.check_ballots(a) == len(VOTES)
    assert ba.check_shuffles(a) == 2  # belenios-tool's and ours, each by our verifier
    ours, theirs = ba.decrypt_and_decode(a, keys)
    assert ours == theirs
    assert sorted(ours) == sorted(json.loads(v)[0] for v in VOTES)
