"""The one error the sealed box raises on purpose: which part of a record failed, and why."""

from __future__ import annotations

from tallyroom.errors import TallyroomError


class SealedError(TallyroomError):
    """A sealed-box message or record that does not check: ``part: what was found; expected``."""

    def __init__(self, part: str, message: str) -> None:
        self.part = part
        super().__init__(f"{part}: {message}")
