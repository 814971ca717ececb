"""The sealed ballot box: threshold-encrypted ranked ballots, a public hash-chained board,
a mix by two mixers and a verifiable joint decryption, after Belenios' specification 2.0.

Modules: :mod:`.group` (the group, two implementations), :mod:`.proofs` (ElGamal and the
proofs), :mod:`.trustees` (the k-of-n ceremony), :mod:`.box` (casting, board, mix,
decryption, count), :mod:`.record` (the record and its verifier), :mod:`.cli` (the
``tallyroom trustee`` and ``tallyroom verify`` commands).  Needs ``tallyroom[sealed]``.

The names below are the box's public face, what the service (``tallyroom.service``) may
use; importing them does not load libsodium (the groups load it when first used).
"""

from tallyroom.sealed import box
from tallyroom.sealed.ballotbox import SealedBallotBox
from tallyroom.sealed.canon import canonical
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import group_named
from tallyroom.sealed.proofs import Ciphertext
from tallyroom.sealed.record import dumps, open_box
from tallyroom.sealed.trustees import check_threshold_parameters, verification_keys

__all__ = [
    "Ciphertext",
    "SealedBallotBox",
    "SealedError",
    "box",
    "canonical",
    "check_threshold_parameters",
    "dumps",
    "group_named",
    "open_box",
    "verification_keys",
]
