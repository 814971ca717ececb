"""``tallyroom trustee ...`` (run by each trustee on their own machine) and ``tallyroom
verify RECORD`` (run by anyone).

Secrets stay in the files a trustee keeps (written mode 0600); everything a command prints
or writes besides them is public and goes to the coordinator.  The ceremony::

    tallyroom trustee init NAME --secret me.secret.json > me.cert.json          (each)
    (coordinator: certs.json = [every cert, in one order])
    tallyroom trustee polynomial --secret me.secret.json --certs certs.json \\
        --election UUID --threshold K > me.poly.json                            (each)
    (coordinator: polynomials.json = [every poly, in the certs' order])
    tallyroom trustee shares --secret me.secret.json --certs certs.json \\
        --polynomials polynomials.json --election UUID > me.voutput.json        (each)
    tallyroom trustee params --certs certs.json --polynomials polynomials.json \\
        --voutputs A.json B.json ... --election UUID > trustees.json            (anyone)

At the close: ``tallyroom trustee mix`` (the scrutineer's shuffle, with its proof of
shuffle), ``tallyroom trustee decrypt`` (k trustees, each checking every shuffle's proof
first), ``tallyroom verify RECORD`` (anyone).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from tallyroom.sealed.errors import SealedError

GROUP = click.option(
    "--group",
    "group_name",
    type=click.Choice(["Ed25519", "RFC-3526-2048", "BELENIOS-2048"]),
    default="Ed25519",
    show_default=True,
    help="The election's group.",
)


def _load(path: str, part: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise SealedError(part, f"{path}:{e.lineno}:{e.colno}: not JSON ({e.msg})") from None


def _write_secret(path: str, obj: Any) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)


def _out(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=1))


def _group(name: str) -> Any:
    from tallyroom.sealed.group import group_named

    return group_named(name)


@click.group("trustee")
def trustee() -> None:
    """A trustee's key ceremony and decryption share, run on the trustee's own machine."""


@trustee.command("init")
@click.argument("name")
@click.option(
    "--secret", "secret_path", required=True, help="Where to write your secret (kept by you)."
)
def init(name: str, secret_path: str) -> None:
    """Make your secret keys (to SECRET) and print your public certificate."""
    from tallyroom.sealed.trustees import new_trustee

    if os.path.exists(secret_path):
        raise SealedError("trustee secret", f"{secret_path} exists; refusing to overwrite a secret")
    secret, cert = new_trustee(name)
    _write_secret(secret_path, secret.to_json())
    _out(cert)


@trustee.command("polynomial")
@click.option("--secret", "secret_path", required=True)
@click.option(
    "--certs", "certs_path", required=True, help="Every trustee's certificate, as a JSON list."
)
@click.option("--election", "uuid", required=True, help="The election's identifier.")
@click.option(
    "--threshold", type=click.IntRange(min=1), required=True, help="Trustees needed to decrypt (k)."
)
@GROUP
def polynomial(
    secret_path: str, certs_path: str, uuid: str, threshold: int, group_name: str
) -> None:
    """Make your random polynomial: print its signed commitments and the boxed shares."""
    from tallyroom.sealed.trustees import TrusteeSecret, make_polynomial

    secret = TrusteeSecret.from_json(_load(secret_path, "trustee secret"))
    if secret.polynomial is not None:
        raise SealedError("trustee secret", "already has a polynomial; one per ceremony")
    msg = make_polynomial(_group(group_name), uuid, secret, _load(certs_path, "certs"), threshold)
    _write_secret(secret_path, secret.to_json())
    _out(msg)


@trustee.command("shares")
@click.option("--secret", "secret_path", required=True)
@click.option("--certs", "certs_path", required=True)
@click.option(
    "--polynomials",
    "polys_path",
    required=True,
    help="Every trustee's polynomial message, as a JSON list.",
)
@click.option("--election", "uuid", required=True)
@GROUP
def shares(secret_path: str, certs_path: str, polys_path: str, uuid: str, group_name: str) -> None:
    """Check the shares sent to you, keep your decryption key, print your verification key."""
    from tallyroom.sealed.trustees import TrusteeSecret, receive_shares

    secret = TrusteeSecret.from_json(_load(secret_path, "trustee secret"))
    out = receive_shares(
        _group(group_name),
        uuid,
        secret,
        _load(certs_path, "certs"),
        _load(polys_path, "polynomials"),
    )
    _write_secret(secret_path, secret.to_json())
    click.echo(
        f"all {len(_load(polys_path, 'polynomials'))} shares match their commitments", err=True
    )
    _out(out)


@trustee.command("params")
@click.option("--certs", "certs_path", required=True)
@click.option("--polynomials", "polys_path", required=True)
@click.option(
    "--voutputs",
    "vouts",
    required=True,
    multiple=True,
    help="Each trustee's shares output (repeat).",
)
@click.option("--election", "uuid", required=True)
@GROUP
def params(
    certs_path: str, polys_path: str, vouts: tuple[str, ...], uuid: str, group_name: str
) -> None:
    """Check the whole ceremony and print the public threshold parameters."""
    from tallyroom.sealed.trustees import threshold_parameters

    polys = _load(polys_path, "polynomials")
    _out(
        threshold_parameters(
            _group(group_name),
            uuid,
            _load(certs_path, "certs"),
            polys,
            [_load(v, "voutput") for v in vouts],
        )
    )


@trustee.command("decrypt")
@click.option("--secret", "secret_path", required=True)
@click.option("--election", "election_path", required=True, help="The election structure (JSON).")
@click.option(
    "--shuffles",
    "chain_path",
    required=True,
    help="The board's ciphertexts and every shuffle: JSON {ballots: [ciphertext...], "
    "shuffles: [shuffle...]}, as the service publishes it at the close.",
)
def decrypt(secret_path: str, election_path: str, chain_path: str) -> None:
    """Check every shuffle's proof, then print your decryption factors of the last shuffle,
    with their proofs.  A trustee decrypts only a proved shuffle: an unshuffled list could
    be the voters' own ciphertexts in board order, and decrypting it would link them."""
    from tallyroom.sealed.box import check_shuffles, fingerprint, partial_decrypt
    from tallyroom.sealed.trustees import TrusteeSecret

    election = _load(election_path, "election")
    G = _group(election.get("group"))
    secret = TrusteeSecret.from_json(_load(secret_path, "trustee secret"))
    chain = _load(chain_path, "shuffles")
    if not isinstance(chain, dict) or set(chain) != {"ballots", "shuffles"}:
        raise SealedError("shuffles", f"{chain_path}: expected {{ballots, shuffles}}")
    check_shuffles(G, election, fingerprint(election), chain["ballots"], chain["shuffles"])
    click.echo(f"all {len(chain['shuffles'])} shuffles' proofs verify", err=True)
    _out(partial_decrypt(G, election, secret, chain["shuffles"][-1]["ciphertexts"]))


