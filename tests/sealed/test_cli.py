"""The trustees' ceremony and decryption run as commands on files, the scrutineer's own mix,
and ``tallyroom verify`` on the record they make."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nacl")

from tallyroom.cli import main  # noqa: E402
from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.record import dumps, open_box  # noqa: E402
from tallyroom.sealed.trustees import _sign  # noqa: E402

G = Ed25519Group()
UUID = "cli-election"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


def write(path: Path, obj: Any) -> str:
    path.write_text(json.dumps(obj))
    return str(path)


@pytest.fixture
def ceremony(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    secrets = [str(tmp_path / f"t{j}.secret.json") for j in (1, 2, 3)]
    certs = []
    for j, s in enumerate(secrets, 1):
        code, out, _ = run(capsys, "trustee", "init", f"trustee {j}", "--secret", s)
        assert code == 0
        certs.append(json.loads(out))
        assert Path(s).stat().st_mode & 0o077 == 0  # the secret is readable by its owner only
    certs_path = write(tmp_path / "certs.json", certs)
    polys = []
    for s in secrets:
        code, out, err = run(
            capsys,
            "trustee",
            "polynomial",
            "--secret",
            s,
            "--certs",
            certs_path,
            "--election",
            UUID,
            "--threshold",
            "2",
        )
        assert code == 0, err
        polys.append(json.loads(out))
    polys_path = write(tmp_path / "polys.json", polys)
    return {
        "dir": tmp_path,
        "secrets": secrets,
        "certs": certs,
        "certs_path": certs_path,
        "polys": polys,
        "polys_path": polys_path,
    }


def test_ceremony_decryption_and_verify_by_commands(
    ceremony: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d: Path = ceremony["dir"]
    vouts = []
    for j, s in enumerate(ceremony["secrets"], 1):
        code, out, err = run(
            capsys,
            "trustee",
            "shares",
            "--secret",
            s,
            "--certs",
            ceremony["certs_path"],
            "--polynomials",
            ceremony["polys_path"],
            "--election",
            UUID,
        )
        assert code == 0 and "match their commitments" in err
        vouts.append(write(d / f"v{j}.json", json.loads(out)))
    code, out, err = run(
        capsys,
        "trustee",
        "params",
        "--certs",
        ceremony["certs_path"],
        "--polynomials",
        ceremony["polys_path"],
        *sum((["--voutputs", v] for v in vouts), []),
        "--election",
        UUID,
    )
    assert code == 0, err
    params = json.loads(out)

    import nacl.signing

    board = nacl.signing.SigningKey.generate()
    scrutineer = ceremony["certs"][2]  # trustee 3 is the independent scrutineer, and mixes
    election = box.make_election(
        G,
        uuid=UUID,
        title="t",
        candidates=["A", "B", "C"],
        seats=1,
        method="irv",
        trustees=params,
        board_key=board.verify_key.encode().hex(),
        mixers=[
            {"name": "service", "key": board.verify_key.encode().hex()},
            {"name": "scrutineer", "key": scrutineer["verification"]},
        ],
    )
    phi = box.fingerprint(election)
    votes = [(0, 1), (1,), (2, 1), (1, 0, 2)]
    ballots = [box.cast(G, election, v) for v in votes]
    entries: list[dict[str, Any]] = []
    for b in ballots:
        entries.append(box.board_entry(phi, entries[-1] if entries else None, "web", b))
    cps = [box.checkpoint(phi, board.encode().hex(), entries, {"web": 4}, "t")]
    s1 = box.mix(
        G,
        election,
        [b["choices"] for b in ballots],
        index=0,
        mixer="service",
        mixer_seed=board.encode().hex(),
    )
    e_path = write(d / "election.json", election)
    s1_path = write(d / "s1.json", s1)
    code, out, err = run(
        capsys,
        "trustee",
        "mix",
        "--election",
        e_path,
        "--ciphertexts",
        s1_path,
        "--index",
        "1",
        "--mixer",
        "scrutineer",
        "--signing-key",
        ceremony["secrets"][2],
    )
    assert code == 0, err
    s2 = json.loads(out)
    chain = write(
        d / "mix.json", {"ballots": [b["choices"] for b in ballots], "shuffles": [s1, s2]}
    )
    # a "shuffle" that is the board's own ciphertexts (signed by the mixer, but with no proof
    # that fits) is refused before any decryption: decrypting it would link voters to votes
    own = [b["choices"] for b in ballots]
    seed = json.loads(Path(ceremony["secrets"][2]).read_text())["signing_seed"]
    body = box._shuffle_body(phi, 1, "scrutineer", s1["ciphertexts"], own, s2["proof"])
    fake = dict(s2, ciphertexts=own, signature=_sign(seed, body))
    bad_chain = write(
        d / "bad-mix.json", {"ballots": [b["choices"] for b in ballots], "shuffles": [s1, fake]}
    )
    code, out, err = run(
        capsys,
        "trustee",
        "decrypt",
        "--secret",
        ceremony["secrets"][1],
        "--election",
        e_path,
        "--shuffles",
        bad_chain,
    )
    assert code != 0 and "shuffles[1].proof" in err and out == ""
    pds = []
    for s in (ceremony["secrets"][1], ceremony["secrets"][2]):  # trustee 1 lost their key
        code, out, err = run(
            capsys,
            "trustee",
            "decrypt",
            "--secret",
            s,
            "--election",
            e_path,
            "--shuffles",
            chain,
        )
        assert code == 0, err
        pds.append(json.loads(out))
    rec = open_box(G, election, entries, cps, ballots, [s1, s2], pds)
    assert sorted(box.vector_ranking(v) for v in rec["decoded"]) == sorted(votes)
    path = d / "record.json"
    path.write_bytes(dumps(rec))
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 0 and "VERIFIED" in out and "NOT CHECKED" in out
    assert "Terelius-Wikström proof" in out
    raw = path.read_bytes()
    i = raw.index(b'"result"') + 30
    path.write_bytes(raw[:i] + (b"0" if raw[i : i + 1] != b"0" else b"1") + raw[i + 1 :])
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 1 and "FAILED" in out


def test_a_wrong_share_is_caught_by_its_recipient(
    ceremony: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # trustee 1 sends trustee 2 the share meant for trustee 3
    polys = ceremony["polys"]
    polys[0]["secrets"][1] = polys[0]["secrets"][2]
    bad = write(ceremony["dir"] / "bad.json", polys)
    code, _, err = run(
        capsys,
        "trustee",
        "shares",
        "--secret",
        ceremony["secrets"][1],
        "--certs",
        ceremony["certs_path"],
        "--polynomials",
        bad,
        "--election",
        UUID,
    )
    assert code == 2 and "polynomials[1]" in err and "Traceback" not in err


def test_a_secret_is_never_overwritten(
    ceremony: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "trustee", "init", "again", "--secret", ceremony["secrets"][0])
    assert code == 2 and "refusing to overwrite" in err
