"""Arithmetic for counts: fixed-point decimals on Python ints, and exact rationals.

Statutory rules fix their arithmetic (Scottish STV: five decimal places, any remainder
ignored, SSI 2007/42 Sch. 1 r. 48(3); ERS97: two decimal places).  An :class:`Arithmetic`
object carries the precision of *one* count -- never process-wide state, so that counts
with different rules can run side by side.

Values are plain Python numbers so that ``+``, ``-``, ``sum`` and comparisons work
directly:

* :class:`Fixed` -- an ``int`` scaled by ``10**places`` (``1.5`` at 5 places is ``150000``).
  Multiplication and division must name their rounding; nothing rounds silently.
* :class:`Exact` -- a :class:`fractions.Fraction`.

Floats are never used in a count; they appear only in analysis (indices, plots).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

Value = int | Fraction


class Rounding(enum.StrEnum):
    """How a division that does not come out exactly is rounded."""

    DOWN = "down"  # towards zero: "any remainder being ignored" (values here are >= 0)
    UP = "up"  # away from zero
    HALF_UP = "half-up"
    HALF_EVEN = "half-even"


def divide(num: int, den: int, rounding: Rounding) -> int:
    """Integer ``num / den`` rounded as stated (den > 0)."""
    if den <= 0:
        raise ZeroDivisionError("division by a non-positive number")
    q, r = divmod(num, den)  # floor division; r >= 0
    if r == 0:
        return q
    if rounding is Rounding.DOWN:
        return q if num >= 0 else q + 1
    if rounding is Rounding.UP:
        return q + 1 if num >= 0 else q
    twice = 2 * r
    if twice > den:
        return q + 1
    if twice < den:
        return q
    if rounding is Rounding.HALF_UP:
        return q + 1 if num >= 0 else q
    return q if q % 2 == 0 else q + 1  # HALF_EVEN


def round_fraction(x: Fraction, places: int, rounding: Rounding = Rounding.DOWN) -> Fraction:
    """Round ``x`` to ``places`` decimal places."""
    scale = 10**places
    return Fraction(divide(x.numerator * scale, x.denominator, rounding), scale)


def format_decimal(x: Value | Decimal, places: int, rounding: Rounding = Rounding.HALF_UP) -> str:
    """A decimal string with exactly ``places`` decimals ("1322.00000").

    Exact values at that precision are printed as they are; others are rounded as stated
    (reports of exact-rational counts round half up for display only).
    """
    f = Fraction(x) if not isinstance(x, Fraction) else x
    scale = 10**places
    n = divide(f.numerator * scale, f.denominator, rounding)
    sign = "-" if n < 0 else ""
    n = abs(n)
    if places == 0:
        return f"{sign}{n}"
    whole, frac = divmod(n, scale)
    return f"{sign}{whole}.{frac:0{places}d}"


def parse_decimal(text: str) -> Fraction:
    """Parse a decimal string ("12.5", "-3", "1e3" refused) into an exact Fraction."""
    d = Decimal(text)
    if not d.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return Fraction(d)


class Arithmetic(Protocol):
    """The arithmetic of one count."""

    name: str
    places: int | None

    def of(self, x: int | Fraction, rounding: Rounding = Rounding.DOWN) -> Value: ...

    def mul_div(self, a: Value, b: Value, c: Value, rounding: Rounding) -> Value: ...

    def div(self, a: Value, b: Value, rounding: Rounding) -> Value: ...

    def times(self, n: int | Fraction, v: Value, rounding: Rounding = Rounding.DOWN) -> Value: ...

    def fraction(self, v: Value) -> Fraction: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Fixed:
    """Fixed-point decimals with ``places`` decimals, stored as scaled ints."""

    places: int
    name: str = "fixed"

    @property
    def scale(self) -> int:
        return int(10**self.places)

    def of(self, x: int | Fraction, rounding: Rounding = Rounding.DOWN) -> int:
        if isinstance(x, int):
            return x * self.scale
        return divide(x.numerator * self.scale, x.denominator, rounding)

    def mul_div(self, a: Value, b: Value, c: Value, rounding: Rounding) -> int:
        """``a * b / c`` for three fixed values, rounded once."""
        return divide(int(a) * int(b), int(c), rounding)

    def div(self, a: Value, b: Value, rounding: Rounding) -> int:
        """``a / b`` for two fixed values."""
        return divide(int(a) * self.scale, int(b), rounding)

    def times(self, n: int | Fraction, v: Value, rounding: Rounding = Rounding.DOWN) -> int:
        """``n`` papers (an exact count or weight) each worth ``v``."""
        if isinstance(n, int):
            return n * int(v)
        return divide(n.numerator * int(v), n.denominator, rounding)

    def fraction(self, v: Value) -> Fraction:
        return Fraction(int(v), self.scale)

    def describe(self) -> str:
        return f"fixed point, {self.places} decimal places"


@dataclass(frozen=True)
class Exact:
    """Exact rational arithmetic."""

    name: str = "exact"
    places: None = None

    def of(self, x: int | Fraction, rounding: Rounding = Rounding.DOWN) -> Fraction:
        return Fraction(x)

    def mul_div(self, a: Value, b: Value, c: Value, rounding: Rounding) -> Fraction:
        return Fraction(a) * Fraction(b) / Fraction(c)

    def div(self, a: Value, b: Value, rounding: Rounding) -> Fraction:
        return Fraction(a) / Fraction(b)

    def times(self, n: int | Fraction, v: Value, rounding: Rounding = Rounding.DOWN) -> Fraction:
        return Fraction(n) * Fraction(v)

    def fraction(self, v: Value) -> Fraction:
        return Fraction(v)

    def describe(self) -> str:
        return "exact rational arithmetic"
