"""What the web service calls: the sealed box behind its ballot-box interface.

Storage stays the service's: every method takes what it needs (the previous board entry,
the entries so far) and returns JSON-ready dicts to persist.  The service must

- store ``ballot`` (the ciphertext and proof) and ``entry`` in the SAME transaction as the
  slot's "voted" mark, and give ``entry["ciphertext"]`` a UNIQUE index (a copied ballot is
  refused by the database, one slot one ballot);
- sign a :meth:`checkpoint` every few minutes and publish it with the board;
- never store the plaintext ranking, the time of casting next to the entry, or anything
  linking a slot to an entry.

At the close: :meth:`mix` (the service's shuffle, index 0), then the scrutineer runs
``tallyroom trustee mix --index 1``, k trustees run ``tallyroom trustee decrypt``, and
:meth:`record` assembles the election record that ``tallyroom verify`` checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tallyroom.sealed import box
from tallyroom.sealed.canon import canonical
from tallyroom.sealed.errors import SealedError
from tallyroom.sealed.group import group_named
from tallyroom.sealed.record import open_box


class SealedBallotBox:
    """One sealed election (one contest) as the service handles it; every method takes and
    returns JSON-ready values."""

    @staticmethod
    def new_board_key() -> tuple[str, str]:
        """A fresh Ed25519 key for the board's checkpoints and the service's shuffle:
        (secret seed, verification key), both hex."""
        import nacl.signing

        k = nacl.signing.SigningKey.generate()
        return k.encode().hex(), k.verify_key.encode().hex()

    @staticmethod
    def new_election(
        group: str, *, uuid: str, trustees: dict[str, Any], **kw: Any
    ) -> dict[str, Any]:
        """The election structure (:func:`tallyroom.sealed.box.make_election`), after
        checking the trustees' ceremony was run for ``uuid``."""
        from tallyroom.sealed.trustees import check_threshold_parameters

        G = group_named(group)
        check_threshold_parameters(G, uuid, trustees)
        return box.make_election(G, uuid=uuid, trustees=trustees, **kw)

    @staticmethod
    def dumps(obj: Any) -> str:
        """The one spelling of a message (canonical JSON), as the record keeps it."""
        return canonical(obj).decode()

    @staticmethod
    def marks_of(election: dict[str, Any], v: Sequence[int]) -> Any:
        """An opened vector as the paper was marked (:func:`tallyroom.sealed.box.marks_of`)."""
        return box.marks_of(election, v)

    def __init__(self, election: dict[str, Any], board_seed: str) -> None:
        self.election = election
        self.G = group_named(election["group"])
        self.phi = box.fingerprint(election)
        self.y = box.public_key(self.G, election)
        self._seed = board_seed

    @property
    def genesis(self) -> str:
        """The head of an empty board."""
        return box.genesis(self.phi)

    def encrypt_marks(self, v: Sequence[int]) -> dict[str, Any]:
        """The no-JavaScript path for papers as marked (:func:`tallyroom.sealed.box.cast_vector`)."""
        return box.cast_vector(self.G, self.election, v)

    def check_shuffle(self, inp: list[Any], shuffle: Any, index: int) -> None:
        """A mixer's shuffle: its signature and proof of shuffle against ``inp``."""
        box.check_shuffle(self.G, self.election, self.phi, inp, shuffle, index)

    def check_decryption(self, last: list[Any], partial: Any) -> int:
        """A trustee's partial decryption of ``last`` (every proof); the trustee's number."""
        from tallyroom.sealed.proofs import Ciphertext
        from tallyroom.sealed.trustees import verification_keys

        vks = verification_keys(self.G, self.election["trustees"])
        final = [Ciphertext.from_json(self.G, c, f"ciphertexts[{i}]") for i, c in enumerate(last)]
        j, _ = box.check_partial_decryption(
            self.G, self.phi, vks, final, partial, "partial_decryption"
        )
        return j

    @property
    def threshold(self) -> int:
        return int(self.election["trustees"]["threshold"])

    def encrypt(self, ranking: Sequence[int]) -> dict[str, Any]:
        """The no-JavaScript path: encrypt a strict ranking (candidate indexes) on receipt."""
        return box.cast(self.G, self.election, ranking)

    def accept(
        self, ballot: dict[str, Any], channel: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Check a ballot's proof and make its board entry (chained to ``previous``)."""
        box.check_ballot(self.G, self.election, ballot, "ballot", phi=self.phi, y=self.y)
        if previous is not None and ("hash" not in previous or "index" not in previous):
            raise SealedError("board", "previous entry has no hash/index")
        return box.board_entry(self.phi, previous, channel, ballot)

    def tracker(self, ballot: dict[str, Any]) -> str:
        """The voter's receipt: the smart ballot tracker (spec §4.15)."""
        return box.tracker(ballot)

    def checkpoint(
        self, entries: Sequence[dict[str, Any]], voted_slots: dict[str, int], time: str
    ) -> dict[str, Any]:
        """A signed checkpoint; ``voted_slots`` is the service's count of slots marked voted
        per channel, which must equal the board's ballots per channel (checked here too)."""
        cp = box.checkpoint(self.phi, self._seed, entries, voted_slots, time)
        if cp["ballots_per_channel"] != cp["voted_slots"]:
            raise SealedError(
                "board",
                f"invariant broken: ballots {cp['ballots_per_channel']} != slots voted {cp['voted_slots']}",
            )
        return cp

    def mix(self, ballots: Sequence[dict[str, Any]], mixer: str = "service") -> dict[str, Any]:
        """The service's shuffle of the frozen board (the first of the two)."""
        return box.mix(
            self.G,
            self.election,
            [b["choices"] for b in ballots],
            index=0,
            mixer=mixer,
            mixer_seed=self._seed,
        )

    def record(
        self,
        entries: list[dict[str, Any]],
        checkpoints: list[dict[str, Any]],
        ballots: list[dict[str, Any]],
        shuffles: list[dict[str, Any]],
        partial_decryptions: list[dict[str, Any]],
        *,
        shuffles_checked: bool = False,
        shares_checked: bool = False,
    ) -> dict[str, Any]:
        """The election record: decrypted with the trustees' shares and counted."""
        return open_box(
            self.G,
            self.election,
            entries,
            checkpoints,
            ballots,
            shuffles,
            partial_decryptions,
            shuffles_checked=shuffles_checked,
            shares_checked=shares_checked,
        )