@trustee.command("mix")
@click.option("--election", "election_path", required=True)
@click.option(
    "--ciphertexts",
    "cts_path",
    required=True,
    help="The previous shuffle (or the ballots' ciphertexts).",
)
@click.option(
    "--index", type=click.IntRange(min=0), required=True, help="This shuffle's place (0 = first)."
)
@click.option("--mixer", required=True, help="Your name among the election's mixers.")
@click.option(
    "--signing-key",
    "key_path",
    required=True,
    help="Your trustee secret (its signing key signs the shuffle).",
)
def mix_cmd(election_path: str, cts_path: str, index: int, mixer: str, key_path: str) -> None:
    """Re-encrypt and shuffle the ciphertexts with a proof of shuffle (the scrutineer's own
    mix, spec §4.17)."""
    from tallyroom.sealed.box import mix

    election = _load(election_path, "election")
    secret = _load(key_path, "trustee secret")
    cts = _load(cts_path, "ciphertexts")
    _out(
        mix(
            _group(election.get("group")),
            election,
            cts["ciphertexts"] if isinstance(cts, dict) else cts,
            index=index,
            mixer=mixer,
            mixer_seed=secret["signing_seed"],
        )
    )


@click.command("verify")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
def verify(record: str) -> None:
    """Re-check a sealed election's record: every hash, signature and proof, the decryption
    of the last shuffle, and the count; say what was checked and what could not be."""
    from tallyroom.sealed.record import Report, verify_record

    with open(record, "rb") as f:
        data = f.read()
    rep = Report()
    try:
        verify_record(data, rep)
    except SealedError as e:
        for line in rep.lines():
            click.echo(line)
        click.echo(f"FAILED       {e}")
        sys.exit(1)
    for line in rep.lines():
        click.echo(line)
    click.echo("VERIFIED (within what is listed as checked)")
