"""The sealed ballot box: threshold-encrypted ranked ballots, a public hash-chained board,
a mix by two mixers and a verifiable joint decryption, after Belenios' specification 2.0.

Modules: :mod:`.group` (the group, two implementations), :mod:`.proofs` (ElGamal and the
proofs), :mod:`.trustees` (the k-of-n ceremony), :mod:`.box` (casting, board, mix,
decryption, count), :mod:`.record` (the record and its verifier), :mod:`.cli` (the
``tallyroom trustee`` and ``tallyroom verify`` commands).  Needs ``tallyroom[sealed]``.
"""

from tallyroom.sealed.errors import SealedError

__all__ = ["SealedError"]
