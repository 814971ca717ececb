"""Known answers from Belenios: an archive made by belenios-tool 2.0 (see
tests/data/belenios-nh/PROVENANCE.md), re-checked by our finite-field group and proofs:
trustees' proofs of knowledge (spec §4.5), ballots' raw-ElGamal proofs (spec §4.11.2),
belenios-tool's proof of shuffle (spec §4.17, §6 CheckShuffleProof), decryption proofs
(spec §4.18), and the published result = our decryption and decoding."""

from __future__ import annotations

from pathlib import Path

from . import belenios_archive as ba

ARCHIVE = Path(__file__).parent.parent / "data" / "belenios-nh" / "election.bel"


def test_belenios_archive_checks_with_our_code() -> None:
    a = ba.read(ARCHIVE.read_bytes())
    keys = ba.trustee_keys(a)
    assert len(keys) == 2
    assert ba.check_ballots(a) == 3
    assert ba.check_shuffles(a) == 1  # belenios-tool's Terelius-Wikström proof (spec §6)
    ours, theirs = ba.decrypt_and_decode(a, keys)
    assert ours == theirs == [[2, 1, 0], [1, 2, 3], [0, 0, 1]]
