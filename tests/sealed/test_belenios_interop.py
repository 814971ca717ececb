"""Interoperability with an independent implementation: Debian's belenios-tool 2.0 (OCaml,
finite-field groups only), on RFC-3526-2048 with a non-homomorphic (ranked) question.

belenios-tool sets up an election, casts ranked ballots, shuffles and decrypts with one
trustee; our code decrypts with the other trustee's key, and belenios-tool must accept our
Chaum--Pedersen proofs (``election verify``) and compute the result with them.  Then our
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

from tallyroom.sealed.group import rfc3526_2048  # noqa: E402
from tallyroom.sealed.proofs import (  # noqa: E402
    decryption_factor,
)

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
    for cred, vote in zip(creds, VOTES):
        (d / "cred").write_text(cred + "\n")
        (d / "vote").write_text(vote + "\n")
        ballot = bt(d, "election", "generate-ballot", "--privcred", "cred", "--ballot", "vote")
        bt(d, "archive", "add-event", "--type=Ballot", stdin=ballot)
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
    # trustee 2: OUR code decrypts, with that trustee's key, in belenios' message format
    files = archive(d)
    by_hash = {name.split(".")[0]: data for name, data in files}
    raw_election = next(
        data
        for name, data in files
        if json.loads(data).__class__ is dict and b'"questions"' in data
    )
    phi = base64.b64encode(hashlib.sha256(raw_election).digest()).decode().rstrip("=")
    shuffle = json.loads(
        next(data for data in by_hash.values() if data.startswith(b'{"ciphertexts"'))
    )
    x = int(json.loads(privkeys[1].read_text()))
    factors, proofs = [], []
    for c in shuffle["ciphertexts"][0]:
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
    return {"dir": d, "files": files, "phi": phi, "raw_election": raw_election, "verify": p}


def test_belenios_accepts_our_decryption_proofs(election: dict[str, Any]) -> None:
    p = election["verify"]
    assert p.returncode == 0 and "all checks passed" in p.stderr + p.stdout, p.stderr


def test_we_accept_belenios_proofs_and_reproduce_its_result(election: dict[str, Any]) -> None:
    a = ba.read(next(election["dir"].glob("*.bel")).read_bytes())
    keys = ba.trustee_keys(a)
    assert ba.check_ballots(a) == len(VOTES)
    ours, theirs = ba.decrypt_and_decode(a, keys)
    assert ours == theirs
    assert sorted(ours) == sorted(json.loads(v)[0] for v in VOTES)
