"""Merging papers given as integer keys, and building a profile from the merge: the shared
back half of the fast BLT reader and of the sharded reader (:mod:`tallyroom.ballots.sharded`).

A paper is one integer key, its preferences as digits in base ``candidates + 1`` (first
preference most significant; 0: no more), or for many candidates a row of bytes.  Then:

1. :func:`dedupe` merges the identical keys of one stretch of papers with one sort of keys
   that carry their line number in the low bits, so each ranking keeps the line it was
   first seen on;
2. :func:`merge` merges the stretches, in order, in two key ranges on two cores;
3. :func:`build_profile` puts the unique rankings in first-seen order by a scatter and
   decodes them straight into the preference matrix, in row blocks on a few threads.

The profile carries that matrix (:attr:`Profile.arrays`), so the engines start counting
without rebuilding it; its ballots (:class:`ArrayBallots`) are made tuples only if
something asks for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from tallyroom.ballots.model import BLANK, BallotRules, Profile

_PARALLEL_PAPERS = 1 << 20  # papers from which the merge is shared between cores
_PARALLEL_ROWS = 1 << 18  # unique rankings from which decoding is shared between cores


class NotPlain(Exception):
    """The papers are not plain (here: a candidate twice on a paper): the careful reader
    reads the file, and the ballot rules decide what such a paper means."""


#: the papers of one stretch of ballot lines, merged: unique keys (ascending), the line of
#: each key's first paper (counted from the stretch's start), their total weights, and the
#: number of lines in the stretch
Part = tuple[np.ndarray, np.ndarray, np.ndarray, int]


def threads() -> int:
    """How many threads the numpy work is shared among (numpy lets go of the GIL)."""
    return max(1, min(os.cpu_count() or 1, 4))


def dedupe(key: np.ndarray, weight: np.ndarray, ncand: int, base: int, use_int: bool) -> Part:
    """Merge identical keys: the unique keys, ascending, with their first line and weight."""
    n = len(key)
    if not use_int:
        uniq, first, tot = _unique_bytes(key, np.arange(n), weight)
        return uniq, first, tot, n
    if n == 0:
        return key, np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    bits = n.bit_length()
    if (base**ncand) << bits < 2**63:
        # the line number packed under the key: a plain sort (much quicker than an argsort)
        # orders by key, and equal keys by line, so each run starts with its first paper
        packed = (key << bits) | np.arange(n, dtype=np.int64)
        packed.sort()
        order = packed & ((1 << bits) - 1)
        packed >>= bits
        sk = packed
    else:
        order = np.argsort(key, kind="stable")
        sk = key[order]
    runs = _runs(sk)
    if weight.min() == 1 and weight.max() == 1:
        tot = np.diff(np.append(runs, n))  # papers of weight 1: run lengths
    else:
        tot = np.add.reduceat(weight[order], runs)
    return sk[runs], order[runs], tot, n


def merge(parts: Sequence[Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The parts of consecutive stretches merged into one: keys, first lines, weights."""
    lines = 0
    shifted: list[Part] = []
    for key, first, tot, n in parts:
        shifted.append((key, first + lines, tot, n))
        lines += n
    if len(parts) == 1:
        key, first, tot, _ = shifted[0]
        return key, first, tot, lines
    if parts[0][0].dtype.kind == "V" or threads() < 2 or lines < _PARALLEL_PAPERS:
        key, first, tot = _merge_range(shifted)
        return key, first, tot, lines
    # two ranges of keys, split at a pivot, merged at once on two cores; the keys of the
    # first range are all below those of the second, so the results simply follow
    sample = np.concatenate([p[0][:: max(1, len(p[0]) // 64)] for p in shifted])
    pivot = np.sort(sample)[len(sample) // 2]
    cut = [int(np.searchsorted(p[0], pivot, side="right")) for p in shifted]
    low = [(k[:c], f[:c], t[:c], n) for (k, f, t, n), c in zip(shifted, cut)]
    high = [(k[c:], f[c:], t[c:], n) for (k, f, t, n), c in zip(shifted, cut)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(_merge_range, (low, high))
    key, first, tot = (np.concatenate((x, y)) for x, y in zip(a, b))
    return key, first, tot, lines


def _merge_range(parts: Sequence[Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge parts whose first lines are already counted from the file's first ballot."""
    key = np.concatenate([p[0] for p in parts])
    first = np.concatenate([p[1] for p in parts])
    tot = np.concatenate([p[2] for p in parts])
    if len(key) == 0:
        return key, first, tot
    if key.dtype.kind == "V":
        return _unique_bytes(key, first, tot)
    # each part is ascending already: a stable sort merges the runs, and keeps equal keys
    # in file order, so the first of each run is where the ranking was first seen
    order = np.argsort(key, kind="stable")
    sk = key[order]
    runs = _runs(sk)
    return sk[runs], first[order[runs]], np.add.reduceat(tot[order], runs)


def _runs(sk: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in the sorted, non-empty ``sk``."""
    flag = np.empty(len(sk), dtype=bool)
    flag[0] = True
    np.not_equal(sk[1:], sk[:-1], out=flag[1:])
    return np.flatnonzero(flag)


def _unique_bytes(
    key: np.ndarray, first: np.ndarray, tot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte-string keys merged: unique keys (ascending), each one's first ``first`` (the
    keys are in file order) and summed ``tot``."""
    uniq, idx, inv = np.unique(key, return_index=True, return_inverse=True)
    total = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(total, inv.ravel(), tot)
    return uniq, first[idx], total


def _first_seen(first: np.ndarray, lines: int) -> np.ndarray:
    """The order that puts the unique rankings as first seen in the file.

    The first lines are distinct, so a scatter into one slot per line puts them in order
    without a sort."""
    nu = len(first)
    kind: Any = np.int32 if nu < 2**31 else np.int64
    slots: Any = np.full(lines, -1, dtype=kind)
    slots[first] = np.arange(nu, dtype=kind)
    return slots[slots >= 0]


def build_profile(
    election: Any,
    merged: tuple[np.ndarray, np.ndarray, np.ndarray, int],
    ncand: int,
    base: int,
    use_int: bool,
    rules: BallotRules,
    name: str,
) -> Profile:
    uniq, first, tot, lines = merged
    order = _first_seen(first, lines)
    uniq = uniq[order]
    tot = tot[order]
    del order
    invalid: dict[str, int] = {}
    blank = uniq == 0 if use_int else ~uniq.view(np.uint8).reshape(-1, ncand).any(axis=1)
    if blank.any():
        invalid[BLANK] = int(tot[blank].sum())
        keep = ~blank
        uniq, tot = uniq[keep], tot[keep]
    del blank
    nu = len(uniq)
    prefs = np.empty((nu, ncand + 1), dtype=np.int32)
    prefs[:, ncand] = -1
    lengths = np.zeros(nu, dtype=np.int64)
    # rows in a few blocks decoded at once (numpy lets go of the GIL in its loops)
    blocks = threads() if nu >= _PARALLEL_ROWS else 1
    cuts = [nu * i // blocks for i in range(blocks + 1)]

    rows = [slice(cuts[i], cuts[i + 1]) for i in range(blocks)]
    with ThreadPoolExecutor(max_workers=blocks) as pool:
        jobs = [
            pool.submit(_decode, uniq[r], prefs[r], lengths[r], ncand, base, use_int) for r in rows
        ]
        for job in jobs:
            job.result()  # a repeated candidate in any block: to the careful reader
    del uniq
    longest = int(lengths.max(initial=0))
    if longest < ncand:  # the columns after the longest paper are all -1
        prefs = np.ascontiguousarray(prefs[:, : longest + 1])
    ballots = ArrayBallots(prefs, lengths)
    return Profile(
        election=election,
        ballots=ballots,  # type: ignore[arg-type]  # behaves as the tuple
        weights=tuple(tot.tolist()),
        invalid=invalid,
        rules=rules,
        source=name,
        arrays=(prefs, tot),
    )


def _decode(
    uniq: np.ndarray, prefs: np.ndarray, lengths: np.ndarray, ncand: int, base: int, use_int: bool
) -> None:
    """Keys back to preferences (into ``prefs`` and ``lengths``), a column at a time.

    A candidate met twice on a paper (its bit already set) sends the file to the careful
    reader: the ballot rules decide what such a paper means."""
    word: Any = np.int32 if ncand < 31 else np.int64
    seen: Any = np.zeros(len(uniq), dtype=word)
    for j, digit in _digits(uniq, ncand, base, use_int):
        if ncand < 63:
            b = np.left_shift(word(1), digit.astype(word, copy=False))  # bit 0: no one
            if ((seen & b) > 1).any():
                raise NotPlain
            seen |= b
        lengths += digit > 0
        np.subtract(digit, 1, out=prefs[:, j], dtype=np.int32, casting="unsafe")
    if ncand >= 63:
        s = np.sort(prefs[:, :ncand], axis=1)
        if ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0)).any():
            raise NotPlain


def _digits(uniq: np.ndarray, ncand: int, base: int, use_int: bool) -> Iterator[tuple[int, Any]]:
    """``(column, candidate numbers in it)`` for every column of the keys (0: none)."""
    if not use_int:
        mat = uniq.view(np.uint8).reshape(-1, ncand)
        for j in range(ncand):
            yield j, mat[:, j]
        return
    # by 32-bit division (much quicker than 64-bit): the key split in two halves, each
    # below base ** (ncand - half); when that passes 2**31 (15 candidates), 64-bit after all
    half = ncand // 2
    hi, lo = np.divmod(uniq, np.int64(base) ** (ncand - half))
    word: Any = np.int32 if base ** (ncand - half) <= 2**31 else np.int64
    for part, cols in (
        (lo.astype(word), range(ncand - 1, half - 1, -1)),
        (hi.astype(word), range(half - 1, -1, -1)),
    ):
        for j in cols:
            q = part // base
            yield j, part - q * base
            part = q


class ArrayBallots(Sequence[tuple[int, ...]]):
    """The unique rankings of a profile, held as arrays; tuples made on first use.

    Behaves as the tuple of tuples the careful reader gives (equal to it, same hash, same
    items); engines that read :attr:`Profile.arrays` never pay for the tuples.
    """

    __slots__ = ("_prefs", "_lengths", "_tuple")

    def __init__(self, prefs: np.ndarray, lengths: np.ndarray) -> None:
        self._prefs: np.ndarray | None = prefs
        self._lengths: np.ndarray | None = lengths
        self._tuple: tuple[tuple[int, ...], ...] | None = None

    def _t(self) -> tuple[tuple[int, ...], ...]:
        if self._tuple is None:
            assert self._prefs is not None and self._lengths is not None
            self._tuple = _tuples(self._prefs, self._lengths)
            self._prefs = self._lengths = None
        return self._tuple

    def __len__(self) -> int:
        return len(self._lengths) if self._lengths is not None else len(self._t())

    def __getitem__(self, i: Any) -> Any:
        return self._t()[i]

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        return iter(self._t())

    def __contains__(self, item: object) -> bool:
        return item in self._t()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrayBallots):
            other = other._t()
        return self._t() == other

    def __hash__(self) -> int:
        return hash(self._t())

    def __add__(self, other: Any) -> Any:
        return self._t() + tuple(other)

    def __radd__(self, other: Any) -> Any:
        return tuple(other) + self._t()

    def __repr__(self) -> str:
        return repr(self._t())

    def __reduce__(self) -> Any:
        return (tuple, (self._t(),))


def _tuples(prefs: np.ndarray, lengths: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """The ranking of each row as a tuple of candidate indices (the -1 padding dropped)."""
    out: list[Any] = [None] * len(prefs)
    for n in np.unique(lengths).tolist():
        idx = np.flatnonzero(lengths == n)
        rows = map(tuple, prefs[idx, :n].tolist())
        for i, t in zip(idx.tolist(), rows):
            out[i] = t
    return tuple(out)
